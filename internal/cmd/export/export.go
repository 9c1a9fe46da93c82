// Package export implements `colorize export`.
package export

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/colorize-dev/colorize/internal/atomicfile"
	"github.com/colorize-dev/colorize/internal/buildinfo"
	"github.com/colorize-dev/colorize/internal/checkpoint"
	"github.com/colorize-dev/colorize/internal/cmdutil"
	"github.com/colorize-dev/colorize/internal/export"
)

// ExportOptions are the parsed flags of `colorize export`.
type ExportOptions struct {
	IO         *cmdutil.IOStreams
	Checkpoint string
	// RunsDir is searched for the newest run when Checkpoint is empty.
	RunsDir string
	Format  string
	Output  string
	Opset   int
	// Force replaces an existing output file.
	Force bool
}

// errDropout explains why --dropout is refused.
var errDropout = errors.New("--dropout: ONNX Runtime has no seeded dropout at inference " +
	"(ONNX's Dropout is the identity outside training mode, and its training mode draws " +
	"fresh units on every run), so an exported model cannot reproduce `colorize infer " +
	"--dropout --seed N`; export without --dropout for the deterministic model")

// NewCmdExport returns the export command. runF replaces the work in tests.
func NewCmdExport(f *cmdutil.Factory, runF func(*ExportOptions) error) *cobra.Command {
	opts := &ExportOptions{IO: f.IO}
	var dropout bool
	cmd := &cobra.Command{
		Use:   "export [--checkpoint FILE|RUN_DIR] --format onnx -o MODEL.onnx [--opset N] [--force]",
		Short: "Export a trained generator as an ONNX model",
		Long: fmt.Sprintf(`Write the generator of a checkpoint as an ONNX model that ONNX Runtime (or any
ONNX runtime) runs without colorize.

The model is the generator in inference mode: batch norm uses the running
statistics of training, folded into the convolutions; dropout is removed, so
the same input always gives the same picture (as colorize infer without
--dropout); the final tanh is kept.

Input "input": float32 [N, 5, H, W] — line art, hint RGB, hint mask — in
colorize's normalization: line = gray/127.5 − 1 (1 = white paper), hint RGB =
rgb/127.5 − 1 where a hint is given and 0 elsewhere, mask 1 where a hint is
given. Output "output": float32 [N, 3, H, W], RGB in [−1, 1]. N, H and W are
dynamic; H and W must be multiples of 2^depth: pad the right and bottom with
white paper and no hints, as colorize infer does, and crop the output. The
model's metadata_props state these rules, the colorize version, the model
configuration, the training step and the hint patch size.

Opset %d by default (%d to %d with --opset). Without --checkpoint, the best
checkpoint of the newest run under runs/ is used, and named. An existing
output file is replaced only with --force.`, export.DefaultOpset, export.MinOpset, export.MaxOpset),
		Example: `  colorize export --checkpoint runs/quickstart --format onnx -o colorize.onnx
  colorize export --checkpoint runs/paper/best.safetensors -o paper.onnx --opset 13 --force`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if dropout {
				return errDropout
			}
			if opts.Format != "onnx" {
				return fmt.Errorf("--format %q: the only format is onnx", opts.Format)
			}
			if opts.Output == "" {
				return errors.New("give the output file with -o MODEL.onnx")
			}
			if !strings.EqualFold(filepath.Ext(opts.Output), ".onnx") {
				return fmt.Errorf("-o %s: the output is an ONNX model, name it .onnx", opts.Output)
			}
			if opts.Opset < export.MinOpset || opts.Opset > export.MaxOpset {
				return fmt.Errorf("--opset %d: want %d to %d", opts.Opset, export.MinOpset, export.MaxOpset)
			}
			if runF != nil {
				return runF(opts)
			}
			return exportRun(opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Checkpoint, "checkpoint", "", "checkpoint file or run folder (default: best of the newest run under runs/)")
	fl.StringVar(&opts.RunsDir, "runs", "runs", "where to look for the newest run when --checkpoint is not given")
	fl.StringVar(&opts.Format, "format", "onnx", "model format (the only one is onnx)")
	fl.StringVarP(&opts.Output, "output", "o", "", "output file (MODEL.onnx)")
	fl.IntVar(&opts.Opset, "opset", export.DefaultOpset, "ONNX operator set version")
	fl.BoolVar(&opts.Force, "force", false, "replace the output file if it exists")
	fl.BoolVar(&dropout, "dropout", false, "keep dropout in the model (refused: ONNX Runtime has no seeded dropout at inference)")
	return cmd
}

func exportRun(opts *ExportOptions) error {
	// Check the output first, so a refused export costs nothing.
	if st, err := os.Stat(opts.Output); err == nil {
		if st.IsDir() {
			return fmt.Errorf("-o %s is a folder", opts.Output)
		}
		if !opts.Force {
			return fmt.Errorf("%s exists; use --force to replace it", opts.Output)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("-o %s: %w", opts.Output, err)
	}
	if st, err := os.Stat(filepath.Dir(opts.Output)); err != nil || !st.IsDir() {
		return fmt.Errorf("-o %s: the folder %s does not exist", opts.Output, filepath.Dir(opts.Output))
	}
	ckpt := opts.Checkpoint
	if ckpt == "" {
		var err error
		if ckpt, err = checkpoint.NewestRun(opts.RunsDir); err != nil {
			return err
		}
	}
	file, err := checkpoint.Resolve(ckpt)
	if err != nil {
		return err
	}
	if same(file, opts.Output) {
		return fmt.Errorf("-o %s is the checkpoint itself", opts.Output)
	}
	f, err := checkpoint.Read(file)
	if err != nil {
		return err
	}
	m, err := f.NewModel()
	if err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.ErrOut, "using %s (step %d)\n", file, f.Step)
	if f.Config.Model.InferDropout {
		fmt.Fprintln(opts.IO.ErrOut, "note: the checkpoint has model.infer_dropout on; the exported model has no dropout (colorize infer --dropout=false)")
	}
	model, err := export.ONNX(m.Gen, export.Info{Version: buildinfo.String(), Step: f.Step, Config: f.Config}, opts.Opset)
	if err != nil {
		return fmt.Errorf("export %s: %w", file, err)
	}
	b, err := model.Marshal()
	if err != nil {
		return fmt.Errorf("export %s: %w", file, err)
	}
	if err := atomicfile.WriteFile(opts.Output, b); err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.ErrOut, "wrote %s: ONNX opset %d, %.1f MB; input [N, 5, H, W] with H and W multiples of %d\n",
		opts.Output, opts.Opset, float64(len(b))/1e6, 1<<f.Config.Model.Depth)
	fmt.Fprintln(opts.IO.Out, opts.Output)
	return nil
}

// same reports whether the paths name one existing file.
func same(a, b string) bool {
	sa, err1 := os.Stat(a)
	sb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(sa, sb)
}
