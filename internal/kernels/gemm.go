package kernels

import (
	"runtime"
	"sync/atomic"

	"github.com/colorize-dev/colorize/internal/blas"
	"github.com/colorize-dev/colorize/internal/gemm"
)

// gemmSplitMinFlops is the smallest product (m·n·k multiply-adds) worth
// splitting over goroutines.
const gemmSplitMinFlops = 1 << 18

// sgemm is blas.Sgemm (row-major C[m,n] = alpha·op(A)·op(B) + beta·C) with
// the parallelism on goroutines rather than in the BLAS. When the BLAS
// may run several threads (blas.Threads, outside a parallel region), a
// product on internal/gemm runs as a team product (gemm.SgemmTeam: one
// goroutine per thread sharing the packed blocks, work handed out as they
// free up); any other is split into bands of rows of C (or of columns, when
// C is wider than tall), one per thread, each a single-threaded call.
// Between calls OpenBLAS's idle workers spin on sched_yield for a long
// time; in a training step they spun through all of Go's own parallel work
// (im2col, batch norm, activations, Adam) and took a core from it. Run this
// way they never wake.
//
// Each element of C is still computed over the whole inner dimension in
// the same blocks, and bands depend only on the sizes and the thread count,
// so the result does not depend on goroutine scheduling. With internal/gemm
// it does not depend on the thread count either: see its
// TestTeamIsBitIdentical and (alpha 1, beta 0 or 1, as here)
// TestBandsAreBitIdentical.
func sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	countFlops(m, n, k)
	sgemmSplit(gemmThreads(), transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// flops counts the floating-point operations of the matrix products run
// here (2·m·n·k each), for benchmarks to set beside the kernel's peak.
var flops atomic.Int64

func countFlops(m, n, k int) { flops.Add(2 * int64(m) * int64(n) * int64(k)) }

// Flops returns how many floating-point operations the matrix products of
// this package have done since the process started: 2·m·n·k per product
// as called, whatever the BLAS (the micro-kernel's rounding up to whole
// panels is not counted). Benchmarks report the difference over a run;
// divided by the micro-kernel's in-cache speed it is the least time those
// products can take (bench/run.sh).
func Flops() int64 { return flops.Load() }

// gemmThreads is how many bands a product may be split into here: the
// BLAS's thread count (1 inside a parallel region), at most GOMAXPROCS.
func gemmThreads() int { return min(blas.Threads(), runtime.GOMAXPROCS(0)) }

// sgemmSplit is sgemm with nt bands (tests call it directly).
func sgemmSplit(nt int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if nt > 1 && useTeams && blas.OnGemm(m, n) {
		gemm.SgemmTeam(nt, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
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

// useTeams says whether a product on internal/gemm that may use several
// threads runs as one team product (gemm.SgemmTeam: shared packing, work
// handed out as the cores free up) rather than as bands of single-threaded
// calls. Both give the same bits; tests switch it to cover both paths.
var useTeams = true

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
