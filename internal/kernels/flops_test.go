package kernels

import (
	"math/rand"
	"testing"
)

// TestFlopsCountsEveryProduct checks that a convolution's three products
// add their closed-form operation count, 2·N·K·C·KH·KW·OH·OW each, to
// Flops on every lowering path that computes them as that product.
func TestFlopsCountsEveryProduct(t *testing.T) {
	p := Conv2DParams(2, 3, 9, 8, 4, 4, 2, 1)
	rng := rand.New(rand.NewSource(1))
	x, w := randSlice(rng, p.InSize()), randSlice(rng, p.WeightSize())
	dy := randSlice(rng, p.OutSize())
	want := int64(2 * p.N * p.K * p.C * p.KH * p.KW * p.OutH() * p.OutW())
	eachLowering(t, func(t *testing.T) {
		if p.outputSide() {
			t.Skip("the output side multiplies K·KH·KW × H·W matrices instead")
		}
		for _, c := range []struct {
			name string
			run  func()
		}{
			{"forward", func() { Conv2DForward(p, x, w, nil, make([]float32, p.OutSize())) }},
			{"backward data", func() { Conv2DBackwardData(p, dy, w, make([]float32, p.InSize())) }},
			{"backward filter", func() { Conv2DBackwardFilter(p, x, dy, make([]float32, p.WeightSize())) }},
		} {
			before := Flops()
			c.run()
			if got := Flops() - before; got != want {
				t.Errorf("%s: Flops grew by %d, want %d", c.name, got, want)
			}
		}
	})
}
