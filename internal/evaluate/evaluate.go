// Package evaluate measures a trained generator on the validation triples of
// a data folder: it colorizes every validation sketch with its fixed hints
// (the same hints every run, see data.Dataset.Val) and reports plain L1,
// compensated L1, PSNR and SSIM against the originals, and optionally FID and
// KID between the originals and the colorized images.
package evaluate

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/colorize-dev/colorize/internal/checkpoint"
	"github.com/colorize-dev/colorize/internal/data"
	"github.com/colorize-dev/colorize/internal/fid"
	"github.com/colorize-dev/colorize/internal/loss"
	"github.com/colorize-dev/colorize/internal/metrics"
	"github.com/colorize-dev/colorize/internal/modelio"
	"github.com/colorize-dev/colorize/internal/progress"
	"github.com/colorize-dev/colorize/internal/unet"
)

// Options configure an evaluation.
type Options struct {
	Checkpoint string // file or run folder
	// DataDir overrides the checkpoint's data.dir.
	DataDir string
	// MaxImages caps the number of validation images (0 = all).
	MaxImages int
	FID, KID  bool
	// Inception is pytorch-fid's weights file ("" = fid.DefaultWeightsPath).
	Inception string
	Dims      int // FID feature dimension (0 = 2048)
	// KIDOpts are the KID subset settings (zero value = fid.DefaultKIDOptions).
	KIDOpts fid.KIDOptions
	// SkipMissingWeights turns a missing Inception file into a skipped
	// FID/KID (Report.FIDSkipped) instead of an error.
	SkipMissingWeights bool
	// SaveDir, if set, receives the colorized images as PNG.
	SaveDir  string
	Progress io.Writer
	TTY      bool
	Logger   *slog.Logger
}

// Report holds the measured values.
type Report struct {
	Checkpoint string   `json:"checkpoint"`
	Data       string   `json:"data"`
	Step       int      `json:"step"`
	N          int      `json:"images"`
	L1         float64  `json:"l1"`
	CompL1     float64  `json:"compensated_l1"`
	PSNR       float64  `json:"psnr"`
	SSIM       float64  `json:"ssim"`
	FID        *float64 `json:"fid,omitempty"`
	KID        *float64 `json:"kid,omitempty"`
	KIDStd     *float64 `json:"kid_std,omitempty"`
	FIDSkipped string   `json:"fid_skipped,omitempty"`
}

// Checkpoint evaluates the generator of a checkpoint.
func Checkpoint(ctx context.Context, opts Options) (Report, error) {
	path, err := checkpoint.Resolve(opts.Checkpoint)
	if err != nil {
		return Report{}, err
	}
	f, err := checkpoint.Read(path)
	if err != nil {
		return Report{}, err
	}
	model, err := f.NewModel()
	if err != nil {
		return Report{}, err
	}
	cfg := f.Config
	if opts.DataDir != "" {
		cfg.Data.Dir = opts.DataDir
	}
	if opts.MaxImages > 0 {
		cfg.Data.MaxVal = opts.MaxImages
	} else {
		cfg.Data.MaxVal = 0
	}
	ds, err := data.Open(cfg, data.Options{Logger: opts.Logger})
	if err != nil {
		return Report{}, err
	}
	const batch = 4
	batches, err := ds.Val(batch)
	if err != nil {
		return Report{}, err
	}
	if len(batches) == 0 {
		return Report{}, fmt.Errorf("data %s: no validation images", cfg.Data.Dir)
	}
	size := cfg.Data.Size
	runner, err := unet.NewRunner(model.Gen, batch, size, size, cfg.Model.InferDropout)
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
	bar := progress.New(orDiscard(opts.Progress), opts.TTY, "eval", ds.ValLen(), 0)
	bar.Unit = "img"
	hw := size * size
	var absSum float64
	chanSum := make([]float64, 3)
	var reals, fakes []image.Image
	input := []float32{}
	for bi, b := range batches {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		input = b.Input(input)
		input = append(input, make([]float32, (batch-b.N)*modelio.InChannels*hw)...)
		out, err := runner.Run(input, uint64(bi))
		if err != nil {
			return rep, err
		}
		for i := 0; i < b.N; i++ {
			fake := out[i*3*hw : (i+1)*3*hw]
			real := b.Color[i*3*hw : (i+1)*3*hw]
			l1, _ := loss.L1Ref(fake, real)
			absSum += l1
			lc, _ := loss.ChannelL1Ref(fake, real, []int{1, 3, size, size})
			for c := range chanSum {
				chanSum[c] += lc[c]
			}
			rep.PSNR += metrics.PSNR(fake, real, 2) // values span [-1, 1]
			s, err := metrics.SSIM(toUnit(fake), toUnit(real), 3, size, size)
			if err != nil {
				return rep, err
			}
			rep.SSIM += s
			fi, err := modelio.TensorImage(fake, 3, size, size)
			if err != nil {
				return rep, err
			}
			if opts.FID || opts.KID {
				ri, err := modelio.TensorImage(real, 3, size, size)
				if err != nil {
					return rep, err
				}
				reals, fakes = append(reals, ri), append(fakes, fi)
			}
			if opts.SaveDir != "" {
				if err := savePNG(filepath.Join(opts.SaveDir, b.Names[i]), fi); err != nil {
					return rep, err
				}
			}
			rep.N++
		}
		bar.Update(rep.N, "")
	}
	bar.Finish()
	n := float64(rep.N)
	rep.L1 = absSum / n
	for c := range chanSum {
		chanSum[c] /= n
	}
	rep.CompL1 = loss.Compensate(chanSum)
	rep.PSNR /= n
	rep.SSIM /= n
	if opts.FID || opts.KID {
		if err := Distribution(fid.Images(reals), fid.Images(fakes), opts, &rep); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// Distribution adds FID and/or KID between two image sets to rep.
func Distribution(real, fake fid.Source, opts Options, rep *Report) error {
	weights := opts.Inception
	if weights == "" {
		weights = fid.DefaultWeightsPath()
	}
	dims := opts.Dims
	if dims == 0 {
		dims = 2048
	}
	m, err := fid.Load(weights, dims)
	var missing *fid.MissingWeightsError
	if errors.As(err, &missing) && opts.SkipMissingWeights {
		rep.FIDSkipped = err.Error()
		return nil
	}
	if err != nil {
		return err
	}
	extract := func(label string, src fid.Source) ([][]float32, error) {
		bar := progress.New(orDiscard(opts.Progress), opts.TTY, "inception "+label, src.Len(), 0)
		bar.Unit = "img"
		defer bar.Finish()
		return m.Extract(src, 0, func(done int) { bar.Update(done, "") })
	}
	fr, err := extract("real", real)
	if err != nil {
		return err
	}
	ff, err := extract("fake", fake)
	if err != nil {
		return err
	}
	if opts.FID {
		sr, err := fid.ComputeStats(fr)
		if err != nil {
			return err
		}
		sf, err := fid.ComputeStats(ff)
		if err != nil {
			return err
		}
		d, err := fid.FrechetDistance(sr, sf)
		if err != nil {
			return err
		}
		rep.FID = &d
	}
	if opts.KID {
		ko := opts.KIDOpts
		if ko.Subsets == 0 {
			ko = fid.DefaultKIDOptions()
		}
		k, err := fid.KID(fr, ff, ko)
		if err != nil {
			return err
		}
		rep.KID, rep.KIDStd = &k.Mean, &k.Std
	}
	return nil
}

func toUnit(x []float32) []float32 {
	out := make([]float32, len(x))
	for i, v := range x {
		out[i] = (v + 1) / 2
	}
	return out
}

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}
