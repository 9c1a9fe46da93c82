package evaluate

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/colorize-dev/colorize/internal/config"
	"github.com/colorize-dev/colorize/internal/fid"
	"github.com/colorize-dev/colorize/internal/train"
)

// trained returns the run folder of a tiny model trained for 3 steps on the
// shipped openmoji subset, validated on 4 images at the last step.
func trained(t *testing.T) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	cfg := config.Default()
	cfg.Data.Dir = filepath.Join(filepath.Dir(file), "..", "..", "data", "openmoji-mini")
	cfg.Data.Size = 32
	cfg.Data.MaxVal = 4
	cfg.Model.Depth, cfg.Model.NGF, cfg.Model.NDF, cfg.Model.DLayers = 5, 4, 4, 2
	cfg.Train.Batch, cfg.Train.Steps = 2, 3
	cfg.Train.Out = t.TempDir()
	if _, err := train.Run(context.Background(), train.Options{Config: cfg}); err != nil {
		t.Fatal(err)
	}
	return cfg.Train.Out
}

// TestCheckpointMatchesTrainingValidation: evaluating the final checkpoint on
// the same validation images reproduces the validation L1 that training
// logged — same split, same fixed hints, same inference mode.
func TestCheckpointMatchesTrainingValidation(t *testing.T) {
	run := trained(t)
	save := t.TempDir()
	rep, err := Checkpoint(context.Background(), Options{Checkpoint: run, MaxImages: 4, SaveDir: save})
	if err != nil {
		t.Fatal(err)
	}
	recs, err := train.ReadMetrics(filepath.Join(run, "metrics.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var logged float64
	for _, r := range recs {
		if r.Kind == "val" && r.Step == 3 {
			logged = *r.ValL1
		}
	}
	if rep.N != 4 || rep.Step != 3 || math.Abs(rep.L1-logged) > 1e-6 {
		t.Fatalf("eval L1 %.8f on %d images at step %d; training logged %.8f", rep.L1, rep.N, rep.Step, logged)
	}
	if !(rep.CompL1 >= rep.L1-1e-12) {
		t.Errorf("compensated L1 %g < plain L1 %g", rep.CompL1, rep.L1)
	}
	if !(rep.PSNR > 0 && rep.PSNR < 60) || !(rep.SSIM > -1 && rep.SSIM < 1) {
		t.Errorf("PSNR %g, SSIM %g out of range", rep.PSNR, rep.SSIM)
	}
	files, _ := filepath.Glob(filepath.Join(save, "*.png"))
	if len(files) != 4 {
		t.Errorf("%d images saved, want 4", len(files))
	}
}

func TestMissingWeights(t *testing.T) {
	run := trained(t)
	missing := filepath.Join(t.TempDir(), "pt_inception.pth")
	_, err := Checkpoint(context.Background(), Options{Checkpoint: run, MaxImages: 2, FID: true, Inception: missing})
	var mw *fid.MissingWeightsError
	if !errors.As(err, &mw) || !strings.Contains(err.Error(), missing) {
		t.Fatalf("err = %v", err)
	}
	rep, err := Checkpoint(context.Background(), Options{Checkpoint: run, MaxImages: 2, FID: true, Inception: missing, SkipMissingWeights: true})
	if err != nil || rep.FID != nil || !strings.Contains(rep.Skipped, missing) {
		t.Fatalf("skip: rep %+v, err %v", rep, err)
	}
}

func TestBadCheckpoint(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "x.safetensors")
	os.WriteFile(bad, []byte("nope"), 0o644)
	for _, path := range []string{bad, filepath.Join(dir, "absent.safetensors"), dir} {
		if _, err := Checkpoint(context.Background(), Options{Checkpoint: path}); err == nil || !strings.Contains(err.Error(), filepath.Base(path)) {
			t.Errorf("%s: err = %v", path, err)
		}
	}
}

// TestHintAxis: the hint axis scores the same images at each hint count,
// the same numbers every time, and the hints change what the model draws.
func TestHintAxis(t *testing.T) {
	run := trained(t)
	opts := Options{Checkpoint: run, MaxImages: 4, HintCounts: []int{0, 16}, PerImage: true}
	rep, err := Checkpoint(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.HintAxis) != 2 || rep.HintAxis[0].Hints != 0 || rep.HintAxis[1].Hints != 16 {
		t.Fatalf("hint axis %+v", rep.HintAxis)
	}
	for _, pt := range rep.HintAxis {
		if pt.N != 4 || len(pt.PerImage) != 4 {
			t.Errorf("%d hints: %d images scored, %d per-image scores", pt.Hints, pt.N, len(pt.PerImage))
		}
	}
	if rep.HintAxis[0].L1 == rep.HintAxis[1].L1 {
		t.Error("16 hints and none give the same L1: the hints do not reach the model")
	}
	again, err := Checkpoint(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if again.HintAxis[1].L1 != rep.HintAxis[1].L1 || again.HintAxis[1].PerImage[2] != rep.HintAxis[1].PerImage[2] {
		t.Error("the hint axis is not reproducible")
	}
}
