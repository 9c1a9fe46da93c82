package nn

import (
	"errors"
	"math/rand"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func randTensor(rng *rand.Rand, shape ...int) *tensor.Dense {
	d := tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(shape...))
	randFill(rng, d.Float32s())
	return d
}

func input(g *G.ExprGraph, name string, v *tensor.Dense) *G.Node {
	return G.NewTensor(g, tensor.Float32, v.Dims(), G.WithShape(v.Shape()...), G.WithValue(v), G.WithName(name))
}

func run(t *testing.T, g *G.ExprGraph) {
	t.Helper()
	m := G.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
}

func countOps(g *G.ExprGraph, prefix string) int {
	n := 0
	for _, nd := range g.AllNodes() {
		if nd.Op() != nil && strings.HasPrefix(nd.Op().String(), prefix) {
			n++
		}
	}
	return n
}

func TestStopGradientSkipsInputGradient(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	g := G.NewGraph()
	x := input(g, "x", randTensor(rng, 2, 3, 8, 8))
	w := input(g, "w", randTensor(rng, 4, 3, 4, 4))
	xs, err := StopGradient(x)
	if err != nil {
		t.Fatal(err)
	}
	y, _ := Conv2d(xs, w, 2, 1)
	cost, _ := G.Sum(y)
	if _, err := G.Grad(cost, w); err != nil {
		t.Fatal(err)
	}
	if n := countOps(g, "Conv2dBackwardData"); n != 0 {
		t.Errorf("%d input-gradient convolutions built for a stopped input, want 0", n)
	}
	if n := countOps(g, "Conv2dBackwardFilter"); n != 1 {
		t.Errorf("%d weight-gradient convolutions, want 1", n)
	}
	run(t, g)
	if got, want := xs.Value().Data().([]float32), x.Value().Data().([]float32); &got[0] == &want[0] || got[7] != want[7] {
		t.Error("StopGradient must return an equal copy of its operand")
	}

	g2 := G.NewGraph()
	x2 := input(g2, "x", randTensor(rng, 2, 3, 8, 8))
	w2 := input(g2, "w", randTensor(rng, 4, 3, 4, 4))
	xs2, _ := StopGradient(x2)
	y2, _ := Conv2d(xs2, w2, 2, 1)
	c2, _ := G.Sum(y2)
	if _, err := G.Grad(c2, x2); err == nil {
		t.Error("Grad through StopGradient succeeded, want a non-differentiable error")
	}
}

func TestBatchNormRunningStatsAndModes(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	xv := randTensor(rng, 4, 2, 3, 3)
	for _, mode := range []BNMode{BNTrain, BNTrainNoUpdate, BNEval} {
		g := G.NewGraph()
		st := NewBatchNormState(2, 0.1, 1e-5)
		x := input(g, "x", xv)
		gamma := input(g, "gamma", tensor.New(tensor.WithBacking([]float32{1, 1})))
		beta := input(g, "beta", tensor.New(tensor.WithBacking([]float32{0, 0})))
		// Two nodes with identical operands must stay two nodes: each
		// BNTrain node folds the batch in once.
		a, err := BatchNorm(x, gamma, beta, st, mode)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := BatchNorm(x, gamma, beta, st, mode)
		if a == b {
			t.Fatalf("%v: gorgonia merged two BatchNorm nodes", mode)
		}
		run(t, g)
		changed := st.RunningMean[0] != 0 || st.RunningVar[0] != 1
		if changed != (mode == BNTrain) {
			t.Errorf("%v: running stats changed = %v", mode, changed)
		}
		if mode == BNTrain {
			// Two updates with the same batch mean μ: 0.19·μ.
			var mu float64
			d := xv.Float32s()
			for n := 0; n < 4; n++ {
				for i := 0; i < 9; i++ {
					mu += float64(d[n*18+i])
				}
			}
			mu /= 36
			if got := float64(st.RunningMean[0]); got < 0.19*mu-1e-6 || got > 0.19*mu+1e-6 {
				t.Errorf("running mean after two updates = %g, want 0.19·%g", got, mu)
			}
		}
	}
}

func TestDropoutSameMaskAcrossGraphs(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	xv := randTensor(rng, 2, 4, 8, 8)
	m := NewDropoutMask(0.5, 7)
	outs := make([][]float32, 3)
	for i, seed := range []uint64{5, 5, 6} {
		m.Seed = seed
		g := G.NewGraph()
		y, err := Dropout(input(g, "x", xv), m)
		if err != nil {
			t.Fatal(err)
		}
		run(t, g)
		outs[i] = y.Value().Data().([]float32)
	}
	diff := 0
	for i := range outs[0] {
		if outs[0][i] != outs[1][i] {
			t.Fatalf("two graphs with seed 5 differ at %d", i)
		}
		if outs[0][i] != outs[2][i] {
			diff++
		}
		if x := xv.Float32s()[i]; outs[0][i] != 0 && outs[0][i] != 2*x {
			t.Fatalf("kept unit %d = %g, want 2·%g", i, outs[0][i], x)
		}
	}
	if diff == 0 {
		t.Error("seeds 5 and 6 drew the same mask")
	}
	m.Disabled = true
	g := G.NewGraph()
	y, _ := Dropout(input(g, "x", xv), m)
	run(t, g)
	for i, v := range y.Value().Data().([]float32) {
		if v != xv.Float32s()[i] {
			t.Fatalf("disabled dropout changed element %d", i)
		}
	}
}

