//go:build openblas

package blas

/*
#cgo LDFLAGS: -lopenblas
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
*/
import "C"

import (
	"fmt"
	"runtime"

	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/netlib/blas/netlib"

	"github.com/colorize-dev/colorize/internal/gemm"
)

// Products with at least ownMinM rows and ownMinN columns run on
// internal/gemm when it has its assembly kernel: on the training step's
// shapes it is as fast as OpenBLAS or faster (BENCHMARKS.md), except for
// the very thin products (n = 1 or 4, m = 16), whose 6×16 tiles are mostly
// padding; those stay on OpenBLAS.
const (
	ownMinM = 32
	ownMinN = 8
)

func init() {
	blas32.Use(netlib.Implementation{})
	if !gemm.Accelerated() {
		sgemm, name = openblasSgemm, "OpenBLAS (netlib cgo)"
		return
	}
	sgemm, own = mixedSgemm, true
	name = fmt.Sprintf("colorize gemm (%s) for m ≥ %d and n ≥ %d, OpenBLAS (netlib cgo) for the rest", gemm.Kernel(), ownMinM, ownMinN)
	// OpenBLAS keeps the thin products only, and internal/kernels splits
	// products over goroutines itself, so OpenBLAS runs on one thread.
	// With more, its idle workers spin on sched_yield after a call that
	// woke them, taking a core from Go's work: in FID feature extraction
	// that was 10–19% of the CPU samples, gone with one thread.
	C.openblas_set_num_threads(1)
}

// OnGemm reports whether Sgemm runs an m×n product on internal/gemm.
func OnGemm(m, n int) bool { return own && m >= ownMinM && n >= ownMinN }

func mixedSgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m >= ownMinM && n >= ownMinN {
		gemm.Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	openblasSgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func openblasSgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	netlib.Implementation{}.Sgemm(trans(transA), trans(transB), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// SetThreads sets how many threads one product may use (n ≤ 0: all of
// runtime.GOMAXPROCS).
func SetThreads(n int) {
	if own {
		threads.Store(int64(n))
		return
	}
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	C.openblas_set_num_threads(C.int(n))
}

// openblasThreads is OpenBLAS's own thread count.
func openblasThreads() int { return int(C.openblas_get_num_threads()) }

// Threads reports how many threads one product may use: with own, the
// bands internal/kernels splits it into; otherwise OpenBLAS's thread count.
func Threads() int {
	if !own {
		return openblasThreads()
	}
	return bandThreads()
}

// Describe returns Name with the thread count.
func Describe() string { return fmt.Sprintf("%s, %d threads", name, Threads()) }
