package loss

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// fixture is a compiled graph cost = build(pred, target), with ∂cost/∂pred.
type fixture struct {
	t          *testing.T
	pred       *tensor.Dense
	targetT    *tensor.Dense
	cost, grad *G.Node
	m          G.VM
}

// newFixture builds the graph in dtype dt. target may be nil (BCE).
func newFixture(t *testing.T, dt tensor.Dtype, shape []int, pred, target []float64, build func(p, tg *G.Node) (*G.Node, error)) *fixture {
	t.Helper()
	g := G.NewGraph()
	f := &fixture{t: t, pred: denseOf(dt, shape, pred)}
	p := G.NewTensor(g, dt, len(shape), G.WithShape(shape...), G.WithName("pred"), G.WithValue(f.pred))
	var tg *G.Node
	if target != nil {
		f.targetT = denseOf(dt, shape, target)
		tg = G.NewTensor(g, dt, len(shape), G.WithShape(shape...), G.WithName("target"), G.WithValue(f.targetT))
	}
	var err error
	if f.cost, err = build(p, tg); err != nil {
		t.Fatalf("build: %v", err)
	}
	grads, err := G.Grad(f.cost, p)
	if err != nil {
		t.Fatalf("grad: %v", err)
	}
	f.grad = grads[0]
	f.m = G.NewTapeMachine(g)
	t.Cleanup(func() { f.m.Close() })
	return f
}

// run executes the graph and returns the cost and ∂cost/∂pred in float64.
func (f *fixture) run() (float64, []float64) {
	f.t.Helper()
	f.m.Reset()
	if err := f.m.RunAll(); err != nil {
		f.t.Fatalf("run: %v", err)
	}
	value, err := scalarOf(f.cost.Value())
	if err != nil {
		f.t.Fatal(err)
	}
	return value, float64s(f.grad.Value().Data())
}

// fdGrad returns central differences (step 1e-6) of the graph's cost with
// respect to each prediction value; float64 graphs only.
func (f *fixture) fdGrad() []float64 {
	const h = 1e-6
	x := f.pred.Data().([]float64)
	fd := make([]float64, len(x))
	for i := range x {
		xi := x[i]
		x[i] = xi + h
		up, _ := f.run()
		x[i] = xi - h
		down, _ := f.run()
		x[i] = xi
		fd[i] = (up - down) / (2 * h)
	}
	return fd
}

func TestGraphHandComputed(t *testing.T) {
	c := handCase
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		for _, tc := range []struct {
			name  string
			build func(p, tg *G.Node) (*G.Node, error)
			value float64
			grad  []float64
		}{
			{"l1", L1, c.l1, c.l1Grad},
			{"compensated_l1", full, c.comp, c.full},
			// Would fail if DetachWeights were ignored: 1/3 ≠ 7/18.
			{"compensated_l1 detached", detached, c.comp, c.detch},
		} {
			v, g := newFixture(t, dt, c.shape, c.pred, c.target, tc.build).run()
			tol := 1e-15
			if dt == tensor.Float32 {
				tol = 1e-7
			}
			assertClose(t, tc.name+" "+dt.String(), v, tc.value, tol)
			assertAllClose(t, tc.name+" gradient "+dt.String(), g, tc.grad, tol)
		}
	}
}

// TestGraphGradientsFiniteDifferences checks G.Grad of each loss against
// central differences of the same float64 graph run by a TapeMachine.
func TestGraphGradientsFiniteDifferences(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 7))
	shape := []int{2, 3, 3, 4}
	pred, target := unbalancedCase(rng, shape)
	logits := randSlice(rng, 2*1*3*3)
	for i := range logits {
		logits[i] *= 6
	}
	for _, tc := range []struct {
		name         string
		shape        []int
		pred, target []float64
		build        func(p, tg *G.Node) (*G.Node, error)
	}{
		{"l1", shape, pred, target, L1},
		{"compensated_l1", shape, pred, target, full},
		{"bce y=1", []int{2, 1, 3, 3}, logits, nil, bce(1)},
		{"bce y=0", []int{2, 1, 3, 3}, logits, nil, bce(0)},
		{"bce y=0.9", []int{2, 1, 3, 3}, logits, nil, bce(0.9)},
		// The training objective's shape: a scaled sum of two losses.
		{"bce + 100·compensated_l1", shape, pred, target, func(p, tg *G.Node) (*G.Node, error) {
			adv, err := BCEWithLogits(p, 1)
			if err != nil {
				return nil, err
			}
			rec, err := CompensatedL1(p, tg, CompensatedOptions{})
			if err != nil {
				return nil, err
			}
			scaled, err := G.Mul(G.NewConstant(100.0), rec)
			if err != nil {
				return nil, err
			}
			return G.Add(adv, scaled)
		}},
	} {
		f := newFixture(t, tensor.Float64, tc.shape, tc.pred, tc.target, tc.build)
		_, g := f.run()
		fd := f.fdGrad()
		assertGradClose(t, tc.name, g, fd)
	}
}

