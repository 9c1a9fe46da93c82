package optim

import (
	"fmt"
	"math"
	"math/rand"
	"os/exec"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// quadratic builds cost = Σ (w − target)² · coef on a fresh graph, so each
// run produces a known gradient 2·coef·(w − target).
func quadratic(w *tensor.Dense, target []float32, coef float64) (*G.ExprGraph, *G.Node, *G.Node) {
	g := G.NewGraph()
	wn := G.NewTensor(g, tensor.Float32, 1, G.WithShape(w.Shape()...), G.WithValue(w), G.WithName("w"))
	tn := G.NewTensor(g, tensor.Float32, 1, G.WithShape(len(target)), G.WithValue(tensor.New(tensor.WithBacking(target))), G.WithName("t"))
	d := G.Must(G.Sub(wn, tn))
	cost := G.Must(G.Mul(G.Must(G.Sum(G.Must(G.Square(d)))), G.NewConstant(float32(coef))))
	if _, err := G.Grad(cost, wn); err != nil {
		panic(err)
	}
	return g, wn, cost
}

// TestAdamMatchesFloat64Reference runs five steps and compares against the
// update rule evaluated in float64.
func TestAdamMatchesFloat64Reference(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	n := 17
	w0 := make([]float32, n)
	target := make([]float32, n)
	for i := range w0 {
		w0[i] = rng.Float32()*2 - 1
		target[i] = rng.Float32()*2 - 1
	}
	w := tensor.New(tensor.WithBacking(append([]float32(nil), w0...)))
	g, wn, _ := quadratic(w, target, 1.5)
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	opt := NewAdam(1e-2, 0.9, 0.99)

	ref := make([]float64, n)
	m := make([]float64, n)
	v := make([]float64, n)
	for i := range ref {
		ref[i] = float64(w0[i])
	}
	for step := 1; step <= 5; step++ {
		vm.Reset()
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		if err := opt.Step(G.NodesToValueGrads(G.Nodes{wn})); err != nil {
			t.Fatal(err)
		}
		for i := range ref {
			gr := 2 * 1.5 * (ref[i] - float64(target[i]))
			m[i] = 0.9*m[i] + 0.1*gr
			v[i] = 0.99*v[i] + 0.01*gr*gr
			mh := m[i] / (1 - math.Pow(0.9, float64(step)))
			vh := v[i] / (1 - math.Pow(0.99, float64(step)))
			ref[i] -= 1e-2 * mh / (math.Sqrt(vh) + 1e-8)
		}
	}
	got := w.Data().([]float32)
	for i := range got {
		if math.Abs(float64(got[i])-ref[i]) > 1e-5 {
			t.Fatalf("w[%d] = %v, float64 reference %v", i, got[i], ref[i])
		}
	}
	if opt.T != 5 || len(opt.M["w"]) != n {
		t.Fatalf("state not recorded: T=%d, len(M)=%d", opt.T, len(opt.M["w"]))
	}
}

// TestAdamMatchesGorgoniaSolver shows the update is gorgonia's AdamSolver's.
func TestAdamMatchesGorgoniaSolver(t *testing.T) {
	target := []float32{0.5, -0.25, 2, 0}
	w1 := tensor.New(tensor.WithBacking([]float32{0, 1, -1, 3}))
	w2 := tensor.New(tensor.WithBacking([]float32{0, 1, -1, 3}))
	g1, n1, _ := quadratic(w1, target, 1)
	g2, n2, _ := quadratic(w2, target, 1)
	m1, m2 := G.NewTapeMachine(g1), G.NewTapeMachine(g2)
	ours := NewAdam(1e-3, 0.9, 0.99)
	theirs := G.NewAdamSolver(G.WithLearnRate(1e-3), G.WithBeta1(0.9), G.WithBeta2(0.99), G.WithEps(1e-8))
	for step := 0; step < 4; step++ {
		m1.Reset()
		m2.Reset()
		if err := m1.RunAll(); err != nil {
			t.Fatal(err)
		}
		if err := m2.RunAll(); err != nil {
			t.Fatal(err)
		}
		if err := ours.Step(G.NodesToValueGrads(G.Nodes{n1})); err != nil {
			t.Fatal(err)
		}
		if err := theirs.Step(G.NodesToValueGrads(G.Nodes{n2})); err != nil {
			t.Fatal(err)
		}
	}
	a, b := w1.Data().([]float32), w2.Data().([]float32)
	for i := range a {
		if math.Abs(float64(a[i]-b[i])) > 1e-6 {
			t.Fatalf("w[%d]: ours %v, gorgonia %v", i, a[i], b[i])
		}
	}
}

// TestAdamMatchesPyTorch feeds the same gradient sequence to torch.optim.Adam.
func TestAdamMatchesPyTorch(t *testing.T) {
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import torch").Run(); err != nil {
		t.Skip("needs /usr/bin/python3 with torch (apt python3-torch)")
	}
	w := tensor.New(tensor.WithBacking([]float32{0.3, -0.7, 1.1}))
	target := []float32{1, 0, -1}
	g, wn, _ := quadratic(w, target, 0.5)
	vm := G.NewTapeMachine(g)
	opt := NewAdam(1e-2, 0.9, 0.99)
	for step := 0; step < 6; step++ {
		vm.Reset()
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		if err := opt.Step(G.NodesToValueGrads(G.Nodes{wn})); err != nil {
			t.Fatal(err)
		}
	}
	script := `
import torch
w = torch.tensor([0.3, -0.7, 1.1], requires_grad=True)
t = torch.tensor([1.0, 0.0, -1.0])
opt = torch.optim.Adam([w], lr=1e-2, betas=(0.9, 0.99), eps=1e-8)
for _ in range(6):
    opt.zero_grad(); (0.5 * ((w - t) ** 2).sum()).backward(); opt.step()
print(' '.join('%.9g' % x for x in w.detach().tolist()))
`
	out, err := exec.Command(py, "-c", script).CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	fields := strings.Fields(string(out))
	got := w.Data().([]float32)
	for i, f := range fields {
		var want float64
		fmt.Sscan(f, &want)
		if math.Abs(float64(got[i])-want) > 1e-6 {
			t.Fatalf("w[%d] = %v, PyTorch %v", i, got[i], want)
		}
	}
}
