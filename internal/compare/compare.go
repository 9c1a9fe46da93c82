package compare

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/colorize-dev/colorize/internal/atomicfile"
	"github.com/colorize-dev/colorize/internal/checkpoint"
	"github.com/colorize-dev/colorize/internal/config"
	"github.com/colorize-dev/colorize/internal/evaluate"
	"github.com/colorize-dev/colorize/internal/runlock"
	"github.com/colorize-dev/colorize/internal/train"
)

// Arm is one training configuration of the comparison.
type Arm struct {
	Name   string `json:"name"`           // its --arms name and run folder
	Loss   string `json:"loss"`           // train.loss
	Detach bool   `json:"detach_weights"` // train.detach_weights
}

// Arms are the arms compare knows, by name.
var Arms = map[string]Arm{
	"l1":                      {Name: "l1", Loss: "l1"},
	"compensated_l1":          {Name: "compensated_l1", Loss: "compensated_l1"},
	"compensated_l1_detached": {Name: "compensated_l1_detached", Loss: "compensated_l1", Detach: true},
}

// DefaultArms is the paper's comparison, its baseline first.
var DefaultArms = []string{"l1", "compensated_l1"}

// ParseArms returns the arms named, in order; the first is the baseline
// every other arm is compared against.
func ParseArms(names []string) ([]Arm, error) {
	if len(names) < 2 {
		return nil, fmt.Errorf("--arms %s: a comparison needs at least two arms", strings.Join(names, ","))
	}
	var arms []Arm
	seen := map[string]bool{}
	for _, n := range names {
		a, ok := Arms[n]
		if !ok {
			known := make([]string, 0, len(Arms))
			for k := range Arms {
				known = append(known, k)
			}
			sort.Strings(known)
			return nil, fmt.Errorf("--arms: unknown arm %q (known: %s)", n, strings.Join(known, ", "))
		}
		if seen[n] {
			return nil, fmt.Errorf("--arms: %q given twice", n)
		}
		seen[n] = true
		arms = append(arms, a)
	}
	return arms, nil
}

// Options configure a comparison.
type Options struct {
	Config config.Config // the base configuration; train.loss and train.detach_weights are the arm's
	Seeds  int           // seeds Config.Seed, Config.Seed+1, …
	// Arms are the arms, baseline first (nil = DefaultArms).
	Arms []Arm
	Out  string
	// HintCounts is the hint axis of the final evaluation (see
	// evaluate.Options.HintCounts); nil leaves it out.
	HintCounts []int
	// Only, when set, trains that one cell (an index into Cells) and nothing
	// else: no evaluation, no report, no lock on Out. Plans run one cell per
	// command.
	Only *int
	// Collect trains nothing: it reports the runs that have finished and
	// lists the others as running or not started.
	Collect bool
	// Eval configures the final evaluation of each run (FID/KID when the
	// Inception weights are present).
	Eval     evaluate.Options
	Progress io.Writer
	TTY      bool
	Logger   *slog.Logger
}

// Cell is one (seed, arm) training run of a comparison.
type Cell struct {
	Index int
	Seed  int64
	Arm   Arm
	Dir   string
}

// Run is one trained cell.
type Run struct {
	Seed  int64
	Arm   string
	Loss  string
	Dir   string
	Curve []Point
	Final string // final checkpoint
	Eval  evaluate.Report
}

// Result is everything the report shows.
type Result struct {
	Config config.Config
	Seeds  []int64 // the seeds every arm has finished: the ones compared
	Arms   []Arm
	Runs   []Run
	Rows   []Row
	Hints  []HintRow `json:",omitempty"`
	// Flat says where each arm's validation curve levels off (see Flattening).
	Flat []Flattening `json:",omitempty"`
	// Running and Missing name the cells that are training elsewhere or
	// have not started (with Collect), left out of the comparison.
	Running []string `json:",omitempty"`
	Missing []string `json:",omitempty"`
	// FIDSkipped explains why FID/KID are absent, if they are.
	FIDSkipped string
	// SampleSteps are the steps whose sample grids are shown side by side.
	SampleSteps []int
}

// RunDir is the folder of one arm's run for a seed.
func RunDir(out string, seed int64, arm string) string {
	return filepath.Join(out, fmt.Sprintf("seed-%d", seed), arm)
}

// ConfigFile is the resolved configuration a comparison writes into its
// output folder, for plans to train from.
const ConfigFile = "compare.yaml"

