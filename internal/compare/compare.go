package compare

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"

	"github.com/colorize-dev/colorize/internal/atomicfile"
	"github.com/colorize-dev/colorize/internal/runlock"

	"github.com/colorize-dev/colorize/internal/checkpoint"
	"github.com/colorize-dev/colorize/internal/config"
	"github.com/colorize-dev/colorize/internal/evaluate"
	"github.com/colorize-dev/colorize/internal/train"
)

// Losses are the two arms of the comparison, plain first.
var Losses = []string{"l1", "compensated_l1"}

// Options configure a comparison.
type Options struct {
	Config config.Config // the base configuration; train.loss is overridden
	Seeds  int           // seeds Config.Seed, Config.Seed+1, …
	Out    string
	// Eval configures the final evaluation of each run (FID/KID when the
	// Inception weights are present).
	Eval     evaluate.Options
	Progress io.Writer
	TTY      bool
	Logger   *slog.Logger
}

// Run is one trained arm.
type Run struct {
	Seed  int64
	Loss  string
	Dir   string
	Curve []Point
	Final string // final checkpoint
	Eval  evaluate.Report
}

// Result is everything the report shows.
type Result struct {
	Config config.Config
	Seeds  []int64
	Runs   []Run
	Rows   []Row
	// FIDSkipped explains why FID/KID are absent, if they are.
	FIDSkipped string
	// SampleSteps are the steps whose sample grids are shown side by side.
	SampleSteps []int
}

// RunDir is the folder of one arm.
func RunDir(out string, seed int64, loss string) string {
	return filepath.Join(out, fmt.Sprintf("seed-%d", seed), loss)
}

// Compare trains (or reuses) every arm, evaluates it and writes the report.
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
	if err := os.MkdirAll(opts.Out, 0o755); err != nil {
		return nil, err
	}
	lock, err := runlock.Acquire(opts.Out) // one comparison per folder
	if err != nil {
		return nil, err
	}
	defer lock.Release()
	if _, err := atomicfile.RemoveStale(opts.Out); err != nil {
		return nil, err
	}
	res := &Result{Config: opts.Config}
	for s := 0; s < opts.Seeds; s++ {
		seed := opts.Config.Seed + int64(s)
		res.Seeds = append(res.Seeds, seed)
		for _, lossName := range Losses {
			cfg := opts.Config
			cfg.Seed = seed
			cfg.Train.Loss = lossName
			cfg.Train.Out = RunDir(opts.Out, seed, lossName)
			final := filepath.Join(cfg.Train.Out, checkpoint.StepName(cfg.Train.Steps))
			if _, err := os.Stat(final); err == nil {
				log.Info("reusing finished run", "run", cfg.Train.Out)
				fmt.Fprintf(opts.Progress, "seed %d, %s: finished earlier, reused\n", seed, lossName)
			} else {
				latest, _ := checkpoint.Latest(cfg.Train.Out)
				fmt.Fprintf(opts.Progress, "seed %d, %s: training %d steps → %s\n", seed, lossName, cfg.Train.Steps, cfg.Train.Out)
				// A run killed before its first checkpoint starts over.
				r, err := train.Run(ctx, train.Options{Config: cfg, Resume: latest != "", Force: latest == "", Progress: opts.Progress, TTY: opts.TTY, Logger: log})
				if err != nil {
					return nil, fmt.Errorf("seed %d, %s: %w", seed, lossName, err)
				}
				if r.Interrupted {
					return nil, fmt.Errorf("interrupted during seed %d, %s at step %d; run the same command again to continue", seed, lossName, r.Step)
				}
			}
			curve, err := readCurve(filepath.Join(cfg.Train.Out, "metrics.jsonl"))
			if err != nil {
				return nil, err
			}
			res.Runs = append(res.Runs, Run{Seed: seed, Loss: lossName, Dir: cfg.Train.Out, Curve: curve, Final: final})
		}
	}
	for i := range res.Runs {
		r := &res.Runs[i]
		fmt.Fprintf(opts.Progress, "evaluating seed %d, %s\n", r.Seed, r.Loss)
		eo := opts.Eval
		eo.Checkpoint = r.Final
		rep, err := evaluate.Checkpoint(ctx, eo)
		if err != nil {
			return nil, fmt.Errorf("evaluate %s: %w", r.Final, err)
		}
		r.Eval = rep
		if rep.Skipped != "" {
			res.FIDSkipped = rep.Skipped
		}
	}
	res.Rows = buildRows(res)
	res.SampleSteps = commonSampleSteps(res)
	if err := writeReport(opts.Out, res); err != nil {
		return nil, err
	}
	return res, nil
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
