package checkpoint

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/colorize-dev/colorize/internal/config"
	"github.com/colorize-dev/colorize/internal/fuzzguard"
	"github.com/colorize-dev/colorize/internal/model"
	"github.com/colorize-dev/colorize/internal/optim"
)

// smallestCheckpoint is a real checkpoint of the smallest valid model: the
// seed the fuzzer mutates.
func smallestCheckpoint(t testing.TB) []byte {
	t.Helper()
	cfg := config.Default()
	cfg.Model = config.ModelConfig{Depth: 5, NGF: 1, NDF: 1, DLayers: 1}
	m, err := model.New(cfg.Model, 1)
	if err != nil {
		t.Fatal(err)
	}
	og, od := optim.NewAdam(1e-4, 0.5, 0.999), optim.NewAdam(1e-4, 0.5, 0.999)
	og.T, od.T = 1, 1
	for tag, o := range map[string]*optim.Adam{"G": og, "D": od} {
		st := m.Gen.Params
		if tag == "D" {
			st = m.Disc.Params
		}
		for _, name := range st.Names() {
			n := st.Tensor(name).Shape().TotalSize()
			o.M[tag+"."+name], o.V[tag+"."+name] = make([]float32, n), make([]float32, n)
		}
	}
	path := filepath.Join(t.TempDir(), "seed.safetensors")
	s := &State{Meta: Meta{Step: 3, Epoch: 1, Offset: 2, ValL1: 0.5, BestValL1: math.Inf(1), Config: cfg}, Model: m, OptG: og, OptD: od}
	if err := Save(path, s); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// FuzzCheckpoint reads arbitrary bytes as a checkpoint file and, when that
// succeeds, builds the model and restores the optimizers from it: no panic,
// and no allocation beyond the budget (in particular no network larger than
// the weights the file holds).
func FuzzCheckpoint(f *testing.F) {
	f.Add(smallestCheckpoint(f))
	f.Add([]byte{})
	f.Add([]byte("\x08\x00\x00\x00\x00\x00\x00\x00{}      "))
	dir := f.TempDir()
	path := filepath.Join(dir, "c.safetensors")
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		fuzzguard.Check(t, len(data), func() {
			cf, err := Read(path)
			if err != nil {
				return
			}
			m, err := cf.NewModel()
			if err != nil {
				t.Fatalf("Read accepted a checkpoint whose model does not load: %v", err)
			}
			if err := cf.LoadOptimizers(m, optim.NewAdam(1, 0, 0), optim.NewAdam(1, 0, 0)); err != nil {
				return
			}
		})
	})
}