func (o *Options) arms() []Arm {
	if o.Arms == nil {
		a, _ := ParseArms(DefaultArms)
		return a
	}
	return o.Arms
}

// Cells lists the comparison's runs, seed by seed, arms in order.
func (o *Options) Cells() []Cell {
	var cells []Cell
	for s := 0; s < o.Seeds; s++ {
		seed := o.Config.Seed + int64(s)
		for _, a := range o.arms() {
			cells = append(cells, Cell{Index: len(cells), Seed: seed, Arm: a, Dir: RunDir(o.Out, seed, a.Name)})
		}
	}
	return cells
}

// cellConfig is the training configuration of one cell.
func (o *Options) cellConfig(c Cell) config.Config {
	cfg := o.Config
	cfg.Seed = c.Seed
	cfg.Train.Loss, cfg.Train.DetachWeights = c.Arm.Loss, c.Arm.Detach
	cfg.Train.Out = c.Dir
	return cfg
}

// finalCheckpoint is the checkpoint a finished cell has.
func (o *Options) finalCheckpoint(c Cell) string {
	return filepath.Join(c.Dir, checkpoint.StepName(o.Config.Train.Steps))
}

// state says where a cell stands: "finished", "running" (its folder is
// locked by another process) or "todo".
func (o *Options) state(c Cell) (string, error) {
	if _, err := os.Stat(o.finalCheckpoint(c)); err == nil {
		return "finished", nil
	}
	held, _, err := runlock.Probe(c.Dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	if held {
		return "running", nil
	}
	return "todo", nil
}

// trainCell trains one cell to the end: resumed from its newest checkpoint,
// or started over when it has none (a run killed before its first one).
func (o *Options) trainCell(ctx context.Context, c Cell, log *slog.Logger) error {
	latest, _ := checkpoint.Latest(c.Dir)
	fmt.Fprintf(o.Progress, "seed %d, %s: training %d steps → %s\n", c.Seed, c.Arm.Name, o.Config.Train.Steps, c.Dir)
	r, err := train.Run(ctx, train.Options{Config: o.cellConfig(c), Resume: latest != "", Force: latest == "", Progress: o.Progress, TTY: o.TTY, Logger: log})
	if err != nil {
		return fmt.Errorf("seed %d, %s: %w", c.Seed, c.Arm.Name, err)
	}
	if r.Interrupted {
		return fmt.Errorf("interrupted during seed %d, %s at step %d; run the same command again to continue", c.Seed, c.Arm.Name, r.Step)
	}
	return nil
}

// Compare trains (or reuses) every cell, evaluates the finished ones and
// writes the report; see Options for the plan and collect modes.
func Compare(ctx context.Context, opts Options) (*Result, error) {
	if opts.Seeds < 1 {
		return nil, fmt.Errorf("--seeds must be ≥ 1, got %d", opts.Seeds)
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.Progress == nil {
		opts.Progress = io.Discard
	}
	cells := opts.Cells()
	if opts.Only != nil {
		i := *opts.Only
		if i < 0 || i >= len(cells) {
			return nil, fmt.Errorf("--run %d: the comparison has runs 0 to %d", i, len(cells)-1)
		}
		c := cells[i]
		if st, err := opts.state(c); err != nil || st == "finished" {
			if err == nil {
				fmt.Fprintf(opts.Progress, "seed %d, %s: finished earlier\n", c.Seed, c.Arm.Name)
			}
			return nil, err
		}
		return nil, opts.trainCell(ctx, c, log)
	}
	if err := os.MkdirAll(opts.Out, 0o755); err != nil {
		return nil, err
	}
	lock, err := runlock.Acquire(opts.Out) // one collector per folder
	if err != nil {
		return nil, err
	}
	defer lock.Release()
	if _, err := atomicfile.RemoveStale(opts.Out); err != nil {
		return nil, err
	}
	if err := atomicfile.WriteFile(filepath.Join(opts.Out, ConfigFile), []byte(opts.Config.YAML())); err != nil {
		return nil, err
	}
	res := &Result{Config: opts.Config, Arms: opts.arms()}
	done := map[int64]int{} // finished arms per seed
	var finished []Cell
	for _, c := range cells {
		st, err := opts.state(c)
		if err != nil {
			return nil, err
		}
		switch {
		case st == "finished":
			if err := removeStale(c.Dir); err != nil {
				return nil, err
			}
			log.Info("reusing finished run", "run", c.Dir)
			fmt.Fprintf(opts.Progress, "seed %d, %s: finished earlier, reused\n", c.Seed, c.Arm.Name)
		case st == "running":
			fmt.Fprintf(opts.Progress, "seed %d, %s: running elsewhere (%s is locked), left out\n", c.Seed, c.Arm.Name, c.Dir)
			res.Running = append(res.Running, c.Dir)
			continue
		case opts.Collect:
			res.Missing = append(res.Missing, c.Dir)
			continue
		default:
			if err := opts.trainCell(ctx, c, log); err != nil {
				return nil, err
			}
		}
		finished = append(finished, c)
		done[c.Seed]++
	}
	for _, c := range finished {
		if done[c.Seed] != len(res.Arms) {
			continue // its seed is not complete: nothing to pair it with
		}
		if len(res.Seeds) == 0 || res.Seeds[len(res.Seeds)-1] != c.Seed {
			res.Seeds = append(res.Seeds, c.Seed)
		}
		curve, err := readCurve(filepath.Join(c.Dir, "metrics.jsonl"))
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(opts.Progress, "evaluating seed %d, %s\n", c.Seed, c.Arm.Name)
		eo := opts.Eval
		eo.Checkpoint, eo.HintCounts, eo.PerImage = opts.finalCheckpoint(c), opts.HintCounts, true
		rep, err := evaluate.Checkpoint(ctx, eo)
		if err != nil {
			return nil, fmt.Errorf("evaluate %s: %w", eo.Checkpoint, err)
		}
		if rep.Skipped != "" {
			res.FIDSkipped = rep.Skipped
		}
		res.Runs = append(res.Runs, Run{Seed: c.Seed, Arm: c.Arm.Name, Loss: c.Arm.Loss, Dir: c.Dir, Curve: curve, Final: eo.Checkpoint, Eval: rep})
	}
	if len(res.Seeds) == 0 {
		return res, fmt.Errorf("%s: no seed has finished every arm yet (%d running, %d not started)", opts.Out, len(res.Running), len(res.Missing))
	}
	res.Rows = buildRows(res)
	res.Hints = buildHintRows(res)
	res.Flat = buildFlattening(res)
	res.SampleSteps = commonSampleSteps(res)
	if err := writeReport(opts.Out, res); err != nil {
		return nil, err
	}
	return res, nil
}

// removeStale clears the temporary files a writer killed in the finished
// run folder dir left behind, if no process holds the folder now (one that
// does cleans up after itself).
func removeStale(dir string) error {
	l, err := runlock.Acquire(dir)
	var held *runlock.HeldError
	if errors.As(err, &held) {
		return nil
	}
	if err != nil {
		return err
	}
	defer l.Release()
	for _, d := range []string{dir, filepath.Join(dir, "samples")} {
		if _, err := atomicfile.RemoveStale(d); err != nil {
			return err
		}
	}
	return nil
}

func readCurve(path string) ([]Point, error) {
	recs, err := train.ReadMetrics(path)
	if err != nil {
		return nil, err
	}
	var c []Point
	for _, r := range recs {
		if r.Kind == "val" && r.ValL1 != nil {
			c = append(c, Point{Step: r.Step, L1: *r.ValL1})
		}
	}
	sort.Slice(c, func(i, j int) bool { return c[i].Step < c[j].Step })
	if len(c) == 0 {
		return nil, fmt.Errorf("%s: no validation measurements", path)
	}
	return c, nil
}

// commonSampleSteps picks up to three steps (early, middle, last) whose
// sample grids exist for every run.
func commonSampleSteps(res *Result) []int {
	count := map[int]int{}
	for _, r := range res.Runs {
		files, _ := filepath.Glob(filepath.Join(r.Dir, "samples", "step-*.png"))
		for _, f := range files {
			var s int
			if _, err := fmt.Sscanf(filepath.Base(f), "step-%d.png", &s); err == nil {
				count[s]++
			}
		}
	}
	var steps []int
	for s, n := range count {
		if n == len(res.Runs) {
			steps = append(steps, s)
		}
	}
	sort.Ints(steps)
	if len(steps) <= 3 {
		return steps
	}
	return []int{steps[0], steps[len(steps)/2], steps[len(steps)-1]}
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(path, append(b, '\n'))
}
