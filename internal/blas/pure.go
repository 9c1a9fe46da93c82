//go:build !openblas

package blas

import (
	"fmt"
	"runtime"

	"github.com/colorize-dev/colorize/internal/gemm"
)

// internal/gemm runs its assembly kernel on amd64 with AVX2 and FMA, its
// portable Go kernel elsewhere. On an amd64 CPU without AVX2 gonum's Sgemm,
// whose inner loops are SSE assembly, beats that Go kernel (1.1–1.5× on
// one core); on other architectures gonum is pure Go too and internal/gemm's
// packed, blocked Go kernel is the faster one (1.2–1.8×, measured on amd64
// with gonum's noasm tag: internal/gemm's BenchmarkPortable, BENCHMARKS.md).
func init() {
	if gemm.Accelerated() || runtime.GOARCH != "amd64" {
		sgemm, name, own = gemm.Sgemm, "colorize gemm (pure Go; "+gemm.Kernel()+")", true
		return
	}
	sgemm, name = gonumSgemm, "gonum (pure Go)"
}

// SetThreads sets how many threads one product may use (n ≤ 0: all of
// runtime.GOMAXPROCS). It has no effect on gonum's Sgemm.
func SetThreads(n int) { threads.Store(int64(n)) }

// Threads reports how many threads one product may use: internal/kernels
// splits a product into that many bands of single-threaded calls. gonum's
// Sgemm parallelises by itself and reports one thread.
func Threads() int {
	if !own {
		return 1
	}
	return bandThreads()
}

// OnGemm reports whether Sgemm runs an m×n product on internal/gemm.
func OnGemm(m, n int) bool { return own }

// Describe returns Name with the thread count.
func Describe() string {
	if !own {
		return name
	}
	return fmt.Sprintf("%s, %d threads", name, Threads())
}
