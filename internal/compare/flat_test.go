package compare

import (
	"math"
	"strings"
	"testing"
)

// TestFlatten checks the flattening step and the last-quarter share on
// curves whose answers are known in closed form.
func TestFlatten(t *testing.T) {
	// L1 = 0.1 + 0.4·2^(−s/200), validated every 100 steps to 2000: drop
	// 0.4·(1 − 2^−10); within 10% of it from the first s with
	// 2^(−s/200) − 2^−10 ≤ 0.1·(1 − 2^−10), i.e. s = 700.
	var c []Point
	for s := 0; s <= 2000; s += 100 {
		c = append(c, Point{Step: s, L1: 0.1 + 0.4*math.Pow(2, -float64(s)/200)})
	}
	f, ok := Flatten(c, 2000)
	if !ok || f.Step != 700 {
		t.Fatalf("flattening step %d (ok %v), want 700", f.Step, ok)
	}
	drop := 0.4 * (1 - math.Pow(2, -10))
	wantTail := 0.4 * (math.Pow(2, -1500.0/200) - math.Pow(2, -10)) / drop
	if math.Abs(f.Drop-drop) > 1e-12 || math.Abs(f.LastQuarter-wantTail) > 1e-12 {
		t.Errorf("drop %g, last quarter %g; want %g, %g", f.Drop, f.LastQuarter, drop, wantTail)
	}
	f.Arm = "l1"
	if s := f.Sentence(); !strings.Contains(s, "step 700 of 2000") || !strings.Contains(s, "its tail is flat") {
		t.Errorf("sentence %q", s)
	}

	// A straight line never flattens before its end and is still falling.
	line := []Point{{0, 1}, {500, 0.75}, {1000, 0.5}, {1500, 0.25}, {2000, 0}}
	f, _ = Flatten(line, 2000)
	if f.Step != 2000 || math.Abs(f.LastQuarter-0.25) > 1e-12 {
		t.Errorf("line: step %d, last quarter %g; want 2000, 0.25", f.Step, f.LastQuarter)
	}
	if s := f.Sentence(); !strings.Contains(s, "still falling") {
		t.Errorf("line: sentence %q", s)
	}
	// A curve that bottoms out early and rises again says so.
	up := []Point{{0, 1}, {500, 0.2}, {1000, 0.2}, {1500, 0.3}, {2000, 0.4}}
	if f, _ = Flatten(up, 2000); f.Step != 500 || !strings.Contains(f.Sentence(), "rose again") {
		t.Errorf("rising tail: step %d, sentence %q", f.Step, f.Sentence())
	}
	if _, ok := Flatten(c[:1], 2000); ok {
		t.Error("one point: want no answer")
	}
}

// TestMeanCurveKeepsCommonSteps: the mean over seeds uses only the steps
// every run of the arm measured.
func TestMeanCurveKeepsCommonSteps(t *testing.T) {
	res := &Result{Runs: []Run{
		{Arm: "l1", Curve: []Point{{100, 0.5}, {200, 0.3}, {300, 0.2}}},
		{Arm: "l1", Curve: []Point{{100, 0.7}, {200, 0.5}}},
		{Arm: "other", Curve: []Point{{100, 9}}},
	}}
	got := meanCurve(res, "l1", nil)
	if len(got) != 2 || got[0] != (Point{100, 0.6}) || math.Abs(got[1].L1-0.4) > 1e-15 || got[1].Step != 200 {
		t.Errorf("mean curve %v, want [{100 0.6} {200 0.4}]", got)
	}
	// Best so far: seed 1 0.5, 0.3; seed 2 0.7, 0.5 after a spike-free start.
	res.Runs[1].Curve = []Point{{100, 0.7}, {200, 0.9}}
	if got := meanCurve(res, "l1", bestSoFar); math.Abs(got[1].L1-0.5) > 1e-15 {
		t.Errorf("best-so-far mean at step 200: %g, want (0.3 + 0.7)/2 = 0.5", got[1].L1)
	}
}
