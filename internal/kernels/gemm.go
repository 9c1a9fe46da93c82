package kernels

import (
	"runtime"

	"github.com/colorize-dev/colorize/internal/blas"
)

// gemmSplitMinFlops is the smallest product (m·n·k multiply-adds) worth
// splitting over goroutines.
const gemmSplitMinFlops = 1 << 18

// sgemm is blas.Sgemm (row-major C[m,n] = alpha·op(A)·op(B) + beta·C) with
// the parallelism on goroutines rather than in the BLAS. When the BLAS
// may run several threads (blas.Threads, outside a parallel region), the
// rows of C (or its columns, when C is wider than tall) are split into one
// band per thread, each computed by a single-threaded call: this is how
// internal/gemm, single-threaded per call, uses several cores. Between calls
// OpenBLAS's idle workers spin on sched_yield for a long time; in a training
// step they spun through all of Go's own parallel work (im2col, batch norm,
// activations, Adam) and took a core from it. Run this way they never wake.
//
// Each element of C is still computed by one call over the whole inner
// dimension, and the bands depend only on the sizes and the thread count, so
// the result does not depend on goroutine scheduling. With internal/gemm
// (alpha 1, beta 0 or 1, as here) it does not depend on the thread count
// either: see its TestBandsAreBitIdentical.
func sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	sgemmSplit(min(blas.Threads(), runtime.GOMAXPROCS(0)), transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// sgemmSplit is sgemm with nt bands (tests call it directly).
func sgemmSplit(nt int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if nt <= 1 || m*n*k < gemmSplitMinFlops || max(m, n) < 2*nt {
		blas.Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	byRows := m >= n
	size := n
	if byRows {
		size = m
	}
	parallelForWorkers(size, nt, func(_, lo, hi int) {
		if lo == hi {
			return
		}
		if byRows {
			// Rows lo..hi of op(A) and of C.
			aOff := lo * lda
			if transA {
				aOff = lo
			}
			blas.Sgemm(transA, transB, hi-lo, n, k, alpha, a[aOff:], lda, b, ldb, beta, c[lo*ldc:], ldc)
			return
		}
		// Columns lo..hi of op(B) and of C.
		bOff := lo
		if transB {
			bOff = lo * ldb
		}
		blas.Sgemm(transA, transB, m, hi-lo, k, alpha, a, lda, b[bOff:], ldb, beta, c[lo:], ldc)
	})
}
