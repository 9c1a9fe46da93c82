package blas

import (
	"runtime"
	"sync/atomic"

	gblas "gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// sgemmFunc is the signature of Sgemm.
type sgemmFunc func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)

// own is set when Sgemm runs its products on internal/gemm, single-threaded
// per call (under -tags openblas, OpenBLAS held to one thread for the thin
// products it keeps): Threads then tells internal/kernels how many bands of
// single-threaded calls to split a product into.
var own bool

// threads is the band count SetThreads set when own; 0 means
// runtime.GOMAXPROCS.
var threads atomic.Int64

// bandThreads is Threads when own.
func bandThreads() int {
	if n := threads.Load(); n > 0 {
		return int(n)
	}
	return runtime.GOMAXPROCS(0)
}

// sgemm is the selected implementation and name describes it for `colorize
// version`; pure.go or openblas.go sets both at init time.
var (
	sgemm sgemmFunc
	name  string
)

// Name reports which Sgemm implementation is linked in.
func Name() string { return name }

// Sgemm computes C = alpha·op(A)·op(B) + beta·C for row-major matrices, where
// op(X) is X or Xᵀ as transA/transB say; op(A) is m×k, op(B) is k×n and C is m×n.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// gonumSgemm is gonum's pure-Go Sgemm, which parallelises over
// runtime.GOMAXPROCS goroutines by itself.
func gonumSgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	gonum.Implementation{}.Sgemm(trans(transA), trans(transB), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func trans(t bool) gblas.Transpose {
	if t {
		return gblas.Trans
	}
	return gblas.NoTrans
}
