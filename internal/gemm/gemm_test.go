package gemm

import (
	"fmt"
	"math"
	"math/rand"
	"testing"
)

// problem is one product to test: C = alpha·op(A)·op(B) + beta·C with padded
// leading dimensions.
type problem struct {
	ta, tb      bool
	m, n, k     int
	alpha, beta float32
	pad         int // extra elements per row of every matrix
}

func (p problem) String() string {
	return fmt.Sprintf("%dx%dx%d/tA=%v,tB=%v/alpha=%g,beta=%g/pad=%d", p.m, p.n, p.k, p.ta, p.tb, p.alpha, p.beta, p.pad)
}

// operands holds the stored matrices of a problem.
type operands struct {
	a, b, c       []float32
	lda, ldb, ldc int
}

// fill sets the values of an operand.
type fill func(rng *rand.Rand, x []float32)

// smallInts draws integers in [-4, 4]: every product and partial sum of the
// shapes tested here is an integer below 2²⁴, so float32 arithmetic is exact
// in any order and a correct product equals the reference exactly. (Ten
// values per draw from rng: the large shapes have millions.)
func smallInts(rng *rand.Rand, x []float32) {
	var r uint64
	for i := range x {
		if i%10 == 0 {
			r = rng.Uint64()
		}
		x[i] = float32(int(r%9) - 4)
		r /= 9
	}
}

// uniform draws from [-1, 1).
func uniform(rng *rand.Rand, x []float32) {
	for i := range x {
		x[i] = rng.Float32()*2 - 1
	}
}

func (p problem) operands(rng *rand.Rand, f fill) operands {
	ar, ac := p.m, p.k
	if p.ta {
		ar, ac = p.k, p.m
	}
	br, bc := p.k, p.n
	if p.tb {
		br, bc = p.n, p.k
	}
	o := operands{lda: max(ac, 1) + p.pad, ldb: max(bc, 1) + p.pad, ldc: max(p.n, 1) + p.pad}
	o.a = make([]float32, ar*o.lda)
	o.b = make([]float32, br*o.ldb)
	o.c = make([]float32, p.m*o.ldc)
	for _, s := range [][]float32{o.a, o.b, o.c} {
		f(rng, s)
	}
	if p.beta == 0 {
		for i := range o.c {
			o.c[i] = float32(math.NaN()) // must not be read
		}
	}
	return o
}

// ref returns the float64 reference of element (i, j) of the result and the
// magnitude sum |alpha|·Σ|a·b| + |beta·c| that bounds its rounding error.
func (p problem) ref(o operands, i, j int) (float64, float64) {
	var s, mag float64
	for l := 0; l < p.k; l++ {
		var av, bv float32
		if p.ta {
			av = o.a[l*o.lda+i]
		} else {
			av = o.a[i*o.lda+l]
		}
		if p.tb {
			bv = o.b[j*o.ldb+l]
		} else {
			bv = o.b[l*o.ldb+j]
		}
		s += float64(av) * float64(bv)
		mag += math.Abs(float64(av) * float64(bv))
	}
	v := float64(p.alpha) * s
	mag *= math.Abs(float64(p.alpha))
	if p.beta != 0 {
		cv := float64(p.beta) * float64(o.c[i*o.ldc+j])
		v += cv
		mag += math.Abs(cv)
	}
	return v, mag
}

// check runs the product and compares the elements (i, j) that want lists
// (all of them when want is nil) with the reference: exactly when exact,
// else within float32 rounding of a sum of k terms. It also checks that the
// padding of C is untouched.
func (p problem) check(t *testing.T, rng *rand.Rand, f fill, exact bool, sample bool) {
	t.Helper()
	o := p.operands(rng, f)
	before := o
	before.c = append([]float32(nil), o.c...)
	Sgemm(p.ta, p.tb, p.m, p.n, p.k, p.alpha, o.a, o.lda, o.b, o.ldb, p.beta, o.c, o.ldc)
	// Rounding: each of the k products and sums is rounded once (relative
	// error 2⁻²⁴); random errors grow like √k, so 4√(k+2) units of the
	// magnitude sum is a generous bound that a dropped or doubled term
	// still exceeds.
	tol := 4 * math.Sqrt(float64(p.k+2)) * 0x1p-24
	for _, ij := range p.elements(rng, sample) {
		i, j := ij[0], ij[1]
		got := float64(o.c[i*o.ldc+j])
		want, mag := p.ref(before, i, j)
		if exact && got != want || !exact && math.Abs(got-want) > tol*mag+1e-30 {
			t.Fatalf("%v: C[%d,%d] = %v, want %v (magnitude %g)", p, i, j, got, want, mag)
		}
	}
	for i := 0; i < p.m; i++ {
		for j := p.n; j < o.ldc; j++ {
			if g, w := o.c[i*o.ldc+j], before.c[i*o.ldc+j]; math.Float32bits(g) != math.Float32bits(w) {
				t.Fatalf("%v: padding C[%d,%d] changed from %v to %v", p, i, j, w, g)
			}
		}
	}
}

