package nn

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// The gradient tests compare G.Grad's symbolic gradients, run by a
// TapeMachine on the float32 kernels, with central finite differences of
// the same graph's forward pass. The loss is L = Σ out·R for a fixed random
// R; for the finite differences L is accumulated in float64 from the
// float32 output, so its only noise is the float32 rounding of each output
// element. With step h = 1e-2 (1e-3 near the kinks of the ReLUs) the
// truncation error is O(h²) for the smooth ops and zero for the linear
// ones, and the rounding noise is about 1e-5 of the loss; the tests allow
// 2e-3 of the largest gradient component.

type gradCase struct {
	name   string
	shapes [][]int
	// build makes the output from the input nodes.
	build func(in []*G.Node) (*G.Node, error)
	// fill optionally replaces the random initial values of input i.
	fill func(i int, v []float32)
	h    float64
}

func randFill(rng *rand.Rand, v []float32) {
	for i := range v {
		v[i] = rng.Float32()*2 - 1
	}
}

func runGradCase(t *testing.T, c gradCase) {
	t.Helper()
	rng := rand.New(rand.NewSource(int64(len(c.name))))
	g := G.NewGraph()
	in := make([]*G.Node, len(c.shapes))
	data := make([][]float32, len(c.shapes))
	for i, s := range c.shapes {
		d := tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(s...))
		data[i] = d.Float32s()
		randFill(rng, data[i])
		if c.fill != nil {
			c.fill(i, data[i])
		}
		in[i] = G.NewTensor(g, tensor.Float32, len(s), G.WithShape(s...), G.WithValue(d), G.WithName(fmt.Sprintf("in%d", i)))
	}
	out, err := c.build(in)
	if err != nil {
		t.Fatal(err)
	}
	rt := tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(out.Shape()...))
	r := rt.Float32s()
	randFill(rng, r)
	rn := G.NewTensor(g, tensor.Float32, out.Dims(), G.WithShape(out.Shape()...), G.WithValue(rt), G.WithName("R"))
	prod, err := G.HadamardProd(out, rn)
	if err != nil {
		t.Fatal(err)
	}
	cost, err := G.Sum(prod)
	if err != nil {
		t.Fatal(err)
	}
	grads, err := G.Grad(cost, in...)
	if err != nil {
		t.Fatal(err)
	}
	var outVal G.Value
	G.Read(out, &outVal)
	gradVals := make([]G.Value, len(grads))
	for i := range grads {
		G.Read(grads[i], &gradVals[i])
	}
	m := G.NewTapeMachine(g)
	defer m.Close()
	loss := func() float64 {
		m.Reset()
		if err := m.RunAll(); err != nil {
			t.Fatal(err)
		}
		var s float64
		for i, v := range outVal.Data().([]float32) {
			s += float64(v) * float64(r[i])
		}
		return s
	}
	loss()
	analytic := make([][]float32, len(in))
	for i := range in {
		analytic[i] = append([]float32(nil), gradVals[i].Data().([]float32)...)
	}
	h := c.h
	if h == 0 {
		h = 1e-2
	}
	for i := range in {
		fd := make([]float64, len(data[i]))
		scale := 1.0
		for j := range data[i] {
			orig := data[i][j]
			data[i][j] = orig + float32(h)
			up := loss()
			data[i][j] = orig - float32(h)
			down := loss()
			data[i][j] = orig
			fd[j] = (up - down) / (float64(float32(orig+float32(h))) - float64(float32(orig-float32(h))))
			scale = math.Max(scale, math.Abs(fd[j]))
		}
		for j := range fd {
			if d := math.Abs(float64(analytic[i][j]) - fd[j]); d > 2e-3*scale {
				t.Errorf("%s: d/d%s[%d] = %g, finite difference %g (diff %g, scale %g)", c.name, in[i].Name(), j, analytic[i][j], fd[j], d, scale)
				break
			}
		}
	}
}

// awayFromZero moves values out of (−0.1, 0.1) so a finite-difference step
// never crosses a ReLU kink.
func awayFromZero(_ int, v []float32) {
	for i, x := range v {
		if x >= 0 {
			v[i] = x + 0.1
		} else {
			v[i] = x - 0.1
		}
	}
}

