package gan

import (
	"bytes"
	"fmt"
	"math"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/colorize-dev/colorize/internal/config"
	"github.com/colorize-dev/colorize/internal/loss"
	"github.com/colorize-dev/colorize/internal/model"
	"github.com/colorize-dev/colorize/internal/safetensors"
)

const python = "/usr/bin/python3"

func needTorch(t *testing.T) {
	t.Helper()
	if err := exec.Command(python, "-c", "import torch").Run(); err != nil {
		t.Skip("needs /usr/bin/python3 with torch (apt python3-torch)")
	}
}

func repoFile(t *testing.T, rel string) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", rel)
}

func randBatch(rng *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = rng.Float32()*2 - 1
	}
	return x
}

// relClose reports whether got matches want to rel relative error, measured
// against the largest magnitude of want (gradients have many tiny entries).
func relClose(got, want []float32, rel float64) (float64, bool) {
	scale := 0.0
	for _, w := range want {
		scale = math.Max(scale, math.Abs(float64(w)))
	}
	worst := 0.0
	for i := range got {
		worst = math.Max(worst, math.Abs(float64(got[i]-want[i])))
	}
	return worst / math.Max(scale, 1e-12), worst <= rel*math.Max(scale, 1e-12)
}

// TestTrainStepMatchesPyTorch runs three training steps here and in PyTorch
// (pyref/train_step_parity.py, the same networks written with torch.nn) from
// the same weights and batch, and compares the generator output, every
// parameter gradient of the first step, the losses of every step and the
// final weights. Depth 5 has no dropout layer, so both sides are deterministic.
func TestTrainStepMatchesPyTorch(t *testing.T) {
	needTorch(t)
	for _, kind := range []loss.Kind{loss.KindCompensatedL1, loss.KindL1} {
		t.Run(kind.String(), func(t *testing.T) { trainParity(t, kind) })
	}
}

func trainParity(t *testing.T, kind loss.Kind) {
	const n, side, steps = 2, 32, 3
	m, err := model.New(config.ModelConfig{Depth: 5, NGF: 4, NDF: 4, DLayers: 2, Dropout: 0.5}, 7)
	if err != nil {
		t.Fatal(err)
	}
	tc := TrainConfig{Loss: kind, Lambda: 100, LR: 1e-3, Beta1: 0.9, Beta2: 0.99}
	tr, err := NewTrainer(m, tc, n, side, side)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	rng := rand.New(rand.NewSource(11))
	input := randBatch(rng, n*5*side*side)
	real := randBatch(rng, n*3*side*side)

	in := safetensors.File{Tensors: map[string]safetensors.Tensor{}, Metadata: map[string]string{
		"depth": "5", "ngf": "4", "ndf": "4", "layers": "2", "loss": kind.String(), "detach": "false",
		"lambda": "100", "lr": "1e-3", "beta1": "0.9", "beta2": "0.99", "steps": fmt.Sprint(steps),
	}}
	for name, a := range m.Gen.Params.State() {
		in.Tensors["G."+name] = safetensors.Tensor{Shape: a.Shape, F32: append([]float32(nil), a.Data...)}
	}
	for name, a := range m.Disc.Params.State() {
		in.Tensors["D."+name] = safetensors.Tensor{Shape: a.Shape, F32: append([]float32(nil), a.Data...)}
	}
	in.Tensors["input"] = safetensors.Tensor{Shape: []int{n, 5, side, side}, F32: input}
	in.Tensors["real"] = safetensors.Tensor{Shape: []int{n, 3, side, side}, F32: real}
	dir := t.TempDir()
	var buf bytes.Buffer
	if err := safetensors.Encode(&buf, in); err != nil {
		t.Fatal(err)
	}
	inPath, outPath := filepath.Join(dir, "in.safetensors"), filepath.Join(dir, "out.safetensors")
	if err := os.WriteFile(inPath, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(python, repoFile(t, "pyref/train_step_parity.py"), inPath, outPath)
	cmd.Dir = repoFile(t, "pyref")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	ref, err := safetensors.ReadFile(outPath)
	if err != nil {
		t.Fatal(err)
	}

	var losses []Losses
	for s := 0; s < steps; s++ {
		l, err := tr.Step(input, real, uint64(s))
		if err != nil {
			t.Fatal(err)
		}
		if s == 0 {
			if e, ok := relClose(tr.Fake(), ref.Tensors["fake0"].F32, 1e-4); !ok {
				t.Errorf("generator output differs: rel %g", e)
			}
			grads, err := tr.Grads()
			if err != nil {
				t.Fatal(err)
			}
			for name, g := range grads {
				want, ok := ref.Tensors["grad."+name]
				if !ok {
					t.Errorf("PyTorch has no gradient for %s", name)
					continue
				}
				if e, ok := relClose(g, want.F32, 2e-3); !ok {
					t.Errorf("gradient of %s differs: rel %g", name, e)
				}
			}
		}
		losses = append(losses, l)
	}
	want := ref.Tensors["losses"].F64
	for s, l := range losses {
		got := []float64{l.D, l.GAdv, l.GRec}
		for k, name := range []string{"D", "G adversarial", "G reconstruction"} {
			w := want[3*s+k]
			if math.Abs(got[k]-w) > 1e-4*math.Max(1, math.Abs(w)) {
				t.Errorf("step %d %s loss = %.7g, PyTorch %.7g", s, name, got[k], w)
			}
		}
	}
	// Final weights and the generator's running statistics.
	for name, a := range m.Gen.Params.State() {
		w := ref.Tensors["final.G."+name].F32
		if e, ok := relClose(a.Data, w, 1e-3); !ok {
			t.Errorf("final G.%s differs: rel %g", name, e)
		}
	}
	for name, a := range m.Disc.Params.State() {
		if strings.Contains(name, "running_") {
			continue // D's statistics are never used: D always normalises with batch statistics
		}
		if e, ok := relClose(a.Data, ref.Tensors["final.D."+name].F32, 1e-3); !ok {
			t.Errorf("final D.%s differs: rel %g", name, e)
		}
	}
}