// elements lists every element of C, or, when sample is set, the first,
// last and one random row and column in full plus 200 random elements.
func (p problem) elements(rng *rand.Rand, sample bool) [][2]int {
	var e [][2]int
	if !sample {
		for i := 0; i < p.m; i++ {
			for j := 0; j < p.n; j++ {
				e = append(e, [2]int{i, j})
			}
		}
		return e
	}
	for _, i := range []int{0, p.m - 1, rng.Intn(p.m)} {
		for j := 0; j < p.n; j++ {
			e = append(e, [2]int{i, j})
		}
	}
	for _, j := range []int{0, p.n - 1, rng.Intn(p.n)} {
		for i := 0; i < p.m; i++ {
			e = append(e, [2]int{i, j})
		}
	}
	for r := 0; r < 200; r++ {
		e = append(e, [2]int{rng.Intn(p.m), rng.Intn(p.n)})
	}
	return e
}

// eachKernel runs f with the AVX-512 kernel and with the AVX2 one (where
// the CPU has them) and with the portable Go one.
func eachKernel(t *testing.T, f func(t *testing.T)) {
	saved, saved512 := useAsm, useAVX512
	defer func() { useAsm, useAVX512 = saved, saved512 }()
	if saved512 {
		t.Run("avx512", f)
	}
	useAVX512 = false
	if saved {
		t.Run("asm", f)
	}
	useAsm = false
	t.Run("go", f)
}

var transposes = [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}}

// TestTails covers every residue of m modulo the micro-tile's 6 rows, of n
// modulo its 16 columns and of k modulo the assembly loop's unroll of 4,
// including sizes of 1, for every transpose combination; the values are
// small integers, so the result must be exact.
func TestTails(t *testing.T) {
	eachKernel(t, func(t *testing.T) {
		rng := rand.New(rand.NewSource(1))
		for _, tr := range transposes {
			for m := 1; m <= 13; m++ {
				for _, n := range []int{1, 2, 5, 8, 15, 16, 17, 23, 31, 32, 33} {
					for _, k := range []int{1, 2, 3, 4, 5, 7, 9} {
						p := problem{ta: tr[0], tb: tr[1], m: m, n: n, k: k, alpha: 1, beta: 0, pad: 0}
						p.check(t, rng, smallInts, true, false)
					}
				}
			}
		}
	})
}

// TestAlphaBeta covers scaling, accumulation, beta = 0 with NaNs in C (C
// must not be read), alpha = 0 and k = 0 with NaNs in A and B (A and B must
// not be read), and padded leading dimensions.
func TestAlphaBeta(t *testing.T) {
	eachKernel(t, func(t *testing.T) {
		rng := rand.New(rand.NewSource(2))
		for _, tr := range transposes {
			for _, ab := range [][2]float32{{1, 0}, {1, 1}, {0.5, 0.25}, {-2, -1}, {1, 0.5}, {0.75, 0}} {
				for _, sz := range [][3]int{{6, 16, 8}, {13, 37, 21}, {50, 70, 300}} {
					p := problem{ta: tr[0], tb: tr[1], m: sz[0], n: sz[1], k: sz[2], alpha: ab[0], beta: ab[1], pad: 3}
					p.check(t, rng, smallInts, true, false)
					p.check(t, rng, uniform, false, false)
				}
			}
		}
	})
	nan := float32(math.NaN())
	for _, tc := range []struct {
		name  string
		k     int
		alpha float32
	}{{"alpha=0", 5, 0}, {"k=0", 0, 1}} {
		for _, beta := range []float32{0, 0.5} {
			a := []float32{nan, nan, nan, nan, nan, nan, nan, nan, nan, nan}
			b := append([]float32(nil), a...)
			c := []float32{1, 2, 3, 4}
			Sgemm(false, false, 2, 2, tc.k, tc.alpha, a, 5, b, 2, beta, c, 2)
			for i, v := range c {
				if want := beta * float32(i+1); v != want {
					t.Errorf("%s beta=%g: C[%d] = %v, want %v", tc.name, beta, i, v, want)
				}
			}
		}
	}
}

