package gan

import (
	"path/filepath"
	"testing"

	"github.com/colorize-dev/colorize/internal/config"
	"github.com/colorize-dev/colorize/internal/data"
	"github.com/colorize-dev/colorize/internal/loss"
	"github.com/colorize-dev/colorize/internal/model"
)

// TestOverfitOneBatch: a small generator trained on one fixed batch of real
// line art must drive its L1 down steeply — the basic check that the whole
// step (graphs, gradients, optimizers) learns.
func TestOverfitOneBatch(t *testing.T) {
	if testing.Short() {
		t.Skip("trains for a few seconds")
	}
	cfg := config.Default()
	cfg.Data.Dir = filepath.Join(repoFile(t, "data"), "openmoji-mini")
	cfg.Data.Size = 32
	ds, err := data.Open(cfg, data.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := ds.TrainBatch(1, 2, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.New(config.ModelConfig{Depth: 5, NGF: 16, NDF: 8, DLayers: 2, Dropout: 0.5}, 3)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := NewTrainer(m, TrainConfig{Loss: loss.KindCompensatedL1, Lambda: 100, LR: 1e-3, Beta1: 0.5, Beta2: 0.999}, 2, 32, 32)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	input := b.Input(nil)
	var first, last float64
	const steps = 300
	for s := 0; s < steps; s++ {
		l, err := tr.Step(input, b.Color, uint64(s))
		if err != nil {
			t.Fatal(err)
		}
		if l.Nonfin {
			t.Fatalf("step %d: non-finite loss %+v", s, l)
		}
		if s == 0 {
			first = l.L1
		}
		last = l.L1
	}
	t.Logf("L1 %.4f → %.4f after %d steps", first, last, steps)
	if last > 0.25*first {
		t.Fatalf("L1 fell only from %.4f to %.4f in %d steps", first, last, steps)
	}
}
