package export

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/colorize-dev/colorize/internal/checkpoint"
	"github.com/colorize-dev/colorize/internal/config"
	"github.com/colorize-dev/colorize/internal/ortnode"
	"github.com/colorize-dev/colorize/internal/train"
	"github.com/colorize-dev/colorize/internal/unet"
)

func repoPath(parts ...string) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(append([]string{filepath.Dir(file), "..", ".."}, parts...)...)
}

// trained trains cfg for a few steps on the OpenMoji subset that ships with
// the project and returns the generator and the checkpoint's metadata: real
// weights and batch-norm running statistics, so that folding is tested on
// statistics that are neither PyTorch's initial (0, 1) nor made up. The
// outermost transposed convolution is then scaled so that the outputs fill
// [−1, 1] as a fully trained model's do: after a few steps they stay within
// about ±0.05, where a tolerance of 1e-4 would hide a 0.2% error.
func trained(t *testing.T, cfg config.Config, steps int) (*unet.Generator, Info) {
	t.Helper()
	cfg.Data.Dir = repoPath("data", "openmoji-mini")
	cfg.Data.MaxVal = 2
	cfg.Train.Steps = steps
	cfg.Train.ValEvery, cfg.Train.SampleEvery, cfg.Train.CheckpointEvery = steps, steps, steps
	cfg.Train.Out = t.TempDir()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	res, err := train.Run(context.Background(), train.Options{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	f, err := checkpoint.Read(res.LastCkpt)
	if err != nil {
		t.Fatal(err)
	}
	m, err := f.NewModel()
	if err != nil {
		t.Fatal(err)
	}
	spread(t, m.Gen, cfg.Data.Size)
	return m.Gen, Info{Version: "test", Step: f.Step, Config: f.Config}
}

// spread scales level1.convt.weight so that the generator's pre-tanh output
// on a sketch of size² has a standard deviation of about 1.
func spread(t *testing.T, gen *unet.Generator, size int) {
	t.Helper()
	r, err := unet.NewRunner(gen, 1, size, size, false)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rng := rand.New(rand.NewSource(3))
	out, err := r.Run(withHints(rng, sketches(rng, 1, size, size), 1, size, size), 0)
	if err != nil {
		t.Fatal(err)
	}
	var sum, sq float64
	for _, v := range out {
		pre := math.Atanh(float64(v))
		sum, sq = sum+pre, sq+pre*pre
	}
	n := float64(len(out))
	std := math.Sqrt(sq/n - sum*sum/n/n)
	w := gen.Params.Tensor("level1.convt.weight").Data().([]float32)
	for i := range w {
		w[i] /= float32(std)
	}
}

func quickstart(t *testing.T) (*unet.Generator, Info) {
	cfg, err := config.Load(repoPath("configs", "quickstart.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return trained(t, cfg, 6)
}

func depth8(t *testing.T) (*unet.Generator, Info) {
	cfg := config.Default()
	cfg.Data.Size = 256
	cfg.Model.Depth, cfg.Model.NGF, cfg.Model.NDF, cfg.Model.DLayers = 8, 8, 8, 2
	cfg.Train.Batch = 2
	return trained(t, cfg, 3)
}

// sketches returns n generator inputs [5,h,w] laid end to end with a
// sketch-like line channel (white paper, dark strokes) and no hints.
func sketches(rng *rand.Rand, n, h, w int) []float32 {
	x := make([]float32, n*5*h*w)
	for b := range n {
		line := x[b*5*h*w : b*5*h*w+h*w]
		for i := range line {
			line[i] = 1
			if rng.Float64() < 0.15 {
				line[i] = rng.Float32()*2 - 1
			}
		}
	}
	return x
}

// withHints returns a copy of the inputs x with a few colored patches in
// the hint channels of each.
func withHints(rng *rand.Rand, x []float32, n, h, w int) []float32 {
	x = slices.Clone(x)
	for b := range n {
		img := x[b*5*h*w : (b+1)*5*h*w]
		for range 6 {
			cx, cy, side := rng.Intn(w), rng.Intn(h), 2+rng.Intn(6)
			rgb := [3]float32{rng.Float32()*2 - 1, rng.Float32()*2 - 1, rng.Float32()*2 - 1}
			for y := cy; y < min(h, cy+side); y++ {
				for xx := cx; xx < min(w, cx+side); xx++ {
					for c := range 3 {
						img[(1+c)*h*w+y*w+xx] = rgb[c]
					}
					img[4*h*w+y*w+xx] = 1
				}
			}
		}
	}
	return x
}

func writeModel(t testing.TB, gen *unet.Generator, info Info, opset int) string {
	t.Helper()
	m, err := ONNX(gen, info, opset)
	if err != nil {
		t.Fatal(err)
	}
	b, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "model.onnx")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func stdDev(x []float32) float64 {
	var sum, sq float64
	for _, v := range x {
		sum, sq = sum+float64(v), sq+float64(v)*float64(v)
	}
	n := float64(len(x))
	return math.Sqrt(sq/n - sum*sum/n/n)
}

func maxAbsDiff(a, b []float32) float64 {
	d := 0.0
	for i := range a {
		d = math.Max(d, math.Abs(float64(a[i])-float64(b[i])))
	}
	return d
}

// TestONNXRuntimeMatchesGenerator: ONNX Runtime, with its graph
// optimizations off and all on, computes what colorize's generator computes
// in inference mode, to 1e-4, at several sizes, batch 1 and 2, with and
// without hints, for the quickstart model and a depth-8 model.
func TestONNXRuntimeMatchesGenerator(t *testing.T) {
	rt := ortnode.Require(t)
	type shape struct{ h, w int }
	models := []struct {
		name  string
		load  func(*testing.T) (*unet.Generator, Info)
		sizes []shape
	}{
		// 64×64 is below the depth-8 net's 2^8 multiple.
		{"quickstart", quickstart, []shape{{64, 64}, {128, 64}, {256, 256}}},
		{"depth8", depth8, []shape{{256, 256}, {256, 512}}},
	}
	for _, mc := range models {
		t.Run(mc.name, func(t *testing.T) {
			gen, info := mc.load(t)
			requireTrainedStats(t, gen)
			path := writeModel(t, gen, info, DefaultOpset)
			rng := rand.New(rand.NewSource(1))
			type run struct {
				name string
				in   ortnode.Input
				want []float32
			}
			var runs []run
			for _, s := range mc.sizes {
				for _, n := range []int{1, 2} {
					r, err := unet.NewRunner(gen, n, s.h, s.w, false)
					if err != nil {
						t.Fatal(err)
					}
					plain := sketches(rng, n, s.h, s.w)
					for _, hints := range []bool{false, true} {
						in := plain
						if hints {
							in = withHints(rng, plain, n, s.h, s.w)
						}
						out, err := r.Run(in, 0)
						if err != nil {
							t.Fatal(err)
						}
						runs = append(runs, run{
							name: fmt.Sprintf("%dx%dx%d hints=%v", n, s.h, s.w, hints),
							in:   ortnode.Input{Data: in, Dims: []int{n, 5, s.h, s.w}},
							want: slices.Clone(out),
						})
					}
					r.Close()
				}
			}
			job := ortnode.Job{Model: path, Levels: []string{"disabled", "all"}}
			for _, r := range runs {
				job.Inputs = append(job.Inputs, r.in)
			}
			res, err := rt.Run(job)
			if err != nil {
				t.Fatal(err)
			}
			for _, sess := range res.Sessions {
				if got := fmt.Sprint(sess.InputShapes, sess.OutputShapes); got != "[[N 5 H W]] [[N 3 H W]]" {
					t.Errorf("%s: ONNX Runtime sees shapes %s, want [[N 5 H W]] [[N 3 H W]]", sess.Level, got)
				}
				for i, r := range runs {
					out := sess.Outputs[i]
					d := r.in.Dims
					if !slices.Equal(out.Dims, []int{d[0], 3, d[2], d[3]}) {
						t.Errorf("%s %s: output dims %v", sess.Level, r.name, out.Dims)
						continue
					}
					if diff := maxAbsDiff(out.Data, r.want); diff > 1e-4 {
						t.Errorf("%s %s: max |ORT − colorize| = %.3g > 1e-4", sess.Level, r.name, diff)
					} else {
						t.Logf("%s %s: max |ORT − colorize| = %.2g", sess.Level, r.name, diff)
					}
				}
			}
			// The comparison means something only if the outputs do: the
			// generator's output changes with the hints (runs come in pairs
			// of one sketch without and with hints).
			for i := 0; i+1 < len(runs); i += 2 {
				if d := maxAbsDiff(runs[i].want, runs[i+1].want); d < 0.1 {
					t.Errorf("%s and %s give nearly the same output (max diff %.2g): the test is blind to the hints", runs[i].name, runs[i+1].name, d)
				}
			}
			for _, r := range runs {
				if sd := stdDev(r.want); sd < 0.2 {
					t.Errorf("%s: the output's standard deviation is %.2g: too flat to test", r.name, sd)
				}
			}
		})
	}
}

// requireTrainedStats fails unless some running statistic is far from
// PyTorch's initial mean 0, variance 1, so that folding is really tested.
func requireTrainedStats(t *testing.T, gen *unet.Generator) {
	t.Helper()
	far := 0.0
	for _, p := range gen.Params.BatchNormNames() {
		st := gen.Params.BatchNorm(p)
		for c := range st.RunningMean {
			far = math.Max(far, math.Abs(float64(st.RunningMean[c])))
			far = math.Max(far, math.Abs(float64(st.RunningVar[c])-1))
		}
	}
	if far < 0.05 {
		t.Fatalf("running statistics stay within %.3g of (0, 1): batch-norm folding would go untested", far)
	}
}

// tiny returns a small random generator whose batch norms have random
// running statistics.
func tiny(t *testing.T) (*unet.Generator, Info) {
	t.Helper()
	cfg := config.Default()
	cfg.Model.Depth, cfg.Model.NGF = 5, 2
	gen, err := unet.New(unet.Config{Depth: 5, NGF: 2, InChannels: 5, OutChannels: 3, Dropout: 0.5}, rand.New(rand.NewSource(1)))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewSource(2))
	for _, p := range gen.Params.BatchNormNames() {
		st := gen.Params.BatchNorm(p)
		for c := range st.RunningMean {
			st.RunningMean[c] = float32(rng.NormFloat64() * 0.1)
			st.RunningVar[c] = float32(0.5 + rng.Float64())
		}
	}
	spread(t, gen, 64)
	return gen, Info{Version: "test", Step: 42, Config: cfg}
}

// TestOpsets: every operator set version export accepts loads in ONNX
// Runtime with all optimizations and computes the generator's output.
func TestOpsets(t *testing.T) {
	rt := ortnode.Require(t)
	gen, info := tiny(t)
	r, err := unet.NewRunner(gen, 1, 64, 32, false)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rng := rand.New(rand.NewSource(1))
	in := withHints(rng, sketches(rng, 1, 64, 32), 1, 64, 32)
	want, err := r.Run(in, 0)
	if err != nil {
		t.Fatal(err)
	}
	for opset := MinOpset; opset <= MaxOpset; opset++ {
		res, err := rt.Run(ortnode.Job{Model: writeModel(t, gen, info, opset), Levels: []string{"all"}, Inputs: []ortnode.Input{{Data: in, Dims: []int{1, 5, 64, 32}}}})
		if err != nil {
			t.Errorf("opset %d: %v", opset, err)
			continue
		}
		if d := maxAbsDiff(res.Sessions[0].Outputs[0].Data, want); d > 1e-4 {
			t.Errorf("opset %d: max |ORT − colorize| = %.3g", opset, d)
		}
	}
	for _, opset := range []int{MinOpset - 1, MaxOpset + 1} {
		if _, err := ONNX(gen, info, opset); err == nil || !strings.Contains(err.Error(), fmt.Sprint(opset)) {
			t.Errorf("opset %d: err = %v", opset, err)
		}
	}
}

// TestGraph: the exported graph has no batch norm and no dropout left, one
// initializer per weight and bias, dynamic N, H, W, and the metadata the
// issue lists.
func TestGraph(t *testing.T) {
	gen, info := tiny(t)
	m, err := ONNX(gen, info, DefaultOpset)
	if err != nil {
		t.Fatal(err)
	}
	ops := map[string]int{}
	for _, n := range m.Graph.Nodes {
		ops[n.OpType]++
	}
	// depth 5: 5 convs, 5 transposed convs, 4 LeakyReLUs (not the outermost),
	// 5 ReLUs, 4 skip concats, one tanh.
	want := map[string]int{"Conv": 5, "ConvTranspose": 5, "LeakyRelu": 4, "Relu": 5, "Concat": 4, "Tanh": 1}
	if fmt.Sprint(ops) != fmt.Sprint(want) {
		t.Errorf("operators %v, want %v", ops, want)
	}
	// Biases: levels 2–4 down (folded BN), all 5 up (4 folded BN + the outermost bias).
	if got := len(m.Graph.Initializers); got != 10+3+5 {
		t.Errorf("%d initializers, want 18", got)
	}
	if m.Opset != DefaultOpset || m.IRVersion != 8 {
		t.Errorf("opset %d, IR %d", m.Opset, m.IRVersion)
	}
	in, out := m.Graph.Inputs[0], m.Graph.Outputs[0]
	if in.Name != "input" || out.Name != "output" || fmt.Sprint(in.Dims) != "[{0 N} {5 } {0 H} {0 W}]" || fmt.Sprint(out.Dims) != "[{0 N} {3 } {0 H} {0 W}]" {
		t.Errorf("input %+v, output %+v", in, out)
	}
	md := map[string]string{}
	for _, e := range m.Metadata {
		md[e.Key] = e.Value
	}
	for key, want := range map[string]string{
		"colorize_version":   "test",
		"training_step":      "42",
		"depth":              "5",
		"size_multiple":      "32",
		"hint_patch":         "5",
		"hint_patch_at_size": "128",
		"input_format":       InputFormat,
		"output_format":      OutputFormat,
		"padding":            Padding,
	} {
		if md[key] != want {
			t.Errorf("metadata %s = %q, want %q", key, md[key], want)
		}
	}
	var mc map[string]any
	if err := json.Unmarshal([]byte(md["model_config"]), &mc); err != nil || mc["depth"] != 5.0 || mc["ngf"] != 2.0 || mc["in_channels"] != 5.0 {
		t.Errorf("model_config %q (%v)", md["model_config"], err)
	}
}

// TestFoldBN checks each output channel's scale and shift on both weight
// layouts against the closed form.
func TestFoldBN(t *testing.T) {
	gamma, beta := []float32{2, -1, 0.5}, []float32{0.1, 0.2, 0.3}
	mean, variance := []float32{1, -2, 3}, []float32{4, 0.25, 1}
	const eps = 1e-5
	w := make([]float32, 2*3*2*2)
	for i := range w {
		w[i] = float32(i + 1)
	}
	for _, tc := range []struct {
		shape  []int
		axis   int
		chanOf func(i int) int
	}{
		{[]int{3, 2, 2, 2}, 0, func(i int) int { return i / 8 }},     // Conv [out, in, k, k]
		{[]int{2, 3, 2, 2}, 1, func(i int) int { return i / 4 % 3 }}, // ConvTranspose [in, out, k, k]
	} {
		wf, b := foldBN(w, tc.shape, tc.axis, gamma, beta, mean, variance, eps)
		for c := range 3 {
			s := float64(gamma[c]) / math.Sqrt(float64(variance[c])+eps)
			if want := float64(beta[c]) - s*float64(mean[c]); math.Abs(float64(b[c])-want) > 1e-6 {
				t.Errorf("axis %d: bias[%d] = %g, want %g", tc.axis, c, b[c], want)
			}
		}
		for i := range w {
			c := tc.chanOf(i)
			s := float64(gamma[c]) / math.Sqrt(float64(variance[c])+eps)
			if want := float64(w[i]) * s; math.Abs(float64(wf[i])-want) > 1e-5*math.Abs(want) {
				t.Errorf("axis %d: w'[%d] = %g, want %g (channel %d)", tc.axis, i, wf[i], want, c)
			}
		}
		if w[5] != 6 {
			t.Fatal("foldBN modified its input")
		}
	}
}

func TestConfigMismatch(t *testing.T) {
	gen, info := tiny(t)
	info.Config.Model.NGF = 3
	if _, err := ONNX(gen, info, DefaultOpset); err == nil || !strings.Contains(err.Error(), "ngf") {
		t.Errorf("err = %v", err)
	}
}