// TestBlocks makes the blocks small so that a product of modest size runs
// through several blocks of every dimension, with partial blocks, and
// checks it on both kernels; beta ≠ 0 checks that later inner blocks add to
// C rather than replace it.
func TestBlocks(t *testing.T) {
	kc, mc, nc := kcMax, mcMax, ncMax
	defer func() { kcMax, mcMax, ncMax = kc, mc, nc }()
	kcMax, mcMax, ncMax = 12, 12, 32
	eachKernel(t, func(t *testing.T) {
		rng := rand.New(rand.NewSource(3))
		for _, tr := range transposes {
			for _, sz := range [][3]int{{25, 70, 33}, {12, 32, 8}, {13, 33, 9}, {61, 97, 100}} {
				for _, beta := range []float32{0, 1, 0.5} {
					p := problem{ta: tr[0], tb: tr[1], m: sz[0], n: sz[1], k: sz[2], alpha: 1, beta: beta, pad: 2}
					p.check(t, rng, smallInts, true, false)
					p.check(t, rng, uniform, false, false)
				}
			}
		}
	})
}

// TestTrainingShapes runs every product shape of a training step and of
// inference, with beta 0 (NaNs in C) and 1, and checks sampled rows,
// columns and elements exactly (small-integer operands). The portable
// kernel runs the shapes up to 2²⁷ multiply-adds (it is ~20× slower).
func TestTrainingShapes(t *testing.T) {
	eachKernel(t, func(t *testing.T) {
		rng := rand.New(rand.NewSource(4))
		for _, s := range trainingShapes {
			if s.beta != 0 {
				continue // every shape is tested with beta 0 and 1
			}
			if !useAsm && s.m*s.n*s.k > 1<<27 {
				continue
			}
			if testing.Short() && s.m*s.n*s.k > 1<<30 {
				continue
			}
			for _, beta := range []float32{0, 1} {
				p := problem{ta: s.ta, tb: s.tb, m: s.m, n: s.n, k: s.k, alpha: 1, beta: beta}
				p.check(t, rng, smallInts, true, true)
			}
		}
	})
}

// TestRepeatable checks that a product gives the same bits on every call,
// with other shapes run in between (the workspaces are reused).
func TestRepeatable(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	p := problem{m: 100, n: 300, k: 700, alpha: 1, beta: 0}
	o := p.operands(rng, uniform)
	first := make([]float32, len(o.c))
	Sgemm(false, false, p.m, p.n, p.k, 1, o.a, o.lda, o.b, o.ldb, 0, first, o.ldc)
	q := problem{ta: true, tb: true, m: 37, n: 45, k: 1000, alpha: 1, beta: 0}
	qo := q.operands(rng, uniform)
	Sgemm(true, true, q.m, q.n, q.k, 1, qo.a, qo.lda, qo.b, qo.ldb, 0, qo.c, qo.ldc)
	Sgemm(false, false, p.m, p.n, p.k, 1, o.a, o.lda, o.b, o.ldb, 0, o.c, o.ldc)
	for i := range first {
		if math.Float32bits(first[i]) != math.Float32bits(o.c[i]) {
			t.Fatalf("C[%d]: %v on the first call, %v on the second", i, first[i], o.c[i])
		}
	}
}

// TestBadArguments checks that impossible shapes panic with a message
// instead of reading or writing out of bounds.
func TestBadArguments(t *testing.T) {
	a, b, c := make([]float32, 12), make([]float32, 12), make([]float32, 12)
	for _, tc := range []struct {
		name string
		f    func()
	}{
		{"negative m", func() { Sgemm(false, false, -1, 2, 2, 1, a, 2, b, 2, 0, c, 2) }},
		{"short A", func() { Sgemm(false, false, 4, 3, 4, 1, a, 4, b, 3, 0, c, 3) }},
		{"short B", func() { Sgemm(false, true, 3, 4, 4, 1, a, 4, b, 4, 0, c, 4) }},
		{"short C", func() { Sgemm(false, false, 3, 5, 2, 1, a, 2, b, 5, 0, c, 5) }},
		{"small lda", func() { Sgemm(false, false, 2, 2, 3, 1, a, 2, b, 2, 0, c, 2) }},
		{"small ldb", func() { Sgemm(false, true, 2, 2, 3, 1, a, 3, b, 2, 0, c, 2) }},
		{"small ldc", func() { Sgemm(false, false, 2, 3, 2, 1, a, 2, b, 3, 0, c, 2) }},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", tc.name)
				}
			}()
			tc.f()
		}()
	}
}

