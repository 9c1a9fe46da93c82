// Package runs finds the training runs and checkpoints under a folder and
// reads what they hold — configuration, whether a process is training them
// now, metrics, newest sample grid — for `colorize serve`.
//
// A run is a folder (the root itself, or one at most MaxDepth levels below
// it, as `colorize compare` nests them) that holds metrics.jsonl, config.yaml
// or a checkpoint; folders inside a run are not searched. A run's ID is its
// path relative to the root with forward slashes (the root's own name when
// the root is a run); a checkpoint's ID is RUN:STEM (quickstart:best,
// quickstart:ckpt-00001500). IDs are only ever looked up among what a scan
// found, never turned into paths.
package runs

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/go-viper/mapstructure/v2"
	"go.yaml.in/yaml/v3"

	"github.com/colorize-dev/colorize/internal/checkpoint"
	"github.com/colorize-dev/colorize/internal/config"
	"github.com/colorize-dev/colorize/internal/runlock"
)

// MaxDepth is how many folder levels below the root are searched for runs.
const MaxDepth = 3

// maxFolders bounds one scan, so a root pointed at a huge tree stays cheap.
const maxFolders = 10000

// Run is one run folder.
type Run struct {
	ID  string
	Dir string
	// Config is the run's config.yaml (nil when it has none or it does not
	// parse; ConfigErr says why).
	Config    *config.Config
	ConfigErr string
	// Training reports that a process holds the run's lock now; Holder is it.
	Training bool
	Holder   runlock.Holder
	// Checkpoints are the run's checkpoint files, best first, then by step.
	Checkpoints []Checkpoint
}

// Checkpoint is one checkpoint file and what its header says.
type Checkpoint struct {
	ID    string
	Run   string // the run's ID ("" for a checkpoint outside the root)
	Path  string
	Step  int
	ValL1 float64 // validation L1 at that step; NaN when not measured
	// Best marks best.safetensors.
	Best    bool
	ModTime time.Time
	Size    int64
	Config  config.Config
}

// Index scans a root folder. Checkpoint headers are cached by path, size
// and modification time, so rescanning costs a directory listing per run.
// It is safe for concurrent use.
type Index struct {
	Root string
	// Extra, if set, is a checkpoint (a file or a run folder) to offer
	// besides what is under Root.
	Extra string

	mu      sync.Mutex
	meta    map[string]metaEntry
	metrics map[string]metricsEntry
}

type metaEntry struct {
	size int64
	mod  time.Time
	meta checkpoint.Meta
	err  error
}

// New returns an index of root.
func New(root, extra string) *Index {
	return &Index{Root: root, Extra: extra, meta: map[string]metaEntry{}, metrics: map[string]metricsEntry{}}
}

// Runs scans the root and returns its runs sorted by ID. A missing root has
// no runs.
func (ix *Index) Runs() ([]Run, error) { return ix.scan(true) }

