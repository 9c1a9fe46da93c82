package gemm

import (
	"fmt"
	"sync"
	"unsafe"
)

// The micro-tile: mr rows by nr columns of C per micro-kernel call.
const (
	mr = 6
	nr = 16
)

// Largest blocks: kcMax rows of op(B) (and columns of op(A)) per packed
// block, mcMax rows of op(A), ncMax columns of op(B). A kc×nr panel of B is
// 16 KiB (L1 is 32 KiB), an mc×kc block of A 168 KiB (L2 is 1 MiB), a kc×nc
// block of B 4 MiB (L3). Each dimension is split into equal blocks no larger
// than these, so a 257-long dimension becomes two of 129, not 256 and 1.
// Tuned on the development machine; see BENCHMARKS.md.
var (
	kcMax = 256
	mcMax = 168
	ncMax = 4080
)

// Sgemm computes C = alpha·op(A)·op(B) + beta·C for row-major matrices, where
// op(X) is X or Xᵀ as transA/transB say; op(A) is m×k, op(B) is k×n and C is
// m×n, stored with leading dimensions lda, ldb and ldc. As in the reference
// BLAS, C is not read when beta is 0, and A and B are not read when alpha is
// 0 or k is 0. It panics when a dimension is negative, a leading dimension
// is too small or a slice is too short for its matrix.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkDims(m, n, k)
	checkB(transB, k, n, b, ldb)
	if begin(transA, m, n, k, alpha, a, lda, beta, c, ldc) {
		drive(transA, m, n, k, alpha, a, lda, storedB{transB, b, ldb}, nil, beta, c, ldc)
	}
}

// checkB checks a stored op(B) of k×n.
func checkB(transB bool, k, n int, b []float32, ldb int) {
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	checkMatrix("B", br, bc, ldb, len(b))
}

func checkDims(m, n, k int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("gemm: negative dimension m=%d n=%d k=%d", m, n, k))
	}
}

// begin checks A and C and finishes the calls that need no product (an
// empty C, alpha or k zero): it reports whether the product remains to run.
func begin(transA bool, m, n, k int, alpha float32, a []float32, lda int, beta float32, c []float32, ldc int) bool {
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	checkMatrix("A", ar, ac, lda, len(a))
	checkMatrix("C", m, n, ldc, len(c))
	if m == 0 || n == 0 {
		return false
	}
	if alpha == 0 || k == 0 {
		scale(m, n, beta, c, ldc)
		return false
	}
	return true
}

// storedB is a B held in memory, op(B) with leading dimension ld.
type storedB struct {
	trans bool
	b     []float32
	ld    int
}

// PanelWidth is the number of columns of B in one packed panel: what a
// BPacker lays out.
const PanelWidth = nr

// A BPacker supplies a k×n matrix B that is never stored whole, such as
// the lowered (im2col) matrix of a convolution, by packing it block by block
// the way the product reads it.
type BPacker interface {
	// PackB writes rows p0…p0+kb−1, columns j0…j0+nb−1 of B into dst as
	// ⌈nb/PanelWidth⌉ panels of kb×PanelWidth values: panel q holds
	// columns j0+q·PanelWidth… row by row (its row p at
	// dst[q·kb·PanelWidth + p·PanelWidth:]), columns past nb zero.
	PackB(kb, nb, p0, j0 int, dst []float32)
}

// SgemmPackedB is Sgemm with B supplied by a packer: C = alpha·op(A)·B +
// beta·C, B k×n. Each block of B is packed once, as Sgemm packs a stored B,
// so a packer that writes what packing the stored matrix would gives the
// same bits as Sgemm.
func SgemmPackedB(transA bool, m, n, k int, alpha float32, a []float32, lda int, b BPacker, beta float32, c []float32, ldc int) {
	checkDims(m, n, k)
	if begin(transA, m, n, k, alpha, a, lda, beta, c, ldc) {
		drive(transA, m, n, k, alpha, a, lda, storedB{}, b, beta, c, ldc)
	}
}

// drive runs the blocked product of checked, non-empty operands, with B's
// blocks packed from stored, or written by packer when that is not nil (an
// interface only there, so that Sgemm allocates nothing).
func drive(transA bool, m, n, k int, alpha float32, a []float32, lda int, stored storedB, packer BPacker, beta float32, c []float32, ldc int) {
	kc, mc, nc := split(k, kcMax, 1), split(m, mcMax, mr), split(n, ncMax, nr)
	ws := getWorkspace(roundUp(min(mc, m), mr)*min(kc, k), roundUp(min(nc, n), nr)*min(kc, k))
	defer workspaces.Put(ws)
	for jc := 0; jc < n; jc += nc {
		nb := min(nc, n-jc)
		for pc := 0; pc < k; pc += kc {
			kb := min(kc, k-pc)
			if packer != nil {
				packer.PackB(kb, nb, pc, jc, ws.b)
			} else {
				packB(stored.trans, kb, nb, stored.b, stored.ld, pc, jc, ws.b)
			}
			bt := beta
			if pc > 0 {
				bt = 1 // later blocks of the inner dimension add to C
			}
			for ic := 0; ic < m; ic += mc {
				mb := min(mc, m-ic)
				packA(transA, mb, kb, a, lda, ic, pc, ws.a)
				macroKernel(mb, nb, kb, alpha, ws.a, ws.b, bt, c[ic*ldc+jc:], ldc)
			}
		}
	}
}

