package data

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/colorize-dev/colorize/internal/atomicfile"
	"github.com/colorize-dev/colorize/internal/config"
	"github.com/colorize-dev/colorize/internal/lineart"
	"github.com/colorize-dev/colorize/internal/modelio"
	"github.com/colorize-dev/colorize/internal/parallel"
	"github.com/colorize-dev/colorize/internal/progress"
	"github.com/colorize-dev/colorize/internal/runlock"
)

// SheetFile is the contact sheet's name inside a prepared folder.
const SheetFile = "contact-sheet.png"

// PrepareOptions say what Prepare reads and writes.
type PrepareOptions struct {
	Src, Out string
	// Sheet is the number of examples on the contact sheet (0 = none).
	Sheet int
	// Log receives the progress bar and a warning per skipped or unmatched
	// file; TTY says whether it is a terminal.
	Log io.Writer
	TTY bool
}

// PrepareReport says what Prepare did.
type PrepareReport struct {
	Found, Written, Skipped, Unmatched int
	Drawn                              bool   // line art came from SRC/line/ (else XDoG)
	SheetPath                          string // "" when no sheet was written
	// Interrupted reports that ctx was cancelled: the examples written so
	// far, and the index of them, are complete; rerunning finishes the rest.
	Interrupted bool
}

// Prepare turns the images of opts.Src into training triples at
// cfg.Data.Size in opts.Out: line/, hint/ (RGBA, alpha = mask, the fixed
// hints of each file) and color/ PNGs, index.csv (the drawing group of each
// file) and a contact sheet. Every file is written atomically and Src is
// never modified. Unreadable files are skipped with a warning.
func Prepare(ctx context.Context, cfg config.Config, opts PrepareOptions) (PrepareReport, error) {
	var rep PrepareReport
	log := opts.Log
	if log == nil {
		log = io.Discard
	}
	if err := outsideSrc(opts.Src, opts.Out); err != nil {
		return rep, err
	}
	scan, err := ScanDir(opts.Src)
	if err != nil {
		return rep, err
	}
	for _, u := range scan.Unmatched {
		fmt.Fprintf(log, "unmatched: %s\n", u)
	}
	rep.Unmatched, rep.Drawn, rep.Found = len(scan.Unmatched), scan.Paired, len(scan.Items)
	if len(scan.Items) == 0 {
		return rep, fmt.Errorf("%s: no images found", opts.Src)
	}
	for _, sub := range []string{"line", "hint", "color"} {
		if err := os.MkdirAll(filepath.Join(opts.Out, sub), 0o755); err != nil {
			return rep, fmt.Errorf("create %s: %w", filepath.Join(opts.Out, sub), err)
		}
	}
	// One writer per output folder; a rerun after kill -9 first removes the
	// temporary files the killed run left.
	lock, err := runlock.Acquire(opts.Out)
	if err != nil {
		return rep, err
	}
	defer lock.Release()
	for _, sub := range []string{"", "line", "hint", "color"} {
		if _, err := atomicfile.RemoveStale(filepath.Join(opts.Out, sub)); err != nil {
			return rep, err
		}
	}

	items := scan.Items
	size := cfg.Data.Size
	xdog := XDoGParams(cfg.XDoG)
	bar := progress.New(log, opts.TTY, "prepare", len(items), 0)
	bar.Unit = "img"
	failed := make([]error, len(items))
	done := make([]bool, len(items))
	var writeErr error
	var mu sync.Mutex
	err = parallel.Each(ctx, len(items), parallel.Options{Workers: cfg.Data.Workers, Progress: func(n int) { bar.Update(n, "") }}, func(i int) error {
		it := items[i]
		raw, err := LoadItem(it, size, xdog)
		if err != nil {
			failed[i] = err
			return nil
		}
		if err := writeTriple(opts.Out, Stem(it.Name), Fixed(raw, it.Name, size, cfg.Hints)); err != nil {
			mu.Lock()
			writeErr = errors.Join(writeErr, err)
			mu.Unlock()
			return nil
		}
		done[i] = true
		return nil
	})
	bar.Finish()
	if writeErr != nil {
		return rep, writeErr
	}
	rep.Interrupted = err != nil && ctx.Err() != nil
	if err != nil && !rep.Interrupted {
		return rep, err
	}

	var kept []Item
	for i, err := range failed {
		if err != nil {
			fmt.Fprintf(log, "warning: skipped: %v\n", err)
			rep.Skipped++
		}
		if done[i] {
			kept = append(kept, items[i])
		}
	}
	rep.Written = len(kept)
	if len(kept) == 0 && !rep.Interrupted {
		return rep, fmt.Errorf("%s: no usable image (%d files skipped)", opts.Src, rep.Skipped)
	}
	if len(kept) > 0 {
		if err := writeIndex(filepath.Join(opts.Out, IndexFile), kept); err != nil {
			return rep, err
		}
	}
	if rep.Interrupted {
		return rep, nil
	}
	if n := min(opts.Sheet, len(kept)); n > 0 {
		rep.SheetPath = filepath.Join(opts.Out, SheetFile)
		if err := writeSheet(rep.SheetPath, kept[:n], size, xdog, cfg.Hints); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// writeSheet renders the contact sheet of items again: cheaper than holding
// every example's tensors through the pass.
func writeSheet(path string, items []Item, size int, xdog lineart.Params, hints config.HintConfig) error {
	var shown []*modelio.Batch
	for _, it := range items {
		raw, err := LoadItem(it, size, xdog)
		if err != nil {
			return err
		}
		shown = append(shown, Fixed(raw, it.Name, size, hints))
	}
	b, err := Concat(shown)
	if err != nil {
		return err
	}
	return modelio.WriteSheet(path, b, nil, 4)
}

// writeTriple writes one example's line, hint and color PNGs as NAME.png.
func writeTriple(out, stem string, b *modelio.Batch) error {
	for _, t := range []struct {
		dir string
		c   int
		v   []float32
	}{{"line", modelio.LineChannels, b.Line}, {"hint", modelio.HintChannels, b.Hint}, {"color", modelio.OutChannels, b.Color}} {
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
func writeIndex(path string, items []Item) error {
	sort.Slice(items, func(i, j int) bool { return items[i].Name < items[j].Name })
	return atomicfile.Write(path, func(f io.Writer) error {
		w := csv.NewWriter(f)
		w.Write([]string{"file", "base_file"})
		for _, it := range items {
			w.Write([]string{Stem(it.Name) + ".png", it.Group})
		}
		w.Flush()
		return w.Error()
	})
}

// outsideSrc refuses an output folder that is, or lies inside, the source
// folder: prepare never writes under its source.
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
