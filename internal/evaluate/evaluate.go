// Package evaluate measures colorization. Checkpoint colorizes the
// validation triples of a data folder with a trained generator and their
// fixed hints (the same hints every run, see data.Dataset.Val) and scores
// the result against the originals; Folders compares a folder of generated
// images with a folder of real ones. Both report plain L1, compensated L1,
// PSNR and SSIM (metrics.Scorer, the scorer training's validation uses) and
// optionally FID and KID (internal/fid), computed as pytorch-fid and the KID
// literature compute them.
package evaluate

import (
	"context"
	"fmt"
	"image"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/colorize-dev/colorize/internal/atomicfile"
	"github.com/colorize-dev/colorize/internal/checkpoint"
	"github.com/colorize-dev/colorize/internal/data"
	"github.com/colorize-dev/colorize/internal/fid"
	"github.com/colorize-dev/colorize/internal/metrics"
	"github.com/colorize-dev/colorize/internal/modelio"
	"github.com/colorize-dev/colorize/internal/progress"
	"github.com/colorize-dev/colorize/internal/unet"
)

// Options configure an evaluation.
type Options struct {
	// Checkpoint mode: a file or run folder; DataDir overrides the
	// checkpoint's data.dir; MaxImages caps the validation images (0 = all);
	// Batch is the number of images per generator run (0 = 4); SaveDir, if
	// set, receives the colorized images as PNG.
	Checkpoint string
	DataDir    string
	MaxImages  int
	Batch      int
	SaveDir    string
	// HintCounts adds the hint axis: every measure again with exactly n
	// hints on every image for each n (Report.HintAxis), hints fixed per
	// image name as in validation.
	HintCounts []int
	// PerImage keeps each image's measures (metrics.Score.PerImage).
	PerImage bool

	// Folder mode: Real is a folder of images or a .npz statistics file
	// (FID only), Fake a folder of images; SaveStats, if set, receives the
	// real images' FID statistics.
	Real, Fake string
	SaveStats  string

	// Distribution measures.
	FID, KID bool
	// Inception is pytorch-fid's weights file ("" = fid.DefaultWeightsPath).
	Inception string
	Dims      int // FID feature dimension (0 = 2048)
	// KIDOpts are the KID subset settings (zero value = fid.DefaultKIDOptions).
	KIDOpts fid.KIDOptions
	// SkipMissingWeights turns a missing Inception file into skipped FID/KID
	// (Dist.Skipped) instead of an error.
	SkipMissingWeights bool

	Progress io.Writer
	TTY      bool
	Logger   *slog.Logger
}

// Report holds the measures of a checkpoint.
type Report struct {
	Checkpoint string `json:"checkpoint"`
	Data       string `json:"data"`
	Step       int    `json:"step"`
	metrics.Score
	Dist
	// HintAxis holds the measures at each of Options.HintCounts.
	HintAxis []HintPoint `json:"hint_axis,omitempty"`
}

// HintPoint is the measures with exactly Hints hints on every image.
type HintPoint struct {
	Hints int `json:"hints"`
	metrics.Score
	Dist
}

