// Package eval implements `colorize eval`. In checkpoint mode it colorizes
// the validation triples of a data folder with a trained generator (fixed
// hints) and measures the result (internal/evaluate). In folder mode it
// compares a folder of generated images with a folder of real ones. Pairs
// with the same file stem get the pixel metrics (L1, compensated L1, PSNR,
// SSIM); FID and KID use every image of both folders, exactly as pytorch-fid
// and the KID literature compute them (internal/fid).
package eval

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/colorize-dev/colorize/internal/cmdutil"
	"github.com/colorize-dev/colorize/internal/config"
	"github.com/colorize-dev/colorize/internal/evaluate"
	"github.com/colorize-dev/colorize/internal/fid"
	"github.com/colorize-dev/colorize/internal/imageio"
	"github.com/colorize-dev/colorize/internal/loss"
	"github.com/colorize-dev/colorize/internal/metrics"
	"github.com/colorize-dev/colorize/internal/progress"
)

// EvalOptions are the parsed flags of `colorize eval --real --fake`.
type EvalOptions struct {
	IO *cmdutil.IOStreams

	// Real is a folder of images or a .npz statistics file (FID only);
	// Fake is a folder of images.
	Real, Fake string
	FID, KID   bool
	JSON       bool
	// Inception is pytorch-fid's weights file; Dims the feature dimension.
	Inception string
	Dims      int
	// SaveStats, if set, receives the real folder's FID statistics (.npz).
	SaveStats string
	KIDOpts   fid.KIDOptions

	// Checkpoint mode: a checkpoint file or run folder, the data folder
	// (default: the checkpoint's data.dir), a cap on the images and a folder
	// for the colorized images.
	Checkpoint string
	Data       string
	MaxImages  int
	SaveDir    string
	Logger     *slog.Logger
}

// Result is what eval reports; absent values are omitted from the JSON.
type Result struct {
	Real  string `json:"real"`
	Fake  string `json:"fake"`
	NReal int    `json:"real_images"`
	NFake int    `json:"fake_images"`
	Pairs int    `json:"pairs"`
	// SizeMismatch counts pairs left out of the pixel metrics because the
	// two images differ in size.
	SizeMismatch int      `json:"size_mismatch,omitempty"`
	L1           *float64 `json:"l1,omitempty"`
	CompL1       *float64 `json:"compensated_l1,omitempty"`
	PSNR         *float64 `json:"psnr,omitempty"`
	SSIM         *float64 `json:"ssim,omitempty"`
	Dims         int      `json:"dims,omitempty"`
	FID          *float64 `json:"fid,omitempty"`
	KID          *float64 `json:"kid,omitempty"`
	KIDStd       *float64 `json:"kid_std,omitempty"`
	KIDSubset    int      `json:"kid_subset_size,omitempty"`
}