// TestGraphDetachedGradient checks the detached mode: its gradient is the
// derivative of Σ w̄_c·l_c with the weights w̄ frozen, which differs from
// the full gradient when the channel errors are unequal.
func TestGraphDetachedGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	shape := []int{2, 3, 3, 4}
	pred, target := unbalancedCase(rng, shape)

	vDet, gDet := newFixture(t, tensor.Float64, shape, pred, target, detached).run()
	vFull, gFull := newFixture(t, tensor.Float64, shape, pred, target, full).run()
	assertClose(t, "detached value against full value", vDet, vFull, 1e-15)

	l, _ := ChannelL1Ref(pred, target, shape)
	w := frozenWeights(l)
	frozen := func(p, tg *G.Node) (*G.Node, error) {
		// Σ_c w̄_c·l_c written with plain L1 on channel slices: l_c = L1(f[:, c], t[:, c]).
		var sum *G.Node
		for c := range 3 {
			pc, err := G.Slice(p, nil, G.S(c, c+1))
			if err != nil {
				return nil, err
			}
			tc, err := G.Slice(tg, nil, G.S(c, c+1))
			if err != nil {
				return nil, err
			}
			lc, err := L1(pc, tc)
			if err != nil {
				return nil, err
			}
			term, err := G.Mul(G.NewConstant(w[c]), lc)
			if err != nil {
				return nil, err
			}
			if sum == nil {
				sum = term
			} else if sum, err = G.Add(sum, term); err != nil {
				return nil, err
			}
		}
		return sum, nil
	}
	ff := newFixture(t, tensor.Float64, shape, pred, target, frozen)
	vFrozen, gFrozen := ff.run()
	assertClose(t, "Σ w̄_c·l_c against l_comp", vFrozen, vDet, 1e-14)
	assertGradClose(t, "detached against Σ w̄_c·l_c by G.Grad", gDet, gFrozen)
	assertGradClose(t, "detached against central differences of Σ w̄_c·l_c", gDet, ff.fdGrad())

	// The two modes must differ: full g_c = 2w_c − Σw², detached g_c = w_c.
	var maxDiff, maxG float64
	for i := range gDet {
		maxDiff = math.Max(maxDiff, math.Abs(gDet[i]-gFull[i]))
		maxG = math.Max(maxG, math.Abs(gDet[i]))
	}
	if maxDiff < 0.1*maxG {
		t.Errorf("detached and full gradients differ by at most %g (max |g| %g): the modes are not distinct", maxDiff, maxG)
	}
}

