package gemm

import (
	"runtime"
	"sync/atomic"

	"github.com/colorize-dev/colorize/internal/forkjoin"
)

// A team product runs one Sgemm on several goroutines that share its packed
// blocks, instead of splitting C into one band per thread with a call each.
// Bands of equal size finish together only when the cores run at the same
// speed; on a shared VM one core often runs slower for a while, and the
// other then waits for it at the end of every product (a sixth of a 512²
// inference ran on one core that way). Bands also pack the shared operand
// once per band: split by columns, both threads pack all of A.
//
// For each block of B (kc×nc) the team packs that block and the matching
// rows of A (every mc-row block) once, in units taken from a shared counter,
// waits for all of it, then computes the tiles of C in units of one A block
// by a run of B's panels, again from a shared counter, so a faster core
// simply takes more units. When B's block is thin (at most thinPanels
// panels: the U-Net's inner levels, whose products stream a filter of up
// to 8 M values from memory for 4–64 columns) each A block serves one unit
// only, and sharing it would mean writing all of A's packed blocks out of
// the cache and reading them back: there a unit is a few panels of A that
// it packs itself, in the member's private buffer, just before using them.
// Each tile of C is computed by the same micro-kernel calls, over the same
// blocks of the inner dimension, as in Sgemm, so the bits do not depend on
// the team's size or on scheduling.

// teamPanels is the number of B panels (nr columns each) per unit of work:
// a unit is one A block by teamPanels panels, up to 168×128×256
// multiply-adds (0.06 ms on a core), small enough that the cores finish a
// step close together.
const teamPanels = 8

// thinRows is the fewest rows of A in a unit of work where B is thin: with
// B's 16 panels at most, 48×256×256 multiply-adds, small enough that the
// cores finish a step together where A has few blocks (the encoder's
// 512-channel layers: four).
const thinRows = 8 * mr

// thinUnitRows is the rows of A per unit where B is thin: about eight units
// per member, from thinRows up to a whole A block. A tall A is streamed
// from memory, a row of its stored transpose at a time, and a unit of 48
// rows read runs of 192 bytes: dec1 of the U-Net at 512² took 7.9 ms
// instead of the 5.0 of blocks of 168 rows.
func (t *team) thinUnitRows() int {
	return min(t.mc, max(thinRows, roundUp(t.m/(8*int(t.bar.n)), mr)))
}

// thinPanels is the most panels of B a block may have and still count as
// thin (see above).
const thinPanels = 2 * teamPanels

// teamMinFlops is the smallest product (m·n·k) run as a team; smaller ones
// run on the calling goroutine alone.
const teamMinFlops = 1 << 18

// SgemmTeam is Sgemm computed by nt goroutines (the caller among them). It
// gives the same bits as Sgemm.
func SgemmTeam(nt int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkDims(m, n, k)
	checkB(transB, k, n, b, ldb)
	if begin(transA, m, n, k, alpha, a, lda, beta, c, ldc) {
		driveTeam(nt, transA, m, n, k, alpha, a, lda, storedB{transB, b, ldb}, nil, beta, c, ldc)
	}
}

// SgemmPackedBTeam is SgemmPackedB computed by nt goroutines (the caller
// among them). The packer's PackB is called from several goroutines at
// once, for disjoint runs of panels. It gives the same bits as SgemmPackedB.
func SgemmPackedBTeam(nt int, transA bool, m, n, k int, alpha float32, a []float32, lda int, b BPacker, beta float32, c []float32, ldc int) {
	checkDims(m, n, k)
	if begin(transA, m, n, k, alpha, a, lda, beta, c, ldc) {
		driveTeam(nt, transA, m, n, k, alpha, a, lda, storedB{}, b, beta, c, ldc)
	}
}

// team is the shared state of one team product.
type team struct {
	transA     bool
	m, n, k    int
	alpha      float32
	a          []float32
	lda        int
	stored     storedB
	packer     BPacker
	beta       float32
	c          []float32
	ldc        int
	kc, mc, nc int

	ap, bp []float32 // every A block of one kc slice, one B block

	// next[2·s] and next[2·s+1] hand out the packing and the compute units
	// of step s, one step per block of B.
	next []atomic.Int64
	bar  barrier
}

// driveTeam is drive on a team of nt goroutines: drive itself for one
// goroutine or a product too small to share.
func driveTeam(nt int, transA bool, m, n, k int, alpha float32, a []float32, lda int, stored storedB, packer BPacker, beta float32, c []float32, ldc int) {
	if nt <= 1 || m*n*k < teamMinFlops {
		drive(transA, m, n, k, alpha, a, lda, stored, packer, beta, c, ldc)
		return
	}
	t := &team{transA: transA, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, stored: stored, packer: packer,
		beta: beta, c: c, ldc: ldc}
	t.kc, t.mc, t.nc = split(k, kcMax, 1), split(m, mcMax, mr), split(n, ncMax, nr)
	kb, nb := min(t.kc, k), min(t.nc, n)
	na := roundUp(m, mr) * kb // every A block, shared
	if thin(nb) {
		na = 0 // every step's B is thin: only the last block of B can be narrower than the first
	}
	ws := getWorkspace(na, roundUp(nb, nr)*kb)
	defer workspaces.Put(ws)
	t.ap, t.bp = ws.a, ws.b
	steps := ((n + t.nc - 1) / t.nc) * ((k + t.kc - 1) / t.kc)
	t.next = make([]atomic.Int64, 2*steps)
	t.bar.n = int32(nt)
	forkjoin.Run(nt, func(int) { t.work() })
}