// TestBandsAreBitIdentical checks that computing C in bands of rows or of
// columns gives the same bits as one call, for alpha 1 and beta 0 or 1 (how
// colorize calls it): each element's sum runs over the same blocks of the
// inner dimension whatever the split, so results do not depend on how many
// threads internal/kernels splits a product for.
func TestBandsAreBitIdentical(t *testing.T) {
	eachKernel(t, func(t *testing.T) {
		rng := rand.New(rand.NewSource(6))
		for _, tr := range transposes {
			for _, beta := range []float32{0, 1} {
				p := problem{ta: tr[0], tb: tr[1], m: 203, n: 190, k: 700, alpha: 1, beta: beta}
				o := p.operands(rng, uniform)
				if beta == 0 {
					clear(o.c)
				}
				whole := append([]float32(nil), o.c...)
				Sgemm(p.ta, p.tb, p.m, p.n, p.k, 1, o.a, o.lda, o.b, o.ldb, beta, whole, o.ldc)
				for _, byRows := range []bool{true, false} {
					got := append([]float32(nil), o.c...)
					size := p.n
					if byRows {
						size = p.m
					}
					for lo := 0; lo < size; {
						hi := min(size, lo+1+rng.Intn(60))
						if byRows {
							aOff := lo * o.lda
							if p.ta {
								aOff = lo
							}
							Sgemm(p.ta, p.tb, hi-lo, p.n, p.k, 1, o.a[aOff:], o.lda, o.b, o.ldb, beta, got[lo*o.ldc:], o.ldc)
						} else {
							bOff := lo
							if p.tb {
								bOff = lo * o.ldb
							}
							Sgemm(p.ta, p.tb, p.m, hi-lo, p.k, 1, o.a, o.lda, o.b[bOff:], o.ldb, beta, got[lo:], o.ldc)
						}
						lo = hi
					}
					for i := range got {
						if math.Float32bits(got[i]) != math.Float32bits(whole[i]) {
							t.Fatalf("%v, bands by rows=%v: C[%d] = %v, one call gives %v", p, byRows, i, got[i], whole[i])
						}
					}
				}
			}
		}
	})
}

