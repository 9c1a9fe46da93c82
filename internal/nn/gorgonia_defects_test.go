package nn

// Tests in this file pin down defects of gorgonia v0.9.18 that this package
// works around. Each one asserts the defect's PRESENT behaviour: when a
// gorgonia upgrade fixes a defect, its test fails, and the workaround (named
// in the comment) can be reconsidered.
//
// Not covered by a test: gorgonia has no transposed convolution at all
// (ConvTranspose2d here is the adjoint pass of our convolution), and its
// Upsample2D is slow (per-element At/SetAt), which only a benchmark could
// show.

import (
	"math"
	"math/rand"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func f64s(v G.Value) []float64 { return v.Data().([]float64) }

// Defect: gorgonia's Dropout scales kept units by 1/(1−p) in the forward
// pass but its gradient divides by p. With p = 0.3 the gradient of Σy with
// respect to a kept unit is 1/0.3 instead of 1/0.7.
// Workaround: nn.Dropout, whose gradient applies the forward mask.
func TestGorgoniaDefectDropoutGradientDividesByP(t *testing.T) {
	const p = 0.3
	g := G.NewGraph()
	ones := make([]float64, 1000)
	for i := range ones {
		ones[i] = 1
	}
	x := G.NewTensor(g, tensor.Float64, 1, G.WithShape(len(ones)), G.WithName("x"), G.WithValue(tensor.New(tensor.WithBacking(ones))))
	y := G.Must(G.Dropout(x, p))
	grads, err := G.Grad(G.Must(G.Sum(y)), x)
	if err != nil {
		t.Fatal(err)
	}
	m := G.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	kept := 0
	for i, v := range f64s(y.Value()) {
		if v == 0 {
			continue
		}
		kept++
		if math.Abs(v-1/(1-p)) > 1e-12 {
			t.Fatalf("forward kept unit = %g, want 1/(1−p) = %g", v, 1/(1-p))
		}
		if d := f64s(grads[0].Value())[i]; math.Abs(d-1/p) > 1e-9 {
			t.Fatalf("gradient of a kept unit = %g; the defect gives 1/p = %g (correct: %g): gorgonia may be fixed", d, 1/p, 1/(1-p))
		}
	}
	if kept == 0 {
		t.Fatal("every unit dropped")
	}
}

// Defect: gorgonia's Dropout seeds its generator from the clock, so two
// graphs built for the same step cannot draw the same mask.
// Workaround: nn.DropoutMask, a pure function of (Seed, Stream).
func TestGorgoniaDefectDropoutSeedsFromClock(t *testing.T) {
	masks := make([][]float64, 2)
	for k := range masks {
		g := G.NewGraph()
		x := G.NewTensor(g, tensor.Float64, 1, G.WithShape(2000), G.WithName("x"), G.WithInit(G.Ones()))
		y := G.Must(G.Dropout(x, 0.5))
		m := G.NewTapeMachine(g)
		if err := m.RunAll(); err != nil {
			t.Fatal(err)
		}
		masks[k] = append([]float64(nil), f64s(y.Value())...)
		m.Close()
	}
	for i := range masks[0] {
		if masks[0][i] != masks[1][i] {
			return // different masks: the defect is present
		}
	}
	t.Error("two identically built Dropout graphs drew the same 2000-unit mask: gorgonia may now seed deterministically")
}

// Defect: gorgonia merges nodes whose op hashes and operands are equal. Its
// stateful ops hash only their parameters, so two Dropout layers (or two
// BatchNorm layers) on the same operand become one node sharing one mask
// (one set of running statistics).
// Workaround: nn's stateful ops hash a process-unique id.
func TestGorgoniaDefectHashMergesStatefulOps(t *testing.T) {
	g := G.NewGraph()
	x := G.NewTensor(g, tensor.Float32, 4, G.WithShape(2, 3, 4, 4), G.WithName("x"), G.WithInit(G.GlorotU(1)))
	a := G.Must(G.Dropout(x, 0.5))
	b := G.Must(G.Dropout(x, 0.5))
	if a != b {
		t.Error("two gorgonia Dropout nodes on one operand stayed distinct: hash merging may be fixed")
	}
	bn1, _, _, op1, err := G.BatchNorm(x, nil, nil, 0.9, 1e-5)
	if err != nil {
		t.Fatal(err)
	}
	_, _, _, op2, err := G.BatchNorm(x, nil, nil, 0.9, 1e-5)
	if err != nil {
		t.Fatal(err)
	}
	// The second op never made it into the graph: the node holds the first.
	merged := 0
	for _, n := range g.AllNodes() {
		if n.Op() == G.Op(op1) {
			merged++
		}
		if n.Op() == G.Op(op2) && op2 != op1 {
			t.Error("the second gorgonia BatchNorm op got its own node: hash merging may be fixed")
		}
	}
	if merged != 1 || bn1 == nil {
		t.Errorf("want exactly one node holding the first BatchNorm op, found %d", merged)
	}

	// Ours stay apart.
	m1 := NewDropoutMask(0.5, 1)
	c, _ := Dropout(x, m1)
	d, _ := Dropout(x, m1)
	if c == d {
		t.Error("nn.Dropout nodes were merged")
	}
}

// gorgoniaBN builds x → gorgonia BatchNorm (scale 1, bias 0, shaped like x
// as gorgonia wants) → Σ y·r, and the gradient with respect to x.
func gorgoniaBN(t *testing.T, xv, rv []float64, shape []int) (g *G.ExprGraph, y, dx *G.Node, op *G.BatchNormOp) {
	t.Helper()
	g = G.NewGraph()
	x := G.NewTensor(g, tensor.Float64, 4, G.WithShape(shape...), G.WithName("x"), G.WithValue(tensor.New(tensor.WithShape(shape...), tensor.WithBacking(xv))))
	scale := G.NewTensor(g, tensor.Float64, 4, G.WithShape(shape...), G.WithName("scale"), G.WithInit(G.Ones()))
	bias := G.NewTensor(g, tensor.Float64, 4, G.WithShape(shape...), G.WithName("bias"), G.WithInit(G.Zeroes()))
	r := G.NewTensor(g, tensor.Float64, 4, G.WithShape(shape...), G.WithName("r"), G.WithValue(tensor.New(tensor.WithShape(shape...), tensor.WithBacking(rv))))
	y, _, _, op, err := G.BatchNorm(x, scale, bias, 0.9, 1e-5)
	if err != nil {
		t.Fatal(err)
	}
	cost := G.Must(G.Sum(G.Must(G.HadamardProd(y, r))))
	grads, err := G.Grad(cost, x)
	if err != nil {
		t.Fatal(err)
	}
	return g, y, grads[0], op
}

func randF64(rng *rand.Rand, n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = rng.NormFloat64()*2 + 1
	}
	return v
}

