// Package compare implements `colorize compare`.
package compare

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/spf13/cobra"

	"github.com/colorize-dev/colorize/internal/cmdutil"
	"github.com/colorize-dev/colorize/internal/compare"
	"github.com/colorize-dev/colorize/internal/config"
	"github.com/colorize-dev/colorize/internal/evaluate"
)

// CompareOptions are the parsed flags of `colorize compare`.
type CompareOptions struct {
	IO        *cmdutil.IOStreams
	Logger    *slog.Logger
	Config    config.Config
	Seeds     int
	Arms      []compare.Arm
	Out       string
	Inception string
	MaxEval   int
	// HintCounts is the hint axis of the final evaluation.
	HintCounts []int
	// Plan, if set, is where the per-run commands go (nothing is trained).
	Plan string
	// Run is the one run to train (-1: all); Collect trains nothing.
	Run     int
	Collect bool
}

// NewCmdCompare returns the compare command. runF replaces the work in tests.
func NewCmdCompare(f *cmdutil.Factory, runF func(context.Context, *CompareOptions) error) *cobra.Command {
	opts := &CompareOptions{IO: f.IO}
	var arms []string
	cmd := &cobra.Command{
		Use:   "compare --config FILE [--seeds N] [--arms A,B,…] [--steps N] [--out DIR] [--plan FILE | --run I | --collect]",
		Short: "Rerun the paper's experiment: compensated L1 against plain L1 (and more arms)",
		Long: `Train the configured model once per seed and arm — by default plain L1 and the
compensated L1; --arms adds compensated_l1_detached (the weights held constant
in the gradient) — from identical initial weights, data order and hints, then
evaluate every run (also along the hint axis, --hints) and write a report
(report.md, a self-contained report.html, curves.png, results.json) to --out:
Table 1 with the seed spread, and paired per-image differences against the
first arm with bootstrap 95% intervals and effect sizes.

Finished runs are reused and unfinished ones resumed, so running the same
command again after an interruption continues the comparison. FID and KID are
included when pytorch-fid's Inception weights are found (--inception or
eval.inception); otherwise the report says they were skipped and why.

To spread the runs over machines, --plan FILE writes one command per run
(each is "compare ... --run I"; see docs/compare-cluster.md for GNU parallel,
Slurm and Kubernetes) that all write into --out; compare --collect then
reports whatever has finished. A run being trained elsewhere (its folder
locked) is reported as running, never trained twice.`,
		Example: `  colorize compare --config configs/compare.yaml --seeds 3 --out runs/compare
  colorize compare --config configs/compare.yaml --seeds 3 --arms l1,compensated_l1,compensated_l1_detached
  colorize compare --config configs/compare.yaml --seeds 3 --out /shared/cmp --plan plan.sh
  colorize compare --config /shared/cmp/compare.yaml --seeds 3 --out /shared/cmp --collect`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fl := cmd.Flags()
			cfg, err := f.Config(
				config.FlagBinding{Key: "train.steps", Flag: fl.Lookup("steps")},
				config.FlagBinding{Key: "data.dir", Flag: fl.Lookup("data")},
				config.FlagBinding{Key: "data.line_art", Flag: fl.Lookup("line-art")},
				config.FlagBinding{Key: "eval.inception", Flag: fl.Lookup("inception")},
			)
			if err != nil {
				return err
			}
			if opts.Seeds < 1 || opts.Seeds > 100 {
				return fmt.Errorf("--seeds must be in [1, 100], got %d", opts.Seeds)
			}
			if opts.Arms, err = compare.ParseArms(arms); err != nil {
				return err
			}
			for _, n := range opts.HintCounts {
				if n < 0 || n > 1024 {
					return fmt.Errorf("--hints %d: want a number of hints in [0, 1024]", n)
				}
			}
			modes := 0
			for _, on := range []bool{opts.Plan != "", opts.Run >= 0, opts.Collect} {
				if on {
					modes++
				}
			}
			if modes > 1 {
				return errors.New("--plan, --run and --collect are different modes: give one")
			}
			if fl.Changed("run") && opts.Run < 0 {
				return fmt.Errorf("--run %d: want a run index ≥ 0", opts.Run)
			}
			opts.Config, opts.Logger, opts.Inception = cfg, f.Logger, cfg.Eval.Inception
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return compareRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&opts.Seeds, "seeds", 1, "number of seeds (seed, seed+1, …)")
	fl.StringSliceVar(&arms, "arms", compare.DefaultArms, "arms to compare, the baseline first: l1, compensated_l1, compensated_l1_detached")
	fl.IntSliceVar(&opts.HintCounts, "hints", []int{0, 1, 4, 16, 64}, "hint axis of the final evaluation: exactly N hints per image, for each N (empty: none)")
	fl.Int("steps", 0, "training steps per run (train.steps)")
	fl.String("data", "", "data folder (data.dir)")
	fl.String("line-art", "", "line art: auto (drawn where the folder has it) or xdog (always synthesised) (data.line_art)")
	fl.String("inception", "", "pytorch-fid weights file (eval.inception)")
	fl.StringVar(&opts.Out, "out", "runs/compare", "output folder")
	fl.IntVar(&opts.MaxEval, "max-eval", 0, "evaluate at most N validation images per run (0 = all)")
	fl.StringVar(&opts.Plan, "plan", "", "write one command per run to this file instead of training")
	fl.IntVar(&opts.Run, "run", -1, "train only run I of the plan (0-based), then stop")
	fl.BoolVar(&opts.Collect, "collect", false, "train nothing: report the runs that have finished")
	return cmd
}

func compareRun(ctx context.Context, opts *CompareOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	co := compare.Options{
		Config: opts.Config, Seeds: opts.Seeds, Arms: opts.Arms, Out: opts.Out, HintCounts: opts.HintCounts,
		Collect: opts.Collect,
		Eval: evaluate.Options{FID: true, KID: true, Inception: opts.Inception, Dims: opts.Config.Eval.Dims,
			SkipMissingWeights: true, MaxImages: opts.MaxEval, Progress: opts.IO.ErrOut, TTY: opts.IO.ErrTTY, Logger: opts.Logger},
		Progress: opts.IO.ErrOut, TTY: opts.IO.ErrTTY, Logger: opts.Logger,
	}
	if opts.Run >= 0 {
		co.Only = &opts.Run
	}
	if opts.Plan != "" {
		exe, err := os.Executable()
		if err != nil {
			exe = "colorize"
		}
		n, err := compare.WritePlan(opts.Plan, co, exe)
		if err != nil {
			return err
		}
		fmt.Fprintf(opts.IO.Out, "wrote %s: %d runs, one command each; collect with --collect\n", opts.Plan, n)
		return nil
	}
	res, err := compare.Compare(ctx, co)
	if err != nil || opts.Run >= 0 {
		return err
	}
	fmt.Fprint(opts.IO.Out, compare.Table(res))
	for _, r := range res.Rows {
		for _, vs := range r.Vs {
			fmt.Fprintln(opts.IO.Out, "- "+vs.Sentence)
		}
	}
	if res.FIDSkipped != "" {
		fmt.Fprintf(opts.IO.Out, "\nFID/KID skipped: %s\n", res.FIDSkipped)
	}
	if len(res.Running)+len(res.Missing) > 0 {
		fmt.Fprintf(opts.IO.Out, "\nnot compared yet: %d running elsewhere, %d not started\n", len(res.Running), len(res.Missing))
	}
	fmt.Fprintf(opts.IO.Out, "\nreport: %s/report.md, %s/report.html\n", opts.Out, opts.Out)
	return nil
}
