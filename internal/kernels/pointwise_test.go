package kernels

import (
	"math"
	"math/rand"
	"testing"
)

func TestPointwise(t *testing.T) {
	x := []float32{-2, -0.5, 0, 0.25, 3}
	dy := []float32{1, 2, 3, 4, 5}
	y, dx := make([]float32, 5), make([]float32, 5)

	LeakyReLU(x, y, 0.2)
	assertClose(t, "leaky", y, []float64{-0.4, -0.1, 0, 0.25, 3}, 1e-7, 0)
	LeakyReLUBackward(x, dy, dx, 0.2)
	assertClose(t, "leaky grad", dx, []float64{0.2, 0.4, 0.6, 4, 5}, 1e-7, 0)
	ReLU(x, y)
	assertClose(t, "relu", y, []float64{0, 0, 0, 0.25, 3}, 0, 0)
	ReLUBackward(x, dy, dx)
	assertClose(t, "relu grad", dx, []float64{0, 0, 0, 4, 5}, 0, 0)

	Tanh(x, y)
	want, wantD := make([]float64, 5), make([]float64, 5)
	for i, v := range x {
		want[i] = math.Tanh(float64(v))
		wantD[i] = float64(dy[i]) * (1 - want[i]*want[i])
	}
	assertClose(t, "tanh", y, want, 1e-7, 1e-6)
	TanhBackward(y, dy, dx)
	assertClose(t, "tanh grad", dx, wantD, 1e-6, 1e-5)

	// The multiplier at the edges: alpha at ±0 (PyTorch's x > 0 test),
	// 1 for the smallest positive float and +Inf, NaN propagated.
	edges := []float32{float32(math.Copysign(0, -1)), 0, math.SmallestNonzeroFloat32, -math.SmallestNonzeroFloat32, float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN())}
	ones := []float32{1, 1, 1, 1, 1, 1, 1}
	ge := make([]float32, len(edges))
	LeakyReLUBackward(edges, ones, ge, 0.2)
	for i, want := range []float32{0.2, 0.2, 1, 0.2, 1, 0.2} {
		if ge[i] != want {
			t.Errorf("leaky grad at %g = %g, want %g", edges[i], ge[i], want)
		}
	}
	LeakyReLU(edges, ge, 0.2)
	if !math.IsNaN(float64(ge[6])) || !math.IsInf(float64(ge[5]), -1) || ge[2] != math.SmallestNonzeroFloat32 {
		t.Errorf("leaky at the edges = %v", ge)
	}

	// In place is allowed.
	z := append([]float32(nil), x...)
	LeakyReLU(z, z, 0.2)
	assertClose(t, "leaky in place", z, []float64{-0.4, -0.1, 0, 0.25, 3}, 1e-7, 0)
}

func TestConcatSliceChannels(t *testing.T) {
	rng := rand.New(rand.NewSource(6))
	n, ca, cb, hw := 2, 3, 2, 5
	a, b := randSlice(rng, n*ca*hw), randSlice(rng, n*cb*hw)
	out := make([]float32, n*(ca+cb)*hw)
	ConcatChannels(n, ca, cb, hw, a, b, out)
	for i := 0; i < n; i++ {
		for c := 0; c < ca+cb; c++ {
			for k := 0; k < hw; k++ {
				var want float32
				if c < ca {
					want = a[(i*ca+c)*hw+k]
				} else {
					want = b[(i*cb+c-ca)*hw+k]
				}
				if got := out[(i*(ca+cb)+c)*hw+k]; got != want {
					t.Fatalf("concat (%d,%d,%d) = %g, want %g", i, c, k, got, want)
				}
			}
		}
	}
	ga, gb := make([]float32, len(a)), make([]float32, len(b))
	SliceChannels(n, ca+cb, hw, 0, ca, out, ga)
	SliceChannels(n, ca+cb, hw, ca, cb, out, gb)
	for i := range a {
		if ga[i] != a[i] {
			t.Fatalf("slice a[%d] = %g, want %g", i, ga[i], a[i])
		}
	}
	for i := range b {
		if gb[i] != b[i] {
			t.Fatalf("slice b[%d] = %g, want %g", i, gb[i], b[i])
		}
	}
}

