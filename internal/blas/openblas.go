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
	"sync/atomic"

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
	// With more, its idle workers spin on sched_yield after every call
	// that woke them, taking a core from Go's work: 10% of the CPU of a
	// 512² inference went to them.
	C.openblas_set_num_threads(1)
}

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

// own is set when products run on internal/gemm (single-threaded per call,
// OpenBLAS set to one thread): Threads then tells internal/kernels how many
// bands of single-threaded calls to split a product into, as in the pure-Go
// build; otherwise it is OpenBLAS's own thread count.
var own bool

// threads is the thread count SetThreads set when own; 0 means
// runtime.GOMAXPROCS.
var threads atomic.Int64

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

// Threads reports how many threads one product may use.
func Threads() int {
	if !own {
		return openblasThreads()
	}
	if n := threads.Load(); n > 0 {
		return int(n)
	}
	return runtime.GOMAXPROCS(0)
}

// Describe returns Name with the thread count.
func Describe() string { return fmt.Sprintf("%s, %d threads", name, Threads()) }
