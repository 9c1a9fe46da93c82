package loss

import (
	"fmt"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// benchSizes are image sides of a [4,3,S,S] float32 batch; 128 is training.
var benchSizes = []int{128, 256}

func benchImages(side int) (shape []int, pred, target *tensor.Dense) {
	rng := rand.New(rand.NewPCG(18, 19))
	shape = []int{4, 3, side, side}
	size := 4 * 3 * side * side
	return shape, denseOf(tensor.Float32, shape, randSlice(rng, size)), denseOf(tensor.Float32, shape, randSlice(rng, size))
}

// BenchmarkOps times the fused Ops alone: the value, and the gradient
// written into a preallocated tensor.
func BenchmarkOps(b *testing.B) {
	for _, fn := range []lossFn{fnL1, fnCompensatedL1, fnCompensatedL1Detached} {
		for _, side := range benchSizes {
			shape, pred, target := benchImages(side)
			s := spec{fn: fn, dims: 4}
			b.Run(fmt.Sprintf("%v/value/%d", fn, side), func(b *testing.B) {
				b.SetBytes(int64(2 * 4 * pred.Size()))
				b.ReportAllocs()
				for b.Loop() {
					if _, err := (lossOp{s}).Do(pred, target); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run(fmt.Sprintf("%v/grad/%d", fn, side), func(b *testing.B) {
				out := tensor.New(tensor.WithShape(shape...), tensor.Of(tensor.Float32))
				b.SetBytes(int64(3 * 4 * pred.Size()))
				b.ReportAllocs()
				for b.Loop() {
					if _, err := (lossGradOp{s}).UsePreallocDo(out, pred, target, G.NewF32(1)); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkBCE times the adversarial loss Ops on a [4,1,30,30] patch map
// (the 70×70 PatchGAN's output for 256² images).
func BenchmarkBCE(b *testing.B) {
	shape := []int{4, 1, 30, 30}
	logits := denseOf(tensor.Float32, shape, randSlice(rand.New(rand.NewPCG(20, 21)), 3600))
	s := spec{fn: fnBCEWithLogits, dims: 4, label: 1}
	b.Run("value", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := (lossOp{s}).Do(logits); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("grad", func(b *testing.B) {
		out := tensor.New(tensor.WithShape(shape...), tensor.Of(tensor.Float32))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := (lossGradOp{s}).UsePreallocDo(out, logits, G.NewF32(1)); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkGraphStep times one TapeMachine run of the loss and its gradient,
// as in a training step.
func BenchmarkGraphStep(b *testing.B) {
	for _, side := range benchSizes {
		shape, pred, target := benchImages(side)
		b.Run(fmt.Sprintf("compensated_l1/%d", side), func(b *testing.B) {
			g := G.NewGraph()
			p := G.NewTensor(g, tensor.Float32, 4, G.WithShape(shape...), G.WithValue(pred))
			tg := G.NewTensor(g, tensor.Float32, 4, G.WithShape(shape...), G.WithValue(target))
			cost, err := CompensatedL1(p, tg, CompensatedOptions{})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := G.Grad(cost, p); err != nil {
				b.Fatal(err)
			}
			m := G.NewTapeMachine(g)
			defer m.Close()
			b.ReportAllocs()
			for b.Loop() {
				m.Reset()
				if err := m.RunAll(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRef times the float64 reference on float32 data, for comparison.
func BenchmarkRef(b *testing.B) {
	for _, side := range benchSizes {
		shape, pred, target := benchImages(side)
		p, t := pred.Data().([]float32), target.Data().([]float32)
		b.Run(fmt.Sprintf("compensated_l1_grad/%d", side), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := CompensatedL1RefGrad(p, t, shape, CompensatedOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
