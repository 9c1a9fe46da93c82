package nn

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"

	"github.com/colorize-dev/colorize/internal/kernels"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// The parity test writes deterministic inputs as raw little-endian float32
// files, has testdata/parity.py compute forward outputs and gradients of
// Σ y·dy with PyTorch (in float64), and compares them with this package's
// graph ops (and, for the Inception pools, with the kernels directly).
// Tolerance: |got − want| ≤ 1e-4·(1 + |want|) elementwise, plus 1e-4 of
// the output's largest magnitude for the long reductions.

const torchPython = "/usr/bin/python3"

func requireTorch(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(torchPython); err != nil {
		t.Skipf("PyTorch parity needs %s: %v", torchPython, err)
	}
	if out, err := exec.Command(torchPython, "-c", "import torch, numpy").CombinedOutput(); err != nil {
		t.Skipf("PyTorch parity needs torch and numpy for %s: %v\n%s", torchPython, err, out)
	}
}

type parityInput struct {
	shape []int
	data  []float32
}

type parityCase struct {
	name   string
	op     string
	params map[string]any
	inputs map[string]parityInput
	// compute returns this package's outputs, keyed like parity.py's.
	compute func(in map[string]parityInput) (map[string][]float32, error)
}

func writeF32(path string, v []float32) error {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return os.WriteFile(path, b, 0o644)
}

func readF32(path string) ([]float32, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	v := make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v, nil
}

// graphOutputs builds op over the inputs listed in wrt (in that order) plus
// dy, and returns y and d<name> for every name in wrt, from G.Grad of
// Σ y·dy.
func graphOutputs(in map[string]parityInput, wrt []string, build func(n map[string]*G.Node) (*G.Node, error)) (map[string][]float32, error) {
	g := G.NewGraph()
	nodes := map[string]*G.Node{}
	for name, v := range in {
		d := tensor.New(tensor.WithShape(v.shape...), tensor.WithBacking(append([]float32(nil), v.data...)))
		nodes[name] = G.NewTensor(g, tensor.Float32, len(v.shape), G.WithShape(v.shape...), G.WithValue(d), G.WithName(name))
	}
	y, err := build(nodes)
	if err != nil {
		return nil, err
	}
	p, err := G.HadamardProd(y, nodes["dy"])
	if err != nil {
		return nil, err
	}
	cost, err := G.Sum(p)
	if err != nil {
		return nil, err
	}
	var ws G.Nodes
	for _, name := range wrt {
		ws = append(ws, nodes[name])
	}
	grads, err := G.Grad(cost, ws...)
	if err != nil {
		return nil, err
	}
	m := G.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		return nil, err
	}
	out := map[string][]float32{"y": y.Value().Data().([]float32)}
	for i, name := range wrt {
		out["d"+name] = grads[i].Value().Data().([]float32)
	}
	return out, nil
}