// Checkpoint evaluates the generator of a checkpoint on its validation
// triples. Ctrl-C (ctx) stops it between batches.
func Checkpoint(ctx context.Context, opts Options) (Report, error) {
	path, err := checkpoint.Resolve(opts.Checkpoint)
	if err != nil {
		return Report{}, err
	}
	f, err := checkpoint.Read(path)
	if err != nil {
		return Report{}, err
	}
	nets, err := f.NewModel()
	if err != nil {
		return Report{}, err
	}
	inception, skipped, err := loadInception(opts)
	if err != nil { // before the work, so that a missing file fails fast
		return Report{}, err
	}
	cfg := f.Config
	if opts.DataDir != "" {
		cfg.Data.Dir = opts.DataDir
	}
	cfg.Data.MaxVal = max(opts.MaxImages, 0)
	ds, err := data.Open(cfg, data.Options{Logger: opts.Logger})
	if err != nil {
		return Report{}, err
	}
	batch := opts.Batch
	if batch <= 0 {
		batch = 4
	}
	batch = min(batch, max(ds.ValLen(), 1))
	batches, err := ds.Val(batch)
	if err != nil {
		return Report{}, err
	}
	if len(batches) == 0 {
		return Report{}, fmt.Errorf("data %s: no validation images", cfg.Data.Dir)
	}
	size := cfg.Data.Size
	runner, err := unet.NewRunner(nets.Gen, batch, size, size, cfg.Model.InferDropout)
	if err != nil {
		return Report{}, err
	}
	defer runner.Close()
	if opts.SaveDir != "" {
		if err := os.MkdirAll(opts.SaveDir, 0o755); err != nil {
			return Report{}, err
		}
	}

	rep := Report{Checkpoint: path, Data: cfg.Data.Dir, Step: f.Step}
	if rep.Score, rep.Dist, err = measure(ctx, runner, batches, inception, opts, "eval", opts.SaveDir); err != nil {
		return rep, err
	}
	rep.Dist.Skipped = skipped
	for _, n := range opts.HintCounts {
		hb, err := ds.ValWithHints(batch, n)
		if err != nil {
			return rep, err
		}
		pt := HintPoint{Hints: n}
		if pt.Score, pt.Dist, err = measure(ctx, runner, hb, inception, opts, fmt.Sprintf("eval, %d hints", n), ""); err != nil {
			return rep, err
		}
		rep.HintAxis = append(rep.HintAxis, pt)
	}
	return rep, nil
}

// measure colorizes batches with runner and scores them against their
// originals; with inception, FID/KID too. saveDir, if set, receives the
// colorized images. Ctrl-C (ctx) stops it between batches.
func measure(ctx context.Context, runner *unet.Runner, batches []*modelio.Batch, inception *fid.Model, opts Options, label, saveDir string) (metrics.Score, Dist, error) {
	n, size, _ := runner.Shape()
	total := 0
	for _, b := range batches {
		total += b.N
	}
	bar := progress.New(orDiscard(opts.Progress), opts.TTY, label, total, 0)
	bar.Unit = "img"
	scorer := metrics.Scorer{Images: true, PerImage: opts.PerImage}
	keep := inception != nil
	var reals, fakes []image.Image
	hw := size * size
	input := []float32{}
	done := 0
	for bi, b := range batches {
		if err := ctx.Err(); err != nil {
			return metrics.Score{}, Dist{}, err
		}
		input = b.Input(input)
		input = append(input, make([]float32, (n-b.N)*modelio.InChannels*hw)...)
		out, err := runner.Run(input, uint64(bi))
		if err != nil {
			return metrics.Score{}, Dist{}, err
		}
		out = out[:b.N*modelio.OutChannels*hw]
		if err := scorer.Add(out, b.Color, b.N, size, size); err != nil {
			return metrics.Score{}, Dist{}, err
		}
		for i := 0; i < b.N && (keep || saveDir != ""); i++ {
			_, _, real := b.Example(i)
			fi, err := modelio.TensorImage(out[i*3*hw:(i+1)*3*hw], 3, size, size)
			if err != nil {
				return metrics.Score{}, Dist{}, err
			}
			if keep {
				ri, err := modelio.TensorImage(real, 3, size, size)
				if err != nil {
					return metrics.Score{}, Dist{}, err
				}
				reals, fakes = append(reals, ri), append(fakes, fi)
			}
			if saveDir != "" {
				name := strings.TrimSuffix(b.Names[i], filepath.Ext(b.Names[i])) + ".png"
				if err := atomicfile.WritePNG(filepath.Join(saveDir, name), fi); err != nil {
					return metrics.Score{}, Dist{}, err
				}
			}
		}
		done += b.N
		bar.Update(done, "")
	}
	bar.Finish()
	var dist Dist
	if keep {
		var err error
		if dist, err = distribution(ctx, inception, fid.Images(reals), nil, fid.Images(fakes), opts); err != nil {
			return metrics.Score{}, Dist{}, err
		}
	}
	return scorer.Score(), dist, nil
}

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}
