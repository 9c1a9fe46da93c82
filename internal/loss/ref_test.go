package loss

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// handCase is a [1,3,1,2] prediction/target pair with unequal channel errors.
//
//	channel   f          t        |t − f|     l_c
//	R         1, 0       0, 0     1, 0        0.5
//	G         0.25, 0    0, 0.25  0.25, 0.25  0.25
//	B         1, 1       1, 1     0, 0        0
//
// S = 0.75, w = (2/3, 1/3, 0), l_comp = (0.5² + 0.25²)/0.75 = 0.3125/0.75 = 5/12,
// plain L1 = 1.5/6 = 0.25 = S/3.
// n = N·H·W = 2 and Σ w² = 4/9 + 1/9 = 5/9, so per element ∂l_comp/∂f_i is
// g_c·sign(f_i − t_i)/2 with
//
//	full:     g = 2w − 5/9 = (7/9, 1/9, −5/9) → R: 7/18, 0; G: 1/18, −1/18; B: 0, 0
//	detached: g = w        = (2/3, 1/3, 0)    → R: 1/3, 0;  G: 1/6, −1/6;   B: 0, 0
//
// (B has g_B ≠ 0 in full mode but every sign is 0 there.) Plain L1 has
// ∂/∂f_i = sign/6 = ±1/6 where the error is not 0.
var handCase = struct {
	shape               []int
	pred, target        []float64
	l1, comp            float64
	channel             []float64
	l1Grad, full, detch []float64
}{
	shape:   []int{1, 3, 1, 2},
	pred:    []float64{1, 0, 0.25, 0, 1, 1},
	target:  []float64{0, 0, 0, 0.25, 1, 1},
	l1:      0.25,
	comp:    5.0 / 12,
	channel: []float64{0.5, 0.25, 0},
	l1Grad:  []float64{1.0 / 6, 0, 1.0 / 6, -1.0 / 6, 0, 0},
	full:    []float64{7.0 / 18, 0, 1.0 / 18, -1.0 / 18, 0, 0},
	detch:   []float64{1.0 / 3, 0, 1.0 / 6, -1.0 / 6, 0, 0},
}

