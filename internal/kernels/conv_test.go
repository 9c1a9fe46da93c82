package kernels

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	"github.com/colorize-dev/colorize/internal/blas"
)

// convCases cover the shapes the networks use (pix2pix 4×4 s2 p1, Inception
// 1×1, 3×3, 1×7/7×1 with per-axis padding, stride 2) plus odd sizes and
// asymmetric (TensorFlow "same") padding.
var convCases = []ConvParams{
	Conv2DParams(2, 3, 8, 8, 4, 4, 2, 1),
	Conv2DParams(3, 5, 7, 9, 6, 4, 2, 1),
	Conv2DParams(2, 3, 7, 6, 2, 4, 1, 1),  // PatchGAN's last two layers
	Conv2DParams(3, 40, 7, 6, 1, 4, 1, 1), // PatchGAN's last layer (auto: output side)
	Conv2DParams(1, 3, 5, 5, 2, 1, 1, 0),
	Conv2DParams(2, 4, 6, 5, 3, 1, 2, 0),
	Conv2DParams(2, 3, 9, 7, 4, 3, 1, 1),
	Conv2DParams(3, 2, 9, 9, 3, 3, 2, 0),
	{N: 2, C: 3, H: 9, W: 8, K: 4, KH: 1, KW: 7, StrideH: 1, StrideW: 1, PadL: 3, PadR: 3},
	{N: 2, C: 3, H: 8, W: 9, K: 4, KH: 7, KW: 1, StrideH: 1, StrideW: 1, PadT: 3, PadB: 3},
	{N: 2, C: 2, H: 8, W: 7, K: 3, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadT: 0, PadB: 1, PadL: 1, PadR: 0},
	{N: 5, C: 2, H: 6, W: 6, K: 3, KH: 2, KW: 3, StrideH: 1, StrideW: 3, PadT: 2, PadB: 0, PadL: 0, PadR: 2},
	// One image, products large enough to be split over threads: into bands
	// of columns, and of rows.
	Conv2DParams(1, 8, 32, 32, 40, 3, 1, 1),
	Conv2DParams(1, 16, 8, 8, 96, 3, 1, 1),
}

// eachLowering runs f with convolutions lowered per image, lowered for the
// whole batch at once (batchedMaxCols) and lowered on the output side
// (outputSideGain), each with the lowered matrix stored (im2col) and, where
// the CPU has colorize's kernel, packed straight from the input
// (lowerDirect), so every path meets the reference; the products split
// over threads as team products and as bands (useTeams).
func eachLowering(t *testing.T, f func(t *testing.T)) {
	defer func(cols int, gain float64, direct, teams bool) {
		batchedMaxCols, outputSideGain, lowerDirect, useTeams = cols, gain, direct, teams
	}(batchedMaxCols, outputSideGain, lowerDirect, useTeams)
	accelerated := lowerDirect
	for _, m := range []struct {
		name    string
		maxCols int
		gain    float64
	}{{"per-image", 0, math.Inf(1)}, {"batched", 1 << 30, math.Inf(1)}, {"output-side", 0, 0}} {
		for _, direct := range []bool{false, true} {
			if direct && !accelerated {
				continue
			}
			for _, teams := range []bool{true, false} {
				batchedMaxCols, outputSideGain, lowerDirect, useTeams = m.maxCols, m.gain, direct, teams
				t.Run(fmt.Sprintf("%s/direct=%v/teams=%v", m.name, direct, teams), f)
			}
		}
	}
}

func TestConv2DMatchesReference(t *testing.T) { eachLowering(t, testConv2DMatchesReference) }