// Defect: a TapeMachine created with G.EvalMode() switches the BatchNorm op
// itself to evaluation, so every other machine on the same graph (the
// training one) silently stops using batch statistics and stops updating
// the running statistics.
// Workaround: nn.BatchNorm takes its mode per node.
func TestGorgoniaDefectBatchNormEvalModeSharedByMachines(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	shape := []int{4, 2, 3, 3}
	g, _, _, op := gorgoniaBN(t, randF64(rng, 72), randF64(rng, 72), shape)
	train := G.NewTapeMachine(g)
	defer train.Close()
	if err := train.RunAll(); err != nil {
		t.Fatal(err)
	}
	mean, _ := op.Stats()
	before := append([]float64(nil), f64s(mean)...)
	train.Reset()
	if err := train.RunAll(); err != nil {
		t.Fatal(err)
	}
	if f64s(mean)[0] == before[0] {
		t.Fatal("a training run did not move gorgonia's running mean; the test's premise is broken")
	}

	eval := G.NewTapeMachine(g, G.EvalMode()) // only creating it
	defer eval.Close()
	before = append(before[:0], f64s(mean)...)
	train.Reset()
	if err := train.RunAll(); err != nil {
		t.Fatal(err)
	}
	if f64s(mean)[0] != before[0] {
		t.Error("the training machine still updates running stats after an eval machine was created: gorgonia may be fixed")
	}
}

