package kernels

import (
	"math"
	"math/rand"
	"testing"
)

// pointwiseInput mixes normal values with those whose bits a vector loop
// could get wrong: ±0, NaN, ±Inf, subnormals, and values near 0.
func pointwiseInput(rng *rand.Rand, n int) []float32 {
	special := []float32{0, float32(math.Copysign(0, -1)), float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)),
		math.SmallestNonzeroFloat32, -math.SmallestNonzeroFloat32, 1e-30, -1e-30, math.MaxFloat32, -math.MaxFloat32}
	x := make([]float32, n)
	for i := range x {
		if rng.Intn(3) == 0 {
			x[i] = special[rng.Intn(len(special))]
		} else {
			x[i] = float32(rng.NormFloat64())
		}
	}
	return x
}

func sameBitsAll(t *testing.T, what string, got, want []float32) {
	t.Helper()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) && !(got[i] != got[i] && want[i] != want[i]) {
			t.Fatalf("%s: value %d of %d is %v (%#x), the Go loop gives %v (%#x)", what, i, len(want), got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
		}
	}
}

// TestPointwiseAsmMatchesGo: the AVX2 loops of LeakyReLU, its backward and
// AddBiasReLU give the Go loops' bits (NaN for NaN) for every length from 0
// to 40 (the 8-wide bulk and every tail), several slopes and biases.
func TestPointwiseAsmMatchesGo(t *testing.T) {
	if !usePointwiseAsm {
		t.Skip("no AVX2 on this CPU: only the Go loops run")
	}
	rng := rand.New(rand.NewSource(5))
	run := func(asm bool, f func()) {
		saved := usePointwiseAsm
		usePointwiseAsm = asm
		defer func() { usePointwiseAsm = saved }()
		f()
	}
	for n := 0; n <= 40; n++ {
		x, dy := pointwiseInput(rng, n), pointwiseInput(rng, n)
		for _, alpha := range []float32{0, 0.2, 0.01, 1} {
			var y, ya, dx, dxa []float32
			run(false, func() {
				y, dx = make([]float32, n), make([]float32, n)
				leaky(x, y, alpha)
				leakyBackward(x, dy, dx, alpha)
			})
			run(true, func() {
				ya, dxa = make([]float32, n), make([]float32, n)
				leaky(x, ya, alpha)
				leakyBackward(x, dy, dxa, alpha)
			})
			sameBitsAll(t, "leaky", ya, y)
			sameBitsAll(t, "leaky backward", dxa, dx)
		}
		for _, b := range []float32{0, -0.5, 0.5, float32(math.Inf(-1))} {
			p, pa := append([]float32(nil), x...), append([]float32(nil), x...)
			run(false, func() { AddBiasReLU(p, []float32{b}, n) })
			run(true, func() { AddBiasReLU(pa, []float32{b}, n) })
			sameBitsAll(t, "add bias and ReLU", pa, p)
		}
	}
}