func testConv2DMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for _, p := range convCases {
		t.Run(fmt.Sprintf("%+v", p), func(t *testing.T) {
			x, w, b := randSlice(rng, p.InSize()), randSlice(rng, p.WeightSize()), randSlice(rng, p.K)
			dy := randSlice(rng, p.OutSize())
			want := refConv(p, x, w)
			y := make([]float32, p.OutSize())
			Conv2DForward(p, x, w, nil, y)
			assertClose(t, "forward", y, want, 1e-5, 1e-5)

			hw := p.OutH() * p.OutW()
			for i := range want {
				want[i] += float64(b[(i/hw)%p.K])
			}
			Conv2DForward(p, x, w, b, y)
			assertClose(t, "forward+bias", y, want, 1e-5, 1e-5)

			wdx, wdw := refConvGrads(p, x, w, dy)
			dx := randSlice(rng, p.InSize()) // garbage must be overwritten
			Conv2DBackwardData(p, dy, w, dx)
			assertClose(t, "backward data", dx, wdx, 1e-5, 1e-5)
			dw := randSlice(rng, p.WeightSize())
			Conv2DBackwardFilter(p, x, dy, dw)
			assertClose(t, "backward filter", dw, wdw, 1e-5, 1e-5)

			db := make([]float32, p.K)
			ConvBackwardBias(p.N, p.K, hw, dy, db)
			wdb := make([]float64, p.K)
			for i, v := range dy {
				wdb[(i/hw)%p.K] += float64(v)
			}
			assertClose(t, "backward bias", db, wdb, 1e-5, 1e-5)
		})
	}
}

var convTCases = []ConvTParams{
	ConvT2DParams(2, 4, 4, 4, 3, 4, 2, 1),
	ConvT2DParams(3, 3, 5, 3, 2, 4, 2, 1),
	ConvT2DParams(2, 3, 4, 5, 2, 3, 1, 1),
	ConvT2DParams(1, 2, 3, 3, 3, 3, 2, 0),
	{N: 2, Cin: 3, H: 4, W: 5, Cout: 2, KH: 3, KW: 2, StrideH: 2, StrideW: 1, PadT: 1, PadB: 0, PadL: 0, PadR: 1},
}

func TestConvTranspose2DMatchesReference(t *testing.T) {
	eachLowering(t, testConvTranspose2DMatchesReference)
}

func testConvTranspose2DMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	for _, p := range convTCases {
		t.Run(fmt.Sprintf("%+v", p), func(t *testing.T) {
			if err := p.Validate(); err != nil {
				t.Fatal(err)
			}
			x, w, b := randSlice(rng, p.InSize()), randSlice(rng, p.WeightSize()), randSlice(rng, p.Cout)
			dy := randSlice(rng, p.OutSize())
			want := refConvT(p, x, w)
			hw := p.OutH() * p.OutW()
			for i := range want {
				want[i] += float64(b[(i/hw)%p.Cout])
			}
			y := randSlice(rng, p.OutSize())
			ConvTranspose2DForward(p, x, w, b, y)
			assertClose(t, "forward", y, want, 1e-5, 1e-5)

			wdx, wdw := refConvTGrads(p, x, w, dy)
			dx := randSlice(rng, p.InSize())
			ConvTranspose2DBackwardData(p, dy, w, dx)
			assertClose(t, "backward data", dx, wdx, 1e-5, 1e-5)
			dw := randSlice(rng, p.WeightSize())
			ConvTranspose2DBackwardFilter(p, x, dy, dw)
			assertClose(t, "backward filter", dw, wdw, 1e-5, 1e-5)
		})
	}
}

func TestConvParamsValidate(t *testing.T) {
	bad := []ConvParams{
		{},
		Conv2DParams(1, 1, 2, 2, 1, 5, 1, 0), // kernel larger than input
		{N: 1, C: 1, H: 4, W: 4, K: 1, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadT: -1},
	}
	for _, p := range bad {
		if p.Validate() == nil {
			t.Errorf("Validate(%+v) = nil, want an error", p)
		}
	}
	if err := ConvT2DParams(1, 1, 4, 4, 1, 4, 2, 1).Validate(); err != nil {
		t.Fatal(err)
	}
	if ConvT2DParams(1, 1, 1, 1, 1, 1, 1, 1).Validate() == nil {
		t.Error("1×1 transposed conv of a 1×1 input with pad 1 has an empty output and should be rejected")
	}
}

// benchSizes are the pix2pix encoder/decoder layers at 256² (4×4, stride 2,
// pad 1, batch 4) plus an Inception 3×3.
var benchSizes = []ConvParams{
	Conv2DParams(4, 64, 64, 64, 128, 4, 2, 1),
	Conv2DParams(4, 128, 32, 32, 256, 4, 2, 1),
	Conv2DParams(4, 64, 35, 35, 96, 3, 1, 1),
}