func TestGradientsMatchFiniteDifferences(t *testing.T) {
	cases := []gradCase{
		{name: "Conv2d k4 s2 p1", shapes: [][]int{{2, 3, 6, 6}, {4, 3, 4, 4}},
			build: func(in []*G.Node) (*G.Node, error) { return Conv2d(in[0], in[1], 2, 1) }},
		{name: "Conv2d 3×3 s2 odd", shapes: [][]int{{2, 2, 7, 5}, {3, 2, 3, 3}},
			build: func(in []*G.Node) (*G.Node, error) { return Conv2d(in[0], in[1], 2, 1) }},
		{name: "Conv2d 1×3 asymmetric", shapes: [][]int{{1, 2, 4, 5}, {3, 2, 1, 3}},
			build: func(in []*G.Node) (*G.Node, error) {
				return Conv2dOpts(in[0], in[1], ConvOpts{StrideH: 1, StrideW: 2, PadT: 1, PadB: 0, PadL: 2, PadR: 1})
			}},
		{name: "ConvTranspose2d k4 s2 p1", shapes: [][]int{{2, 3, 3, 4}, {3, 2, 4, 4}},
			build: func(in []*G.Node) (*G.Node, error) { return ConvTranspose2d(in[0], in[1], 2, 1) }},
		{name: "AddBias", shapes: [][]int{{2, 3, 2, 3}, {3}},
			build: func(in []*G.Node) (*G.Node, error) { return AddBias(in[0], in[1]) }},
		{name: "BatchNorm train", shapes: [][]int{{3, 2, 3, 3}, {2}, {2}},
			build: func(in []*G.Node) (*G.Node, error) {
				return BatchNorm(in[0], in[1], in[2], NewBatchNormState(2, 0.1, 1e-5), BNTrain)
			}},
		{name: "BatchNorm eval", shapes: [][]int{{3, 2, 3, 3}, {2}, {2}},
			build: func(in []*G.Node) (*G.Node, error) {
				st := NewBatchNormState(2, 0.1, 1e-3)
				st.RunningMean[0], st.RunningVar[0] = 0.3, 0.5
				st.RunningMean[1], st.RunningVar[1] = -0.2, 2
				return BatchNorm(in[0], in[1], in[2], st, BNEval)
			}},
		{name: "LeakyReLU", shapes: [][]int{{2, 2, 3, 3}}, fill: awayFromZero, h: 1e-3,
			build: func(in []*G.Node) (*G.Node, error) { return LeakyReLU(in[0], 0.2) }},
		{name: "ReLU", shapes: [][]int{{2, 2, 3, 3}}, fill: awayFromZero, h: 1e-3,
			build: func(in []*G.Node) (*G.Node, error) { return ReLU(in[0]) }},
		{name: "Tanh", shapes: [][]int{{2, 2, 3, 3}},
			build: func(in []*G.Node) (*G.Node, error) { return Tanh(in[0]) }},
		{name: "Dropout", shapes: [][]int{{2, 2, 3, 3}},
			build: func(in []*G.Node) (*G.Node, error) {
				m := NewDropoutMask(0.5, 3)
				m.Seed = 42
				return Dropout(in[0], m)
			}},
		{name: "Tap, also used directly", shapes: [][]int{{2, 2, 2, 3}},
			build: func(in []*G.Node) (*G.Node, error) {
				tp, err := Tap(in[0], "test", func(*tensor.Dense) error { return nil })
				if err != nil {
					return nil, err
				}
				if tp, err = Tanh(tp); err != nil {
					return nil, err
				}
				return ConcatChannels(tp, in[0])
			}},
		{name: "ConcatChannels", shapes: [][]int{{2, 2, 2, 3}, {2, 3, 2, 3}},
			build: func(in []*G.Node) (*G.Node, error) { return ConcatChannels(in[0], in[1]) }},
		{name: "U-Net block", shapes: [][]int{{2, 2, 8, 8}, {4, 2, 4, 4}, {4}, {4}, {4, 2, 4, 4}, {2}},
			fill: func(i int, v []float32) {
				if i == 2 { // gamma away from 0
					for j := range v {
						v[j] = 1 + v[j]/2
					}
				}
			},
			build: func(in []*G.Node) (*G.Node, error) {
				d, err := Conv2d(in[0], in[1], 2, 1)
				if err != nil {
					return nil, err
				}
				if d, err = BatchNorm(d, in[2], in[3], NewBatchNormState(4, 0.1, 1e-5), BNTrainNoUpdate); err != nil {
					return nil, err
				}
				if d, err = Tanh(d); err != nil {
					return nil, err
				}
				u, err := ConvTranspose2d(d, in[4], 2, 1)
				if err != nil {
					return nil, err
				}
				if u, err = AddBias(u, in[5]); err != nil {
					return nil, err
				}
				return ConcatChannels(u, in[0])
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { runGradCase(t, c) })
	}
}

// TestSecondOrderConv differentiates a convolution's weight gradient (a
// filter pass) again, which goes through the data and forward passes: the
// three convolution passes are closed under differentiation.
func TestSecondOrderConv(t *testing.T) {
	runGradCase(t, gradCase{name: "d/dx of conv weight grad", shapes: [][]int{{1, 2, 5, 5}, {3, 2, 3, 3}, {1, 3, 3, 3}},
		build: func(in []*G.Node) (*G.Node, error) {
			y, err := Conv2d(in[0], in[1], 2, 1)
			if err != nil {
				return nil, err
			}
			// <y, in2> differentiated by w is a filter pass of (x, in2).
			p, err := G.HadamardProd(y, in[2])
			if err != nil {
				return nil, err
			}
			s, err := G.Sum(p)
			if err != nil {
				return nil, err
			}
			gw, err := G.Grad(s, in[1])
			if err != nil {
				return nil, err
			}
			// gw does not depend on w (the convolution is linear in w), so
			// multiply by w to give every input a gradient.
			return G.HadamardProd(gw[0], in[1])
		}})
}
