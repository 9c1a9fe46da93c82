// Package fuzzguard holds the two limits every fuzz target of colorize puts
// on reading one input: it may allocate no more than a bound proportional to
// its size, so that a length field that lies is caught even when the
// allocation it asks for happens to fit in memory; and it must finish, so
// that an input that makes a reader loop crashes the fuzzer with the input
// saved instead of stalling it until the fuzz time runs out.
package fuzzguard

import (
	"fmt"
	"os"
	"runtime"
	"runtime/metrics"
	"testing"
	"time"
)

// PerByte and Fixed make the allocation bound: an input of n bytes may
// allocate at most PerByte·n + Fixed bytes in total (garbage included).
const (
	PerByte = 64
	Fixed   = 64 << 20
)

// Hang is how long one input may run before it counts as a hang. Readers
// take well under a second on any input; the margin absorbs a loaded
// machine and the fuzzer's instrumentation.
const Hang = 10 * time.Second

// Limit is the allocation bound for an input of size bytes.
func Limit(size int) uint64 { return uint64(PerByte)*uint64(size) + Fixed }

// Measure runs fn and returns the heap bytes it allocated. The count is
// process-wide, so fn must run alone (fuzz workers run inputs one at a time).
func Measure(fn func()) uint64 {
	before := allocated()
	fn()
	return allocated() - before
}

// Check runs fn and fails t if it allocated more than Limit(size). If fn
// runs longer than Hang, the process prints every goroutine's stack and
// exits, which the fuzzer reports as a crash with the input saved.
func Check(t testing.TB, size int, fn func()) {
	t.Helper()
	watchdog := time.AfterFunc(Hang, func() {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		fmt.Fprintf(os.Stderr, "fuzzguard: an input of %d bytes ran longer than %v:\n%s\n", size, Hang, buf)
		os.Exit(2)
	})
	used := Measure(fn)
	watchdog.Stop()
	if used > Limit(size) {
		t.Fatalf("an input of %d bytes allocated %d bytes, more than the bound of %d", size, used, Limit(size))
	}
}

func allocated() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}
