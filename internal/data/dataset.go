package data

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync/atomic"

	"github.com/colorize-dev/colorize/internal/config"
	"github.com/colorize-dev/colorize/internal/lineart"
	"github.com/colorize-dev/colorize/internal/modelio"
	"github.com/colorize-dev/colorize/internal/parallel"
)

// DefaultMaxCacheBytes bounds the in-memory cache: past it, examples are
// decoded again each time they are used.
const DefaultMaxCacheBytes = 4 << 30

// Options are the non-configuration inputs of Open.
type Options struct {
	// Logger receives a warning for every skipped file; nil discards them.
	Logger *slog.Logger
	// Progress, if set, is called after each example is checked at Open.
	Progress func(done, total int)
	// MaxCacheBytes overrides DefaultMaxCacheBytes when positive.
	MaxCacheBytes int
}

// Dataset is an opened data folder: its examples split into training and
// validation, decoded and cached (data.cache) or checked to be readable.
type Dataset struct {
	cfg   config.Config
	xdog  lineart.Params
	train []entry
	val   []entry
	// Scan is what was found on disk.
	Scan *Scan
	// Skipped lists files that could not be read, with the reason.
	Skipped []string
	// UnknownSplit lists split-file names that matched no example.
	UnknownSplit []string
	// CachedBytes is the memory held by decoded examples.
	CachedBytes int
}

type entry struct {
	item Item
	raw  *Raw // nil when not cached
}

// Open scans cfg.Data.Dir, splits it (Split) and reads every example once:
// with cfg.Data.Cache the decoded examples are kept in memory (up to
// MaxCacheBytes), otherwise only their headers are checked. A file that
// cannot be read is skipped with a warning and listed in Skipped. It fails,
// naming the folder, when the folder is missing, holds no usable example or
// leaves no training example.
func Open(cfg config.Config, opt Options) (*Dataset, error) {
	if cfg.Data.Dir == "" {
		return nil, errors.New("data.dir is not set: give the folder of training images")
	}
	scan, err := ScanDir(cfg.Data.Dir)
	if err != nil {
		return nil, err
	}
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	for _, u := range scan.Unmatched {
		log.Warn("unmatched file", "dir", scan.Dir, "file", u)
	}
	if len(scan.Items) == 0 {
		return nil, fmt.Errorf("data folder %s: no images found", scan.Dir)
	}
	if cfg.Data.LineArt == config.LineArtXDoG { // drawn line art ignored
		for i := range scan.Items {
			scan.Items[i].Line = ""
		}
	}
	train, val, unknown, err := Split(scan.Items, cfg.Data.ValFraction, cfg.Data.SplitFile)
	if err != nil {
		return nil, err
	}
	for _, u := range unknown {
		log.Warn("split file names an unknown example", "split_file", cfg.Data.SplitFile, "name", u)
	}
	d := &Dataset{cfg: cfg, xdog: XDoGParams(cfg.XDoG), Scan: scan, UnknownSplit: unknown}
	maxCache := DefaultMaxCacheBytes
	if opt.MaxCacheBytes > 0 {
		maxCache = opt.MaxCacheBytes
	}
	all := append(append([]Item(nil), train...), val...)
	ents, skipped := d.check(all, cfg.Data.Cache, maxCache, opt.Progress)
	for _, s := range skipped {
		log.Warn("skipped unreadable file", "reason", s)
	}
	d.Skipped = skipped
	for i, e := range ents {
		if e.item.Name == "" {
			continue // skipped
		}
		if i < len(train) {
			d.train = append(d.train, e)
		} else {
			d.val = append(d.val, e)
		}
		if e.raw != nil {
			d.CachedBytes += e.raw.Bytes()
		}
	}
	if len(d.train)+len(d.val) == 0 {
		return nil, fmt.Errorf("data folder %s: no usable image (%d files skipped)", scan.Dir, len(skipped))
	}
	if len(d.train) == 0 {
		return nil, fmt.Errorf("data folder %s: every example went to validation; lower data.val_fraction or shorten the split file", scan.Dir)
	}
	if cfg.Data.MaxVal > 0 && len(d.val) > cfg.Data.MaxVal {
		// A hash order picks a fixed, unbiased subset.
		sort.SliceStable(d.val, func(i, j int) bool {
			return hashString("maxval\x00"+d.val[i].item.Name) < hashString("maxval\x00"+d.val[j].item.Name)
		})
		d.val = d.val[:cfg.Data.MaxVal]
		sort.Slice(d.val, func(i, j int) bool { return d.val[i].item.Name < d.val[j].item.Name })
	}
	return d, nil
}

// check reads items with cfg.Data.Workers goroutines. Unreadable items come
// back with an empty Name and a reason in skipped.
func (d *Dataset) check(items []Item, cache bool, maxCache int, progress func(int, int)) ([]entry, []string) {
	ents := make([]entry, len(items))
	reasons := make([]string, len(items))
	var cached atomic.Int64
	opt := parallel.Options{Workers: d.cfg.Data.Workers}
	if progress != nil {
		opt.Progress = func(done int) { progress(done, len(items)) }
	}
	parallel.Each(context.Background(), len(items), opt, func(i int) error {
		it := items[i]
		var raw *Raw
		var err error
		if cache {
			raw, err = LoadItem(it, d.cfg.Data.Size, d.xdog)
		} else {
			err = checkHeaders(it)
		}
		if err != nil {
			reasons[i] = err.Error()
			return nil
		}
		ents[i].item = it
		if raw != nil && cached.Add(int64(raw.Bytes())) <= int64(maxCache) {
			ents[i].raw = raw
		}
		return nil
	})
	var skipped []string
	for _, r := range reasons {
		if r != "" {
			skipped = append(skipped, r)
		}
	}
	return ents, skipped
}