// scan finds the runs; without details it lists only their checkpoints (no
// config, no lock probe), which is all a model lookup needs.
func (ix *Index) scan(details bool) ([]Run, error) {
	dirs, err := findRunDirs(ix.Root)
	if err != nil {
		return nil, err
	}
	out := make([]Run, 0, len(dirs))
	seen := map[string]bool{}
	for _, d := range dirs {
		r := ix.describe(d.id, d.dir, details)
		out = append(out, r)
		for _, c := range r.Checkpoints {
			seen[c.Path] = true
		}
		seen[filepath.Join(d.dir, "metrics.jsonl")] = true
	}
	ix.forget(seen)
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// Run returns the run with the given ID, as found by a fresh scan.
func (ix *Index) Run(id string) (Run, bool, error) {
	all, err := ix.Runs()
	if err != nil {
		return Run{}, false, err
	}
	for _, r := range all {
		if r.ID == id {
			return r, true, nil
		}
	}
	return Run{}, false, nil
}

// Models returns every checkpoint: Extra's first (when it is not under the
// root), then each run's. Unreadable checkpoints are left out.
func (ix *Index) Models() ([]Checkpoint, error) {
	all, err := ix.scan(false)
	if err != nil {
		return nil, err
	}
	var out []Checkpoint
	byPath := map[string]bool{}
	for _, r := range all {
		for _, c := range r.Checkpoints {
			out = append(out, c)
			byPath[absPath(c.Path)] = true
		}
	}
	if ix.Extra != "" {
		file, err := checkpoint.Resolve(ix.Extra)
		if err != nil {
			return nil, err
		}
		if !byPath[absPath(file)] {
			c, err := ix.checkpoint("", file)
			if err != nil {
				return nil, err
			}
			c.ID = uniqueID(out, "checkpoint:"+stem(file))
			out = append([]Checkpoint{c}, out...)
		}
	}
	return out, nil
}

// Default returns the model a request without a model gets: Extra when set,
// else what `colorize infer` picks without --checkpoint (the best
// checkpoint of the newest run at most one level below the root), else the
// newest checkpoint found deeper down.
func (ix *Index) Default(models []Checkpoint) (Checkpoint, error) {
	var file string
	var err error
	if ix.Extra != "" {
		if file, err = checkpoint.Resolve(ix.Extra); err != nil {
			return Checkpoint{}, err
		}
	} else if dir, err := checkpoint.NewestRun(ix.Root); err == nil {
		file, _ = checkpoint.Resolve(dir)
	}
	var newest Checkpoint
	for _, c := range models {
		if file != "" && absPath(c.Path) == absPath(file) {
			return c, nil
		}
		if c.ModTime.After(newest.ModTime) {
			newest = c
		}
	}
	if newest.ID == "" {
		return Checkpoint{}, fmt.Errorf("no checkpoint under %s", ix.Root)
	}
	return newest, nil
}

type runDir struct{ id, dir string }

// findRunDirs walks root breadth-first down to MaxDepth levels.
func findRunDirs(root string) ([]runDir, error) {
	if _, err := os.Stat(root); errors.Is(err, os.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	var out []runDir
	level := []string{"."}
	visited := 0
	for depth := 0; depth <= MaxDepth && len(level) > 0; depth++ {
		var next []string
		for _, rel := range level {
			visited++
			if visited > maxFolders {
				return out, nil
			}
			dir := filepath.Join(root, rel)
			entries, err := os.ReadDir(dir)
			if err != nil {
				continue // unreadable folders are not runs
			}
			if isRun(entries) {
				id := filepath.ToSlash(rel)
				if rel == "." {
					id = filepath.Base(absPath(root))
				}
				out = append(out, runDir{id: id, dir: dir})
				continue
			}
			for _, e := range entries {
				if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
					next = append(next, filepath.Join(rel, e.Name()))
				}
			}
		}
		level = next
	}
	return out, nil
}

func isRun(entries []os.DirEntry) bool {
	for _, e := range entries {
		n := e.Name()
		if !e.IsDir() && (n == "metrics.jsonl" || n == "config.yaml" || isCheckpointName(n)) {
			return true
		}
	}
	return false
}

func isCheckpointName(n string) bool {
	return n == checkpoint.BestName || strings.HasPrefix(n, "ckpt-") && strings.HasSuffix(n, ".safetensors")
}

func (ix *Index) describe(id, dir string, details bool) Run {
	r := Run{ID: id, Dir: dir}
	if details {
		if cfg, err := readConfig(filepath.Join(dir, "config.yaml")); err == nil {
			r.Config = &cfg
		} else if !errors.Is(err, os.ErrNotExist) {
			r.ConfigErr = err.Error()
		}
		r.Training, r.Holder, _ = runlock.Probe(dir)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.IsDir() || !isCheckpointName(e.Name()) {
			continue
		}
		c, err := ix.checkpoint(id, filepath.Join(dir, e.Name()))
		if err != nil {
			continue // half-written or foreign; the next scan tries again
		}
		r.Checkpoints = append(r.Checkpoints, c)
	}
	sort.Slice(r.Checkpoints, func(i, j int) bool {
		a, b := r.Checkpoints[i], r.Checkpoints[j]
		if a.Best != b.Best {
			return a.Best
		}
		return a.Step < b.Step
	})
	return r
}

func (ix *Index) checkpoint(run, path string) (Checkpoint, error) {
	st, err := os.Stat(path)
	if err != nil {
		return Checkpoint{}, err
	}
	ix.mu.Lock()
	e, ok := ix.meta[path]
	ix.mu.Unlock()
	if !ok || e.size != st.Size() || !e.mod.Equal(st.ModTime()) {
		m, err := checkpoint.ReadMeta(path)
		e = metaEntry{size: st.Size(), mod: st.ModTime(), meta: m, err: err}
		ix.mu.Lock()
		ix.meta[path] = e
		ix.mu.Unlock()
	}
	if e.err != nil {
		return Checkpoint{}, e.err
	}
	id := "checkpoint:" + stem(path)
	if run != "" {
		id = run + ":" + stem(path)
	}
	return Checkpoint{
		ID: id, Run: run, Path: path, Step: e.meta.Step, ValL1: e.meta.ValL1,
		Best: filepath.Base(path) == checkpoint.BestName, ModTime: st.ModTime(), Size: st.Size(),
		Config: e.meta.Config,
	}, nil
}

// forget drops what is cached about files a scan no longer found (pruned
// checkpoints, removed runs), so the caches stay as large as the runs are.
// Extra's header is kept: it is not under the root.
func (ix *Index) forget(seen map[string]bool) {
	extra := ""
	if ix.Extra != "" {
		extra, _ = checkpoint.Resolve(ix.Extra)
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	for p := range ix.meta {
		if !seen[p] && p != extra {
			delete(ix.meta, p)
		}
	}
	for p := range ix.metrics {
		if !seen[p] {
			delete(ix.metrics, p)
		}
	}
}

// readConfig reads a run's config.yaml over the defaults, without the
// environment (config.Load would apply this process's COLORIZE_* variables,
// which say nothing about the run).
func readConfig(path string) (config.Config, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return config.Config{}, err
	}
	var tree map[string]any
	if err := yaml.Unmarshal(raw, &tree); err != nil {
		return config.Config{}, fmt.Errorf("%s: %w", path, err)
	}
	cfg := config.Default()
	if err := mapstructure.WeakDecode(tree, &cfg); err != nil {
		return config.Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

func stem(path string) string {
	return strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
}

func uniqueID(have []Checkpoint, id string) string {
	taken := map[string]bool{}
	for _, c := range have {
		taken[c.ID] = true
	}
	out := id
	for i := 2; taken[out]; i++ {
		out = fmt.Sprintf("%s~%d", id, i)
	}
	return out
}

func absPath(p string) string {
	if p == "" {
		return ""
	}
	a, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	return a
}

// Finite returns x, or nil when it is NaN or infinite (JSON has no NaN).
func Finite(x float64) *float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return &x
}
