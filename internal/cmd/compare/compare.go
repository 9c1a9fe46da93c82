// Package compare implements `colorize compare`.
package compare

import (
	"context"
	"fmt"
	"log/slog"

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
	Out       string
	Inception string
	MaxEval   int
}

// NewCmdCompare returns the compare command. runF replaces the work in tests.
func NewCmdCompare(f *cmdutil.Factory, runF func(context.Context, *CompareOptions) error) *cobra.Command {
	opts := &CompareOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "compare --config FILE [--seeds N] [--steps N] [--out DIR]",
		Short: "Rerun the paper's experiment: compensated L1 against plain L1",
		Long: `Train the configured model per seed twice — with plain L1 and with the
compensated L1 — from identical initial weights, data order and hints, then
evaluate both and write a report (report.md, a self-contained report.html,
curves.png, results.json) to --out.

Finished runs are reused and unfinished ones resumed, so running the same
command again after an interruption continues the comparison. FID and KID are
included when pytorch-fid's Inception weights are found (--inception or
eval.inception); otherwise the report says they were skipped and why.`,
		Example: `  colorize compare --config configs/compare.yaml --seeds 3 --out runs/compare`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fl := cmd.Flags()
			cfg, err := f.Config(
				config.FlagBinding{Key: "train.steps", Flag: fl.Lookup("steps")},
				config.FlagBinding{Key: "data.dir", Flag: fl.Lookup("data")},
				config.FlagBinding{Key: "eval.inception", Flag: fl.Lookup("inception")},
			)
			if err != nil {
				return err
			}
			if opts.Seeds < 1 || opts.Seeds > 100 {
				return fmt.Errorf("--seeds must be in [1, 100], got %d", opts.Seeds)
			}
			opts.Config, opts.Logger, opts.Inception = cfg, f.Logger, cfg.Eval.Inception
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return compareRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().IntVar(&opts.Seeds, "seeds", 1, "number of seeds (seed, seed+1, …)")
	cmd.Flags().Int("steps", 0, "training steps per run (train.steps)")
	cmd.Flags().String("data", "", "data folder (data.dir)")
	cmd.Flags().String("inception", "", "pytorch-fid weights file (eval.inception)")
	cmd.Flags().StringVar(&opts.Out, "out", "runs/compare", "output folder")
	cmd.Flags().IntVar(&opts.MaxEval, "max-eval", 0, "evaluate at most N validation images per run (0 = all)")
	return cmd
}

func compareRun(ctx context.Context, opts *CompareOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	res, err := compare.Compare(ctx, compare.Options{
		Config: opts.Config, Seeds: opts.Seeds, Out: opts.Out,
		Eval: evaluate.Options{FID: true, KID: true, Inception: opts.Inception, Dims: opts.Config.Eval.Dims,
			SkipMissingWeights: true, MaxImages: opts.MaxEval, Progress: opts.IO.ErrOut, TTY: opts.IO.ErrTTY, Logger: opts.Logger},
		Progress: opts.IO.ErrOut, TTY: opts.IO.ErrTTY, Logger: opts.Logger,
	})
	if err != nil {
		return err
	}
	fmt.Fprint(opts.IO.Out, compare.Table(res))
	if res.FIDSkipped != "" {
		fmt.Fprintf(opts.IO.Out, "\nFID/KID skipped: %s\n", res.FIDSkipped)
	}
	fmt.Fprintf(opts.IO.Out, "\nreport: %s/report.md, %s/report.html\n", opts.Out, opts.Out)
	return nil
}