// TestGraphFloat32MatchesRef compares float32 graphs against the float64
// references on data as large as a small training batch.
func TestGraphFloat32MatchesRef(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 11))
	shape := []int{2, 3, 16, 16}
	size := 2 * 3 * 16 * 16
	pred, target := toF32(randSlice(rng, size)), toF32(randSlice(rng, size))
	p64, t64 := float64s(pred), float64s(target)
	logits := toF32(randSlice(rng, 2*1*6*6))
	for i := range logits {
		logits[i] *= 10
	}

	wantL1, wantL1G, _ := L1RefGrad(pred, target)
	wantFull, wantFullG, _ := CompensatedL1RefGrad(pred, target, shape, CompensatedOptions{})
	_, wantDetG, _ := CompensatedL1RefGrad(pred, target, shape, CompensatedOptions{DetachWeights: true})
	wantBCE, wantBCEG, _ := BCEWithLogitsRefGrad(logits, 0)

	for _, tc := range []struct {
		name         string
		shape        []int
		pred, target []float64
		build        func(p, tg *G.Node) (*G.Node, error)
		value        float64
		grad         []float64
	}{
		{"l1", shape, p64, t64, L1, wantL1, wantL1G},
		{"compensated_l1", shape, p64, t64, full, wantFull, wantFullG},
		{"compensated_l1 detached", shape, p64, t64, detached, wantFull, wantDetG},
		{"bce y=0", []int{2, 1, 6, 6}, float64s(logits), nil, bce(0), wantBCE, wantBCEG},
	} {
		f := newFixture(t, tensor.Float32, tc.shape, tc.pred, tc.target, tc.build)
		v, g := f.run()
		if f.cost.Dtype() != tensor.Float32 || f.grad.Dtype() != tensor.Float32 {
			t.Errorf("%s: cost %v, gradient %v, want float32", tc.name, f.cost.Dtype(), f.grad.Dtype())
		}
		assertClose(t, tc.name+" float32", v, tc.value, 1e-6)
		assertGradCloseTol(t, tc.name+" float32", g, tc.grad, 1e-6)
	}
}

func TestGraphZeroError(t *testing.T) {
	shape := []int{1, 3, 2, 2}
	x := randSlice(rand.New(rand.NewPCG(12, 13)), 12)
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		for name, build := range map[string]func(p, tg *G.Node) (*G.Node, error){"l1": L1, "full": full, "detached": detached} {
			v, g := newFixture(t, dt, shape, x, x, build).run()
			if v != 0 {
				t.Errorf("%s %v: loss of equal tensors = %v, want 0", name, dt, v)
			}
			for i, gi := range g {
				if gi != 0 {
					t.Fatalf("%s %v: gradient[%d] of equal tensors = %v, want 0", name, dt, i, gi)
				}
			}
		}
	}
}

func TestGraphBCEExtremeLogits(t *testing.T) {
	// As TestBCERefExtremeLogits: values 5000, gradients (σ(x) − y)/2.
	x := []float64{1e4, -1e4}
	for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
		for _, tc := range []struct {
			y    float64
			grad []float64
		}{{1, []float64{0, -0.5}}, {0, []float64{0.5, 0}}} {
			v, g := newFixture(t, dt, []int{1, 1, 1, 2}, x, nil, bce(tc.y)).run()
			assertClose(t, "BCE at ±1e4 "+dt.String(), v, 5000, 1e-12)
			assertAllClose(t, "BCE gradient at ±1e4 "+dt.String(), g, tc.grad, 1e-15)
		}
	}
}

// TestGraphLeavesInputsAlone runs a graph twice and checks that neither the
// prediction nor the target tensor was written to, and that both runs agree.
func TestGraphLeavesInputsAlone(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 15))
	shape := []int{2, 3, 4, 4}
	pred, target := unbalancedCase(rng, shape)
	f := newFixture(t, tensor.Float64, shape, pred, target, full)
	v1, g1 := f.run()
	v2, g2 := f.run()
	assertAllClose(t, "prediction after runs", f.pred.Data().([]float64), pred, 0)
	assertAllClose(t, "target after runs", f.targetT.Data().([]float64), target, 0)
	assertClose(t, "second run", v2, v1, 0)
	assertAllClose(t, "second run gradient", g2, g1, 0)
}

func TestBuildErrors(t *testing.T) {
	g := G.NewGraph()
	img := G.NewTensor(g, tensor.Float32, 4, G.WithShape(1, 3, 2, 2), G.WithName("img"))
	other := G.NewTensor(g, tensor.Float32, 4, G.WithShape(1, 3, 2, 3), G.WithName("other"))
	img64 := G.NewTensor(g, tensor.Float64, 4, G.WithShape(1, 3, 2, 2), G.WithName("img64"))
	mat := G.NewMatrix(g, tensor.Float32, G.WithShape(3, 4), G.WithName("mat"))
	ints := G.NewTensor(g, tensor.Int, 4, G.WithShape(1, 3, 2, 2), G.WithName("ints"))
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"shape", second(L1(img, other)), "differs from target shape"},
		{"dtype", second(CompensatedL1(img, img64, CompensatedOptions{})), "prediction is float32, target float64"},
		{"rank", second(CompensatedL1(mat, mat, CompensatedOptions{})), "not N×C×H×W"},
		{"int", second(L1(ints, ints)), "want float32 or float64"},
		{"label", second(BCEWithLogits(img, 1.5)), "outside [0, 1]"},
		{"kind", second(Kind(0).Build(img, img, CompensatedOptions{})), "unknown"},
	} {
		if tc.err == nil || !strings.Contains(tc.err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, tc.err, tc.want)
		}
	}
	// A matrix is fine for plain L1 and BCE.
	if _, err := L1(mat, mat); err != nil {
		t.Errorf("L1 of matrices: %v", err)
	}
	if _, err := BCEWithLogits(mat, 0); err != nil {
		t.Errorf("BCE of a matrix: %v", err)
	}
}