// TestConcurrentCalls runs products of several shapes on many goroutines at
// once (they share the pool of packing workspaces) and checks each against
// the same product run alone.
func TestConcurrentCalls(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	type job struct {
		p    problem
		o    operands
		want []float32
	}
	var jobs []job
	for i := 0; i < 16; i++ {
		p := problem{ta: i%2 == 1, tb: i%4 >= 2, m: 20 + rng.Intn(200), n: 10 + rng.Intn(300), k: 1 + rng.Intn(600), alpha: 1}
		o := p.operands(rng, uniform)
		want := make([]float32, len(o.c))
		Sgemm(p.ta, p.tb, p.m, p.n, p.k, 1, o.a, o.lda, o.b, o.ldb, 0, want, o.ldc)
		jobs = append(jobs, job{p, o, want})
	}
	errs := make(chan error, len(jobs))
	for _, j := range jobs {
		go func() {
			got := make([]float32, len(j.o.c))
			for r := 0; r < 5; r++ {
				Sgemm(j.p.ta, j.p.tb, j.p.m, j.p.n, j.p.k, 1, j.o.a, j.o.lda, j.o.b, j.o.ldb, 0, got, j.o.ldc)
				for i := range got {
					if math.Float32bits(got[i]) != math.Float32bits(j.want[i]) {
						errs <- fmt.Errorf("%v: C[%d] = %v concurrently, %v alone", j.p, i, got[i], j.want[i])
						return
					}
				}
			}
			errs <- nil
		}()
	}
	for range jobs {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

// TestNoAllocations checks that a call allocates nothing once the workspace
// pool holds a workspace large enough (least of five measurements: a
// garbage collection empties sync.Pools).
func TestNoAllocations(t *testing.T) {
	p := problem{m: 300, n: 500, k: 600, alpha: 1}
	o := p.operands(rand.New(rand.NewSource(8)), uniform)
	least := math.Inf(1)
	for i := 0; i < 5; i++ {
		least = math.Min(least, testing.AllocsPerRun(10, func() {
			Sgemm(false, false, p.m, p.n, p.k, 1, o.a, o.lda, o.b, o.ldb, 0, o.c, o.ldc)
		}))
	}
	if least != 0 {
		t.Fatalf("%v allocations per call", least)
	}
}

// checkTileKernel runs kernel on a column of 1, 2 and 5 tiles of C (row
// stride ldc), from panels consecutive B panels, for every k modulo the
// unroll and beta 0, 1 and another, and fails unless its C has the bits of
// ref's on the same operands, everywhere: nothing outside the tiles may be
// touched either.
func checkTileKernel(t *testing.T, seed int64, panels, ldc int, kernel, ref func(tiles, k int, a, b, c []float32, beta float32), refName string) {
	t.Helper()
	rng := rand.New(rand.NewSource(seed))
	for _, tiles := range []int{1, 2, 5} {
		for _, k := range []int{1, 2, 3, 4, 7, 256} {
			for _, beta := range []float32{0, 1, -0.75} {
				a, b, c0 := make([]float32, tiles*k*mr), make([]float32, panels*k*nr), make([]float32, tiles*mr*ldc+ldc)
				for _, x := range [][]float32{a, b, c0} {
					uniform(rng, x)
				}
				want, got := append([]float32(nil), c0...), append([]float32(nil), c0...)
				ref(tiles, k, a, b, want, beta)
				kernel(tiles, k, a, b, got, beta)
				for i := range got {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("tiles %d k %d beta %v: c[%d] (row %d, column %d) = %v, %s %v", tiles, k, beta, i, i/ldc, i%ldc, got[i], refName, want[i])
					}
				}
			}
		}
	}
}

// TestKernelTilesIsKernelPerTile: a column of tiles in one call gives the
// bits of one kernel call per tile.
func TestKernelTilesIsKernelPerTile(t *testing.T) {
	eachKernel(t, func(t *testing.T) {
		const ldc = nr + 3
		checkTileKernel(t, 5, 1, ldc,
			func(tiles, k int, a, b, c []float32, beta float32) {
				kernelTiles(tiles, k, a, b, c, ldc, 0.5, beta)
			},
			func(tiles, k int, a, b, c []float32, beta float32) {
				for i := 0; i < tiles; i++ {
					kernel(k, a[i*k*mr:], b, c[i*mr*ldc:], ldc, 0.5, beta)
				}
			}, "per tile")
	})
}

// TestKernelPairsIsTilesPerPanel: the AVX-512 kernel's 6×32 tiles give the
// bits of the AVX2 kernel's column of tiles on each of the two B panels.
func TestKernelPairsIsTilesPerPanel(t *testing.T) {
	if !useAVX512 {
		t.Skip("this CPU has no AVX-512: the kernel is not used here")
	}
	const ldc = 2*nr + 5
	checkTileKernel(t, 6, 2, ldc,
		func(tiles, k int, a, b, c []float32, beta float32) {
			kernelPairs(tiles, k, a, b, c, ldc, 0.5, beta)
		},
		func(tiles, k int, a, b, c []float32, beta float32) {
			kernelTiles(tiles, k, a, b, c, ldc, 0.5, beta)
			kernelTiles(tiles, k, a, b[k*nr:], c[nr:], ldc, 0.5, beta)
		}, "per panel")
}

// TestAVX512GivesAVX2Bits: whole products, with every residue of n modulo
// a pair of panels and partial tiles of rows, give the same bits with the
// AVX-512 kernel as with the AVX2 kernel alone, so results do not depend
// on which of the two a CPU runs.
func TestAVX512GivesAVX2Bits(t *testing.T) {
	if !useAVX512 {
		t.Skip("this CPU has no AVX-512: the kernel is not used here")
	}
	defer func() { useAVX512 = true }()
	rng := rand.New(rand.NewSource(7))
	for _, tr := range transposes {
		for _, sz := range [][3]int{{6, 32, 5}, {7, 33, 9}, {13, 47, 300}, {50, 64, 257}, {100, 95, 600}, {5, 40, 8}} {
			for _, beta := range []float32{0, 1} {
				p := problem{ta: tr[0], tb: tr[1], m: sz[0], n: sz[1], k: sz[2], alpha: 1, beta: beta, pad: 2}
				o := p.operands(rng, uniform)
				c0 := append([]float32(nil), o.c...)
				useAVX512 = true
				Sgemm(p.ta, p.tb, p.m, p.n, p.k, 1, o.a, o.lda, o.b, o.ldb, beta, o.c, o.ldc)
				got := append([]float32(nil), o.c...)
				copy(o.c, c0)
				useAVX512 = false
				Sgemm(p.ta, p.tb, p.m, p.n, p.k, 1, o.a, o.lda, o.b, o.ldb, beta, o.c, o.ldc)
				for i := range got {
					if math.Float32bits(got[i]) != math.Float32bits(o.c[i]) {
						t.Fatalf("%v: C[%d] = %v with AVX-512, %v with AVX2", p, i, got[i], o.c[i])
					}
				}
			}
		}
	}
}
