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
