// Package eval implements `colorize eval`: its flags and its output. The
// work, in checkpoint mode (colorize the validation triples and measure)
// and in folder mode (compare generated images with real ones), is
// internal/evaluate's.
package eval

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/colorize-dev/colorize/internal/cmdutil"
	"github.com/colorize-dev/colorize/internal/config"
	"github.com/colorize-dev/colorize/internal/evaluate"
	"github.com/colorize-dev/colorize/internal/fid"
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
	// (default: the checkpoint's data.dir), a cap on the images, a folder
	// for the colorized images and the generator's batch.
	Checkpoint string
	Data       string
	MaxImages  int
	SaveDir    string
	// Batch is the number of images per generator run (eval.batch).
	Batch int
	// HintCounts is the hint axis (--hints): every measure again with
	// exactly n hints per image.
	HintCounts []int
	Logger     *slog.Logger
}

// Result is what folder mode reports.
type Result = evaluate.FolderResult

// NewCmdEval returns the eval command. runF, when not nil, replaces the work
// (tests use it to check flag parsing).
func NewCmdEval(f *cmdutil.Factory, runF func(context.Context, *EvalOptions) error) *cobra.Command {
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
				config.FlagBinding{Key: "eval.batch", Flag: fl.Lookup("batch")},
			)
			if err != nil {
				return err
			}
			opts.Inception, opts.Dims, opts.Batch = cfg.Eval.Inception, cfg.Eval.Dims, cfg.Eval.Batch
			switch opts.Dims {
			case 64, 192, 768, 2048:
			default:
				return fmt.Errorf("--dims %d: want 64, 192, 768 or 2048", opts.Dims)
			}
			if evaluate.IsStats(opts.Real) && opts.KID {
				return fmt.Errorf("--kid needs the real images, not the statistics file %s", opts.Real)
			}
			if opts.SaveStats != "" && (evaluate.IsStats(opts.Real) || !opts.FID) {
				return errors.New("--save-stats needs --fid and a folder of real images")
			}
			for _, n := range opts.HintCounts {
				if n < 0 || n > 1024 {
					return fmt.Errorf("--hints %d: want a number of hints in [0, 1024]", n)
				}
			}
			if len(opts.HintCounts) > 0 && opts.Checkpoint == "" {
				return errors.New("--hints needs --checkpoint (it colorizes the validation set with each number of hints)")
			}
			if opts.KIDOpts.Subsets < 1 || opts.KIDOpts.SubsetSize < 2 {
				return fmt.Errorf("--kid-subsets %d and --kid-subset-size %d: want ≥ 1 and ≥ 2",
					opts.KIDOpts.Subsets, opts.KIDOpts.SubsetSize)
			}
			opts.Logger = f.Logger
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			if opts.Checkpoint != "" {
				return checkpointRun(cmd.Context(), opts)
			}
			return evalRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Checkpoint, "checkpoint", "", "checkpoint file or run folder to evaluate")
	fl.StringVar(&opts.Data, "data", "", "with --checkpoint: data folder (default: the checkpoint's data.dir)")
	fl.IntVar(&opts.MaxImages, "max-images", 0, "with --checkpoint: at most N validation images (0 = all)")
	fl.IntSliceVar(&opts.HintCounts, "hints", nil, "with --checkpoint: also measure with exactly N hints per image, for each N (the hint axis, e.g. 0,1,4,16,64)")
	fl.StringVar(&opts.SaveDir, "save", "", "with --checkpoint: write the colorized images to this folder")
	fl.StringVar(&opts.Real, "real", "", "folder of real images, or a .npz statistics file")
	fl.StringVar(&opts.Fake, "fake", "", "folder of generated images")
	fl.BoolVar(&opts.FID, "fid", false, "compute the Fréchet Inception Distance")
	fl.BoolVar(&opts.KID, "kid", false, "compute the Kernel Inception Distance")
	fl.BoolVar(&opts.JSON, "json", false, "print JSON instead of a table")
	fl.String("inception", "", "pytorch-fid weights file (eval.inception; default "+fid.DefaultWeightsPath()+")")
	fl.Int("dims", 2048, "Inception feature dimension: 64, 192, 768 or 2048 (eval.dims)")
	fl.Int("batch", config.Default().Eval.Batch, "with --checkpoint: images per generator run (eval.batch)")
	fl.StringVar(&opts.SaveStats, "save-stats", "", "write the real images' FID statistics to this .npz")
	fl.IntVar(&opts.KIDOpts.Subsets, "kid-subsets", opts.KIDOpts.Subsets, "KID: number of random subsets")
	fl.IntVar(&opts.KIDOpts.SubsetSize, "kid-subset-size", opts.KIDOpts.SubsetSize, "KID: images per subset (capped at the set sizes)")
	fl.Uint64Var(&opts.KIDOpts.Seed, "seed", 0, "KID: seed of the subset draws")
	return cmd
}