// Defect: in evaluation mode gorgonia's BatchNorm gradient for 4-D inputs
// divides by the saved batch variance instead of the running variance the
// forward pass used, so dx ≠ dy/√(runVar + eps).
// Workaround: nn.BatchNorm's BNEval gradient uses the running statistics.
func TestGorgoniaDefectBatchNormEvalBackward(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	shape := []int{4, 2, 3, 3}
	xv, rv := randF64(rng, 72), randF64(rng, 72)
	g, y, dx, op := gorgoniaBN(t, xv, rv, shape)
	train := G.NewTapeMachine(g)
	if err := train.RunAll(); err != nil {
		t.Fatal(err)
	}
	train.Close()
	eval := G.NewTapeMachine(g, G.EvalMode())
	defer eval.Close()
	if err := eval.RunAll(); err != nil {
		t.Fatal(err)
	}
	mean, variance := op.Stats()
	mu, v := f64s(mean), f64s(variance)
	// Premise: the eval forward pass does use the running statistics.
	for i, yv := range f64s(y.Value()) {
		c := (i / 9) % 2
		if want := (xv[i] - mu[c]) / math.Sqrt(v[c]+1e-5); math.Abs(yv-want) > 1e-6*(1+math.Abs(want)) {
			t.Fatalf("eval forward y[%d] = %g, want (x−runMean)/√(runVar+eps) = %g; the test's premise is broken", i, yv, want)
		}
	}
	got := f64s(dx.Value())
	worst := 0.0
	for i, d := range got {
		c := (i / 9) % 2
		want := rv[i] / math.Sqrt(v[c]+1e-5)
		worst = math.Max(worst, math.Abs(d-want)/math.Abs(want))
	}
	t.Logf("worst relative error of gorgonia's eval-mode dx: %g", worst)
	if math.IsNaN(worst) {
		t.Fatal("NaN gradient")
	}
	if worst < 1e-3 {
		t.Errorf("gorgonia's eval-mode BatchNorm gradient matches dy/√(runVar+eps) (worst rel. error %g): gorgonia may be fixed", worst)
	}
}

// Defect: calling G.Grad a second time on a graph whose costs share nodes
// reuses the derivatives the first call stored on those nodes, so the second
// gradient silently misses the second cost's own terms. Here
// c1 = Σ 2x and c2 = Σ 3·(2x): dc2/dx should be 6 but comes out as 2.
// Workaround (for graph builders): one G.Grad call per graph, on a single
// summed cost, or a separate graph per cost with weights shared by value.
func TestGorgoniaDefectGradTwiceDropsGradient(t *testing.T) {
	g := G.NewGraph()
	x := G.NewTensor(g, tensor.Float64, 1, G.WithShape(3), G.WithName("x"), G.WithValue(tensor.New(tensor.WithBacking([]float64{1, 2, 3}))))
	y := G.Must(G.Mul(x, G.NewConstant(2.0)))
	c1 := G.Must(G.Sum(y))
	c2 := G.Must(G.Sum(G.Must(G.Mul(y, G.NewConstant(3.0)))))
	g1, err := G.Grad(c1, x)
	if err != nil {
		t.Fatal(err)
	}
	g2, err := G.Grad(c2, x)
	if err != nil {
		t.Fatal(err)
	}
	m := G.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	for i, v := range f64s(g1[0].Value()) {
		if v != 2 {
			t.Fatalf("dc1/dx[%d] = %g, want 2", i, v)
		}
	}
	for i, v := range f64s(g2[0].Value()) {
		if v != 2 {
			t.Errorf("dc2/dx[%d] = %g; the defect gives 2 (correct: 6): gorgonia may be fixed", i, v)
		}
	}
}

// Defect: a TapeMachine's RunAll leaves its program counter at the end, so a
// second RunAll without Reset silently executes nothing and the outputs keep
// the previous run's values.
// Workaround (for callers): Reset before every RunAll.
func TestGorgoniaDefectRunAllNeedsReset(t *testing.T) {
	g := G.NewGraph()
	xv := tensor.New(tensor.WithBacking([]float64{1, 2}))
	x := G.NewTensor(g, tensor.Float64, 1, G.WithShape(2), G.WithName("x"), G.WithValue(xv))
	s := G.Must(G.Sum(x))
	m := G.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	xv.Float64s()[0] = 10
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	if got := s.Value().Data().(float64); got != 3 {
		t.Errorf("second RunAll without Reset gave %g; the defect keeps the stale 3 (correct: 12): gorgonia may be fixed", got)
	}
	m.Reset()
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	if got := s.Value().Data().(float64); got != 12 {
		t.Errorf("after Reset RunAll gave %g, want 12", got)
	}
}
