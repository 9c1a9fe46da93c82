//go:build !openblas

package blas

import (
	"runtime"
	"strings"
	"testing"

	"github.com/colorize-dev/colorize/internal/gemm"
)

// TestPureSelection checks that the pure-Go build runs internal/gemm where
// it has its assembly kernel, split into GOMAXPROCS bands outside parallel
// regions and into none inside them.
func TestPureSelection(t *testing.T) {
	if !gemm.Accelerated() && runtime.GOARCH == "amd64" {
		if Threads() != 1 || !strings.HasPrefix(Name(), "gonum") {
			t.Fatalf("amd64 without AVX2: got %q with %d threads, want gonum with 1", Name(), Threads())
		}
		return
	}
	if !strings.Contains(Name(), gemm.Kernel()) {
		t.Fatalf("Name() = %q, want internal/gemm's %q", Name(), gemm.Kernel())
	}
	if got, want := Threads(), runtime.GOMAXPROCS(0); got != want {
		t.Fatalf("Threads() = %d, want GOMAXPROCS %d", got, want)
	}
	BeginParallel()
	BeginParallel()
	inner := Threads()
	EndParallel()
	mid := Threads()
	EndParallel()
	if inner != 1 || mid != 1 {
		t.Fatalf("inside nested parallel regions Threads() = %d then %d, want 1", inner, mid)
	}
	if got, want := Threads(), runtime.GOMAXPROCS(0); got != want {
		t.Fatalf("after the regions Threads() = %d, want %d", got, want)
	}
	SetThreads(1)
	defer SetThreads(0)
	if Threads() != 1 {
		t.Fatalf("after SetThreads(1) Threads() = %d", Threads())
	}
}
