// Package train implements `colorize train`.
package train

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/colorize-dev/colorize/internal/cmdutil"
	"github.com/colorize-dev/colorize/internal/config"
	"github.com/colorize-dev/colorize/internal/train"
)

// TrainOptions are the parsed flags of `colorize train`.
type TrainOptions struct {
	IO     *cmdutil.IOStreams
	Logger *slog.Logger
	Config config.Config
	// ConfigPath is the --config file, for the resume hint.
	ConfigPath string
	Resume     bool
	Force      bool
}

// NewCmdTrain returns the train command. runF replaces the work in tests.
func NewCmdTrain(f *cmdutil.Factory, runF func(context.Context, *TrainOptions) error) *cobra.Command {
	opts := &TrainOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "train --config FILE [--steps N] [--out DIR] [--resume | --force]",
		Short: "Train a colorization GAN",
		Long: `Train the U-Net generator and PatchGAN discriminator on data.dir.

Shows a progress bar; writes metrics.jsonl, sample grids, config.yaml and
checkpoints (safetensors) to the run folder (--out or train.out). Ctrl-C or
SIGTERM saves a checkpoint and exits; --resume continues from the newest
checkpoint of the run folder exactly as if the run had not stopped.

One process trains in a run folder at a time (a second one is refused, naming
the first). A folder that already holds a run is refused unless --resume
continues it or --force starts over, after moving its files into a dated
subfolder (previous-<time>/): nothing is deleted.`,
		Example: `  colorize train --config configs/quickstart.yaml
  colorize train --config configs/paper.yaml --data ../shared/data/openmoji128 --steps 20000
  colorize train --config configs/quickstart.yaml --resume`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fl := cmd.Flags()
			cfg, err := f.Config(
				config.FlagBinding{Key: "train.steps", Flag: fl.Lookup("steps")},
				config.FlagBinding{Key: "train.out", Flag: fl.Lookup("out")},
				config.FlagBinding{Key: "data.dir", Flag: fl.Lookup("data")},
				config.FlagBinding{Key: "seed", Flag: fl.Lookup("seed")},
				config.FlagBinding{Key: "train.loss", Flag: fl.Lookup("loss")},
			)
			if err != nil {
				return err
			}
			opts.Config = cfg
			opts.Logger = f.Logger
			if f.ConfigPath != nil {
				opts.ConfigPath = f.ConfigPath()
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return trainRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().Int("steps", 0, "total number of training steps (train.steps)")
	cmd.Flags().String("out", "", "run folder (train.out)")
	cmd.Flags().String("data", "", "data folder (data.dir)")
	cmd.Flags().Int64("seed", 0, "random seed (seed)")
	cmd.Flags().String("loss", "", "reconstruction loss: l1 or compensated_l1 (train.loss)")
	cmd.Flags().BoolVar(&opts.Resume, "resume", false, "continue from the newest checkpoint in the run folder")
	cmd.Flags().BoolVar(&opts.Force, "force", false, "start over in a run folder that holds a run (its files move to a dated subfolder first)")
	return cmd
}

func trainRun(ctx context.Context, opts *TrainOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	c := opts.Config
	fmt.Fprintf(opts.IO.ErrOut, "training %s → %s (loss %s, %d steps, batch %d, %d², U-Net depth %d ngf %d, PatchGAN ndf %d)\n",
		c.Data.Dir, c.Train.Out, c.Train.Loss, c.Train.Steps, c.Train.Batch, c.Data.Size, c.Model.Depth, c.Model.NGF, c.Model.NDF)
	res, err := train.Run(ctx, train.Options{Config: c, Resume: opts.Resume, Force: opts.Force, Progress: opts.IO.ErrOut, TTY: opts.IO.ErrTTY, Logger: opts.Logger})
	if err != nil {
		return err
	}
	if res.Interrupted {
		cfgArg := ""
		if opts.ConfigPath != "" {
			cfgArg = " --config " + opts.ConfigPath
		}
		fmt.Fprintf(opts.IO.Out, "interrupted at step %d; checkpoint %s\nresume with: colorize train%s --out %s --resume\n", res.Step, res.LastCkpt, cfgArg, c.Train.Out)
		return nil
	}
	fmt.Fprintf(opts.IO.Out, "done: step %d, validation L1 %.4f (best %.4f); checkpoint %s\n", res.Step, res.LastValL1, res.BestValL1, res.LastCkpt)
	return nil
}
