package compare

import (
	"fmt"
	"math"
	"sort"
)

// FlatWithin is how close to its lowest value (as a share of the curve's
// total drop) a mean validation curve must come to count as flattened.
const FlatWithin = 0.10

// Flattening says where an arm's validation curve levels off. It is read
// from the best validation L1 reached so far, averaged over seeds: the
// eval-mode validations of a GAN spike for single measurements (2–5× on
// the 128² runs, while the training loss does not), and a mean of raw
// curves mostly shows where those spikes fell.
type Flattening struct {
	Arm string
	// First, Lowest and Last are the curve's first value, its minimum and
	// its last value; Drop is First − Lowest.
	First, Lowest, Last, Drop float64
	// Step is the first validation step at which the curve is within
	// FlatWithin·Drop of Lowest; 0 when the curve never drops.
	Step, Steps int
	// LastQuarter is how much the curve fell over the last quarter of
	// training (from the first validation at or after 3/4 of the steps to
	// the last), as a share of Drop: near 0 for a flat tail, negative when
	// it rose.
	LastQuarter float64
}

// bestSoFar is the running minimum of a curve.
func bestSoFar(c []Point) []Point {
	out := make([]Point, len(c))
	low := math.Inf(1)
	for i, p := range c {
		low = math.Min(low, p.L1)
		out[i] = Point{Step: p.Step, L1: low}
	}
	return out
}

// meanCurve averages an arm's curves over seeds, step by step (steps that
// every run measured), each curve first passed through f when f is not nil.
func meanCurve(res *Result, arm string, f func([]Point) []Point) []Point {
	byStep := map[int][]float64{}
	runs := 0
	for _, r := range res.Runs {
		if r.Arm != arm {
			continue
		}
		runs++
		c := r.Curve
		if f != nil {
			c = f(c)
		}
		for _, pt := range c {
			byStep[pt.Step] = append(byStep[pt.Step], pt.L1)
		}
	}
	var c []Point
	for s, v := range byStep {
		if len(v) == runs {
			m, _ := MeanStd(v)
			c = append(c, Point{Step: s, L1: m})
		}
	}
	sort.Slice(c, func(i, j int) bool { return c[i].Step < c[j].Step })
	return c
}

// Flatten finds where curve c (in step order) levels off; steps is the
// length of training.
func Flatten(c []Point, steps int) (Flattening, bool) {
	if len(c) < 2 {
		return Flattening{}, false
	}
	f := Flattening{First: c[0].L1, Lowest: math.Inf(1), Last: c[len(c)-1].L1, Steps: steps}
	for _, p := range c {
		f.Lowest = math.Min(f.Lowest, p.L1)
	}
	f.Drop = f.First - f.Lowest
	if f.Drop <= 0 {
		return f, true
	}
	for _, p := range c {
		if p.L1-f.Lowest <= FlatWithin*f.Drop {
			f.Step = p.Step
			break
		}
	}
	q := c[len(c)-1]
	for _, p := range c {
		if 4*p.Step >= 3*steps {
			q = p
			break
		}
	}
	f.LastQuarter = (q.L1 - f.Last) / f.Drop
	return f, true
}

// buildFlattening computes every arm's Flattening.
func buildFlattening(res *Result) []Flattening {
	var out []Flattening
	for _, a := range res.Arms {
		if f, ok := Flatten(meanCurve(res, a.Name, bestSoFar), res.Config.Train.Steps); ok {
			f.Arm = a.Name
			out = append(out, f)
		}
	}
	return out
}

// Sentence says in words where the curve flattened and whether it was
// still falling at the end.
func (f Flattening) Sentence() string {
	if f.Drop <= 0 {
		return fmt.Sprintf("%s: the validation L1 never fell below its first value (%.4g).", f.Arm, f.First)
	}
	tail := "its tail is flat"
	switch {
	case f.LastQuarter >= 0.05:
		tail = "it was still falling at the end"
	case f.LastQuarter <= -0.05:
		tail = "it rose again at the end"
	}
	return fmt.Sprintf("%s: the best validation L1 so far (mean over seeds) fell from %.4g to %.4g; it came within %.0f%% of that drop at step %d of %d, and over the last quarter it fell by a further %.0f%% of the drop: %s.",
		f.Arm, f.First, f.Lowest, 100*FlatWithin, f.Step, f.Steps, 100*f.LastQuarter, tail)
}
