package nn

import (
	"math/rand"
	"testing"

	"github.com/colorize-dev/colorize/internal/kernels"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// BenchmarkEncoderDecoderStep runs one pix2pix encoder block and its
// matching decoder block (Conv2d 4×4 s2 → BatchNorm → LeakyReLU →
// ConvTranspose2d 4×4 s2 → BatchNorm → ReLU, batch 4, 64 channels at 64²)
// forward and backward through a TapeMachine, to show what the graph adds
// to the kernels' cost. GFLOP/s counts the convolutions only.
func BenchmarkEncoderDecoderStep(b *testing.B) {
	rng := rand.New(rand.NewSource(1))
	g := G.NewGraph()
	x := input(g, "x", randTensor(rng, 4, 64, 64, 64))
	w1 := input(g, "w1", randTensor(rng, 128, 64, 4, 4))
	w2 := input(g, "w2", randTensor(rng, 128, 64, 4, 4))
	ones := func(name string, c int) *G.Node {
		d := tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(c))
		for i := range d.Float32s() {
			d.Float32s()[i] = 1
		}
		return input(g, name, d)
	}
	g1, b1, g2, b2 := ones("g1", 128), ones("b1", 128), ones("g2", 64), ones("b2", 64)
	xs := G.Must(StopGradient(x))
	h := G.Must(Conv2d(xs, w1, 2, 1))
	h = G.Must(BatchNorm(h, g1, b1, NewBatchNormState(128, 0.1, 1e-5), BNTrain))
	h = G.Must(LeakyReLU(h, 0.2))
	h = G.Must(ConvTranspose2d(h, w2, 2, 1))
	h = G.Must(BatchNorm(h, g2, b2, NewBatchNormState(64, 0.1, 1e-5), BNTrain))
	h = G.Must(ReLU(h))
	cost := G.Must(G.Mean(h))
	if _, err := G.Grad(cost, w1, w2, g1, b1, g2, b2); err != nil {
		b.Fatal(err)
	}
	m := G.NewTapeMachine(g)
	defer m.Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.Reset()
		if err := m.RunAll(); err != nil {
			b.Fatal(err)
		}
	}
	// Forward + weight gradient for the first conv (its input gradient is
	// skipped), forward + both gradients for the second.
	f := kernels.Conv2DParams(4, 64, 64, 64, 128, 4, 2, 1).FLOPs()
	b.ReportMetric(5*f*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}
