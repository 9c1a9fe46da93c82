package compare

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/colorize-dev/colorize/internal/atomicfile"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

var armColor = map[string]color.RGBA{
	"l1":                      {R: 0x1f, G: 0x77, B: 0xb4, A: 0xff},
	"compensated_l1":          {R: 0xd6, G: 0x27, B: 0x28, A: 0xff},
	"compensated_l1_detached": {R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff},
}

// plotCurves draws validation L1 against step: per arm the mean over seeds
// as a line and the min–max over seeds as a shaded band.
func plotCurves(res *Result) ([]byte, error) {
	p := plot.New()
	p.Title.Text = "Validation L1 (plain L1 measure) — band: min–max over seeds"
	p.X.Label.Text = "step"
	p.Y.Label.Text = "validation L1"
	p.Legend.Top = true
	var lines []*plotter.Line // drawn after every band, so no band hides a line
	for _, arm := range res.Arms {
		byStep := map[int][]float64{}
		var steps []int
		for _, r := range res.Runs {
			if r.Arm != arm.Name {
				continue
			}
			for _, pt := range r.Curve {
				if _, ok := byStep[pt.Step]; !ok {
					steps = append(steps, pt.Step)
				}
				byStep[pt.Step] = append(byStep[pt.Step], pt.L1)
			}
		}
		sort.Ints(steps)
		mean := make(plotter.XYs, 0, len(steps))
		band := make(plotter.XYs, 0, 2*len(steps))
		var lows plotter.XYs
		for _, s := range steps {
			v := byStep[s]
			m, _ := MeanStd(v)
			lo, hi := math.Inf(1), math.Inf(-1)
			for _, x := range v {
				lo, hi = math.Min(lo, x), math.Max(hi, x)
			}
			mean = append(mean, plotter.XY{X: float64(s), Y: m})
			band = append(band, plotter.XY{X: float64(s), Y: hi})
			lows = append(lows, plotter.XY{X: float64(s), Y: lo})
		}
		for i := len(lows) - 1; i >= 0; i-- {
			band = append(band, lows[i])
		}
		c := armColor[arm.Name]
		if len(band) >= 3 {
			poly, err := plotter.NewPolygon(band)
			if err != nil {
				return nil, err
			}
			poly.Color = color.NRGBA{R: c.R, G: c.G, B: c.B, A: 0x40}
			poly.LineStyle.Width = 0
			p.Add(poly)
		}
		line, err := plotter.NewLine(mean)
		if err != nil {
			return nil, err
		}
		line.Color = c
		line.Width = vg.Points(1.5)
		lines = append(lines, line)
		p.Legend.Add(arm.Name, line)
	}
	for _, l := range lines {
		p.Add(l)
	}
	w, err := p.WriterTo(8*vg.Inch, 4.5*vg.Inch, "png")
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func fmtVal(mean, std float64, n int) string {
	if n < 2 {
		return fmt.Sprintf("%.4g", mean)
	}
	return fmt.Sprintf("%.4g ± %.2g", mean, std)
}

// writeReport writes curves.png, report.md, report.html and results.json.
func writeReport(out string, res *Result) error {
	png, err := plotCurves(res)
	if err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	if err := atomicfile.WriteFile(filepath.Join(out, "curves.png"), png); err != nil {
		return err
	}
	if err := writeJSON(filepath.Join(out, "results.json"), res); err != nil {
		return err
	}
	md := markdown(res, out)
	if err := atomicfile.WriteFile(filepath.Join(out, "report.md"), []byte(md)); err != nil {
		return err
	}
	page, err := htmlPage(res, out, png)
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(out, "report.html"), []byte(page))
}

func header(res *Result) string {
	c := res.Config
	return fmt.Sprintf("data %s at %d² (line art: %s), U-Net depth %d ngf %d, PatchGAN ndf %d; %d steps, batch %d, Adam lr %g β1 %g β2 %g, λ %g; seeds %v",
		c.Data.Dir, c.Data.Size, c.Data.LineArt, c.Model.Depth, c.Model.NGF, c.Model.NDF, c.Train.Steps, c.Train.Batch, c.Train.LR, c.Train.Beta1, c.Train.Beta2, c.Train.Lambda, res.Seeds)
}

// table is a report table: a header row and data rows of cells.
type table struct {
	head []string
	rows [][]string
}

