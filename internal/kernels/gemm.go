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
	sgemmSplit(gemmThreads(), transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// gemmThreads is how many bands a product may be split into here: the
// BLAS's thread count (1 inside a parallel region), at most GOMAXPROCS.
func gemmThreads() int { return min(blas.Threads(), runtime.GOMAXPROCS(0)) }

// sgemmSplit is sgemm with nt bands (tests call it directly).
func sgemmSplit(nt int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	eachBand(nt, m, n, k, func(i0, i1, j0, j1 int) {
		aOff, bOff := i0*lda, j0 // rows i0… of op(A), columns j0… of op(B)
		if transA {
			aOff = i0
		}
		if transB {
			bOff = j0 * ldb
		}
		blas.Sgemm(transA, transB, i1-i0, j1-j0, k, alpha, a[aOff:], lda, b[bOff:], ldb, beta, c[i0*ldc+j0:], ldc)
	})
}

// eachBand runs product(i0, i1, j0, j1) on the bands of an m×n product with
// inner dimension k, on up to nt goroutines: rows i0…i1−1 of C when it is at
// least as tall as wide, else columns j0…j1−1; one call for all of C when
// the product is too small to split.
func eachBand(nt, m, n, k int, product func(i0, i1, j0, j1 int)) {
	if nt <= 1 || m*n*k < gemmSplitMinFlops || max(m, n) < 2*nt {
		product(0, m, 0, n)
		return
	}
	byRows := m >= n
	size := n
	if byRows {
		size = m
	}
	parallelForWorkers(size, nt, func(_, lo, hi int) {
		switch {
		case lo == hi:
		case byRows:
			product(lo, hi, 0, n)
		default:
			product(0, m, lo, hi)
		}
	})
}
