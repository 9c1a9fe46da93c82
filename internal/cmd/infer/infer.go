// Package infer implements `colorize infer`.
package infer

import (
	"errors"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/colorize-dev/colorize/internal/checkpoint"
	"github.com/colorize-dev/colorize/internal/cmdutil"
	"github.com/colorize-dev/colorize/internal/imageio"
	"github.com/colorize-dev/colorize/internal/infer"
)

// InferOptions are the parsed flags of `colorize infer`.
type InferOptions struct {
	IO         *cmdutil.IOStreams
	Inputs     []string
	Checkpoint string
	// RunsDir is searched for the newest run when Checkpoint is empty.
	RunsDir    string
	Hint       string
	HintPoints string
	Output     string
	OutDir     string
	MaxSide    int
	// Dropout and Seed override the checkpoint's model.infer_dropout and
	// seed when set.
	Dropout *bool
	Seed    *uint64
}

// NewCmdInfer returns the infer command. runF replaces the work in tests.
func NewCmdInfer(f *cmdutil.Factory, runF func(*InferOptions) error) *cobra.Command {
	opts := &InferOptions{IO: f.IO}
	var dropout bool
	var seed uint64
	cmd := &cobra.Command{
		Use:   "infer SKETCH|FOLDER... [--checkpoint FILE|RUN_DIR] [--hint HINT.png] [--hint-points POINTS] [-o OUT.png | --out-dir DIR]",
		Short: "Colorize sketches of any size, with or without color hints",
		Long: `Colorize line-art sketches (PNG, JPEG, GIF, BMP, TIFF, WebP; gray, RGB or
with alpha, composited on white) with a trained generator. The output has the
sketch's size: the sketch is padded to a multiple of 2^depth with white paper,
colorized and cropped back. --max-side N colorizes larger sketches at a
reduced size and scales the result back up.

Hints: --hint takes an RGBA image of the sketch's size whose opaque pixels
(alpha ≥ 50%) are hints; --hint-points "x,y,#rrggbb x,y,#rrggbb" paints squares
of the training hint size (hints.patch at data.size, scaled to the sketch)
centred on the given pixels, drawn over the --hint image if both are given.
No hint at all is valid.

Batch norm uses the running statistics of training. Dropout is off unless the
checkpoint's model.infer_dropout or --dropout turns it on (pix2pix's test-time
noise; --seed picks the units), so by default the same sketch and hints
always give the same picture.

Without --checkpoint, the best checkpoint of the newest run under runs/ is
used, and named. Without -o or --out-dir, SKETCH.png is written as
SKETCH.colorized.png beside it. An input file is never overwritten. With
several inputs, failures are listed at the end and the exit status is 1.`,
		Example: `  colorize infer sketch.png --checkpoint runs/quickstart -o colored.png
  colorize infer sketch.png --hint-points "40,30,#e02020 80,60,#2060e0"
  colorize infer sketches/ --out-dir colored/ --max-side 1024`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Inputs = args
			if opts.Output != "" && opts.OutDir != "" {
				return errors.New("give -o or --out-dir, not both")
			}
			if opts.Output != "" && !strings.EqualFold(filepath.Ext(opts.Output), ".png") {
				return fmt.Errorf("-o %s: the output is a PNG, name it .png", opts.Output)
			}
			if opts.MaxSide < 0 {
				return fmt.Errorf("--max-side %d must be ≥ 0", opts.MaxSide)
			}
			if cmd.Flags().Changed("dropout") {
				opts.Dropout = &dropout
			}
			if cmd.Flags().Changed("seed") {
				opts.Seed = &seed
			}
			if runF != nil {
				return runF(opts)
			}
			return inferRun(opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Checkpoint, "checkpoint", "", "checkpoint file or run folder (default: best of the newest run under runs/)")
	fl.StringVar(&opts.RunsDir, "runs", "runs", "where to look for the newest run when --checkpoint is not given")
	fl.StringVar(&opts.Hint, "hint", "", "RGBA hint image of the sketch's size (opaque pixels are hints)")
	fl.StringVar(&opts.HintPoints, "hint-points", "", `hint points "x,y,#rrggbb x,y,#rrggbb"`)
	fl.StringVarP(&opts.Output, "output", "o", "", "output PNG (one input only)")
	fl.StringVar(&opts.OutDir, "out-dir", "", "folder for the outputs (NAME.png each)")
	fl.IntVar(&opts.MaxSide, "max-side", 0, "colorize at most this many pixels on the longer side, then scale back up (0 = no limit)")
	fl.BoolVar(&dropout, "dropout", false, "keep dropout on at inference, pix2pix's test-time noise (default: the checkpoint's model.infer_dropout)")
	fl.Uint64Var(&seed, "seed", 0, "dropout seed when dropout is on (default: the checkpoint's seed)")
	return cmd
}

func inferRun(opts *InferOptions) error {
	inputs, err := expand(opts.Inputs)
	if err != nil {
		return err
	}
	if len(inputs) > 1 && (opts.Output != "" || opts.Hint != "" || opts.HintPoints != "") {
		return fmt.Errorf("%d sketches given: -o, --hint and --hint-points need exactly one (use --out-dir)", len(inputs))
	}
	points, err := infer.ParsePoints(opts.HintPoints)
	if err != nil {
		return fmt.Errorf("--hint-points: %w", err)
	}
	var hint image.Image
	if opts.Hint != "" {
		if hint, _, err = imageio.Decode(opts.Hint); err != nil {
			return fmt.Errorf("--hint: %w", err)
		}
	}
	ckpt := opts.Checkpoint
	if ckpt == "" {
		if ckpt, err = checkpoint.NewestRun(opts.RunsDir); err != nil {
			return err
		}
	}
	c, err := infer.Open(ckpt)
	if err != nil {
		return err
	}
	defer c.Close()
	if opts.Dropout != nil {
		c.Dropout = *opts.Dropout
	}
	if opts.Seed != nil {
		c.Seed = *opts.Seed
	}
	fmt.Fprintf(opts.IO.ErrOut, "using %s (step %d)\n", c.Path, c.Step)

	isInput := map[string]bool{}
	for _, in := range inputs {
		isInput[absPath(in)] = true
	}
	if opts.OutDir != "" {
		if err := os.MkdirAll(opts.OutDir, 0o755); err != nil {
			return err
		}
	}
	var failures []string
	writtenFrom := map[string]string{} // output → the input it came from
	for _, in := range inputs {
		out := outputPath(opts, in)
		var err error
		if prev, ok := writtenFrom[absPath(out)]; ok {
			// a.png and a.jpg both map to OUT/a.png: keep the first.
			err = fmt.Errorf("%s: its output %s already holds the colorized %s", in, out, prev)
		} else {
			err = colorizeOne(c, in, out, hint, points, opts.MaxSide, isInput)
		}
		if err != nil {
			if len(inputs) == 1 {
				return err
			}
			failures = append(failures, err.Error())
			fmt.Fprintf(opts.IO.ErrOut, "failed: %v\n", err)
			continue
		}
		writtenFrom[absPath(out)] = in
		fmt.Fprintln(opts.IO.Out, out)
	}
	if len(failures) > 0 {
		return fmt.Errorf("%d of %d sketches failed:\n  %s", len(failures), len(inputs), strings.Join(failures, "\n  "))
	}
	return nil
}

func colorizeOne(c *infer.Colorizer, in, out string, hint image.Image, points []infer.Point, maxSide int, isInput map[string]bool) error {
	if isInput[absPath(out)] {
		return fmt.Errorf("%s: the output %s would overwrite an input; choose -o or --out-dir", in, out)
	}
	sketch, _, err := imageio.Decode(in)
	if err != nil {
		return err
	}
	img, err := c.Colorize(infer.Request{Sketch: sketch, Hint: hint, Points: points, MaxSide: maxSide})
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	b, err := infer.EncodePNG(img)
	if err != nil {
		return fmt.Errorf("%s: %w", out, err)
	}
	return checkpoint.WriteFileAtomic(out, b)
}

func outputPath(opts *InferOptions, in string) string {
	stem := strings.TrimSuffix(filepath.Base(in), filepath.Ext(in))
	switch {
	case opts.Output != "":
		return opts.Output
	case opts.OutDir != "":
		return filepath.Join(opts.OutDir, stem+".png")
	default:
		return filepath.Join(filepath.Dir(in), stem+".colorized.png")
	}
}

// expand replaces folders by the image files they hold (sorted, not
// recursive; earlier outputs named *.colorized.png are left out).
func expand(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil || !st.IsDir() {
			// A missing or unreadable file fails when it is decoded, so
			// it is listed with the other failures.
			out = append(out, a)
			continue
		}
		entries, err := os.ReadDir(a)
		if err != nil {
			return nil, err
		}
		var found []string
		for _, e := range entries {
			name := e.Name()
			if e.IsDir() || strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".colorized.png") || !isImageName(name) {
				continue
			}
			found = append(found, filepath.Join(a, name))
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("folder %s holds no images", a)
		}
		sort.Strings(found)
		out = append(out, found...)
	}
	return out, nil
}

func isImageName(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".webp":
		return true
	}
	return false
}

func absPath(p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	return a
}
