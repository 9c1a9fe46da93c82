// Package allocbudget checks, in fuzz targets, that reading one input
// allocates no more than a bound proportional to its size, so that a length
// field that lies is caught as a failure even when the allocation it asks for
// happens to fit in memory.
package allocbudget

import (
	"runtime/metrics"
	"testing"
)

// PerByte and Fixed make the bound: an input of n bytes may allocate at most
// PerByte·n + Fixed bytes in total (garbage included).
const (
	PerByte = 64
	Fixed   = 64 << 20
)

// Limit is the bound for an input of size bytes.
func Limit(size int) uint64 { return uint64(PerByte)*uint64(size) + Fixed }

// Measure runs fn and returns the heap bytes it allocated. The count is
// process-wide, so fn must run alone (fuzz workers run inputs one at a time).
func Measure(fn func()) uint64 {
	before := allocated()
	fn()
	return allocated() - before
}

// Check runs fn and fails t if it allocated more than Limit(size).
func Check(t testing.TB, size int, fn func()) {
	t.Helper()
	if used := Measure(fn); used > Limit(size) {
		t.Fatalf("an input of %d bytes allocated %d bytes, more than the bound of %d", size, used, Limit(size))
	}
}

func allocated() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}