func TestByName(t *testing.T) {
	for _, k := range Kinds {
		got, err := ByName(k.String())
		if err != nil || got != k {
			t.Errorf("ByName(%q) = %v, %v; want %v", k.String(), got, err, k)
		}
	}
	if got, _ := ByName("compensated_l1"); got != KindCompensatedL1 {
		t.Errorf(`ByName("compensated_l1") = %v`, got)
	}
	if got, _ := ByName("l1"); got != KindL1 {
		t.Errorf(`ByName("l1") = %v`, got)
	}
	if _, err := ByName("l2"); err == nil || !strings.Contains(err.Error(), `"l1", "compensated_l1"`) {
		t.Errorf(`ByName("l2") error = %v, want one listing the names`, err)
	}

	// Build picks the loss: compensated differs from plain on handCase.
	c := handCase
	for _, tc := range []struct {
		k    Kind
		want float64
	}{{KindL1, c.l1}, {KindCompensatedL1, c.comp}} {
		v, _ := newFixture(t, tensor.Float64, c.shape, c.pred, c.target, func(p, tg *G.Node) (*G.Node, error) {
			return tc.k.Build(p, tg, CompensatedOptions{})
		}).run()
		assertClose(t, tc.k.String()+" by Build", v, tc.want, 1e-15)
	}
}

func full(p, tg *G.Node) (*G.Node, error) { return CompensatedL1(p, tg, CompensatedOptions{}) }

func detached(p, tg *G.Node) (*G.Node, error) {
	return CompensatedL1(p, tg, CompensatedOptions{DetachWeights: true})
}

func bce(y float64) func(p, _ *G.Node) (*G.Node, error) {
	return func(p, _ *G.Node) (*G.Node, error) { return BCEWithLogits(p, y) }
}

func denseOf(dt tensor.Dtype, shape []int, x []float64) *tensor.Dense {
	var backing any = append([]float64(nil), x...)
	if dt == tensor.Float32 {
		backing = toF32(x)
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(backing))
}

func float64s(data any) []float64 {
	switch d := data.(type) {
	case []float64:
		return append([]float64(nil), d...)
	case []float32:
		out := make([]float64, len(d))
		for i, v := range d {
			out[i] = float64(v)
		}
		return out
	}
	panic("float64s: not a float slice")
}

// assertGradClose compares gradients with a tolerance of 1e-6 of their
// largest magnitude (central differences of smooth pieces in float64 are
// accurate to about 1e-10 here).
func assertGradClose(t *testing.T, name string, got, want []float64) {
	t.Helper()
	assertGradCloseTol(t, name, got, want, 1e-6)
}

func assertGradCloseTol(t *testing.T, name string, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", name, len(got), len(want))
	}
	var maxW float64
	for _, w := range want {
		maxW = math.Max(maxW, math.Abs(w))
	}
	for i := range got {
		if math.IsNaN(got[i]) || math.Abs(got[i]-want[i]) > tol*maxW+1e-12 {
			t.Fatalf("%s: gradient[%d] = %.12g, want %.12g", name, i, got[i], want[i])
		}
	}
}