func buildParityCases(rng *rand.Rand) []parityCase {
	rnd := func(shape ...int) parityInput {
		n := 1
		for _, s := range shape {
			n *= s
		}
		d := make([]float32, n)
		randFill(rng, d)
		return parityInput{shape: shape, data: d}
	}
	conv := func(name string, x, w []int, o ConvOpts) parityCase {
		xs, ws := rnd(x...), rnd(w...)
		p := kernels.ConvParams{N: x[0], C: x[1], H: x[2], W: x[3], K: w[0], KH: w[2], KW: w[3], StrideH: o.StrideH, StrideW: o.StrideW,
			PadT: o.PadT, PadB: o.PadB, PadL: o.PadL, PadR: o.PadR}
		return parityCase{name: name, op: "conv2d",
			params: map[string]any{"stride": []int{o.StrideH, o.StrideW}, "pad": []int{o.PadT, o.PadB, o.PadL, o.PadR}},
			inputs: map[string]parityInput{"x": xs, "w": ws, "dy": rnd(p.N, p.K, p.OutH(), p.OutW())},
			compute: func(in map[string]parityInput) (map[string][]float32, error) {
				return graphOutputs(in, []string{"x", "w"}, func(n map[string]*G.Node) (*G.Node, error) { return Conv2dOpts(n["x"], n["w"], o) })
			}}
	}
	convT := func(name string, x, w []int, stride, pad int) parityCase {
		p := kernels.ConvT2DParams(x[0], x[1], x[2], x[3], w[1], w[2], stride, pad)
		return parityCase{name: name, op: "conv_transpose2d", params: map[string]any{"stride": stride, "pad": pad},
			inputs: map[string]parityInput{"x": rnd(x...), "w": rnd(w...), "dy": rnd(p.N, p.Cout, p.OutH(), p.OutW())},
			compute: func(in map[string]parityInput) (map[string][]float32, error) {
				return graphOutputs(in, []string{"x", "w"}, func(n map[string]*G.Node) (*G.Node, error) { return ConvTranspose2d(n["x"], n["w"], stride, pad) })
			}}
	}
	bn := func(name string, mode BNMode, eps float32) parityCase {
		x := rnd(4, 3, 5, 6)
		for i := range x.data {
			x.data[i] = 3*x.data[i] + 1.5
		}
		rv := rnd(3)
		for i := range rv.data {
			rv.data[i] = rv.data[i]*rv.data[i] + 0.5
		}
		return parityCase{name: name, op: "batch_norm",
			params: map[string]any{"training": mode != BNEval, "momentum": 0.1, "eps": eps},
			inputs: map[string]parityInput{"x": x, "gamma": rnd(3), "beta": rnd(3), "dy": rnd(4, 3, 5, 6), "running_mean": rnd(3), "running_var": rv},
			compute: func(in map[string]parityInput) (map[string][]float32, error) {
				st := NewBatchNormState(3, 0.1, eps)
				copy(st.RunningMean, in["running_mean"].data)
				copy(st.RunningVar, in["running_var"].data)
				out, err := graphOutputs(in, []string{"x", "gamma", "beta"}, func(n map[string]*G.Node) (*G.Node, error) {
					return BatchNorm(n["x"], n["gamma"], n["beta"], st, mode)
				})
				if err != nil {
					return nil, err
				}
				out["running_mean"], out["running_var"] = st.RunningMean, st.RunningVar
				return out, nil
			}}
	}
	pool := func(name, op string, p kernels.PoolParams, params map[string]any, f func(x, y []float32)) parityCase {
		return parityCase{name: name, op: op, params: params,
			inputs: map[string]parityInput{"x": rnd(p.N, p.C, p.H, p.W)},
			compute: func(in map[string]parityInput) (map[string][]float32, error) {
				y := make([]float32, p.N*p.C*p.OutH()*p.OutW())
				f(in["x"].data, y)
				return map[string][]float32{"y": y}, nil
			}}
	}
	maxP := kernels.Pool2DParams(2, 3, 11, 10, 3, 2, 0)
	avgP := kernels.Pool2DParams(2, 3, 9, 8, 3, 1, 1)
	gap := kernels.PoolParams{N: 2, C: 5, H: 7, W: 6, KH: 7, KW: 6, StrideH: 1, StrideW: 1}

	return []parityCase{
		conv("conv_k4s2p1", []int{2, 6, 16, 16}, []int{8, 6, 4, 4}, Uniform(2, 1)),
		conv("conv_k4s1p1", []int{2, 4, 9, 8}, []int{1, 4, 4, 4}, Uniform(1, 1)),
		conv("conv_k3s1p1_odd", []int{2, 5, 9, 7}, []int{4, 5, 3, 3}, Uniform(1, 1)),
		conv("conv_k3s2p0", []int{2, 4, 11, 11}, []int{6, 4, 3, 3}, Uniform(2, 0)),
		conv("conv_1x1", []int{2, 8, 5, 5}, []int{3, 8, 1, 1}, Uniform(1, 0)),
		conv("conv_1x7", []int{2, 4, 6, 9}, []int{3, 4, 1, 7}, ConvOpts{StrideH: 1, StrideW: 1, PadL: 3, PadR: 3}),
		conv("conv_7x1", []int{2, 4, 9, 6}, []int{3, 4, 7, 1}, ConvOpts{StrideH: 1, StrideW: 1, PadT: 3, PadB: 3}),
		conv("conv_asym_same", []int{2, 3, 8, 8}, []int{4, 3, 3, 3}, ConvOpts{StrideH: 2, StrideW: 2, PadT: 0, PadB: 1, PadL: 0, PadR: 1}),
		convT("convT_k4s2p1", []int{2, 8, 8, 8}, []int{8, 5, 4, 4}, 2, 1),
		convT("convT_k3s2p1_odd", []int{2, 4, 5, 3}, []int{4, 3, 3, 3}, 2, 1),
		bn("bn_train", BNTrain, 1e-5),
		bn("bn_eval", BNEval, 1e-3),
		{name: "leaky", op: "leaky_relu", params: map[string]any{"alpha": 0.2},
			inputs: map[string]parityInput{"x": rnd(2, 3, 4, 5), "dy": rnd(2, 3, 4, 5)},
			compute: func(in map[string]parityInput) (map[string][]float32, error) {
				return graphOutputs(in, []string{"x"}, func(n map[string]*G.Node) (*G.Node, error) { return LeakyReLU(n["x"], 0.2) })
			}},
		{name: "relu", op: "leaky_relu", params: map[string]any{"alpha": 0.0},
			inputs: map[string]parityInput{"x": rnd(2, 3, 4, 5), "dy": rnd(2, 3, 4, 5)},
			compute: func(in map[string]parityInput) (map[string][]float32, error) {
				return graphOutputs(in, []string{"x"}, func(n map[string]*G.Node) (*G.Node, error) { return ReLU(n["x"]) })
			}},
		{name: "tanh", op: "tanh",
			inputs: map[string]parityInput{"x": rnd(2, 3, 4, 5), "dy": rnd(2, 3, 4, 5)},
			compute: func(in map[string]parityInput) (map[string][]float32, error) {
				return graphOutputs(in, []string{"x"}, func(n map[string]*G.Node) (*G.Node, error) { return Tanh(n["x"]) })
			}},
		{name: "bias", op: "add_bias",
			inputs: map[string]parityInput{"x": rnd(2, 3, 4, 5), "b": rnd(3), "dy": rnd(2, 3, 4, 5)},
			compute: func(in map[string]parityInput) (map[string][]float32, error) {
				return graphOutputs(in, []string{"x", "b"}, func(n map[string]*G.Node) (*G.Node, error) { return AddBias(n["x"], n["b"]) })
			}},
		{name: "concat", op: "concat",
			inputs: map[string]parityInput{"a": rnd(2, 3, 4, 5), "b": rnd(2, 2, 4, 5), "dy": rnd(2, 5, 4, 5)},
			compute: func(in map[string]parityInput) (map[string][]float32, error) {
				return graphOutputs(in, []string{"a", "b"}, func(n map[string]*G.Node) (*G.Node, error) { return ConcatChannels(n["a"], n["b"]) })
			}},
		pool("maxpool_3s2", "max_pool2d", maxP, map[string]any{"kernel": 3, "stride": 2, "pad": 0},
			func(x, y []float32) { kernels.MaxPool2D(maxP, x, y) }),
		pool("avgpool_3s1p1", "avg_pool2d", avgP, map[string]any{"kernel": 3, "stride": 1, "pad": 1, "count_include_pad": false},
			func(x, y []float32) { kernels.AvgPool2D(avgP, x, y, false) }),
		pool("avgpool_incl", "avg_pool2d", avgP, map[string]any{"kernel": 3, "stride": 1, "pad": 1, "count_include_pad": true},
			func(x, y []float32) { kernels.AvgPool2D(avgP, x, y, true) }),
		pool("adaptive_avg", "adaptive_avg_pool2d", gap, nil,
			func(x, y []float32) { kernels.GlobalAvgPool(gap.N, gap.C, gap.H*gap.W, x, y) }),
	}
}

