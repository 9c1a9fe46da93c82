//go:build openblas

package blas

import (
	"runtime"
	"testing"

	"github.com/colorize-dev/colorize/internal/gemm"
)

// TestOpenBLASRunsOneThread: where internal/gemm has its kernel, OpenBLAS
// itself is held to one thread (its spinning workers took a core from Go's
// work), while Threads reports GOMAXPROCS bands for internal/kernels outside
// parallel regions and one inside them.
func TestOpenBLASRunsOneThread(t *testing.T) {
	if !gemm.Accelerated() {
		t.Skip("OpenBLAS runs every product here, on its own threads")
	}
	if n := int(openblasThreads()); n != 1 {
		t.Fatalf("OpenBLAS runs %d threads, want 1", n)
	}
	if got, want := Threads(), runtime.GOMAXPROCS(0); got != want {
		t.Fatalf("Threads() = %d, want GOMAXPROCS %d", got, want)
	}
	BeginParallel()
	inner := Threads()
	EndParallel()
	if inner != 1 {
		t.Fatalf("inside a parallel region Threads() = %d, want 1", inner)
	}
	if got, want := Threads(), runtime.GOMAXPROCS(0); got != want {
		t.Fatalf("after the region Threads() = %d, want %d", got, want)
	}
	if n := int(openblasThreads()); n != 1 {
		t.Fatalf("after a parallel region OpenBLAS runs %d threads, want 1", n)
	}
}