func TestRefHandComputed(t *testing.T) {
	c := handCase
	l1, g1, err := L1RefGrad(c.pred, c.target)
	if err != nil {
		t.Fatal(err)
	}
	assertClose(t, "L1", l1, c.l1, 1e-15)
	assertAllClose(t, "L1 gradient", g1, c.l1Grad, 1e-15)

	l, err := ChannelL1Ref(c.pred, c.target, c.shape)
	if err != nil {
		t.Fatal(err)
	}
	assertAllClose(t, "channel L1", l, c.channel, 1e-15)

	full, gFull, err := CompensatedL1RefGrad(c.pred, c.target, c.shape, CompensatedOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// A plain mean of the channels (equation 4's weights dropped) gives 0.25.
	assertClose(t, "compensated L1", full, c.comp, 1e-15)
	assertAllClose(t, "compensated gradient", gFull, c.full, 1e-15)

	det, gDet, err := CompensatedL1RefGrad(c.pred, c.target, c.shape, CompensatedOptions{DetachWeights: true})
	if err != nil {
		t.Fatal(err)
	}
	assertClose(t, "detached compensated L1", det, c.comp, 1e-15)
	assertAllClose(t, "detached gradient", gDet, c.detch, 1e-15)

	// The same values from float32 data (every value is exact in float32).
	p32, t32 := toF32(c.pred), toF32(c.target)
	v32, err := CompensatedL1Ref(p32, t32, c.shape)
	if err != nil {
		t.Fatal(err)
	}
	assertClose(t, "compensated L1 of float32 data", v32, c.comp, 1e-15)
}

func TestBCERefHandComputed(t *testing.T) {
	// x = (0, ln 3): softplus = (ln 2, ln 4), σ = (1/2, 3/4), M = 2.
	// y = 1: ((ln 2 − 0) + (ln 4 − ln 3))/2 = ln(8/3)/2; grad = ((1/2−1)/2, (3/4−1)/2) = (−1/4, −1/8).
	// y = 0: (ln 2 + ln 4)/2 = 1.5·ln 2;                  grad = (1/4, 3/8).
	x := []float64{0, math.Log(3)}
	for _, tc := range []struct {
		y, want float64
		grad    []float64
	}{
		{1, math.Log(8.0/3) / 2, []float64{-0.25, -0.125}},
		{0, 1.5 * math.Ln2, []float64{0.25, 0.375}},
	} {
		v, g, err := BCEWithLogitsRefGrad(x, tc.y)
		if err != nil {
			t.Fatal(err)
		}
		assertClose(t, "BCE", v, tc.want, 1e-15)
		assertAllClose(t, "BCE gradient", g, tc.grad, 1e-15)
	}
}

func TestBCERefExtremeLogits(t *testing.T) {
	// softplus(1e4) − 1e4·y: y = 1 → 0, y = 0 → 1e4; softplus(−1e4) − (−1e4)·y: y = 1 → 1e4, y = 0 → 0.
	x := []float32{1e4, -1e4}
	for _, tc := range []struct {
		y, want float64
		grad    []float64
	}{
		{1, (0 + 1e4) / 2, []float64{0, -0.5}},
		{0, (1e4 + 0) / 2, []float64{0.5, 0}},
	} {
		v, g, err := BCEWithLogitsRefGrad(x, tc.y)
		if err != nil {
			t.Fatal(err)
		}
		assertClose(t, "BCE at ±1e4", v, tc.want, 1e-12)
		assertAllClose(t, "BCE gradient at ±1e4", g, tc.grad, 1e-15)
	}
}

func TestCompensatedZeroError(t *testing.T) {
	shape := []int{2, 3, 2, 2}
	x := randSlice(rand.New(rand.NewPCG(1, 1)), 24)
	for _, opt := range []CompensatedOptions{{}, {DetachWeights: true}} {
		v, g, err := CompensatedL1RefGrad(x, x, shape, opt)
		if err != nil {
			t.Fatal(err)
		}
		if v != 0 {
			t.Errorf("%+v: l_comp of equal tensors = %v, want 0", opt, v)
		}
		for i, gi := range g {
			if gi != 0 {
				t.Fatalf("%+v: gradient[%d] of equal tensors = %v, want 0", opt, i, gi)
			}
		}
	}
	if got := Compensate([]float64{0, 0, 0}); got != 0 {
		t.Errorf("Compensate(0, 0, 0) = %v, want 0", got)
	}
}

func TestCompensatedProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 3))
	shape := []int{2, 3, 4, 5}
	size := 2 * 3 * 4 * 5
	pred := randSlice(rng, size)
	target := randSlice(rng, size)

	// Zero iff the prediction equals the target: one changed value makes it positive.
	v, _ := CompensatedL1Ref(pred, pred, shape)
	if v != 0 {
		t.Errorf("l_comp(f, f) = %v, want 0", v)
	}
	onlyOne := append([]float64(nil), pred...)
	onlyOne[size-1] += 1e-3
	if v, _ := CompensatedL1Ref(onlyOne, pred, shape); !(v > 0) {
		t.Errorf("l_comp with one differing value = %v, want > 0", v)
	}

	// l_comp ≥ plain L1 (= mean of the l_c), strictly when the l_c differ.
	comp, _ := CompensatedL1Ref(pred, target, shape)
	plain, _ := L1Ref(pred, target)
	l, _ := ChannelL1Ref(pred, target, shape)
	assertClose(t, "plain L1 against mean of l_c", plain, (l[0]+l[1]+l[2])/3, 1e-14)
	if !(comp > plain) {
		t.Errorf("l_comp = %v, plain L1 = %v with channel errors %v: want l_comp > plain", comp, plain, l)
	}

	// Equality when the channel errors are equal: every channel's error
	// values are a permutation of channel 0's.
	hw := 4 * 5
	eqPred := make([]float64, size)
	for n := 0; n < 2; n++ {
		base := randSlice(rng, hw)
		for c := 0; c < 3; c++ {
			perm := rng.Perm(hw)
			for i := range hw {
				eqPred[(n*3+c)*hw+i] = target[(n*3+c)*hw+i] + base[perm[i]]
			}
		}
	}
	comp, _ = CompensatedL1Ref(eqPred, target, shape)
	plain, _ = L1Ref(eqPred, target)
	assertClose(t, "l_comp with equal channel errors against plain L1", comp, plain, 1e-14)

	// Permuting the channels of both tensors leaves l_comp unchanged.
	perm := []int{2, 0, 1}
	comp, _ = CompensatedL1Ref(pred, target, shape)
	pp, tp := permuteChannels(pred, shape, perm), permuteChannels(target, shape, perm)
	permuted, _ := CompensatedL1Ref(pp, tp, shape)
	assertClose(t, "l_comp after permuting channels", permuted, comp, 1e-14)
}

// TestRefGradientsFiniteDifferences checks every analytic reference gradient
// against central differences of the reference value. The detached gradient
// is the derivative of Σ w̄_c·l_c(f) with w̄ frozen at the unperturbed f.
func TestRefGradientsFiniteDifferences(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 5))
	shape := []int{2, 3, 2, 3}
	pred, target := unbalancedCase(rng, shape)

	_, g, _ := L1RefGrad(pred, target)
	checkFD(t, "L1", pred, g, func(f []float64) float64 { v, _ := L1Ref(f, target); return v })

	_, g, _ = CompensatedL1RefGrad(pred, target, shape, CompensatedOptions{})
	checkFD(t, "compensated L1", pred, g, func(f []float64) float64 { v, _ := CompensatedL1Ref(f, target, shape); return v })

	l0, _ := ChannelL1Ref(pred, target, shape)
	w := frozenWeights(l0)
	_, g, _ = CompensatedL1RefGrad(pred, target, shape, CompensatedOptions{DetachWeights: true})
	checkFD(t, "detached compensated L1", pred, g, func(f []float64) float64 {
		l, _ := ChannelL1Ref(f, target, shape)
		return w[0]*l[0] + w[1]*l[1] + w[2]*l[2]
	})

	logits := randSlice(rng, 12)
	for i := range logits {
		logits[i] *= 8
	}
	for _, y := range []float64{0, 0.9, 1} {
		_, g, _ = BCEWithLogitsRefGrad(logits, y)
		checkFD(t, "BCE", logits, g, func(x []float64) float64 { v, _ := BCEWithLogitsRef(x, y); return v })
	}
}

