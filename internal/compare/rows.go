package compare

import (
	"fmt"
	"math"

	"github.com/colorize-dev/colorize/internal/metrics"
)

// ArmStat is one arm's values of a measure, one per seed, with their mean
// and sample standard deviation.
type ArmStat struct {
	Values []float64
	Mean   float64
	Std    float64
}

func armStat(v []float64) ArmStat {
	m, s := MeanStd(v)
	return ArmStat{Values: v, Mean: m, Std: s}
}

// Versus compares one arm with the baseline on a measure.
type Versus struct {
	Arm      string
	Relation string // e.g. "ratio 0.92" or "Δ −0.003 ± 0.001"
	Exceeds  string // Verdict of the per-seed paired differences
	// Interval is the bootstrap interval of the paired differences: per
	// image and seed for the final evaluation's measures, per seed for the
	// curve's; Sentence says what it establishes.
	Interval Interval
	Sentence string
}

// Row is one line of the report's Table 1: a measure for every arm, and
// every arm after the first against the first.
type Row struct {
	Measure string
	Better  string // "lower" or "higher"
	PerArm  []ArmStat
	Vs      []Versus
	// Paper is the paper's value for each arm ("" where it has none).
	Paper []string
}

// HintRow is the final evaluation at one point of the hint axis: per arm,
// L1 and SSIM over seeds.
type HintRow struct {
	Hints int
	L1    []ArmStat
	SSIM  []ArmStat
}

// paperValues are the paper's Table 1 and Fig. 2 figures, by arm name.
var paperValues = map[string]map[string]string{
	"final validation L1 (curve)":             {"l1": "0.17346", "compensated_l1": "0.17352"},
	"mean validation L1 over the curve":       {"l1": "1", "compensated_l1": "≈0.92"},
	"mean slope of the curve (plain L1 = −1)": {"l1": "−1", "compensated_l1": "−1.3"},
	"FID": {"l1": "351.02", "compensated_l1": "307.87"},
}

// runOf returns the run of arm a for seed s.
func runOf(res *Result, arm string, seed int64) *Run {
	for i := range res.Runs {
		if r := &res.Runs[i]; r.Arm == arm && r.Seed == seed {
			return r
		}
	}
	return nil
}

// seedValue is a measure with one value per run; ok false where a run has
// none (FID without weights).
type seedValue func(res *Result, r *Run) (float64, bool)

// imageValue is a measure with one value per validation image.
type imageValue func(s metrics.ImageScore) float64

func buildRows(res *Result) []Row {
	var rows []Row
	base := res.Arms[0].Name
	add := func(name, better, relation string, f seedValue, img imageValue) {
		row := Row{Measure: name, Better: better}
		vals := make([][]float64, len(res.Arms))
		for a, arm := range res.Arms {
			for _, s := range res.Seeds {
				v, ok := f(res, runOf(res, arm.Name, s))
				if !ok {
					return
				}
				vals[a] = append(vals[a], v)
			}
			row.PerArm = append(row.PerArm, armStat(vals[a]))
			row.Paper = append(row.Paper, paperValues[name][arm.Name])
		}
		for a := 1; a < len(res.Arms); a++ {
			arm := res.Arms[a].Name
			vs := Versus{Arm: arm}
			diffs := make([]float64, len(res.Seeds))
			paired := make([][]float64, len(res.Seeds))
			for i, s := range res.Seeds {
				diffs[i] = vals[a][i] - vals[0][i]
				paired[i] = []float64{diffs[i]}
				if img != nil {
					pa, pb := runOf(res, arm, s).Eval.PerImage, runOf(res, base, s).Eval.PerImage
					paired[i] = make([]float64, min(len(pa), len(pb)))
					for j := range paired[i] {
						paired[i][j] = img(pa[j]) - img(pb[j])
					}
				}
			}
			vs.Exceeds = Verdict(diffs)
			if relation == "ratio" {
				vs.Relation = fmt.Sprintf("ratio %.3f", row.PerArm[a].Mean/row.PerArm[0].Mean)
			} else {
				dm, ds := MeanStd(diffs)
				vs.Relation = fmt.Sprintf("Δ %+.4g ± %.2g", dm, ds)
			}
			vs.Interval = Bootstrap(paired, bootstrapRounds, uint64(len(rows)*31+a))
			vs.Sentence = Sentence(name, better, arm, base, vs.Interval)
			row.Vs = append(row.Vs, vs)
		}
		rows = append(rows, row)
	}
	curve := func(g func([]Point) float64) seedValue {
		return func(_ *Result, r *Run) (float64, bool) { return g(r.Curve), true }
	}
	add("final validation L1 (curve)", "lower", "ratio", curve(func(c []Point) float64 { return c[len(c)-1].L1 }), nil)
	add("mean validation L1 over the curve", "lower", "ratio", curve(CurveMean), nil)
	add("median validation L1 over the last quarter", "lower", "ratio", curve(func(c []Point) float64 { return TailMedian(c, res.Config.Train.Steps) }), nil)
	// Slope normalised per seed by the baseline's slope, so the baseline is −1.
	add("mean slope of the curve (plain L1 = −1)", "lower", "diff", func(res *Result, r *Run) (float64, bool) {
		p := Slope(runOf(res, base, r.Seed).Curve)
		s := Slope(r.Curve)
		if math.IsNaN(p) || math.IsNaN(s) || p == 0 {
			return 0, false
		}
		return s / math.Abs(p), true
	}, nil)
	eval := func(g func(metrics.Score) float64) seedValue {
		return func(_ *Result, r *Run) (float64, bool) { return g(r.Eval.Score), true }
	}
	add("L1 (all validation images)", "lower", "diff", eval(func(s metrics.Score) float64 { return s.L1 }), func(s metrics.ImageScore) float64 { return s.L1 })
	add("compensated L1", "lower", "diff", eval(func(s metrics.Score) float64 { return s.CompL1 }), func(s metrics.ImageScore) float64 { return s.CompL1 })
	add("PSNR (dB)", "higher", "diff", eval(func(s metrics.Score) float64 { return float64(s.PSNR) }), func(s metrics.ImageScore) float64 { return float64(s.PSNR) })
	add("SSIM", "higher", "diff", eval(func(s metrics.Score) float64 { return s.SSIM }), func(s metrics.ImageScore) float64 { return s.SSIM })
	add("FID", "lower", "diff", func(_ *Result, r *Run) (float64, bool) {
		if r.Eval.FID == nil {
			return 0, false
		}
		return *r.Eval.FID, true
	}, nil)
	add("KID", "lower", "diff", func(_ *Result, r *Run) (float64, bool) {
		if r.Eval.KID == nil {
			return 0, false
		}
		return *r.Eval.KID, true
	}, nil)
	return rows
}

// buildHintRows tabulates the hint axis of the runs' final evaluations.
func buildHintRows(res *Result) []HintRow {
	if len(res.Runs) == 0 {
		return nil
	}
	var rows []HintRow
	for k, pt := range res.Runs[0].Eval.HintAxis {
		hr := HintRow{Hints: pt.Hints}
		for _, arm := range res.Arms {
			var l1, ssim []float64
			for _, s := range res.Seeds {
				ax := runOf(res, arm.Name, s).Eval.HintAxis
				if k >= len(ax) {
					return rows
				}
				l1, ssim = append(l1, ax[k].L1), append(ssim, ax[k].SSIM)
			}
			hr.L1, hr.SSIM = append(hr.L1, armStat(l1)), append(hr.SSIM, armStat(ssim))
		}
		rows = append(rows, hr)
	}
	return rows
}