// NewCmdEval returns the eval command. runF, when not nil, replaces the work
// (tests use it to check flag parsing).
func NewCmdEval(f *cmdutil.Factory, runF func(*EvalOptions) error) *cobra.Command {
	opts := &EvalOptions{IO: f.IO, KIDOpts: fid.DefaultKIDOptions()}
	cmd := &cobra.Command{
		Use:   "eval (--checkpoint FILE|RUN_DIR [--data DIR] | --real DIR|FILE.npz --fake DIR) [--fid] [--kid] [--json]",
		Short: "Measure a model or compare image folders: L1, PSNR, SSIM, FID, KID",
		Long: `With --checkpoint, eval colorizes the validation triples of --data (default:
the data folder the checkpoint was trained on) with their fixed hints — the
same split and hints as training's validation — and reports L1, compensated
L1, PSNR and SSIM against the originals; --fid and --kid compare the
colorized set with the originals.

With --real and --fake, eval compares the images of --fake with those of --real (PNG, JPEG, GIF, BMP,
TIFF, WebP). Files whose names match apart from the extension are pairs and
get the pixel metrics: L1 and compensated L1 on values in [-1, 1], PSNR and
SSIM (pairs whose images differ in size are left out with a warning). --fid and --kid add the distribution metrics over all images of both
folders, computed as pytorch-fid does with its Inception-v3 weights
(pt_inception-2015-12-05-6726825d.pth, never downloaded by colorize: name it
with --inception or eval.inception, or put it in the default cache path).
--real may also be a .npz statistics file from --save-stats or pytorch-fid
--save-stats (FID only).`,
		Example: `  colorize eval --checkpoint runs/quickstart --fid
  colorize eval --checkpoint runs/paper/best.safetensors --data ../shared/data/openmoji128 --json
  colorize eval --real data/val/color --fake out/val --fid --kid
  colorize eval --real data/val/color --fake out/val --fid --save-stats val.npz
  colorize eval --real val.npz --fake out/val --fid --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Checkpoint != "" && (opts.Real != "" || opts.Fake != "") {
				return errors.New("--checkpoint and --real/--fake are two different modes: give one")
			}
			if opts.Checkpoint == "" && (opts.Real == "" || opts.Fake == "") {
				return errors.New("give --checkpoint (evaluate a model) or both --real and --fake (compare folders)")
			}
			fl := cmd.Flags()
			cfg, err := f.Config(
				config.FlagBinding{Key: "eval.inception", Flag: fl.Lookup("inception")},
				config.FlagBinding{Key: "eval.dims", Flag: fl.Lookup("dims")},
			)
			if err != nil {
				return err
			}
			opts.Inception, opts.Dims = cfg.Eval.Inception, cfg.Eval.Dims
			switch opts.Dims {
			case 64, 192, 768, 2048:
			default:
				return fmt.Errorf("--dims %d: want 64, 192, 768 or 2048", opts.Dims)
			}
			if isStats(opts.Real) && opts.KID {
				return fmt.Errorf("--kid needs the real images, not the statistics file %s", opts.Real)
			}
			if opts.SaveStats != "" && (isStats(opts.Real) || !opts.FID) {
				return errors.New("--save-stats needs --fid and a folder of real images")
			}
			if opts.KIDOpts.Subsets < 1 || opts.KIDOpts.SubsetSize < 2 {
				return fmt.Errorf("--kid-subsets %d and --kid-subset-size %d: want ≥ 1 and ≥ 2",
					opts.KIDOpts.Subsets, opts.KIDOpts.SubsetSize)
			}
			opts.Logger = f.Logger
			if runF != nil {
				return runF(opts)
			}
			if opts.Checkpoint != "" {
				return checkpointRun(cmd.Context(), opts)
			}
			return evalRun(opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Checkpoint, "checkpoint", "", "checkpoint file or run folder to evaluate")
	fl.StringVar(&opts.Data, "data", "", "with --checkpoint: data folder (default: the checkpoint's data.dir)")
	fl.IntVar(&opts.MaxImages, "max-images", 0, "with --checkpoint: at most N validation images (0 = all)")
	fl.StringVar(&opts.SaveDir, "save", "", "with --checkpoint: write the colorized images to this folder")
	fl.StringVar(&opts.Real, "real", "", "folder of real images, or a .npz statistics file")
	fl.StringVar(&opts.Fake, "fake", "", "folder of generated images")
	fl.BoolVar(&opts.FID, "fid", false, "compute the Fréchet Inception Distance")
	fl.BoolVar(&opts.KID, "kid", false, "compute the Kernel Inception Distance")
	fl.BoolVar(&opts.JSON, "json", false, "print JSON instead of a table")
	fl.String("inception", "", "pytorch-fid weights file (eval.inception; default "+fid.DefaultWeightsPath()+")")
	fl.Int("dims", 2048, "Inception feature dimension: 64, 192, 768 or 2048 (eval.dims)")
	fl.StringVar(&opts.SaveStats, "save-stats", "", "write the real images' FID statistics to this .npz")
	fl.IntVar(&opts.KIDOpts.Subsets, "kid-subsets", opts.KIDOpts.Subsets, "KID: number of random subsets")
	fl.IntVar(&opts.KIDOpts.SubsetSize, "kid-subset-size", opts.KIDOpts.SubsetSize, "KID: images per subset (capped at the set sizes)")
	fl.Uint64Var(&opts.KIDOpts.Seed, "seed", 0, "KID: seed of the subset draws")
	return cmd
}

func isStats(path string) bool { return strings.EqualFold(filepath.Ext(path), ".npz") }

// imageExts are pytorch-fid's IMAGE_EXTENSIONS (GIF added: colorize reads it).
var imageExts = map[string]bool{".bmp": true, ".jpg": true, ".jpeg": true, ".pgm": true, ".png": true,
	".ppm": true, ".tif": true, ".tiff": true, ".webp": true, ".gif": true}

// listImages returns the image files of dir, sorted by name, as pytorch-fid
// orders them.
func listImages(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var files []string
	for _, e := range entries {
		if e.Type().IsRegular() && imageExts[strings.ToLower(filepath.Ext(e.Name()))] {
			files = append(files, filepath.Join(dir, e.Name()))
		}
	}
	sort.Strings(files)
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: no image files", dir)
	}
	return files, nil
}

// files is a fid.Source decoding image files on demand.
type files []string

func (f files) Len() int { return len(f) }

func (f files) Image(i int) (image.Image, error) {
	img, _, err := imageio.Decode(f[i])
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", f[i], err)
	}
	return img, nil
}

func stem(path string) string {
	base := filepath.Base(path)
	return strings.TrimSuffix(base, filepath.Ext(base))
}

func evalRun(opts *EvalOptions) error {
	res := Result{Real: opts.Real, Fake: opts.Fake}
	var model *fid.Model
	if opts.FID || opts.KID { // first, so that a missing file fails fast
		weights := opts.Inception
		if weights == "" {
			weights = fid.DefaultWeightsPath()
		}
		var err error
		if model, err = fid.Load(weights, opts.Dims); err != nil {
			return err
		}
	}
	fake, err := listImages(opts.Fake)
	if err != nil {
		return fmt.Errorf("--fake: %w", err)
	}
	res.NFake = len(fake)
	var real []string
	if !isStats(opts.Real) {
		if real, err = listImages(opts.Real); err != nil {
			return fmt.Errorf("--real: %w", err)
		}
		res.NReal = len(real)
		if err := pixelMetrics(opts, real, fake, &res); err != nil {
			return err
		}
	}
	if opts.FID || opts.KID {
		if err := distribution(opts, model, real, fake, &res); err != nil {
			return err
		}
	}
	if opts.JSON {
		if res.PSNR != nil && math.IsInf(*res.PSNR, 0) {
			res.PSNR = nil // identical pairs: JSON has no infinity
		}
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	printTable(opts.IO.Out, res)
	return nil
}

// pixelMetrics averages L1, per-channel L1, PSNR and SSIM over the pairs of
// files with equal stems; both images of a pair must have the same size.
func pixelMetrics(opts *EvalOptions, real, fake []string, res *Result) error {
	byStem := map[string]string{}
	for _, p := range real {
		byStem[stem(p)] = p
	}
	var pairs [][2]string
	for _, p := range fake {
		if r, ok := byStem[stem(p)]; ok {
			pairs = append(pairs, [2]string{r, p})
		}
	}
	res.Pairs = len(pairs)
	if len(pairs) == 0 {
		return nil
	}
	bar := progress.New(opts.IO.ErrOut, opts.IO.ErrTTY, "pairs", len(pairs), 0)
	bar.Unit = "img"
	defer bar.Finish()
	var l1, psnr, ssim float64
	chans := make([]float64, 3)
	for i, pr := range pairs {
		ri, err := files{pr[0]}.Image(0)
		if err != nil {
			return err
		}
		fi, err := files{pr[1]}.Image(0)
		if err != nil {
			return err
		}
		r, h, w := fid.ImageToCHW(ri)
		f, fh, fw := fid.ImageToCHW(fi)
		if fh != h || fw != w {
			fmt.Fprintf(opts.IO.ErrOut, "warning: %s is %d×%d but %s is %d×%d: pair left out of the pixel metrics\n",
				pr[0], w, h, pr[1], fw, fh)
			res.SizeMismatch++
			continue
		}
		// L1 on [−1, 1] values, as training and `colorize eval --checkpoint`
		// measure it: twice the mean absolute difference on [0, 1].
		hw := h * w
		var sum float64
		for c := 0; c < 3; c++ {
			var s float64
			for j := c * hw; j < (c+1)*hw; j++ {
				s += math.Abs(float64(f[j] - r[j]))
			}
			chans[c] += 2 * s / float64(hw)
			sum += s
		}
		l1 += 2 * sum / float64(3*hw)
		psnr += metrics.PSNR(f, r, 1)
		s, err := metrics.SSIM(f, r, 3, h, w)
		if err != nil {
			return fmt.Errorf("pair %s, %s: %w", pr[0], pr[1], err)
		}
		ssim += s
		bar.Update(i+1, "")
	}
	if res.SizeMismatch == len(pairs) {
		return nil
	}
	n := float64(len(pairs) - res.SizeMismatch)
	for c := range chans {
		chans[c] /= n
	}
	l1, psnr, ssim = l1/n, psnr/n, ssim/n
	comp := loss.Compensate(chans)
	res.L1, res.CompL1, res.PSNR, res.SSIM = &l1, &comp, &psnr, &ssim
	return nil
}

// distribution computes FID and/or KID; real is nil when opts.Real is a
// statistics file.
func distribution(opts *EvalOptions, m *fid.Model, real, fake []string, res *Result) error {
	res.Dims = opts.Dims
	extract := func(label string, src files) ([][]float32, error) {
		bar := progress.New(opts.IO.ErrOut, opts.IO.ErrTTY, "inception "+label, src.Len(), 0)
		bar.Unit = "img"
		defer bar.Finish()
		return m.Extract(src, 0, func(done int) { bar.Update(done, "") })
	}
	ff, err := extract("fake", files(fake))
	var fr [][]float32
	if err != nil {
		return err
	}
	if real != nil {
		if fr, err = extract("real", files(real)); err != nil {
			return err
		}
	}
	if opts.FID {
		var sr fid.Stats
		if real == nil {
			if sr, err = fid.LoadStats(opts.Real); err != nil {
				return err
			}
			if sr.Dim() != opts.Dims {
				return fmt.Errorf("%s holds %d-dimensional statistics, but --dims is %d", opts.Real, sr.Dim(), opts.Dims)
			}
		} else if sr, err = fid.ComputeStats(fr); err != nil {
			return fmt.Errorf("real images: %w", err)
		}
		sf, err := fid.ComputeStats(ff)
		if err != nil {
			return fmt.Errorf("fake images: %w", err)
		}
		if opts.SaveStats != "" {
			if err := fid.SaveStats(opts.SaveStats, sr); err != nil {
				return err
			}
		}
		d, err := fid.FrechetDistance(sr, sf)
		if err != nil {
			return err
		}
		res.FID = &d
	}
	if opts.KID {
		k, err := fid.KID(fr, ff, opts.KIDOpts)
		if err != nil {
			return err
		}
		res.KID, res.KIDStd, res.KIDSubset = &k.Mean, &k.Std, k.SubsetSize
	}
	return nil
}

func printTable(w io.Writer, r Result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	if r.NReal > 0 {
		fmt.Fprintf(tw, "real\t%s (%d images)\n", r.Real, r.NReal)
	} else {
		fmt.Fprintf(tw, "real\t%s (statistics)\n", r.Real)
	}
	fmt.Fprintf(tw, "fake\t%s (%d images)\n", r.Fake, r.NFake)
	if r.NReal > 0 {
		fmt.Fprintf(tw, "pairs\t%d\n", r.Pairs)
		if r.SizeMismatch > 0 {
			fmt.Fprintf(tw, "pairs of different sizes (left out)\t%d\n", r.SizeMismatch)
		}
	}
	if r.L1 != nil {
		fmt.Fprintf(tw, "L1\t%.5f\n", *r.L1)
		fmt.Fprintf(tw, "compensated L1\t%.5f\n", *r.CompL1)
		fmt.Fprintf(tw, "PSNR\t%.3f dB\n", *r.PSNR)
		fmt.Fprintf(tw, "SSIM\t%.5f\n", *r.SSIM)
	}
	if r.FID != nil {
		fmt.Fprintf(tw, "FID (%d)\t%.4f\n", r.Dims, *r.FID)
	}
	if r.KID != nil {
		fmt.Fprintf(tw, "KID (%d)\t%.6f ± %.6f (subsets of %d)\n", r.Dims, *r.KID, *r.KIDStd, r.KIDSubset)
	}
	tw.Flush()
}

// checkpointRun evaluates a trained generator on its validation triples.
func checkpointRun(ctx context.Context, opts *EvalOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	rep, err := evaluate.Checkpoint(ctx, evaluate.Options{
		Checkpoint: opts.Checkpoint, DataDir: opts.Data, MaxImages: opts.MaxImages,
		FID: opts.FID, KID: opts.KID, KIDOpts: opts.KIDOpts, Inception: opts.Inception, Dims: opts.Dims,
		SaveDir: opts.SaveDir, Progress: opts.IO.ErrOut, TTY: opts.IO.ErrTTY, Logger: opts.Logger,
	})
	if err != nil {
		return err
	}
	if opts.JSON {
		if math.IsInf(rep.PSNR, 0) {
			rep.PSNR = 0
		}
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	tw := tabwriter.NewWriter(opts.IO.Out, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "checkpoint\t%s (step %d)\n", rep.Checkpoint, rep.Step)
	fmt.Fprintf(tw, "data\t%s (%d validation images, fixed hints)\n", rep.Data, rep.N)
	fmt.Fprintf(tw, "L1\t%.5f\n", rep.L1)
	fmt.Fprintf(tw, "compensated L1\t%.5f\n", rep.CompL1)
	fmt.Fprintf(tw, "PSNR\t%.3f dB\n", rep.PSNR)
	fmt.Fprintf(tw, "SSIM\t%.5f\n", rep.SSIM)
	if rep.FID != nil {
		fmt.Fprintf(tw, "FID (%d)\t%.4f\n", opts.Dims, *rep.FID)
	}
	if rep.KID != nil {
		fmt.Fprintf(tw, "KID (%d)\t%.6f ± %.6f\n", opts.Dims, *rep.KID, *rep.KIDStd)
	}
	if opts.SaveDir != "" {
		fmt.Fprintf(tw, "images\t%s\n", opts.SaveDir)
	}
	return tw.Flush()
}
