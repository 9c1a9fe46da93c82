// Package prepare implements `colorize prepare`: it turns a folder of images
// into training triples on disk (line/, hint/, color/ at the training size)
// plus a contact sheet to look at.
package prepare

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/colorize-dev/colorize/internal/atomicfile"
	"github.com/colorize-dev/colorize/internal/modelio"

	"github.com/spf13/cobra"

	"github.com/colorize-dev/colorize/internal/cmdutil"
	"github.com/colorize-dev/colorize/internal/config"
	"github.com/colorize-dev/colorize/internal/data"
	"github.com/colorize-dev/colorize/internal/progress"
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
const SheetFile = "contact-sheet.png"

// NewCmdPrepare returns the prepare command. runF, when not nil, replaces
// the work (tests use it to check flag parsing).
func NewCmdPrepare(f *cmdutil.Factory, runF func(*PrepareOptions) error) *cobra.Command {
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
are skipped with a warning; SRC is never modified.`,
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
				return runF(opts)
			}
			return prepareRun(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Src, "src", "", "folder of images to read")
	cmd.Flags().StringVar(&opts.Out, "out", "", "folder to write line/, hint/, color/, index.csv and the contact sheet into")
	cmd.Flags().IntVar(&opts.size, "size", config.Default().Data.Size, "side of the square output images (default: data.size)")
	cmd.Flags().IntVar(&opts.Sheet, "sheet", 32, "number of examples on the contact sheet (0 = none)")
	return cmd
}

func prepareRun(opts *PrepareOptions) error {
	cfg, err := opts.Config()
	if err != nil {
		return err
	}
	if err := outsideSrc(opts.Src, opts.Out); err != nil {
		return err
	}
	scan, err := data.ScanDir(opts.Src)
	if err != nil {
		return err
	}
	errOut := opts.IO.ErrOut
	for _, u := range scan.Unmatched {
		fmt.Fprintf(errOut, "unmatched: %s\n", u)
	}
	if len(scan.Items) == 0 {
		return fmt.Errorf("%s: no images found", opts.Src)
	}
	for _, sub := range []string{"line", "hint", "color"} {
		if err := os.MkdirAll(filepath.Join(opts.Out, sub), 0o755); err != nil {
			return fmt.Errorf("create %s: %w", filepath.Join(opts.Out, sub), err)
		}
	}

	items := scan.Items
	size := cfg.Data.Size
	xdog := data.XDoGParams(cfg.XDoG)
	bar := progress.New(errOut, opts.IO.ErrTTY, "prepare", len(items), 0)
	bar.Unit = "img"
	failed := make([]error, len(items))
	var writeErr error
	var mu sync.Mutex
	var next atomic.Int64
	done := 0
	var wg sync.WaitGroup
	for w := 0; w < cfg.Data.Workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(items) {
					return
				}
				it := items[i]
				raw, err := data.LoadItem(it, size, xdog)
				if err != nil {
					failed[i] = err
				} else {
					b := data.Fixed(raw, it.Name, size, cfg.Hints)
					if err := writeTriple(opts.Out, data.Stem(it.Name), b); err != nil {
						mu.Lock()
						writeErr = errors.Join(writeErr, err)
						mu.Unlock()
					}
				}
				mu.Lock() // in order, so the bar never steps back
				done++
				bar.Update(done, "")
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	bar.Finish()
	if writeErr != nil {
		return writeErr
	}

	var kept []data.Item
	skipped := 0
	for i, err := range failed {
		if err != nil {
			fmt.Fprintf(errOut, "warning: skipped: %v\n", err)
			skipped++
			continue
		}
		kept = append(kept, items[i])
	}
	if len(kept) == 0 {
		return fmt.Errorf("%s: no usable image (%d files skipped)", opts.Src, skipped)
	}
	if err := writeIndex(filepath.Join(opts.Out, data.IndexFile), kept); err != nil {
		return err
	}
	sheetPath := ""
	if n := min(opts.Sheet, len(kept)); n > 0 {
		// The first examples by name, rendered again: cheaper than holding
		// every example's tensors through the pass.
		var shown []*modelio.Batch
		for _, it := range kept[:n] {
			raw, err := data.LoadItem(it, size, xdog)
			if err != nil {
				return err
			}
			shown = append(shown, data.Fixed(raw, it.Name, size, cfg.Hints))
		}
		b, err := data.Concat(shown)
		if err != nil {
			return err
		}
		img, err := modelio.Sheet(b, nil, 4)
		if err != nil {
			return err
		}
		sheetPath = filepath.Join(opts.Out, SheetFile)
		if err := atomicfile.WritePNG(sheetPath, img); err != nil {
			return err
		}
	}

	lines := "drawn"
	if !scan.Paired {
		lines = "synthesised with XDoG"
	}
	fmt.Fprintf(opts.IO.Out, "prepared %d of %d examples at %dx%d in %s (line art %s)\n", len(kept), len(items), size, size, opts.Out, lines)
	fmt.Fprintf(opts.IO.Out, "skipped %d unreadable files, %d unmatched files\n", skipped, len(scan.Unmatched))
	if sheetPath != "" {
		fmt.Fprintf(opts.IO.Out, "contact sheet: %s\n", sheetPath)
	}
	return nil
}

// writeTriple writes one example's line, hint and color PNGs as NAME.png.
func writeTriple(out, stem string, b *modelio.Batch) error {
	for _, t := range []struct {
		dir string
		c   int
		v   []float32
	}{{"line", 1, b.Line}, {"hint", 4, b.Hint}, {"color", 3, b.Color}} {
		img, err := modelio.TensorImage(t.v, t.c, b.H, b.W)
		if err != nil {
			return err
		}
		if err := atomicfile.WritePNG(filepath.Join(out, t.dir, stem+".png"), img); err != nil {
			return err
		}
	}
	return nil
}

// writeIndex records each written file's group, so that training on the
// prepared folder splits it as the source would be split.
func writeIndex(path string, items []data.Item) error {
	sort.Slice(items, func(i, j int) bool { return items[i].Name < items[j].Name })
	return atomicfile.Write(path, func(f io.Writer) error {
		w := csv.NewWriter(f)
		w.Write([]string{"file", "base_file"})
		for _, it := range items {
			w.Write([]string{data.Stem(it.Name) + ".png", it.Group})
		}
		w.Flush()
		return w.Error()
	})
}

// outsideSrc refuses an output folder that is, or lies inside, the source
// folder: prepare never writes under --src.
func outsideSrc(src, out string) error {
	abs := func(p string) string {
		a, err := filepath.Abs(p)
		if err != nil {
			return p
		}
		if r, err := filepath.EvalSymlinks(a); err == nil {
			return r
		}
		// out may not exist yet: resolve its closest existing parent.
		if r, err := filepath.EvalSymlinks(filepath.Dir(a)); err == nil {
			return filepath.Join(r, filepath.Base(a))
		}
		return a
	}
	s, o := abs(src), abs(out)
	if o == s || strings.HasPrefix(o, s+string(filepath.Separator)) {
		return fmt.Errorf("--out %s is inside --src %s: prepare never writes into its source", out, src)
	}
	return nil
}
