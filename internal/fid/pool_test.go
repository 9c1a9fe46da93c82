package fid

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	"github.com/colorize-dev/colorize/internal/kernels"
)

// specials are the values whose bits a max pool or a ReLU could get wrong.
var specials = []float32{0, float32(math.Copysign(0, -1)), float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 1, -1}

func randomAct(rng *rand.Rand, c, h, w int) act {
	a := newAct(c, 1, h, w)
	for i := range a.d {
		if rng.Intn(4) == 0 {
			a.d[i] = specials[rng.Intn(len(specials))]
		} else {
			a.d[i] = float32(rng.NormFloat64())
		}
	}
	return a
}

func sameBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s: value %d is %v (bits %#x), want %v (bits %#x)", what, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
		}
	}
}

// TestMaxPool3s2MatchesTheGeneralPool: the separable pool gives the general
// kernel's bits, ties between ±0 and NaNs included, on odd and even sizes,
// with and without the AVX2 rows (whose blocks of 8 end short of a row, at
// its end, and past the last window by one value: widths 17, 18, 35, 147).
func TestMaxPool3s2MatchesTheGeneralPool(t *testing.T) {
	defer func(saved bool) { usePoolAsm = saved }(usePoolAsm)
	for _, asm := range []bool{false, usePoolAsm} {
		usePoolAsm = asm
		testMaxPool3s2(t)
	}
}

func testMaxPool3s2(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for _, s := range [][3]int{{3, 3, 3}, {2, 7, 8}, {4, 35, 35}, {3, 17, 10}, {2, 5, 17}, {2, 5, 18}, {3, 9, 147}, {1, 19, 33}} {
		x := randomAct(rng, s[0], s[1], s[2])
		got := maxPool(new(workspace), x, 3, 2, 0)
		p := kernels.Pool2DParams(1, x.c, x.h, x.w, 3, 2, 0)
		want := make([]float32, x.c*p.OutH()*p.OutW())
		kernels.MaxPool2D(p, x.d, want)
		if got.h != p.OutH() || got.w != p.OutW() {
			t.Fatalf("%v: output %dx%d, want %dx%d", s, got.h, got.w, p.OutH(), p.OutW())
		}
		sameBits(t, "max pool", got.d, want)
	}
}

// TestAddBiasReLUMatchesTwoPasses: the fused pass gives the bits of adding
// the bias and then ReLU, −0 and NaN included.
func TestAddBiasReLUMatchesTwoPasses(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	x := randomAct(rng, 5, 6, 7)
	bias := []float32{0, float32(math.Copysign(0, -1)), 0.5, -3, float32(math.NaN())}
	want := append([]float32(nil), x.d...)
	for c, b := range bias {
		for i := c * 42; i < (c+1)*42; i++ {
			want[i] += b
		}
	}
	kernels.ReLU(want, want)
	got := append([]float32(nil), x.d...)
	kernels.AddBiasReLU(got, bias, 42)
	sameBits(t, "bias + ReLU", got, want)
}

// BenchmarkMaxPool3s2 is the stem's pool for one batch of 8 (64 planes of
// 147² per image), with and without the AVX2 rows, on one goroutine.
func BenchmarkMaxPool3s2(b *testing.B) {
	x := randomAct(rand.New(rand.NewSource(1)), 64*8, 147, 147)
	y := newAct(64*8, 1, 73, 73)
	defer func(saved bool) { usePoolAsm = saved }(usePoolAsm)
	for _, asm := range []bool{false, usePoolAsm} {
		b.Run(fmt.Sprintf("asm=%v", asm), func(b *testing.B) {
			usePoolAsm = asm
			ws := new(workspace)
			for i := 0; i < b.N; i++ {
				maxPool3s2(ws, x, y)
			}
		})
	}
}
