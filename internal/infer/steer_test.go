package infer

import (
	"context"
	"image/color"
	"path/filepath"
	"testing"

	"github.com/colorize-dev/colorize/internal/config"
	"github.com/colorize-dev/colorize/internal/imageio"
	"github.com/colorize-dev/colorize/internal/train"
)

// TestHintsSteerColors trains a small model briefly on the shipped openmoji
// subset and checks that a red hint makes the region around it redder, and a
// blue one bluer, than each other.
func TestHintsSteerColors(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a small model for a few seconds")
	}
	cfg := config.Default()
	cfg.Data.Dir = repo("data/openmoji-mini")
	cfg.Data.Size = 32
	cfg.Data.MaxVal = 4
	cfg.Hints.NoneProb = 0
	cfg.Model.Depth, cfg.Model.NGF, cfg.Model.NDF, cfg.Model.DLayers = 5, 16, 8, 2
	cfg.Train.Batch, cfg.Train.Steps = 4, 150
	cfg.Train.LR, cfg.Train.Beta1, cfg.Train.Beta2 = 1e-3, 0.5, 0.999
	cfg.Train.ValEvery, cfg.Train.SampleEvery, cfg.Train.CheckpointEvery = 150, 150, 150
	cfg.Train.Out = t.TempDir()
	if _, err := train.Run(context.Background(), train.Options{Config: cfg}); err != nil {
		t.Fatal(err)
	}
	c, err := Open(cfg.Train.Out)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sk, _, err := imageio.Decode(filepath.Join(cfg.Data.Dir, "line", "1F31D.png")) // full moon face
	if err != nil {
		t.Fatal(err)
	}
	redness := func(col color.RGBA) float64 {
		img, err := c.Colorize(Request{Sketch: sk, Points: []Point{{X: 40, Y: 64, Color: col}}, MaxSide: 32})
		if err != nil {
			t.Fatal(err)
		}
		// Mean R − B over the 16×16 pixels around the hint (sketch pixels).
		sum := 0.0
		for y := 56; y < 72; y++ {
			for x := 32; x < 48; x++ {
				r, _, b, _ := img.(interface{ At(int, int) color.Color }).At(x, y).RGBA()
				sum += (float64(r) - float64(b)) / 65535
			}
		}
		return sum / 256
	}
	red := redness(color.RGBA{220, 30, 30, 255})
	blue := redness(color.RGBA{30, 30, 220, 255})
	t.Logf("mean R−B near the hint: red hint %.3f, blue hint %.3f", red, blue)
	if red-blue < 0.15 {
		t.Fatalf("hints barely steer the colors: R−B %.3f with a red hint, %.3f with a blue one", red, blue)
	}
}
