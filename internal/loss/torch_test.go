package loss

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os"
	"os/exec"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// pythonWithTorch is Debian's python, where PyTorch is installed.
const pythonWithTorch = "/usr/bin/python3"

type torchCase struct {
	Shape       []int     `json:"shape"`
	Pred        []float64 `json:"pred"`
	Target      []float64 `json:"target"`
	LogitsShape []int     `json:"logits_shape"`
	Logits      []float64 `json:"logits"`
	Labels      []float64 `json:"labels"`
}

type torchResult struct {
	L1              float64   `json:"l1"`
	L1Grad          []float64 `json:"l1_grad"`
	Compensated     float64   `json:"compensated_l1"`
	CompensatedGrad []float64 `json:"compensated_l1_grad"`
	Detached        float64   `json:"compensated_l1_detached"`
	DetachedGrad    []float64 `json:"compensated_l1_detached_grad"`
	BCE             []struct {
		Label float64   `json:"label"`
		Value float64   `json:"value"`
		Grad  []float64 `json:"grad"`
	} `json:"bce"`
}

// TestAgainstPyTorch compares the float64 graphs and the references with
// PyTorch autograd (testdata/torch_ref.py) on one random case.
func TestAgainstPyTorch(t *testing.T) {
	if _, err := os.Stat(pythonWithTorch); err != nil {
		t.Skipf("PyTorch reference needs %s: %v", pythonWithTorch, err)
	}
	if err := exec.Command(pythonWithTorch, "-c", "import torch").Run(); err != nil {
		t.Skipf("PyTorch reference needs torch for %s: %v", pythonWithTorch, err)
	}

	rng := rand.New(rand.NewPCG(16, 17))
	c := torchCase{Shape: []int{2, 3, 5, 4}, LogitsShape: []int{2, 1, 3, 3}, Labels: []float64{1, 0, 0.9}}
	c.Pred, c.Target = unbalancedCase(rng, c.Shape)
	c.Logits = randSlice(rng, 18)
	for i := range c.Logits {
		c.Logits[i] *= 5
	}
	in, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(pythonWithTorch, "testdata/torch_ref.py")
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("testdata/torch_ref.py: %v\n%s", err, stderr.String())
	}
	var want torchResult
	if err := json.Unmarshal(out, &want); err != nil {
		t.Fatalf("decode torch_ref.py output: %v", err)
	}

	const tol = 1e-13
	check := func(name string, build func(p, tg *G.Node) (*G.Node, error), shape []int, pred, target []float64, value float64, grad []float64) {
		t.Helper()
		v, g := newFixture(t, tensor.Float64, shape, pred, target, build).run()
		assertClose(t, name+" graph against PyTorch", v, value, tol)
		assertGradCloseTol(t, name+" graph against PyTorch", g, grad, tol)
	}
	check("l1", L1, c.Shape, c.Pred, c.Target, want.L1, want.L1Grad)
	check("compensated_l1", full, c.Shape, c.Pred, c.Target, want.Compensated, want.CompensatedGrad)
	check("compensated_l1 detached", detached, c.Shape, c.Pred, c.Target, want.Detached, want.DetachedGrad)
	if len(want.BCE) != len(c.Labels) {
		t.Fatalf("torch_ref.py returned %d BCE results, want %d", len(want.BCE), len(c.Labels))
	}
	for _, b := range want.BCE {
		check("bce", bce(b.Label), c.LogitsShape, c.Logits, nil, b.Value, b.Grad)
		v, g, _ := BCEWithLogitsRefGrad(c.Logits, b.Label)
		assertClose(t, "BCE reference against PyTorch", v, b.Value, tol)
		assertGradCloseTol(t, "BCE reference against PyTorch", g, b.Grad, tol)
	}

	v, g, _ := L1RefGrad(c.Pred, c.Target)
	assertClose(t, "L1 reference against PyTorch", v, want.L1, tol)
	assertGradCloseTol(t, "L1 reference against PyTorch", g, want.L1Grad, tol)
	v, g, _ = CompensatedL1RefGrad(c.Pred, c.Target, c.Shape, CompensatedOptions{})
	assertClose(t, "compensated reference against PyTorch", v, want.Compensated, tol)
	assertGradCloseTol(t, "compensated reference against PyTorch", g, want.CompensatedGrad, tol)
	_, g, _ = CompensatedL1RefGrad(c.Pred, c.Target, c.Shape, CompensatedOptions{DetachWeights: true})
	assertGradCloseTol(t, "detached reference against PyTorch", g, want.DetachedGrad, tol)
}