func TestPyTorchParity(t *testing.T) {
	requireTorch(t)
	dir := t.TempDir()
	cases := buildParityCases(rand.New(rand.NewSource(11)))
	var spec []map[string]any
	for _, c := range cases {
		shapes := map[string][]int{}
		for name, in := range c.inputs {
			shapes[name] = in.shape
			if err := writeF32(filepath.Join(dir, c.name+"."+name+".bin"), in.data); err != nil {
				t.Fatal(err)
			}
		}
		spec = append(spec, map[string]any{"name": c.name, "op": c.op, "params": c.params, "inputs": shapes})
	}
	js, err := json.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "spec.json"), js, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(torchPython, "testdata/parity.py", dir).CombinedOutput(); err != nil {
		t.Fatalf("parity.py: %v\n%s", err, out)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.compute(c.inputs)
			if err != nil {
				t.Fatal(err)
			}
			names := make([]string, 0, len(got))
			for k := range got {
				names = append(names, k)
			}
			sort.Strings(names)
			for _, k := range names {
				want, err := readF32(filepath.Join(dir, c.name+"."+k+".bin"))
				if err != nil {
					t.Fatalf("PyTorch wrote no %q: %v", k, err)
				}
				if err := compareParity(got[k], want); err != nil {
					t.Errorf("%s: %v", k, err)
				}
			}
		})
	}
}

func compareParity(got, want []float32) error {
	if len(got) != len(want) {
		return fmt.Errorf("%d values, PyTorch has %d", len(got), len(want))
	}
	var maxAbs float64
	for _, w := range want {
		maxAbs = math.Max(maxAbs, math.Abs(float64(w)))
	}
	for i := range want {
		g, w := float64(got[i]), float64(want[i])
		if d := math.Abs(g - w); d > 1e-4*(1+math.Abs(w))+1e-4*maxAbs || math.IsNaN(g) {
			return fmt.Errorf("[%d] = %g, PyTorch %g (diff %g)", i, g, w, d)
		}
	}
	return nil
}