func (t table) markdown() string {
	var b strings.Builder
	b.WriteString("| " + strings.Join(t.head, " | ") + " |\n|")
	for range t.head {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, r := range t.rows {
		b.WriteString("| " + strings.Join(r, " | ") + " |\n")
	}
	return b.String()
}

func (t table) html() string {
	var b strings.Builder
	b.WriteString("<table><tr>")
	for _, h := range t.head {
		b.WriteString("<th>" + html.EscapeString(h) + "</th>")
	}
	b.WriteString("</tr>\n")
	for _, r := range t.rows {
		b.WriteString("<tr>")
		for _, c := range r {
			b.WriteString("<td>" + html.EscapeString(c) + "</td>")
		}
		b.WriteString("</tr>\n")
	}
	b.WriteString("</table>\n")
	return b.String()
}

// mainTable is Table 1: every arm's mean ± std over seeds, each arm
// against the baseline, and the paper's figures.
func mainTable(res *Result) table {
	t := table{head: []string{"measure"}}
	base := res.Arms[0].Name
	for _, a := range res.Arms {
		t.head = append(t.head, a.Name)
	}
	for _, a := range res.Arms[1:] {
		t.head = append(t.head, a.Name+" vs "+base, "exceeds seed spread?")
	}
	t.head = append(t.head, "paper")
	for _, r := range res.Rows {
		row := []string{fmt.Sprintf("%s (%s is better)", r.Measure, r.Better)}
		for _, st := range r.PerArm {
			row = append(row, fmtVal(st.Mean, st.Std, len(st.Values)))
		}
		for _, vs := range r.Vs {
			row = append(row, vs.Relation, vs.Exceeds)
		}
		var paper []string
		for i, p := range r.Paper {
			if p != "" {
				paper = append(paper, res.Arms[i].Name+" "+p)
			}
		}
		t.rows = append(t.rows, append(row, strings.Join(paper, " / ")))
	}
	return t
}

// intervalTable lists the paired differences against the baseline with
// their bootstrap intervals and effect sizes.
func intervalTable(res *Result) table {
	t := table{head: []string{"measure", "arm − " + res.Arms[0].Name, "95% interval", "effect size d_z", "pairs", "established?"}}
	for _, r := range res.Rows {
		for _, vs := range r.Vs {
			est := "no"
			if vs.Interval.Established() {
				est = "yes"
			}
			t.rows = append(t.rows, []string{r.Measure, fmt.Sprintf("%s: %+.4g", vs.Arm, vs.Interval.Mean),
				fmt.Sprintf("%+.4g to %+.4g", vs.Interval.Lo, vs.Interval.Hi), fmt.Sprintf("%.2f", vs.Interval.Effect),
				fmt.Sprint(vs.Interval.Pairs), est})
		}
	}
	return t
}

// hintTable is one measure along the hint axis, an arm per column.
func hintTable(res *Result, measure string, pick func(HintRow) []ArmStat) table {
	t := table{head: []string{"hints per image"}}
	for _, a := range res.Arms {
		t.head = append(t.head, a.Name+" "+measure)
	}
	for _, hr := range res.Hints {
		row := []string{fmt.Sprint(hr.Hints)}
		for _, st := range pick(hr) {
			row = append(row, fmtVal(st.Mean, st.Std, len(st.Values)))
		}
		t.rows = append(t.rows, row)
	}
	return t
}

// Table renders Table 1 as Markdown.
func Table(res *Result) string { return mainTable(res).markdown() }

const spreadNote = "Values are mean ± sample standard deviation over seeds. \"Exceeds seed spread\": the per-seed paired difference (arm − baseline) has |mean| > 2·std/√n. The intervals resample seeds and, within each seed, validation images (4000 rounds); the effect size is the mean paired difference over its standard deviation."

func title(res *Result) string {
	var names []string
	for _, a := range res.Arms {
		names = append(names, a.Name)
	}
	return "Comparison: " + strings.Join(names, ", ")
}

func markdown(res *Result, out string) string {
	var b strings.Builder
	b.WriteString("# " + title(res) + "\n\n")
	b.WriteString(header(res) + ".\n\n")
	b.WriteString(Table(res))
	b.WriteString("\n" + spreadNote + "\n\n## Paired differences\n\n")
	b.WriteString(intervalTable(res).markdown())
	b.WriteString("\n")
	for _, r := range res.Rows {
		for _, vs := range r.Vs {
			b.WriteString("- " + vs.Sentence + "\n")
		}
	}
	if len(res.Hints) > 0 {
		b.WriteString("\n## The hint axis\n\nEvery image colorized with exactly N hints (placed and colored as validation's, fixed per image name).\n\n")
		b.WriteString(hintTable(res, "L1", func(h HintRow) []ArmStat { return h.L1 }).markdown() + "\n")
		b.WriteString(hintTable(res, "SSIM", func(h HintRow) []ArmStat { return h.SSIM }).markdown())
	}
	if res.FIDSkipped != "" {
		b.WriteString("\nFID and KID were skipped: " + res.FIDSkipped + "\n")
	}
	for _, n := range notCompared(res) {
		b.WriteString("\n" + n + "\n")
	}
	b.WriteString("\n![validation curves](curves.png)\n")
	if len(res.Flat) > 0 {
		b.WriteString("\n## Where the curves flatten\n\n")
		for _, f := range res.Flat {
			b.WriteString("- " + f.Sentence() + "\n")
		}
	}
	for _, s := range res.SampleSteps {
		fmt.Fprintf(&b, "\n## Samples at step %d\n\n", s)
		for _, r := range res.Runs {
			rel, _ := filepath.Rel(out, filepath.Join(r.Dir, "samples", fmt.Sprintf("step-%08d.png", s)))
			fmt.Fprintf(&b, "seed %d, %s (line | hints | output | target):\n\n![](%s)\n\n", r.Seed, r.Arm, rel)
		}
	}
	return b.String()
}

// notCompared lists the runs the report leaves out.
func notCompared(res *Result) []string {
	var out []string
	if len(res.Running) > 0 {
		out = append(out, "Still running elsewhere, not compared yet: "+strings.Join(res.Running, ", ")+".")
	}
	if len(res.Missing) > 0 {
		out = append(out, "Not started, not compared: "+strings.Join(res.Missing, ", ")+".")
	}
	return out
}

func htmlPage(res *Result, out string, curves []byte) (string, error) {
	var b strings.Builder
	b.WriteString("<!doctype html><html><head><meta charset=\"utf-8\"><title>colorize compare</title><style>body{font-family:sans-serif;max-width:1100px;margin:2em auto}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}td:first-child{text-align:left}.grid{display:flex;gap:1em;flex-wrap:wrap}.grid figure{margin:0}</style></head><body>\n")
	b.WriteString("<h1>" + html.EscapeString(title(res)) + "</h1>\n<p>" + html.EscapeString(header(res)) + ".</p>\n")
	b.WriteString(mainTable(res).html())
	b.WriteString("<p>" + html.EscapeString(spreadNote) + "</p>\n<h2>Paired differences</h2>\n")
	b.WriteString(intervalTable(res).html() + "<ul>\n")
	for _, r := range res.Rows {
		for _, vs := range r.Vs {
			b.WriteString("<li>" + html.EscapeString(vs.Sentence) + "</li>\n")
		}
	}
	b.WriteString("</ul>\n")
	if len(res.Hints) > 0 {
		b.WriteString("<h2>The hint axis</h2><p>Every image colorized with exactly N hints (placed and colored as validation's, fixed per image name).</p>\n")
		b.WriteString(hintTable(res, "L1", func(h HintRow) []ArmStat { return h.L1 }).html())
		b.WriteString(hintTable(res, "SSIM", func(h HintRow) []ArmStat { return h.SSIM }).html())
	}
	if res.FIDSkipped != "" {
		b.WriteString("<p><b>FID and KID were skipped:</b> " + html.EscapeString(res.FIDSkipped) + "</p>\n")
	}
	for _, n := range notCompared(res) {
		b.WriteString("<p>" + html.EscapeString(n) + "</p>\n")
	}
	b.WriteString(imgTag(curves, "validation curves"))
	if len(res.Flat) > 0 {
		b.WriteString("<h2>Where the curves flatten</h2><ul>\n")
		for _, f := range res.Flat {
			b.WriteString("<li>" + html.EscapeString(f.Sentence()) + "</li>\n")
		}
		b.WriteString("</ul>\n")
	}
	for _, s := range res.SampleSteps {
		fmt.Fprintf(&b, "<h2>Samples at step %d</h2><p>line | hints | output | target</p><div class=\"grid\">\n", s)
		for _, r := range res.Runs {
			data, err := os.ReadFile(filepath.Join(r.Dir, "samples", fmt.Sprintf("step-%08d.png", s)))
			if err != nil {
				return "", err
			}
			fmt.Fprintf(&b, "<figure>%s<figcaption>seed %d, %s</figcaption></figure>\n", imgTag(data, r.Arm), r.Seed, r.Arm)
		}
		b.WriteString("</div>\n")
	}
	b.WriteString("</body></html>\n")
	return b.String(), nil
}

func imgTag(png []byte, alt string) string {
	return fmt.Sprintf("<img alt=\"%s\" src=\"data:image/png;base64,%s\">", html.EscapeString(alt), base64.StdEncoding.EncodeToString(png))
}
