package compare

import (
	"math"
	"strings"
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

func TestBootstrap(t *testing.T) {
	// Constant differences: the interval is the point.
	iv := Bootstrap([][]float64{{0.5, 0.5}, {0.5}}, 500, 1)
	if iv.Mean != 0.5 || iv.Lo != 0.5 || iv.Hi != 0.5 || iv.Pairs != 3 || !iv.Established() {
		t.Errorf("constant: %+v", iv)
	}
	// Noise around zero: the interval holds 0; a clear shift: it does not.
	g := splitmix(7)
	noise := func(shift float64) [][]float64 {
		d := make([][]float64, 3)
		for s := range d {
			for i := 0; i < 200; i++ {
				d[s] = append(d[s], shift+float64(g.intn(2001)-1000)/1000)
			}
		}
		return d
	}
	if iv := Bootstrap(noise(0), 2000, 2); iv.Established() || iv.Lo >= iv.Mean || iv.Hi <= iv.Mean {
		t.Errorf("pure noise: %+v", iv)
	}
	shifted := Bootstrap(noise(0.3), 2000, 2)
	if !shifted.Established() || shifted.Lo <= 0 || math.Abs(shifted.Effect-0.3/0.577) > 0.1 {
		t.Errorf("shift 0.3 of uniform noise (sd 0.577): %+v", shifted)
	}
	d := noise(0.1)
	if a, b := Bootstrap(d, 1000, 5), Bootstrap(d, 1000, 5); a != b {
		t.Error("the bootstrap is not reproducible")
	}
	if s := Sentence("L1", "lower", "comp", "l1", Interval{Mean: -0.01, Lo: -0.02, Hi: -0.005, Effect: -0.4, Pairs: 9}); !strings.Contains(s, "established — comp is better") {
		t.Errorf("sentence %q", s)
	}
	if s := Sentence("SSIM", "higher", "comp", "l1", Interval{Mean: -0.01, Lo: -0.02, Hi: 0.005, Pairs: 9}); !strings.Contains(s, "no effect is established") {
		t.Errorf("sentence %q", s)
	}
}

// TestTailMedian: the median of the points in the last quarter, odd and
// even counts, and the last point when the quarter holds none.
func TestTailMedian(t *testing.T) {
	c := []Point{{0, 0.9}, {500, 0.5}, {1500, 0.2}, {1750, 0.9}, {2000, 0.1}}
	if got := TailMedian(c, 2000); got != 0.2 {
		t.Errorf("odd: %g, want 0.2 (the spike at 1750 does not count)", got)
	}
	if got := TailMedian(c[:4], 2000); math.Abs(got-0.55) > 1e-15 {
		t.Errorf("even: %g, want 0.55", got)
	}
	if got := TailMedian(c[:2], 2000); got != 0.5 {
		t.Errorf("no point in the last quarter: %g, want the last, 0.5", got)
	}
	if got := TailMedian(nil, 2000); !math.IsNaN(got) {
		t.Errorf("empty: %g, want NaN", got)
	}
}
