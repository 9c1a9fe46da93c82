package compare

import (
	"math"
	"testing"
)

func TestSlopeClosedForm(t *testing.T) {
	// L1 = 0.5 − 0.02·(step/1000): slope −0.02 per 1000 steps exactly.
	var c []Point
	for s := 0; s <= 5000; s += 500 {
		c = append(c, Point{s, 0.5 - 0.02*float64(s)/1000})
	}
	if got := Slope(c); math.Abs(got+0.02) > 1e-12 {
		t.Fatalf("slope %g, want -0.02", got)
	}
	if got := CurveMean(c); math.Abs(got-0.45) > 1e-12 {
		t.Fatalf("curve mean %g, want 0.45", got)
	}
	if !math.IsNaN(Slope(c[:1])) {
		t.Fatal("slope of one point should be NaN")
	}
}

func TestMeanStdAndVerdict(t *testing.T) {
	m, s := MeanStd([]float64{1, 2, 3, 4})
	if m != 2.5 || math.Abs(s-math.Sqrt(5.0/3)) > 1e-12 {
		t.Fatalf("mean %g std %g", m, s)
	}
	if v := Verdict([]float64{-0.01}); v != "n/a (1 seed: no spread)" {
		t.Fatal(v)
	}
	if v := Verdict([]float64{-0.010, -0.011, -0.009}); v != "yes" {
		t.Fatalf("consistent differences: %s", v)
	}
	if v := Verdict([]float64{-0.01, 0.012, 0.001}); v != "no" {
		t.Fatalf("noisy differences: %s", v)
	}
}