func BenchmarkConv2D(b *testing.B) {
	for _, p := range benchSizes {
		// Random, not zero, data: gonum's Sgemm skips zero multipliers.
		rng := rand.New(rand.NewSource(1))
		x, w := randSlice(rng, p.InSize()), randSlice(rng, p.WeightSize())
		y := randSlice(rng, p.OutSize())
		name := fmt.Sprintf("N%d_%dto%d_%dx%d_k%d", p.N, p.C, p.K, p.H, p.W, p.KH)
		b.Run("forward/"+name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				Conv2DForward(p, x, w, nil, y)
			}
			b.ReportMetric(p.FLOPs()*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
		b.Run("backward/"+name, func(b *testing.B) {
			dx, dw := make([]float32, len(x)), make([]float32, len(w))
			for i := 0; i < b.N; i++ {
				Conv2DBackwardData(p, y, w, dx)
				Conv2DBackwardFilter(p, x, y, dw)
			}
			b.ReportMetric(2*p.FLOPs()*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
	b.Logf("BLAS: %s", blas.Name())
}

func BenchmarkConvTranspose2D(b *testing.B) {
	for _, p := range []ConvTParams{
		ConvT2DParams(4, 128, 32, 32, 64, 4, 2, 1),
		ConvT2DParams(4, 256, 16, 16, 128, 4, 2, 1),
	} {
		rng := rand.New(rand.NewSource(1))
		x, w := randSlice(rng, p.InSize()), randSlice(rng, p.WeightSize())
		y := randSlice(rng, p.OutSize())
		name := fmt.Sprintf("N%d_%dto%d_%dx%d", p.N, p.Cin, p.Cout, p.H, p.W)
		b.Run("forward/"+name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				ConvTranspose2DForward(p, x, w, nil, y)
			}
			b.ReportMetric(p.FLOPs()*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
		b.Run("backward/"+name, func(b *testing.B) {
			dx, dw := make([]float32, len(x)), make([]float32, len(w))
			for i := 0; i < b.N; i++ {
				ConvTranspose2DBackwardData(p, y, w, dx)
				ConvTranspose2DBackwardFilter(p, x, y, dw)
			}
			b.ReportMetric(2*p.FLOPs()*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// TestBackwardDataInBands: backward data computed a band of output rows at
// a time (bands of one row, and of several with a partial last one) meets
// the reference.
func TestBackwardDataInBands(t *testing.T) {
	defer func(max, cols int) { col2imBlockMax, col2imMinBandCols = max, cols }(col2imBlockMax, col2imMinBandCols)
	col2imMinBandCols = 1
	defer func(cols int, gain float64) { batchedMaxCols, outputSideGain = cols, gain }(batchedMaxCols, outputSideGain)
	batchedMaxCols, outputSideGain = 0, math.Inf(1) // the per-image path, where the bands are
	rng := rand.New(rand.NewSource(5))
	for _, p := range convCases {
		if p.direct() {
			continue
		}
		rows, ow := p.C*p.KH*p.KW, p.OutW()
		for _, band := range []int{1, 2, 3} {
			col2imBlockMax = rows * ow * band
			if rows*p.OutH()*ow <= col2imBlockMax {
				continue // one band: the unbanded path
			}
			t.Run(fmt.Sprintf("%+v/band=%d", p, band), func(t *testing.T) {
				x, w, dy := randSlice(rng, p.InSize()), randSlice(rng, p.WeightSize()), randSlice(rng, p.OutSize())
				wdx, _ := refConvGrads(p, x, w, dy)
				dx := randSlice(rng, p.InSize()) // garbage must be overwritten
				if col2imBand(p) != band {
					t.Fatalf("bands of %d rows, want %d", col2imBand(p), band)
				}
				Conv2DBackwardData(p, dy, w, dx)
				assertClose(t, "backward data", dx, wdx, 1e-5, 1e-5)
			})
		}
	}
}