func TestRefErrors(t *testing.T) {
	x := make([]float64, 12)
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"l1 length", second(L1Ref(x, x[:11])), "12 values, target 11"},
		{"l1 empty", second(L1Ref([]float64{}, nil)), "no values"},
		{"shape rank", second(CompensatedL1Ref(x, x, []int{12})), "not N×C×H×W"},
		{"shape size", second(CompensatedL1Ref(x, x, []int{1, 3, 2, 3})), "needs 18 values"},
		{"shape zero", second(CompensatedL1Ref(x, x, []int{1, 0, 2, 3})), "empty dimension"},
		{"bce empty", second(BCEWithLogitsRef([]float32{}, 1)), "no logits"},
	} {
		if tc.err == nil || !strings.Contains(tc.err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, tc.err, tc.want)
		}
	}
}

// unbalancedCase returns a prediction and target whose channel errors are
// roughly in the ratio 1 : 0.3 : 0.05, every |f − t| ≥ 0.005 (far from the
// kink of |·| at finite-difference steps). With w ≈ (0.74, 0.22, 0.04),
// Σw² ≈ 0.6, so g_G and g_B are negative in the differentiated-through mode.
func unbalancedCase(rng *rand.Rand, shape []int) (pred, target []float64) {
	size := shape[0] * shape[1] * shape[2] * shape[3]
	hw := shape[2] * shape[3]
	scale := []float64{1, 0.3, 0.05}
	pred = randSlice(rng, size)
	target = make([]float64, size)
	for i := range target {
		d := (0.1 + rng.Float64()) * scale[(i/hw)%shape[1]]
		if rng.IntN(2) == 0 {
			d = -d
		}
		target[i] = pred[i] + d
	}
	return pred, target
}

// frozenWeights returns w_c = l_c/Σl of equation 4.
func frozenWeights(l []float64) []float64 {
	var s float64
	for _, v := range l {
		s += v
	}
	w := make([]float64, len(l))
	for i, v := range l {
		w[i] = v / s
	}
	return w
}

// checkFD compares grad with central differences (step 1e-6) of f at x.
func checkFD(t *testing.T, name string, x, grad []float64, f func([]float64) float64) {
	t.Helper()
	const h = 1e-6
	xs := append([]float64(nil), x...)
	var maxG float64
	for _, g := range grad {
		maxG = math.Max(maxG, math.Abs(g))
	}
	for i := range xs {
		xi := xs[i]
		xs[i] = xi + h
		up := f(xs)
		xs[i] = xi - h
		down := f(xs)
		xs[i] = xi
		fd := (up - down) / (2 * h)
		if math.Abs(fd-grad[i]) > 1e-6*maxG+1e-9 {
			t.Fatalf("%s: ∂/∂x[%d] = %.12g, central difference %.12g", name, i, grad[i], fd)
		}
	}
}

func permuteChannels(x []float64, shape []int, perm []int) []float64 {
	n, c, hw := shape[0], shape[1], shape[2]*shape[3]
	out := make([]float64, len(x))
	for in := range n {
		for ic := range c {
			copy(out[(in*c+ic)*hw:(in*c+ic+1)*hw], x[(in*c+perm[ic])*hw:(in*c+perm[ic]+1)*hw])
		}
	}
	return out
}

func randSlice(rng *rand.Rand, n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = 2*rng.Float64() - 1
	}
	return x
}

func toF32(x []float64) []float32 {
	out := make([]float32, len(x))
	for i, v := range x {
		out[i] = float32(v)
	}
	return out
}

func second[A any](_ A, err error) error { return err }

func assertClose(t *testing.T, name string, got, want, tol float64) {
	t.Helper()
	if math.IsNaN(got) || math.Abs(got-want) > tol*math.Max(1, math.Abs(want)) {
		t.Errorf("%s = %.17g, want %.17g (tolerance %g)", name, got, want, tol)
	}
}

func assertAllClose(t *testing.T, name string, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", name, len(got), len(want))
	}
	for i := range got {
		if math.IsNaN(got[i]) || math.Abs(got[i]-want[i]) > tol*math.Max(1, math.Abs(want[i])) {
			t.Fatalf("%s[%d] = %.17g, want %.17g (tolerance %g)", name, i, got[i], want[i], tol)
		}
	}
}
