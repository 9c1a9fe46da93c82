// Package prepare implements `colorize prepare`, which turns a folder of
// images into training triples on disk (line/, hint/, color/ at the training
// size) plus a contact sheet to look at: its flags and output; the work is
// data.Prepare's.
package prepare

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/colorize-dev/colorize/internal/cmdutil"
	"github.com/colorize-dev/colorize/internal/config"
	"github.com/colorize-dev/colorize/internal/data"
)

// PrepareOptions are the parsed flags of `colorize prepare`.
type PrepareOptions struct {
	IO *cmdutil.IOStreams
	// Config loads the configuration (size, hint and XDoG settings, workers).
	Config func() (config.Config, error)

	Src, Out string
	// Sheet is the number of examples on the contact sheet (0 = none).
	Sheet int

	size int // --size, applied by Config
}

// SheetFile is the contact sheet's name inside --out.
const SheetFile = data.SheetFile

// NewCmdPrepare returns the prepare command. runF, when not nil, replaces
// the work (tests use it to check flag parsing).
func NewCmdPrepare(f *cmdutil.Factory, runF func(context.Context, *PrepareOptions) error) *cobra.Command {
	opts := &PrepareOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "prepare --src DIR --out DIR [--size N]",
		Short: "Write (line art, hints, color) training triples and a contact sheet",
		Long: `prepare reads a folder of images and writes, at the training size,
  OUT/line/NAME.png   line art (8-bit gray): drawn (SRC/line/) or synthesised with XDoG
  OUT/hint/NAME.png   color hints (RGBA, alpha = mask), fixed for each file
  OUT/color/NAME.png  the original (RGB)
  OUT/index.csv       the drawing group of each file (kept from SRC/index.csv)
  OUT/contact-sheet.png  a contact sheet: line | hints | original
SRC is either line/ + color/ subfolders (optionally hint/), paired by file
name, or a folder of color images. Images are composited on white, resized so
the shorter side is --size and center-cropped to a square. Unreadable files
are skipped with a warning; SRC is never modified. Every file is written
atomically: Ctrl-C stops after the examples in progress, and running the same
command again finishes the folder.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Src == "" || opts.Out == "" {
				return errors.New("both --src and --out are required")
			}
			if opts.Sheet < 0 {
				return fmt.Errorf("--sheet %d: must be ≥ 0", opts.Sheet)
			}
			// --size overrides data.size here without the model's
			// constraint on it (a multiple of 2^model.depth): prepare makes
			// data for whichever model will use it.
			sizeSet := cmd.Flags().Changed("size")
			if sizeSet && (opts.size < 16 || opts.size > 4096) {
				return fmt.Errorf("--size %d: must be in [16, 4096]", opts.size)
			}
			opts.Config = func() (config.Config, error) {
				cfg, err := f.Config()
				if sizeSet {
					cfg.Data.Size = opts.size
				}
				return cfg, err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return prepareRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Src, "src", "", "folder of images to read")
	cmd.Flags().StringVar(&opts.Out, "out", "", "folder to write line/, hint/, color/, index.csv and the contact sheet into")
	cmd.Flags().IntVar(&opts.size, "size", config.Default().Data.Size, "side of the square output images (default: data.size)")
	cmd.Flags().IntVar(&opts.Sheet, "sheet", 32, "number of examples on the contact sheet (0 = none)")
	return cmd
}

func prepareRun(ctx context.Context, opts *PrepareOptions) error {
	cfg, err := opts.Config()
	if err != nil {
		return err
	}
	rep, err := data.Prepare(ctx, cfg, data.PrepareOptions{
		Src: opts.Src, Out: opts.Out, Sheet: opts.Sheet, Log: opts.IO.ErrOut, TTY: opts.IO.ErrTTY,
	})
	if err != nil {
		return err
	}
	size := cfg.Data.Size
	if rep.Interrupted {
		fmt.Fprintf(opts.IO.Out, "interrupted: %d of %d examples written to %s (each complete); run the same command again to finish\n", rep.Written, rep.Found, opts.Out)
		return nil
	}
	lines := "drawn"
	if !rep.Drawn {
		lines = "synthesised with XDoG"
	}
	fmt.Fprintf(opts.IO.Out, "prepared %d of %d examples at %dx%d in %s (line art %s)\n", rep.Written, rep.Found, size, size, opts.Out, lines)
	fmt.Fprintf(opts.IO.Out, "skipped %d unreadable files, %d unmatched files\n", rep.Skipped, rep.Unmatched)
	if rep.SheetPath != "" {
		fmt.Fprintf(opts.IO.Out, "contact sheet: %s\n", rep.SheetPath)
	}
	return nil
}
