//go:build openblas

package gemm_test

import (
	gblas "gonum.org/v1/gonum/blas"
	"gonum.org/v1/netlib/blas/netlib"

	"github.com/colorize-dev/colorize/internal/blas"
)

// OpenBLAS in bands of single-threaded calls, as colorize runs it (which
// BENCHMARKS.md found faster than its own thread pool).
func init() {
	impls = append(impls, impl{name: "openblas", sgemm: openblasSgemm, bands: true, setThreads: func(n int) func() {
		prev := blas.Threads()
		blas.SetThreads(n)
		return func() { blas.SetThreads(prev) }
	}})
}

func openblasSgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	tr := func(t bool) gblas.Transpose {
		if t {
			return gblas.Trans
		}
		return gblas.NoTrans
	}
	netlib.Implementation{}.Sgemm(tr(transA), tr(transB), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}
