package compare

import (
	"math"
)

// Point is one validation measurement.
type Point struct {
	Step int
	L1   float64
}

// CurveMean is the mean validation L1 over the points of a curve (the
// paper's "about 8% lower on average over the curve").
func CurveMean(c []Point) float64 {
	if len(c) == 0 {
		return math.NaN()
	}
	s := 0.0
	for _, p := range c {
		s += p.L1
	}
	return s / float64(len(c))
}

// Slope is the least-squares slope of validation L1 against step, per 1000
// steps. The paper's "mean slope of the validation curve" is reported
// normalised so that plain L1's slope is −1.
func Slope(c []Point) float64 {
	n := float64(len(c))
	if n < 2 {
		return math.NaN()
	}
	var sx, sy, sxx, sxy float64
	for _, p := range c {
		x := float64(p.Step) / 1000
		sx += x
		sy += p.L1
		sxx += x * x
		sxy += x * p.L1
	}
	den := n*sxx - sx*sx
	if den == 0 {
		return math.NaN()
	}
	return (n*sxy - sx*sy) / den
}

// MeanStd returns the mean and the sample standard deviation (N−1; 0 for a
// single value).
func MeanStd(xs []float64) (mean, std float64) {
	if len(xs) == 0 {
		return math.NaN(), math.NaN()
	}
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	if len(xs) < 2 {
		return mean, 0
	}
	for _, x := range xs {
		std += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(std / float64(len(xs)-1))
}

// Verdict says whether the paired differences d_s = compensated − plain
// (one per seed) exceed the seed-to-seed spread: |mean(d)| > 2·std(d)/√n,
// roughly a two-sided paired t-test at 5% for a handful of seeds. With one
// seed there is no spread to compare against.
func Verdict(diffs []float64) string {
	n := len(diffs)
	if n < 2 {
		return "n/a (1 seed: no spread)"
	}
	m, s := MeanStd(diffs)
	if s == 0 {
		if m == 0 {
			return "no (identical)"
		}
		return "yes (zero spread)"
	}
	if math.Abs(m) > 2*s/math.Sqrt(float64(n)) {
		return "yes"
	}
	return "no"
}