// evalRun compares the two folders.
func evalRun(ctx context.Context, opts *EvalOptions) error {
	res, err := evaluate.Folders(ctx, opts.evaluateOptions())
	return report(opts, res, err, printTable)
}

// checkpointRun evaluates a trained generator on its validation triples.
func checkpointRun(ctx context.Context, opts *EvalOptions) error {
	rep, err := evaluate.Checkpoint(ctx, opts.evaluateOptions())
	return report(opts, rep, err, func(w io.Writer, r evaluate.Report) { printReport(w, r, opts.SaveDir) })
}

// report prints a mode's result as JSON or as a table.
func report[T any](opts *EvalOptions, res T, err error, table func(io.Writer, T)) error {
	if err != nil {
		return err
	}
	if opts.JSON {
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	table(opts.IO.Out, res)
	return nil
}

// evaluateOptions are the options of either mode for internal/evaluate.
func (opts *EvalOptions) evaluateOptions() evaluate.Options {
	return evaluate.Options{
		Checkpoint: opts.Checkpoint, DataDir: opts.Data, MaxImages: opts.MaxImages, Batch: opts.Batch, SaveDir: opts.SaveDir,
		HintCounts: opts.HintCounts,
		Real:       opts.Real, Fake: opts.Fake, SaveStats: opts.SaveStats,
		FID: opts.FID, KID: opts.KID, KIDOpts: opts.KIDOpts, Inception: opts.Inception, Dims: opts.Dims,
		Progress: opts.IO.ErrOut, TTY: opts.IO.ErrTTY, Logger: opts.Logger,
	}
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
		fmt.Fprintf(tw, "PSNR\t%.3f dB\n", float64(*r.PSNR))
		fmt.Fprintf(tw, "SSIM\t%.5f\n", *r.SSIM)
	}
	printDist(tw, r.Dist)
	tw.Flush()
}

func printDist(tw io.Writer, d evaluate.Dist) {
	if d.FID != nil {
		fmt.Fprintf(tw, "FID (%d)\t%.4f\n", d.Dims, *d.FID)
	}
	if d.KID != nil {
		fmt.Fprintf(tw, "KID (%d)\t%.6f ± %.6f (subsets of %d)\n", d.Dims, *d.KID, *d.KIDStd, d.KIDSubset)
	}
}

func printReport(w io.Writer, rep evaluate.Report, saveDir string) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "checkpoint\t%s (step %d)\n", rep.Checkpoint, rep.Step)
	fmt.Fprintf(tw, "data\t%s (%d validation images, fixed hints)\n", rep.Data, rep.N)
	fmt.Fprintf(tw, "L1\t%.5f\n", rep.L1)
	fmt.Fprintf(tw, "compensated L1\t%.5f\n", rep.CompL1)
	fmt.Fprintf(tw, "PSNR\t%.3f dB\n", float64(rep.PSNR))
	fmt.Fprintf(tw, "SSIM\t%.5f\n", rep.SSIM)
	printDist(tw, rep.Dist)
	if saveDir != "" {
		fmt.Fprintf(tw, "images\t%s\n", saveDir)
	}
	tw.Flush()
	if len(rep.HintAxis) == 0 {
		return
	}
	fmt.Fprintln(w, "\nhint axis (exactly N hints per image, fixed per image name):")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "hints\tL1\tcompensated L1\tPSNR (dB)\tSSIM\tFID\tKID")
	for _, p := range rep.HintAxis {
		fid, kid := "-", "-"
		if p.FID != nil {
			fid = fmt.Sprintf("%.4f", *p.FID)
		}
		if p.KID != nil {
			kid = fmt.Sprintf("%.6f", *p.KID)
		}
		fmt.Fprintf(tw, "%d\t%.5f\t%.5f\t%.3f\t%.5f\t%s\t%s\n", p.Hints, p.L1, p.CompL1, float64(p.PSNR), p.SSIM, fid, kid)
	}
	tw.Flush()
}