// TestModesAreDistinctNodes guards against gorgonia merging the two modes
// into one node: their Ops must hash differently.
func TestModesAreDistinctNodes(t *testing.T) {
	g := G.NewGraph()
	p := G.NewTensor(g, tensor.Float64, 4, G.WithShape(1, 3, 2, 2), G.WithName("p"))
	tg := G.NewTensor(g, tensor.Float64, 4, G.WithShape(1, 3, 2, 2), G.WithName("t"))
	a, err := CompensatedL1(p, tg, CompensatedOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := CompensatedL1(p, tg, CompensatedOptions{DetachWeights: true})
	if err != nil {
		t.Fatal(err)
	}
	l, err := L1(p, tg)
	if err != nil {
		t.Fatal(err)
	}
	if a == b || a == l || b == l {
		t.Errorf("full %p, detached %p and plain %p nodes must be distinct", a, b, l)
	}
	y1, _ := BCEWithLogits(p, 1)
	y0, _ := BCEWithLogits(p, 0)
	if y1 == y0 {
		t.Error("BCE nodes with labels 1 and 0 must be distinct")
	}
}

// TestGradOpPrealloc checks that the gradient Op writes into a fitting
// preallocated tensor but never into one that is also an input.
func TestGradOpPrealloc(t *testing.T) {
	c := handCase
	pred, target := denseOf(tensor.Float64, c.shape, c.pred), denseOf(tensor.Float64, c.shape, c.target)
	op := lossGradOp{spec{fn: fnCompensatedL1, dims: 4}}

	out := tensor.New(tensor.WithShape(c.shape...), tensor.Of(tensor.Float64))
	got, err := op.UsePreallocDo(out, pred, target, G.NewF64(2))
	if err != nil {
		t.Fatal(err)
	}
	if got != out {
		t.Error("a fitting preallocated tensor was not used")
	}
	want := make([]float64, len(c.full))
	for i, g := range c.full {
		want[i] = 2 * g // the incoming gradient scales the result
	}
	assertAllClose(t, "gradient in preallocated tensor", out.Data().([]float64), want, 1e-15)

	got, err = op.UsePreallocDo(pred, pred, target, G.NewF64(2))
	if err != nil {
		t.Fatal(err)
	}
	if got == pred {
		t.Error("the gradient was written over the prediction")
	}
	assertAllClose(t, "prediction after aliased prealloc", pred.Data().([]float64), c.pred, 0)
	assertAllClose(t, "gradient with aliased prealloc", float64s(got.(*tensor.Dense).Data()), want, 1e-15)

	wrong := tensor.New(tensor.WithShape(1, 3, 2, 1), tensor.Of(tensor.Float64))
	if got, err = op.UsePreallocDo(wrong, pred, target, G.NewF64(2)); err != nil || got == wrong {
		t.Errorf("prealloc of the wrong shape: got %v, err %v; want a new tensor", got, err)
	}
}

// TestSecondGradOnGraph builds a generator-style cost (100·l_comp), takes its
// gradient, then differentiates an unrelated cost on the same graph: the
// gradient Op must not stop gorgonia's second backward analysis.
func TestSecondGradOnGraph(t *testing.T) {
	c := handCase
	g := G.NewGraph()
	p := G.NewTensor(g, tensor.Float64, 4, G.WithShape(c.shape...), G.WithName("p"), G.WithValue(denseOf(tensor.Float64, c.shape, c.pred)))
	tg := G.NewTensor(g, tensor.Float64, 4, G.WithShape(c.shape...), G.WithName("t"), G.WithValue(denseOf(tensor.Float64, c.shape, c.target)))
	q := G.NewTensor(g, tensor.Float64, 4, G.WithShape(1, 1, 1, 2), G.WithName("q"), G.WithValue(denseOf(tensor.Float64, []int{1, 1, 1, 2}, []float64{0, math.Log(3)})))
	rec, err := CompensatedL1(p, tg, CompensatedOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cost1 := G.Must(G.Mul(G.NewConstant(100.0), rec))
	g1, err := G.Grad(cost1, p)
	if err != nil {
		t.Fatal(err)
	}
	cost2, err := BCEWithLogits(q, 1)
	if err != nil {
		t.Fatal(err)
	}
	g2, err := G.Grad(cost2, q)
	if err != nil {
		t.Fatalf("second G.Grad on the graph: %v", err)
	}
	m := G.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	want := make([]float64, len(c.full))
	for i, v := range c.full {
		want[i] = 100 * v
	}
	assertAllClose(t, "first gradient", float64s(g1[0].Value().Data()), want, 1e-14)
	assertAllClose(t, "second gradient", float64s(g2[0].Value().Data()), []float64{-0.25, -0.125}, 1e-15)
}
