package compare

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
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

// TailMedian is the median validation L1 over the last quarter of
// training (the points at or after 3/4 of steps; the last point when none
// is): unlike the final value, one validation that lands on a transient
// spike barely moves it.
func TailMedian(c []Point, steps int) float64 {
	var v []float64
	for _, p := range c {
		if 4*p.Step >= 3*steps {
			v = append(v, p.L1)
		}
	}
	if len(v) == 0 {
		if len(c) == 0 {
			return math.NaN()
		}
		return c[len(c)-1].L1
	}
	sort.Float64s(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
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

// Interval is a paired difference (arm − baseline) with its 95% bootstrap
// interval and effect size.
type Interval struct {
	Mean   float64 `json:"mean"`
	Lo     float64 `json:"lo"`
	Hi     float64 `json:"hi"`
	Effect float64 `json:"effect_size"` // Cohen's d_z: mean / sd of the pooled differences
	Pairs  int     `json:"pairs"`
}

// Established reports whether the interval excludes zero.
func (iv Interval) Established() bool { return iv.Lo > 0 || iv.Hi < 0 }

// bootstrapRounds is the number of resamples behind each interval.
const bootstrapRounds = 4000

// Bootstrap returns the mean of the paired differences d[s][i] (seed s,
// image i; one value per seed for seed-level measures) and a 95% percentile
// interval from resamples that draw the seeds with replacement and, within
// each drawn seed, its differences with replacement — the two sources of
// variation, seeds and images. The draws are a fixed function of seed, so a
// report is reproducible.
func Bootstrap(d [][]float64, rounds int, seed uint64) Interval {
	var iv Interval
	var all []float64
	for _, ds := range d {
		all = append(all, ds...)
	}
	iv.Pairs = len(all)
	if len(all) == 0 {
		return Interval{Mean: math.NaN(), Lo: math.NaN(), Hi: math.NaN(), Effect: math.NaN()}
	}
	m, s := MeanStd(all)
	iv.Mean = m
	iv.Effect = math.NaN()
	if s > 0 {
		iv.Effect = m / s
	}
	g := splitmix(seed)
	means := make([]float64, rounds)
	for r := range means {
		var sum float64
		var n int
		for range d {
			ds := d[g.intn(len(d))]
			for range ds {
				sum += ds[g.intn(len(ds))]
			}
			n += len(ds)
		}
		means[r] = sum / float64(n)
	}
	sort.Float64s(means)
	iv.Lo = means[int(0.025*float64(rounds))]
	iv.Hi = means[min(rounds-1, int(0.975*float64(rounds)))]
	return iv
}

// splitmix is a small deterministic generator for the bootstrap draws.
type splitmix uint64

func (g *splitmix) next() uint64 {
	*g += 0x9e3779b97f4a7c15
	z := uint64(*g)
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

func (g *splitmix) intn(n int) int { return int(g.next() % uint64(n)) }

// Sentence says in words whether iv establishes an effect of arm against
// base on a measure, and which way.
func Sentence(measure, better, arm, base string, iv Interval) string {
	head := fmt.Sprintf("%s, %s − %s: %+.4g (95%% interval %+.4g to %+.4g, effect size d_z %.2f over %d pairs)",
		measure, arm, base, iv.Mean, iv.Lo, iv.Hi, iv.Effect, iv.Pairs)
	if math.IsNaN(iv.Mean) {
		return measure + ": not measured"
	}
	if !iv.Established() {
		return head + ": no effect is established (the interval contains 0)."
	}
	improves := (iv.Mean < 0) == (better == "lower")
	verdict := "worse"
	if improves {
		verdict = "better"
	}
	return head + fmt.Sprintf(": an effect is established — %s is %s than %s.", arm, verdict, base)
}

// MarshalJSON writes the interval with null for values that are not finite
// (an effect size over identical differences, a measure without pairs):
// JSON has no NaN.
func (iv Interval) MarshalJSON() ([]byte, error) {
	f := func(x float64) any {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil
		}
		return x
	}
	return json.Marshal(map[string]any{"mean": f(iv.Mean), "lo": f(iv.Lo), "hi": f(iv.Hi), "effect_size": f(iv.Effect), "pairs": iv.Pairs})
}