// macroKernel computes the mb×nb block of C at c from a packed block of A
// (mb×kb) and of B (kb×nb): C = alpha·A·B + beta·C.
func macroKernel(mb, nb, kb int, alpha float32, ap, bp []float32, beta float32, c []float32, ldc int) {
	for jr := 0; jr < nb; {
		if useAVX512 && nb-jr >= 2*nr && mb >= mr {
			// Two full panels' columns of full tiles in one call, then
			// each panel's partial tile.
			full := mb / mr
			kernelPairs(full, kb, ap, bp[jr*kb:(jr+2*nr)*kb], c[jr:], ldc, alpha, beta)
			partialTile(mb, full*mr, nr, kb, alpha, ap, bp[jr*kb:], beta, c[jr:], ldc)
			partialTile(mb, full*mr, nr, kb, alpha, ap, bp[(jr+nr)*kb:], beta, c[jr+nr:], ldc)
			jr += 2 * nr
			continue
		}
		nw := min(nr, nb-jr)
		bpan := bp[jr*kb : (jr+nr)*kb]
		ir := 0
		if nw == nr && mb >= mr {
			// The column's full tiles in one call.
			full := mb / mr
			kernelTiles(full, kb, ap, bpan, c[jr:], ldc, alpha, beta)
			ir = full * mr
		}
		for ; ir < mb; ir += mr {
			partialTile(mb, ir, nw, kb, alpha, ap, bpan, beta, c[jr:], ldc)
		}
		jr += nr
	}
}

// partialTile computes the tile of rows ir.. (at most mr of the block's mb)
// and the first nw columns of the B panel bpan, where the tile is not a
// full mr×nr: all of it into scratch, then combined only where it lies in
// C. It does nothing when ir = mb.
func partialTile(mb, ir, nw, kb int, alpha float32, ap, bpan []float32, beta float32, c []float32, ldc int) {
	if ir >= mb {
		return
	}
	var tile [mr * nr]float32
	mh := min(mr, mb-ir)
	kernel(kb, ap[ir*kb:(ir+mr)*kb], bpan, tile[:], nr, 1, 0)
	for i := 0; i < mh; i++ {
		combine(c[(ir+i)*ldc:][:nw], tile[i*nr:], alpha, beta)
	}
}

// scale computes C = beta·C without reading C when beta is 0.
func scale(m, n int, beta float32, c []float32, ldc int) {
	if beta == 1 {
		return
	}
	for i := 0; i < m; i++ {
		row := c[i*ldc:][:n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

// split returns the block size for a dimension of length n: the dimension
// cut into the fewest blocks of at most max (max a multiple of unit), made
// as equal as possible and rounded up to a multiple of unit.
func split(n, max, unit int) int {
	if n <= max {
		return roundUp(n, unit)
	}
	blocks := (n + max - 1) / max
	return roundUp((n+blocks-1)/blocks, unit)
}

func roundUp(n, unit int) int { return (n + unit - 1) / unit * unit }

func checkMatrix(name string, rows, cols, ld, length int) {
	if ld < max(1, cols) {
		panic(fmt.Sprintf("gemm: leading dimension of %s is %d, want at least %d", name, ld, max(1, cols)))
	}
	if rows > 0 && cols > 0 && length < (rows-1)*ld+cols {
		panic(fmt.Sprintf("gemm: %s has %d elements, want at least %d for %d×%d with leading dimension %d",
			name, length, (rows-1)*ld+cols, rows, cols, ld))
	}
}

// workspace holds the packed blocks of one call.
type workspace struct {
	a, b []float32
	abuf []float32 // backing arrays of a and b, over-allocated for alignment
	bbuf []float32
}

var workspaces sync.Pool

// getWorkspace returns a workspace whose packed blocks have na and nb
// elements, each starting on a 64-byte boundary (a cache line; the
// micro-kernel's 32-byte loads then never split one).
func getWorkspace(na, nb int) *workspace {
	ws, _ := workspaces.Get().(*workspace)
	if ws == nil {
		ws = new(workspace)
	}
	ws.a = aligned(&ws.abuf, na)
	ws.b = aligned(&ws.bbuf, nb)
	return ws
}

// aligned returns n elements of *buf starting at a 64-byte boundary,
// growing *buf when it is too small.
func aligned(buf *[]float32, n int) []float32 {
	const align = 16 // float32s per 64 bytes
	if cap(*buf) < n+align {
		*buf = make([]float32, n+align)
	}
	b := (*buf)[:cap(*buf)]
	off := int(uintptr(unsafe.Pointer(&b[0]))%64) / 4
	if off != 0 {
		off = align - off
	}
	return b[off : off+n : off+n]
}

// StoredPacker returns the BPacker of a stored row-major B with leading
// dimension ldb: what Sgemm packs (benchmarks compare packers against it).
func StoredPacker(b []float32, ldb int) BPacker { return storedB{b: b, ld: ldb} }

// PackB implements BPacker.
func (s storedB) PackB(kb, nb, p0, j0 int, dst []float32) {
	packB(s.trans, kb, nb, s.b, s.ld, p0, j0, dst)
}