// thin reports whether a block of B nb columns wide is thin.
func thin(nb int) bool { return (nb+nr-1)/nr <= thinPanels }

// bUnits is the number of runs of teamPanels panels in a block of B nb
// columns wide.
func bUnits(nb int) int { return (nb + teamPanels*nr - 1) / (teamPanels * nr) }

// member is one goroutine's private packing buffer.
type member struct{ a *workspace }

func (m *member) release() {
	if m.a != nil {
		workspaces.Put(m.a)
	}
}

// work is one member's share: every member walks the same steps and takes
// units from the shared counters until a step's units run out.
func (t *team) work() {
	var me member
	defer me.release()
	step := 0
	for jc := 0; jc < t.n; jc += t.nc {
		nb := min(t.nc, t.n-jc)
		thinB := thin(nb)
		for pc := 0; pc < t.k; pc += t.kc {
			kb := min(t.kc, t.k-pc)
			t.pack(&t.next[2*step], thinB, jc, nb, pc, kb)
			t.bar.wait()
			bt := t.beta
			if pc > 0 {
				bt = 1 // later blocks of the inner dimension add to C
			}
			t.multiply(&t.next[2*step+1], &me, thinB, jc, nb, pc, kb, bt)
			// The packed blocks are rewritten by the next step.
			t.bar.wait()
			step++
		}
	}
}

// pack runs a step's shared packing: A's blocks unless B is thin (then each
// unit packs its own rows of A), and B's block in runs of teamPanels panels.
func (t *team) pack(next *atomic.Int64, thinB bool, jc, nb, pc, kb int) {
	aUnits := (t.m + t.mc - 1) / t.mc
	if thinB {
		aUnits = 0
	}
	for u := int(next.Add(1) - 1); u < aUnits+bUnits(nb); u = int(next.Add(1) - 1) {
		if u < aUnits {
			ic := u * t.mc
			packA(t.transA, min(t.mc, t.m-ic), kb, t.a, t.lda, ic, pc, t.ap[ic*kb:])
			continue
		}
		q0 := (u - aUnits) * teamPanels
		t.packB(kb, min(nb, (q0+teamPanels)*nr)-q0*nr, pc, jc+q0*nr, t.bp[q0*nr*kb:])
	}
}

// packB packs rows p0… and columns j0… of B, kb×cols, into dst.
func (t *team) packB(kb, cols, p0, j0 int, dst []float32) {
	if t.packer != nil {
		t.packer.PackB(kb, cols, p0, j0, dst)
		return
	}
	packB(t.stored.trans, kb, cols, t.stored.b, t.stored.ld, p0, j0, dst)
}

// multiply computes a step's tiles of C in units from next.
func (t *team) multiply(next *atomic.Int64, me *member, thinB bool, jc, nb, pc, kb int, beta float32) {
	if thinB {
		// thinUnitRows rows of A, packed here, by all of B's panels a unit.
		rows := t.thinUnitRows()
		if me.a == nil {
			me.a = getWorkspace(rows*min(t.kc, t.k), 0)
		}
		for u := int(next.Add(1) - 1); u*rows < t.m; u = int(next.Add(1) - 1) {
			ic := u * rows
			mb := min(rows, t.m-ic)
			packA(t.transA, mb, kb, t.a, t.lda, ic, pc, me.a.a)
			macroKernel(mb, nb, kb, t.alpha, me.a.a, t.bp, beta, t.c[ic*t.ldc+jc:], t.ldc)
		}
		return
	}
	// One A block by teamPanels of B's panels a unit.
	bu, aUnits := bUnits(nb), (t.m+t.mc-1)/t.mc
	for u := int(next.Add(1) - 1); u < aUnits*bu; u = int(next.Add(1) - 1) {
		ic, q0 := (u/bu)*t.mc, (u%bu)*teamPanels
		cols := min(nb, (q0+teamPanels)*nr) - q0*nr
		macroKernel(min(t.mc, t.m-ic), cols, kb, t.alpha, t.ap[ic*kb:], t.bp[q0*nr*kb:], beta, t.c[ic*t.ldc+jc+q0*nr:], t.ldc)
	}
}

// barrier is a reusable barrier for n goroutines. Waiters spin, yielding
// the processor between checks: a team's members wait for each other for
// microseconds, far less than it takes to park and wake a goroutine.
type barrier struct {
	n     int32
	count atomic.Int32
	gen   atomic.Int32
}

func (b *barrier) wait() {
	g := b.gen.Load()
	if b.count.Add(1) == b.n {
		b.count.Store(0)
		b.gen.Add(1)
		return
	}
	for b.gen.Load() == g {
		runtime.Gosched()
	}
}
