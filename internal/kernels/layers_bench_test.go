package kernels

import (
	"fmt"
	"math/rand"
	"testing"
)

// BenchmarkUNetLayers512 times each convolution of the depth-8, ngf-64
// U-Net's inference at 512² (batch 1) on its own and reports its GFLOP/s:
// where the time of BenchmarkInfer/512 goes, layer by layer.
func BenchmarkUNetLayers512(b *testing.B) {
	rng := rand.New(rand.NewSource(1))
	chans := []int{64, 128, 256, 512, 512, 512, 512, 512} // encoder outputs
	in, side := 5, 512
	for i, c := range chans {
		p := Conv2DParams(1, in, side, side, c, 4, 2, 1)
		x, w, y := randSlice(rng, p.InSize()), randSlice(rng, p.WeightSize()), make([]float32, p.OutSize())
		b.Run(fmt.Sprintf("enc%d_%dx%d_%d-%d", i, side, side, in, c), func(b *testing.B) {
			for b.Loop() {
				Conv2DForward(p, x, w, nil, y)
			}
			b.ReportMetric(p.FLOPs()*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
		in, side = c, side/2
	}
	// Decoder: transposed convolutions from the innermost 2×2 map up; the
	// input is the previous output concatenated with the skip (except at the
	// innermost level).
	outs := []int{512, 512, 512, 512, 256, 128, 64, 3}
	cin := 512
	for i, c := range outs {
		p := ConvT2DParams(1, cin, side, side, c, 4, 2, 1)
		x, w, y := randSlice(rng, p.InSize()), randSlice(rng, p.WeightSize()), make([]float32, p.OutSize())
		b.Run(fmt.Sprintf("dec%d_%dx%d_%d-%d", i, side, side, cin, c), func(b *testing.B) {
			for b.Loop() {
				ConvTranspose2DForward(p, x, w, nil, y)
			}
			b.ReportMetric(p.FLOPs()*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
		side *= 2
		if i+1 < len(outs) {
			cin = 2 * c
		}
	}
}
