package nn

import (
	"math/rand"
	"runtime"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// reuseNet builds a small graph with every operation of the package (conv,
// transposed conv, bias, batch norm, activations, dropout, concat, stop
// gradient) and the gradients of a scalar cost with respect to its weights.
func reuseNet(t *testing.T, x *tensor.Dense, ws []*tensor.Dense) (*G.ExprGraph, *G.Node, G.Nodes, *G.Node) {
	t.Helper()
	g := G.NewGraph()
	xn := input(g, "x", x)
	var params G.Nodes
	for i, w := range ws {
		params = append(params, input(g, string(rune('a'+i)), w))
	}
	must := func(n *G.Node, err error) *G.Node {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	st := NewBatchNormState(4, 0.1, 1e-5)
	in := must(StopGradient(xn))
	h := must(Conv2d(in, params[0], 2, 1))                    // [2,4,16,16]
	h = must(AddBias(h, params[1]))                           // bias
	h = must(BatchNorm(h, params[2], params[3], st, BNTrain)) // BN
	h = must(LeakyReLU(h, 0.2))                               //
	d := must(Dropout(h, NewDropoutMask(0.5, 7)))             //
	u := must(ConvTranspose2d(d, params[4], 2, 1))            // [2,3,32,32]
	u = must(ReLU(u))                                         //
	c := must(ConcatChannels(u, in))                          // [2,6,32,32]
	y := must(Tanh(must(Conv2d(c, params[5], 1, 1))))         // [2,2,31,31]
	cost := must(G.Sum(must(G.Square(y))))                    //
	if _, err := G.Grad(cost, params...); err != nil {
		t.Fatal(err)
	}
	return g, cost, params, y
}

func reuseWeights(rng *rand.Rand) []*tensor.Dense {
	return []*tensor.Dense{
		randTensor(rng, 4, 3, 4, 4), randTensor(rng, 4), randTensor(rng, 4), randTensor(rng, 4),
		randTensor(rng, 4, 3, 4, 4), randTensor(rng, 2, 6, 4, 4),
	}
}

type reuseResult struct {
	y     []float32
	grads [][]float32
}

func reuseRun(t *testing.T, m G.VM, y *G.Node, params G.Nodes) reuseResult {
	t.Helper()
	m.Reset()
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	r := reuseResult{y: append([]float32(nil), y.Value().Data().([]float32)...)}
	for _, p := range params {
		gv, err := p.Grad()
		if err != nil {
			t.Fatal(err)
		}
		r.grads = append(r.grads, append([]float32(nil), gv.Data().([]float32)...))
	}
	return r
}

func sameBits(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestOutputsReusedAcrossRuns checks that a machine run on new inputs gives
// exactly what a fresh graph gives on them, although every node now
// overwrites the tensor of the previous run, and that steady-state runs
// allocate far less than the values they produce.
func TestOutputsReusedAcrossRuns(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	x := randTensor(rng, 2, 3, 32, 32)
	ws := reuseWeights(rng)
	g, _, params, y := reuseNet(t, x, ws)
	m := G.NewTapeMachine(g)
	defer m.Close()
	first := reuseRun(t, m, y, params)
	firstY := y.Value().(*tensor.Dense)

	// New data in the same input tensor, as the trainer does.
	x2 := randTensor(rng, 2, 3, 32, 32)
	copy(x.Float32s(), x2.Float32s())
	second := reuseRun(t, m, y, params)
	if y.Value().(*tensor.Dense) != firstY {
		t.Errorf("output tensor was reallocated between runs")
	}
	if sameBits(first.y, second.y) {
		t.Fatalf("second run gave the first run's output")
	}

	// Reference: a fresh graph on the second input. Dropout masks and batch
	// statistics depend only on the seed and the batch, so results must
	// agree bit for bit.
	gRef, _, pRef, yRef := reuseNet(t, x2, ws)
	mRef := G.NewTapeMachine(gRef)
	defer mRef.Close()
	ref := reuseRun(t, mRef, yRef, pRef)
	if !sameBits(second.y, ref.y) {
		t.Errorf("output differs from a fresh graph's")
	}
	for i := range ref.grads {
		if !sameBits(second.grads[i], ref.grads[i]) {
			t.Errorf("gradient %d differs from a fresh graph's", i)
		}
	}

	// Steady state: a run should allocate much less than the bytes its
	// values hold (what remains is gorgonia's own bookkeeping and its Sum
	// and Square nodes).
	var values int
	for _, n := range g.AllNodes() {
		if v, ok := n.Value().(*tensor.Dense); ok && n.Op() != nil {
			values += v.Shape().TotalSize() * 4
		}
	}
	// TotalAlloc is process-wide, and a GC empties the scratch pools, so one
	// run can be charged for refills: take the least of several runs.
	least := -1
	for i := 0; i < 5; i++ {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		m.Reset()
		err := m.RunAll()
		runtime.ReadMemStats(&after)
		if err != nil {
			t.Fatal(err)
		}
		if alloc := int(after.TotalAlloc - before.TotalAlloc); least < 0 || alloc < least {
			least = alloc
		}
	}
	if least > values/4 {
		t.Errorf("a steady-state run allocated at least %d bytes, values hold %d", least, values)
	}
}

// TestArenaSharedByTwoGraphs runs two graphs alternately on one arena and
// checks each against a graph with private outputs, and that the kept
// gradient nodes of the first survive a run of the second.
func TestArenaSharedByTwoGraphs(t *testing.T) {
	rng := rand.New(rand.NewSource(4))
	x1, x2 := randTensor(rng, 2, 3, 32, 32), randTensor(rng, 2, 3, 32, 32)
	w1, w2 := reuseWeights(rng), reuseWeights(rng)
	g1, _, p1, y1 := reuseNet(t, x1, w1)
	g2, _, p2, y2 := reuseNet(t, x2, w2)
	grads := func(p G.Nodes) G.Nodes {
		var out G.Nodes
		for _, n := range p {
			d := n.Deriv()
			if d == nil {
				t.Fatalf("%s has no gradient node", n.Name())
			}
			out = append(out, d)
		}
		return out
	}
	a := NewArena()
	a.Share(g1, grads(p1)...)
	a.Share(g2) // its gradients too: they must not take the kept ones of g1
	m1, m2 := G.NewTapeMachine(g1), G.NewTapeMachine(g2)
	defer m1.Close()
	defer m2.Close()

	gr1, _, pr1, yr1 := reuseNet(t, x1, w1)
	gr2, _, pr2, yr2 := reuseNet(t, x2, w2)
	mr1, mr2 := G.NewTapeMachine(gr1), G.NewTapeMachine(gr2)
	defer mr1.Close()
	defer mr2.Close()
	want1, want2 := reuseRun(t, mr1, yr1, pr1), reuseRun(t, mr2, yr2, pr2)

	var bytes int
	for step := 0; step < 3; step++ {
		a.Release()
		got1 := reuseRun(t, m1, y1, p1)
		a.Release()
		got2 := reuseRun(t, m2, y2, p2)
		if !sameBits(got1.y, want1.y) || !sameBits(got2.y, want2.y) {
			t.Fatalf("step %d: outputs differ from private-buffer graphs", step)
		}
		for i := range p1 {
			after, err := p1[i].Grad() // read after graph 2 ran
			if err != nil {
				t.Fatal(err)
			}
			if !sameBits(after.Data().([]float32), want1.grads[i]) || !sameBits(got2.grads[i], want2.grads[i]) {
				t.Fatalf("step %d: gradient %d differs", step, i)
			}
		}
		if step == 1 {
			bytes = a.Bytes()
		} else if step == 2 && a.Bytes() != bytes {
			t.Errorf("arena grew from %d to %d bytes in steady state", bytes, a.Bytes())
		}
	}
	// The arena holds as much as the larger graph's shared outputs (graph 2
	// shares its gradients too, graph 1 keeps them).
	shared := func(g *G.ExprGraph) int {
		var n int
		for _, nd := range g.AllNodes() {
			if ob, ok := nd.Op().(outputBuffer); ok && ob.outputBuf() != nil && ob.outputBuf().arena != nil {
				n += 4 * nd.Shape().TotalSize()
			}
		}
		return n
	}
	if want := max(shared(g1), shared(g2)); bytes != want {
		t.Errorf("arena holds %d bytes, the larger graph's shared outputs are %d", bytes, want)
	}
}

// TestArenaReleaseSince checks that ReleaseSince returns exactly the
// tensors lent after the mark, which the next takes reuse.
func TestArenaReleaseSince(t *testing.T) {
	a := NewArena()
	outer1, _ := a.take([]int{2, 3}, 0, nil)
	outer2, _ := a.take([]int{4}, 0, nil)
	mark := a.Mark()
	inner1, _ := a.take([]int{6}, 0, nil)
	inner2, _ := a.take([]int{3, 2}, 0, nil)
	a.ReleaseSince(mark)
	if got := a.Mark(); got != 2 {
		t.Fatalf("%d tensors lent after ReleaseSince, want the 2 lent before the mark", got)
	}
	r1, _ := a.take([]int{1, 6}, 0, nil)
	r2, _ := a.take([]int{6}, 0, nil)
	r3, _ := a.take([]int{4}, 0, nil)
	if !(r1 == inner1 || r1 == inner2) || !(r2 == inner1 || r2 == inner2) || r1 == r2 {
		t.Error("takes after ReleaseSince did not reuse the released tensors")
	}
	if r3 == outer2 || r3 == outer1 {
		t.Error("a tensor lent before the mark was handed out again")
	}
	if !r1.Shape().Eq(tensor.Shape{1, 6}) {
		t.Errorf("reused tensor has shape %v, want [1 6]", r1.Shape())
	}
	a.Release()
	if a.Mark() != 0 {
		t.Error("Release left tensors lent")
	}
}

// TestArenaLayout runs the test graph with its activations handed back
// after their last reader and laid out in one slab, against a graph with
// private outputs: the same bits run after run, every node in its slot, and
// a smaller arena than one that holds every activation for the whole run.
func TestArenaLayout(t *testing.T) {
	rng := rand.New(rand.NewSource(6))
	x, ws := randTensor(rng, 2, 3, 32, 32), reuseWeights(rng)
	g, _, p, y := reuseNet(t, x, ws)
	grads := func(p G.Nodes) G.Nodes {
		var out G.Nodes
		for _, n := range p {
			out = append(out, n.Deriv())
		}
		return out
	}
	a := NewArena()
	a.Share(g, grads(p)...)
	heldAll := NewArena()
	gh, _, ph, yh := reuseNet(t, x, ws)
	heldAll.Share(gh, grads(ph)...)
	a.ReturnEarly(g, y)
	if err := a.Layout(g, nil); err != nil {
		t.Fatal(err)
	}
	m, mh := G.NewTapeMachine(g), G.NewTapeMachine(gh)
	defer m.Close()
	defer mh.Close()
	gr, _, pr, yr := reuseNet(t, x, ws)
	mr := G.NewTapeMachine(gr)
	defer mr.Close()
	for run := 0; run < 3; run++ {
		want := reuseRun(t, mr, yr, pr)
		a.Release()
		got := reuseRun(t, m, y, p)
		heldAll.Release()
		reuseRun(t, mh, yh, ph)
		if !sameBits(got.y, want.y) {
			t.Fatalf("run %d: output differs from the private-buffer graph", run)
		}
		for i := range got.grads {
			if !sameBits(got.grads[i], want.grads[i]) {
				t.Fatalf("run %d: gradient %d differs", run, i)
			}
		}
		if s := a.Strays(); s != 0 {
			t.Errorf("run %d: %d nodes strayed from their slots", run, s)
		}
	}
	if a.Bytes() >= heldAll.Bytes() {
		t.Errorf("laid-out arena holds %d bytes, one holding every activation %d", a.Bytes(), heldAll.Bytes())
	}
	t.Logf("arena %d bytes laid out, %d holding every activation", a.Bytes(), heldAll.Bytes())
}
