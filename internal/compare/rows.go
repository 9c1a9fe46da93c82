package compare

import (
	"fmt"
	"math"
)

// Row is one line of the report's Table 1: a measure for both losses (mean
// and spread over seeds), their relation, and whether the per-seed
// differences exceed the seed-to-seed spread.
type Row struct {
	Measure    string
	Better     string // "lower" or "higher"
	Plain      []float64
	Comp       []float64
	PlainMean  float64
	PlainStd   float64
	CompMean   float64
	CompStd    float64
	Relation   string // e.g. "ratio 0.92" or "Δ −0.003"
	Exceeds    string // Verdict of the paired differences
	PaperPlain string
	PaperComp  string
}

func buildRows(res *Result) []Row {
	byLoss := func(f func(Run) (float64, bool)) (plain, comp []float64) {
		for _, r := range res.Runs {
			v, ok := f(r)
			if !ok {
				continue
			}
			if r.Loss == "l1" {
				plain = append(plain, v)
			} else {
				comp = append(comp, v)
			}
		}
		return plain, comp
	}
	var rows []Row
	add := func(name, better, relation, pp, pc string, f func(Run) (float64, bool)) {
		plain, comp := byLoss(f)
		if len(plain) == 0 || len(comp) == 0 || len(plain) != len(comp) {
			return
		}
		r := Row{Measure: name, Better: better, Plain: plain, Comp: comp, PaperPlain: pp, PaperComp: pc}
		r.PlainMean, r.PlainStd = MeanStd(plain)
		r.CompMean, r.CompStd = MeanStd(comp)
		diffs := make([]float64, len(plain))
		for i := range plain {
			diffs[i] = comp[i] - plain[i]
		}
		r.Exceeds = Verdict(diffs)
		switch relation {
		case "ratio":
			r.Relation = fmt.Sprintf("ratio %.3f", r.CompMean/r.PlainMean)
		default:
			dm, ds := MeanStd(diffs)
			r.Relation = fmt.Sprintf("Δ %+.4g ± %.2g", dm, ds)
		}
		rows = append(rows, r)
	}
	final := func(r Run) (float64, bool) { return r.Curve[len(r.Curve)-1].L1, true }
	add("final validation L1 (curve)", "lower", "ratio", "0.17346", "0.17352", final)
	add("mean validation L1 over the curve", "lower", "ratio", "1", "≈0.92", func(r Run) (float64, bool) { return CurveMean(r.Curve), true })
	// Slope normalised per seed by plain L1's slope, so plain is −1.
	plainSlope := map[int64]float64{}
	for _, r := range res.Runs {
		if r.Loss == "l1" {
			plainSlope[r.Seed] = Slope(r.Curve)
		}
	}
	add("mean slope of the curve (plain L1 = −1)", "lower", "diff", "−1", "−1.3", func(r Run) (float64, bool) {
		p := plainSlope[r.Seed]
		s := Slope(r.Curve)
		if math.IsNaN(p) || math.IsNaN(s) || p == 0 {
			return 0, false
		}
		return s / math.Abs(p), true
	})
	add("L1 (all validation images)", "lower", "diff", "", "", func(r Run) (float64, bool) { return r.Eval.L1, true })
	add("compensated L1", "lower", "diff", "", "", func(r Run) (float64, bool) { return r.Eval.CompL1, true })
	add("PSNR (dB)", "higher", "diff", "", "", func(r Run) (float64, bool) { return float64(r.Eval.PSNR), true })
	add("SSIM", "higher", "diff", "", "", func(r Run) (float64, bool) { return r.Eval.SSIM, true })
	add("FID", "lower", "diff", "351.02", "307.87", func(r Run) (float64, bool) {
		if r.Eval.FID == nil {
			return 0, false
		}
		return *r.Eval.FID, true
	})
	add("KID", "lower", "diff", "", "", func(r Run) (float64, bool) {
		if r.Eval.KID == nil {
			return 0, false
		}
		return *r.Eval.KID, true
	})
	return rows
}
