package compare

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/colorize-dev/colorize/internal/config"
	"github.com/colorize-dev/colorize/internal/evaluate"
	"github.com/colorize-dev/colorize/internal/runlock"
)

func tinyConfig(t *testing.T, steps int) config.Config {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	cfg := config.Default()
	cfg.Data.Dir = filepath.Join(filepath.Dir(file), "..", "..", "data", "openmoji-mini")
	cfg.Data.Size = 32
	cfg.Data.MaxVal = 4
	cfg.Model.Depth, cfg.Model.NGF, cfg.Model.NDF, cfg.Model.DLayers = 5, 4, 4, 2
	cfg.Train.Batch = 2
	cfg.Train.Steps = steps
	cfg.Train.ValEvery, cfg.Train.SampleEvery, cfg.Train.CheckpointEvery = 2, 3, 3
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestCompareEndToEndAndReuse(t *testing.T) {
	out := t.TempDir()
	var log bytes.Buffer
	opts := Options{
		Config: tinyConfig(t, 6), Seeds: 2, Out: out, Progress: &log,
		Eval: evaluate.Options{FID: true, KID: true, SkipMissingWeights: true, MaxImages: 4,
			Inception: filepath.Join(out, "no-such-weights.pth")},
	}
	res, err := Compare(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Runs) != 4 {
		t.Fatalf("%d runs, want 2 seeds × 2 losses", len(res.Runs))
	}
	// Both arms of a seed start from the same weights and see the same data:
	// their first training step has the same discriminator loss.
	for _, name := range []string{"report.md", "report.html", "curves.png", "results.json"} {
		if st, err := os.Stat(filepath.Join(out, name)); err != nil || st.Size() == 0 {
			t.Errorf("missing or empty %s", name)
		}
	}
	md, _ := os.ReadFile(filepath.Join(out, "report.md"))
	for _, want := range []string{"final validation L1", "mean validation L1 over the curve", "mean slope", "PSNR", "SSIM", "FID and KID were skipped", "no-such-weights.pth", "Samples at step"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report.md lacks %q", want)
		}
	}
	page, _ := os.ReadFile(filepath.Join(out, "report.html"))
	if !strings.Contains(string(page), "data:image/png;base64,") || strings.Contains(string(page), "src=\"samples/") {
		t.Error("report.html is not self-contained")
	}
	// A second call reuses the finished runs.
	log.Reset()
	ckpt := filepath.Join(RunDir(out, opts.Config.Seed, "l1"), "ckpt-00000006.safetensors")
	before, _ := os.Stat(ckpt)
	if _, err := Compare(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	after, _ := os.Stat(ckpt)
	if !strings.Contains(log.String(), "reused") || !before.ModTime().Equal(after.ModTime()) {
		t.Fatalf("finished runs were not reused:\n%s", log.String())
	}
}

func TestArmsShareInitialState(t *testing.T) {
	out := t.TempDir()
	opts := Options{Config: tinyConfig(t, 2), Seeds: 1, Out: out, Eval: evaluate.Options{MaxImages: 2}}
	if _, err := Compare(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	read := func(loss string) string {
		b, err := os.ReadFile(filepath.Join(RunDir(out, opts.Config.Seed, loss), "metrics.jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		first := strings.SplitN(string(b), "\n", 2)[0]
		// The D loss of step 1 depends only on the initial weights, the
		// batch and the dropout units — not on the G loss.
		i := strings.Index(first, `"d":`)
		j := strings.Index(first[i:], ",")
		return first[i : i+j]
	}
	if a, b := read("l1"), read("compensated_l1"); a != b {
		t.Fatalf("first-step D loss differs between arms: %s vs %s", a, b)
	}
}

// TestThreeArmsHintAxisAndIntervals: the detached arm is a third run per
// seed, and the report has the paired intervals, a sentence per measure and
// the hint axis for every arm.
func TestThreeArmsHintAxisAndIntervals(t *testing.T) {
	out := t.TempDir()
	arms, err := ParseArms([]string{"l1", "compensated_l1", "compensated_l1_detached"})
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{Config: tinyConfig(t, 3), Seeds: 2, Arms: arms, Out: out, HintCounts: []int{0, 8}, Eval: evaluate.Options{MaxImages: 4}}
	res, err := Compare(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Runs) != 6 {
		t.Fatalf("%d runs, want 2 seeds × 3 arms", len(res.Runs))
	}
	det := runOf(res, "compensated_l1_detached", opts.Config.Seed)
	if det == nil || det.Eval.L1 == runOf(res, "compensated_l1", opts.Config.Seed).Eval.L1 {
		t.Error("the detached arm trained like the other compensated arm (or not at all)")
	}
	for _, r := range res.Rows {
		if len(r.PerArm) != 3 || len(r.Vs) != 2 {
			t.Fatalf("row %s: %d arms, %d comparisons", r.Measure, len(r.PerArm), len(r.Vs))
		}
		if r.Measure == "L1 (all validation images)" && r.Vs[0].Interval.Pairs != 2*4 {
			t.Errorf("L1 interval over %d pairs, want 2 seeds × 4 images", r.Vs[0].Interval.Pairs)
		}
	}
	if len(res.Hints) != 2 || res.Hints[1].Hints != 8 || len(res.Hints[1].L1) != 3 {
		t.Fatalf("hint rows %+v", res.Hints)
	}
	md, _ := os.ReadFile(filepath.Join(out, "report.md"))
	for _, want := range []string{"compensated_l1_detached vs l1", "Paired differences", "95% interval", "effect size", "The hint axis", "established", "Where the curves flatten", "compensated_l1_detached: the best validation L1 so far"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report.md lacks %q", want)
		}
	}
	if _, err := ParseArms([]string{"l1"}); err == nil {
		t.Error("one arm accepted")
	}
	if _, err := ParseArms([]string{"l1", "l2"}); err == nil || !strings.Contains(err.Error(), "compensated_l1_detached") {
		t.Errorf("unknown arm: %v", err)
	}
}

// TestRunLockedElsewhereIsReportedNotRedone: a run whose folder another
// process holds is left alone and named as running; with Collect nothing is
// trained at all.
func TestRunLockedElsewhereIsReportedNotRedone(t *testing.T) {
	out := t.TempDir()
	opts := Options{Config: tinyConfig(t, 3), Seeds: 2, Out: out, Eval: evaluate.Options{MaxImages: 2}}
	busy := RunDir(out, opts.Config.Seed+1, "compensated_l1")
	os.MkdirAll(busy, 0o755)
	l, err := runlock.Acquire(busy)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	res, err := Compare(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Running) != 1 || res.Running[0] != busy || len(res.Seeds) != 1 || len(res.Runs) != 2 {
		t.Fatalf("running %v, seeds %v, %d runs; want the locked run reported and seed 1 compared", res.Running, res.Seeds, len(res.Runs))
	}
	if _, err := os.Stat(filepath.Join(busy, "metrics.jsonl")); err == nil {
		t.Error("the locked run was trained")
	}
	md, _ := os.ReadFile(filepath.Join(out, "report.md"))
	if !strings.Contains(string(md), "Still running elsewhere") {
		t.Error("the report does not say a run is still running")
	}
	l.Release()
	opts.Collect = true
	res, err = Compare(context.Background(), opts)
	if err != nil || len(res.Missing) != 1 || res.Missing[0] != busy {
		t.Fatalf("collect: missing %v, %v", res.Missing, err)
	}
	if _, err := os.Stat(filepath.Join(busy, "metrics.jsonl")); err == nil {
		t.Error("--collect trained a run")
	}
}