// TrainLen is the number of usable training examples.
func (d *Dataset) TrainLen() int { return len(d.train) }

// ValLen is the number of validation examples (after data.max_val).
func (d *Dataset) ValLen() int { return len(d.val) }

// raw returns the decoded example, from the cache or from disk.
func (d *Dataset) raw(e entry) (*Raw, error) {
	if e.raw != nil {
		return e.raw, nil
	}
	return LoadItem(e.item, d.cfg.Data.Size, d.xdog)
}

// Val returns the validation set as batches of up to batch examples, sorted
// by name. There is no augmentation (the centered square at the training
// size), and each example's hints are its hint file's if it has one, else a
// sample drawn from a generator seeded by the example's name alone: the same
// on every call, every run and every seed, so validation curves compare.
func (d *Dataset) Val(batch int) ([]*modelio.Batch, error) {
	return d.renderVal(batch, func(r *Raw, name string, line, hint, color []float32) {
		renderFixed(r, name, d.cfg.Data.Size, d.cfg.Hints, line, hint, color)
	})
}

// ValWithHints is Val with exactly n hint patches on every example (n ≥ 0;
// hint files are ignored), placed by the same generator seeded by the
// example's name: one point of the hint axis, from no hints to dense hints,
// identical in every run.
func (d *Dataset) ValWithHints(batch, n int) ([]*modelio.Batch, error) {
	if n < 0 {
		return nil, fmt.Errorf("hint count %d < 0", n)
	}
	hc := config.HintConfig{MinCount: n, MaxCount: n, Patch: d.cfg.Hints.Patch}
	size := d.cfg.Data.Size
	return d.renderVal(batch, func(r *Raw, name string, line, hint, color []float32) {
		render(r, centerView(r), size, line, color)
		sampleHints(valRNG(name), hc, line, color, size, hint)
	})
}

// renderVal renders the validation set in batches with fill.
func (d *Dataset) renderVal(batch int, fill func(r *Raw, name string, line, hint, color []float32)) ([]*modelio.Batch, error) {
	if batch < 1 {
		return nil, fmt.Errorf("validation batch size %d < 1", batch)
	}
	var out []*modelio.Batch
	size := d.cfg.Data.Size
	for lo := 0; lo < len(d.val); lo += batch {
		hi := min(lo+batch, len(d.val))
		b := modelio.NewBatch(hi-lo, size, size)
		b.Epoch, b.Index = -1, -1
		for i := lo; i < hi; i++ {
			r, err := d.raw(d.val[i])
			if err != nil {
				return nil, err
			}
			line, hint, color := b.Example(i - lo)
			fill(r, d.val[i].item.Name, line, hint, color)
			b.Names[i-lo] = d.val[i].item.Name
		}
		out = append(out, b)
	}
	return out, nil
}

// Fixed renders one example the way validation does, as a batch of one:
// the centered square at size, no augmentation, and the example's hint file
// or hints drawn from a generator seeded by name. `colorize prepare` writes
// these.
func Fixed(r *Raw, name string, size int, hints config.HintConfig) *modelio.Batch {
	b := modelio.NewBatch(1, size, size)
	b.Epoch, b.Index = -1, -1
	b.Names[0] = name
	line, hint, color := b.Example(0)
	renderFixed(r, name, size, hints, line, hint, color)
	return b
}

func renderFixed(r *Raw, name string, size int, hints config.HintConfig, line, hint, color []float32) {
	v := centerView(r)
	render(r, v, size, line, color)
	if r.Hint != nil {
		renderHintFile(r, v, size, hint)
	} else {
		sampleHints(valRNG(name), hints, line, color, size, hint)
	}
}

// Concat joins batches of equal H and W into one (for contact sheets).
func Concat(bs []*modelio.Batch) (*modelio.Batch, error) {
	if len(bs) == 0 {
		return nil, fmt.Errorf("concat: no batches")
	}
	out := &modelio.Batch{H: bs[0].H, W: bs[0].W, Epoch: -1, Index: -1}
	for _, b := range bs {
		if b.H != out.H || b.W != out.W {
			return nil, fmt.Errorf("concat: %dx%d batch after %dx%d", b.W, b.H, out.W, out.H)
		}
		out.Line = append(out.Line, b.Line...)
		out.Hint = append(out.Hint, b.Hint...)
		out.Color = append(out.Color, b.Color...)
		out.Names = append(out.Names, b.Names...)
		out.N += b.N
	}
	return out, nil
}

// valRNG is the hint generator of a validation example: a function of its
// name only.
func valRNG(name string) *rng { return newRNG(tagVal, hashString(name)) }

// Domain tags keep the generators of different uses independent.
const (
	tagPerm uint64 = iota + 1
	tagSample
	tagVal
)
