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

var lossColor = map[string]color.RGBA{
	"l1":             {R: 0x1f, G: 0x77, B: 0xb4, A: 0xff},
	"compensated_l1": {R: 0xd6, G: 0x27, B: 0x28, A: 0xff},
}

// plotCurves draws validation L1 against step: per loss the mean over seeds
// as a line and the min–max over seeds as a shaded band.
func plotCurves(res *Result) ([]byte, error) {
	p := plot.New()
	p.Title.Text = "Validation L1 (plain L1 measure) — band: min–max over seeds"
	p.X.Label.Text = "step"
	p.Y.Label.Text = "validation L1"
	p.Legend.Top = true
	var lines []*plotter.Line // drawn after every band, so no band hides a line
	for _, lossName := range Losses {
		byStep := map[int][]float64{}
		var steps []int
		for _, r := range res.Runs {
			if r.Loss != lossName {
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
		c := lossColor[lossName]
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
		p.Legend.Add(lossName, line)
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
	return fmt.Sprintf("data %s at %d², U-Net depth %d ngf %d, PatchGAN ndf %d; %d steps, batch %d, Adam lr %g β1 %g β2 %g, λ %g; seeds %v",
		c.Data.Dir, c.Data.Size, c.Model.Depth, c.Model.NGF, c.Model.NDF, c.Train.Steps, c.Train.Batch, c.Train.LR, c.Train.Beta1, c.Train.Beta2, c.Train.Lambda, res.Seeds)
}

// Table renders Table 1 as Markdown.
func Table(res *Result) string {
	var b strings.Builder
	b.WriteString("| measure | plain L1 | compensated L1 | relation | exceeds seed spread? | paper (plain / comp.) |\n|---|---|---|---|---|---|\n")
	for _, r := range res.Rows {
		paper := ""
		if r.PaperPlain != "" {
			paper = r.PaperPlain + " / " + r.PaperComp
		}
		fmt.Fprintf(&b, "| %s (%s is better) | %s | %s | %s | %s | %s |\n", r.Measure, r.Better,
			fmtVal(r.PlainMean, r.PlainStd, len(r.Plain)), fmtVal(r.CompMean, r.CompStd, len(r.Comp)), r.Relation, r.Exceeds, paper)
	}
	return b.String()
}

func markdown(res *Result, out string) string {
	var b strings.Builder
	b.WriteString("# Compensated L1 versus plain L1\n\n")
	b.WriteString(header(res) + ".\n\n")
	b.WriteString(Table(res))
	b.WriteString("\nValues are mean ± sample standard deviation over seeds. \"Exceeds seed spread\": the per-seed paired difference (compensated − plain) has |mean| > 2·std/√n.\n")
	if res.FIDSkipped != "" {
		b.WriteString("\nFID and KID were skipped: " + res.FIDSkipped + "\n")
	}
	b.WriteString("\n![validation curves](curves.png)\n")
	for _, s := range res.SampleSteps {
		fmt.Fprintf(&b, "\n## Samples at step %d\n\n", s)
		for _, r := range res.Runs {
			rel, _ := filepath.Rel(out, filepath.Join(r.Dir, "samples", fmt.Sprintf("step-%08d.png", s)))
			fmt.Fprintf(&b, "seed %d, %s (line | hints | output | target):\n\n![](%s)\n\n", r.Seed, r.Loss, rel)
		}
	}
	return b.String()
}

func htmlPage(res *Result, out string, curves []byte) (string, error) {
	var b strings.Builder
	b.WriteString("<!doctype html><html><head><meta charset=\"utf-8\"><title>colorize compare</title><style>body{font-family:sans-serif;max-width:1100px;margin:2em auto}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}td:first-child{text-align:left}.grid{display:flex;gap:1em;flex-wrap:wrap}.grid figure{margin:0}</style></head><body>\n")
	b.WriteString("<h1>Compensated L1 versus plain L1</h1>\n<p>" + html.EscapeString(header(res)) + ".</p>\n")
	b.WriteString("<table><tr><th>measure</th><th>plain L1</th><th>compensated L1</th><th>relation</th><th>exceeds seed spread?</th><th>paper (plain / comp.)</th></tr>\n")
	for _, r := range res.Rows {
		paper := ""
		if r.PaperPlain != "" {
			paper = r.PaperPlain + " / " + r.PaperComp
		}
		fmt.Fprintf(&b, "<tr><td>%s (%s is better)</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>\n",
			html.EscapeString(r.Measure), r.Better, fmtVal(r.PlainMean, r.PlainStd, len(r.Plain)), fmtVal(r.CompMean, r.CompStd, len(r.Comp)),
			html.EscapeString(r.Relation), html.EscapeString(r.Exceeds), html.EscapeString(paper))
	}
	b.WriteString("</table>\n<p>Mean ± sample standard deviation over seeds. “Exceeds seed spread”: the per-seed paired difference (compensated − plain) has |mean| &gt; 2·std/√n.</p>\n")
	if res.FIDSkipped != "" {
		b.WriteString("<p><b>FID and KID were skipped:</b> " + html.EscapeString(res.FIDSkipped) + "</p>\n")
	}
	b.WriteString(imgTag(curves, "validation curves"))
	for _, s := range res.SampleSteps {
		fmt.Fprintf(&b, "<h2>Samples at step %d</h2><p>line | hints | output | target</p><div class=\"grid\">\n", s)
		for _, r := range res.Runs {
			data, err := os.ReadFile(filepath.Join(r.Dir, "samples", fmt.Sprintf("step-%08d.png", s)))
			if err != nil {
				return "", err
			}
			fmt.Fprintf(&b, "<figure>%s<figcaption>seed %d, %s</figcaption></figure>\n", imgTag(data, r.Loss), r.Seed, r.Loss)
		}
		b.WriteString("</div>\n")
	}
	b.WriteString("</body></html>\n")
	return b.String(), nil
}

func imgTag(png []byte, alt string) string {
	return fmt.Sprintf("<img alt=\"%s\" src=\"data:image/png;base64,%s\">", html.EscapeString(alt), base64.StdEncoding.EncodeToString(png))
}
