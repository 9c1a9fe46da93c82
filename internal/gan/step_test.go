package gan

import (
	"math"
	"math/rand"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	G "gorgonia.org/gorgonia"

	"github.com/colorize-dev/colorize/internal/config"
	"github.com/colorize-dev/colorize/internal/loss"
	"github.com/colorize-dev/colorize/internal/model"
	"github.com/colorize-dev/colorize/internal/param"
)

func smallTrainer(t *testing.T) *Trainer {
	t.Helper()
	m, err := model.New(config.ModelConfig{Depth: 5, NGF: 8, NDF: 8, DLayers: 2, Dropout: 0.5}, 1)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := NewTrainer(m, TrainConfig{Loss: loss.KindCompensatedL1, Lambda: 100, LR: 1e-4, Beta1: 0.9, Beta2: 0.99}, 2, 32, 32)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// TestTrainerIsCollected guards against a reference cycle through a
// gorgonia machine: machines carry finalizers, and the garbage collector
// never frees a cycle that contains one, so a trainer whose tap referred
// back to it leaked its whole graph (a gigabyte at the paper's size).
func TestTrainerIsCollected(t *testing.T) {
	var collected atomic.Bool
	func() {
		tr := smallTrainer(t)
		rng := rand.New(rand.NewSource(1))
		if _, err := tr.Step(randBatch(rng, 2*5*32*32), randBatch(rng, 2*3*32*32), 0); err != nil {
			t.Fatal(err)
		}
		runtime.AddCleanup(tr, func(flag *atomic.Bool) { flag.Store(true) }, &collected)
		// Not closed on purpose: dropping a trainer must be enough.
	}()
	for i := 0; i < 50 && !collected.Load(); i++ {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	if !collected.Load() {
		t.Fatal("an unreachable Trainer was never garbage collected")
	}
}

// TestNonfiniteDiscriminatorLossStopsStep checks that a NaN in the
// discriminator's loss is reported and updates neither network's weights
// (batch norm running statistics have seen the batch by then, as in
// PyTorch).
func TestNonfiniteDiscriminatorLossStopsStep(t *testing.T) {
	tr := smallTrainer(t)
	defer tr.Close()
	rng := rand.New(rand.NewSource(2))
	input, real := randBatch(rng, 2*5*32*32), randBatch(rng, 2*3*32*32)
	real[17] = float32(math.NaN())
	weights := func() map[string][]float32 {
		w := map[string][]float32{}
		for prefix, s := range map[string]map[string]param.Array{"G.": tr.M.Gen.Params.State(), "D.": tr.M.Disc.Params.State()} {
			for name, a := range s {
				if !strings.Contains(name, "running_") {
					w[prefix+name] = append([]float32(nil), a.Data...)
				}
			}
		}
		return w
	}
	before := weights()
	l, err := tr.Step(input, real, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !l.Nonfin || !math.IsNaN(l.D) {
		t.Fatalf("losses %+v, want Nonfin with a NaN D loss", l)
	}
	after := weights()
	for name, w := range before {
		for i := range w {
			if math.Float32bits(w[i]) != math.Float32bits(after[name][i]) {
				t.Errorf("%s changed by a step with a NaN loss", name)
				break
			}
		}
	}
}

// TestStepRunsOnlyNeededGradients checks the pruning of the step's
// machines: every convolution weight gets one weight-gradient pass per use
// in its own network's update and none in the other's (G.Grad builds the
// discriminator's weight gradients in the generator's graph as well).
func TestStepRunsOnlyNeededGradients(t *testing.T) {
	tr := smallTrainer(t)
	defer tr.Close()
	filterPasses := func(g *G.ExprGraph) int {
		n := 0
		for _, nd := range g.AllNodes() {
			if nd.Op() != nil && strings.HasPrefix(nd.Op().String(), "Conv2dBackwardFilter") {
				n++
			}
		}
		return n
	}
	convWeights := func(p G.Nodes) int {
		n := 0
		for _, nd := range p {
			if nd.Dims() == 4 {
				n++
			}
		}
		return n
	}
	if got, want := filterPasses(tr.gRun), convWeights(tr.gParams); got != want {
		t.Errorf("generator step runs %d weight-gradient passes, want %d (one per generator convolution)", got, want)
	}
	// The discriminator sees the real and the fake pair.
	if got, want := filterPasses(tr.d.run), 2*convWeights(tr.d.params); got != want {
		t.Errorf("discriminator step runs %d weight-gradient passes, want %d", got, want)
	}
	if full := filterPasses(tr.gParams[0].Graph()); full <= filterPasses(tr.gRun) {
		t.Errorf("the generator's full graph has %d weight-gradient passes, no more than the pruned one: the test no longer sees the pruning", full)
	}
}