func TestShapeErrors(t *testing.T) {
	g := G.NewGraph()
	x := G.NewTensor(g, tensor.Float32, 4, G.WithShape(1, 3, 8, 8), G.WithName("x"))
	w := G.NewTensor(g, tensor.Float32, 4, G.WithShape(4, 2, 4, 4), G.WithName("w"))
	if _, err := Conv2d(x, w, 2, 1); err == nil {
		t.Error("Conv2d accepted 3 input channels with a 2-channel weight")
	}
	if _, err := ConvTranspose2d(x, w, 2, 1); err == nil {
		t.Error("ConvTranspose2d accepted 3 input channels with a [4,2,…] weight")
	}
	b := G.NewTensor(g, tensor.Float32, 1, G.WithShape(4), G.WithName("b"))
	if _, err := AddBias(x, b); err == nil {
		t.Error("AddBias accepted 4 biases for 3 channels")
	}
	if _, err := BatchNorm(x, b, b, NewBatchNormState(3, 0.1, 1e-5), BNTrain); err == nil {
		t.Error("BatchNorm accepted 4-channel gamma for 3 channels")
	}
	x64 := G.NewTensor(g, tensor.Float64, 4, G.WithShape(1, 3, 8, 8), G.WithName("x64"))
	if _, err := LeakyReLU(x64, 0.2); err == nil {
		t.Error("LeakyReLU accepted float64")
	}
}

// A discriminator's input built only from stopped values (the D step's
// concat(StopGradient(cond), StopGradient(fake))) needs no input gradient.
func TestStoppedThroughConcat(t *testing.T) {
	rng := rand.New(rand.NewSource(4))
	g := G.NewGraph()
	a := G.Must(StopGradient(input(g, "a", randTensor(rng, 2, 1, 8, 8))))
	b := G.Must(StopGradient(input(g, "b", randTensor(rng, 2, 3, 8, 8))))
	live := input(g, "live", randTensor(rng, 2, 3, 8, 8))
	w := input(g, "w", randTensor(rng, 4, 4, 4, 4))
	stoppedPair := G.Must(ConcatChannels(a, b))
	livePair := G.Must(ConcatChannels(a, live))
	y1 := G.Must(Conv2d(stoppedPair, w, 2, 1))
	y2 := G.Must(Conv2d(livePair, w, 2, 1))
	cost := G.Must(G.Add(G.Must(G.Sum(y1)), G.Must(G.Sum(y2))))
	grads, err := G.Grad(cost, w, live)
	if err != nil {
		t.Fatal(err)
	}
	if n := countOps(g, "Conv2dBackwardData"); n != 1 {
		t.Errorf("%d input-gradient convolutions, want 1 (only for the pair with a live operand)", n)
	}
	run(t, g)
	if grads[1].Value() == nil {
		t.Error("no gradient for the live operand")
	}
}

// TestTapOrdersSideEffects checks that a Tap's function runs once per run,
// before every node computed from the tap, so that those nodes read weights
// the function changed; and that its error fails the run.
func TestTapOrdersSideEffects(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	g := G.NewGraph()
	xv, wv := randTensor(rng, 1, 2, 4, 4), randTensor(rng, 3, 2, 4, 4)
	x, w := input(g, "x", xv), input(g, "w", wv)
	calls := 0
	var fail error
	tapped, err := Tap(x, "scale-w", func(v *tensor.Dense) error {
		calls++
		if &v.Float32s()[0] != &xv.Float32s()[0] {
			t.Error("Tap's function did not get its operand's value")
		}
		for i := range wv.Float32s() {
			wv.Float32s()[i] *= 2
		}
		return fail
	})
	if err != nil {
		t.Fatal(err)
	}
	y, err := Conv2d(tapped, w, 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	m := G.NewTapeMachine(g)
	defer m.Close()
	for run := 1; run <= 2; run++ {
		var before []float32
		if run > 1 {
			before = append(before, y.Value().Data().([]float32)...)
		}
		m.Reset()
		if err := m.RunAll(); err != nil {
			t.Fatal(err)
		}
		if calls != run {
			t.Fatalf("after run %d the function ran %d times", run, calls)
		}
		if run == 2 { // conv is linear in w, which doubled between the runs
			got := y.Value().Data().([]float32)
			for i := range got {
				if d := got[i] - 2*before[i]; d > 1e-5 || d < -1e-5 {
					t.Fatalf("output %d = %g, want %g (weights updated by the tap)", i, got[i], 2*before[i])
				}
			}
		}
	}
	fail = errors.New("boom")
	m.Reset()
	if err := m.RunAll(); err == nil || !strings.Contains(err.Error(), "boom") || !strings.Contains(err.Error(), "scale-w") {
		t.Errorf("run with a failing tap: err = %v, want one naming the tap and the cause", err)
	}
}