func TestDropoutMask(t *testing.T) {
	const n = 100000
	m1, m2, m3 := make([]float32, n), make([]float32, n), make([]float32, n)
	DropoutMask(7, 1, 0.5, m1)
	DropoutMask(7, 1, 0.5, m2)
	DropoutMask(8, 1, 0.5, m3)
	same, zeros := 0, 0
	for i := range m1 {
		if m1[i] != m2[i] {
			t.Fatalf("same seed gave different masks at %d", i)
		}
		if m1[i] != 0 && m1[i] != 2 {
			t.Fatalf("mask value %g, want 0 or 1/(1−p) = 2", m1[i])
		}
		if m1[i] == 0 {
			zeros++
		}
		if m1[i] == m3[i] {
			same++
		}
	}
	// Binomial(1e5, 0.5): sd ≈ 158, so ±1000 is > 6 sd.
	if zeros < n/2-1000 || zeros > n/2+1000 {
		t.Errorf("%d of %d dropped, want about half", zeros, n)
	}
	if same > n/2+1000 {
		t.Errorf("different seeds agree on %d of %d units; masks look correlated", same, n)
	}
}

// TestSums checks the unrolled float64 sums against plain loops for every
// length around the unrolling (tails included).
func TestSums(t *testing.T) {
	rng := rand.New(rand.NewSource(9))
	for n := 0; n <= 13; n++ {
		x, dy := randSlice(rng, n), randSlice(rng, n)
		const mean = 0.3
		var s, ss, sdy, sdyx float64
		for i := range x {
			s += float64(x[i])
			ss += (float64(x[i]) - mean) * (float64(x[i]) - mean)
			sdy += float64(dy[i])
			sdyx += float64(dy[i]) * (float64(x[i]) - mean)
		}
		gdy, gdyx := dotCentered64(dy, x, mean)
		for _, c := range []struct {
			name      string
			got, want float64
		}{{"sum64", sum64(x), s}, {"sumSq64", sumSq64(x, mean), ss}, {"Σdy", gdy, sdy}, {"Σdy·(x−mean)", gdyx, sdyx}} {
			if math.Abs(c.got-c.want) > 1e-12 {
				t.Errorf("n=%d %s = %g, want %g", n, c.name, c.got, c.want)
			}
		}
	}
}

func TestAddBiasReLUIsBiasThenReLU(t *testing.T) {
	x := []float32{-2, -0.5, 0, float32(math.Copysign(0, -1)), 0.25, 3, float32(math.NaN()), float32(math.Inf(-1))}
	bias := []float32{0.5, float32(math.Copysign(0, -1))}
	want := append([]float32(nil), x...)
	for i := range want {
		want[i] += bias[i/4]
	}
	ReLU(want, want)
	got := append([]float32(nil), x...)
	AddBiasReLU(got, bias, 4)
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Errorf("value %d: %v, want %v", i, got[i], want[i])
		}
	}
}

// TestPointwiseSplitOverThreads: on inputs large enough to be split over
// the cores, tanh, its gradient, the channel bias, concatenation and
// slicing give the bits of the plain loops.
func TestPointwiseSplitOverThreads(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	n, ca, cb, hw := 2, 3, 2, 300*301
	a, b := randSlice(rng, n*ca*hw), randSlice(rng, n*cb*hw)
	dy := randSlice(rng, len(a))
	same := func(what string, got, want []float32) {
		t.Helper()
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("%s[%d] = %g, want %g", what, i, got[i], want[i])
			}
		}
	}

	y, want := make([]float32, len(a)), make([]float32, len(a))
	Tanh(a, y)
	for i, v := range a {
		want[i] = float32(math.Tanh(float64(v)))
	}
	same("tanh", y, want)
	dx := make([]float32, len(a))
	TanhBackward(y, dy, dx)
	for i, v := range y {
		want[i] = dy[i] * (1 - v*v)
	}
	same("tanh grad", dx, want)

	bias := randSlice(rng, ca)
	x := append([]float32(nil), a...)
	AddChannelBias(n, ca, hw, x, bias)
	for i, v := range a {
		want[i] = v + bias[(i/hw)%ca]
	}
	same("bias", x, want)

	out := make([]float32, n*(ca+cb)*hw)
	ConcatChannels(n, ca, cb, hw, a, b, out)
	wantCat := make([]float32, 0, len(out))
	for i := 0; i < n; i++ {
		wantCat = append(wantCat, a[i*ca*hw:(i+1)*ca*hw]...)
		wantCat = append(wantCat, b[i*cb*hw:(i+1)*cb*hw]...)
	}
	same("concat", out, wantCat)
	gb := make([]float32, len(b))
	SliceChannels(n, ca+cb, hw, ca, cb, out, gb)
	same("slice", gb, b)
}
