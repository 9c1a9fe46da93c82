package train

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/colorize-dev/colorize/internal/atomicfile"
	"github.com/colorize-dev/colorize/internal/model"
	"github.com/colorize-dev/colorize/internal/modelio"

	"github.com/colorize-dev/colorize/internal/checkpoint"
	"github.com/colorize-dev/colorize/internal/config"
	"github.com/colorize-dev/colorize/internal/data"
	"github.com/colorize-dev/colorize/internal/gan"
	"github.com/colorize-dev/colorize/internal/loss"
	"github.com/colorize-dev/colorize/internal/progress"
	"github.com/colorize-dev/colorize/internal/runlock"
)

// Options configure one training run.
type Options struct {
	Config config.Config
	// Resume continues from the newest checkpoint in Config.Train.Out.
	Resume bool
	// Force starts a new run in a folder that holds one: the old run's
	// files move to a dated subfolder first (MoveAside), nothing is deleted.
	// Without Resume or Force, a folder that holds a run is refused.
	Force bool
	// Progress receives the progress bar; TTY redraws it in place.
	Progress io.Writer
	TTY      bool
	Logger   *slog.Logger

	// afterStep, if set, runs after each finished step (tests use it to
	// interrupt or to corrupt the model).
	afterStep func(step int, m *model.Model)
}

// Result summarises a finished (or interrupted) run.
type Result struct {
	Step        int
	Interrupted bool
	LastCkpt    string
	BestValL1   float64
	LastValL1   float64
}

// ErrNonFinite is returned (wrapped) when a loss becomes NaN or infinite.
var ErrNonFinite = errors.New("non-finite loss")

// Run trains until Config.Train.Steps, ctx is cancelled (a checkpoint is
// saved, and Result.Interrupted set), or an error occurs.
func Run(ctx context.Context, opts Options) (Result, error) {
	cfg := opts.Config
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.Progress == nil {
		opts.Progress = io.Discard
	}
	out := cfg.Train.Out
	if err := os.MkdirAll(filepath.Join(out, "samples"), 0o755); err != nil {
		return Result{}, fmt.Errorf("run folder: %w", err)
	}
	// One writer per run folder; `colorize serve` shows the lock as "training now".
	lock, err := runlock.Acquire(out)
	if err != nil {
		return Result{}, err
	}
	defer lock.Release()
	if err := claimFolder(out, opts); err != nil {
		return Result{}, err
	}
	// Temporary files of a writer killed mid-write (the lock says none runs).
	for _, d := range []string{out, filepath.Join(out, "samples")} {
		if _, err := atomicfile.RemoveStale(d); err != nil {
			return Result{}, err
		}
	}
	kind, err := loss.ByName(cfg.Train.Loss)
	if err != nil {
		return Result{}, fmt.Errorf("config key \"train.loss\": %w", err)
	}

	ds, err := data.Open(cfg, data.Options{Logger: log})
	if err != nil {
		return Result{}, err
	}
	nets, err := model.New(cfg.Model, cfg.Seed)
	if err != nil {
		return Result{}, err
	}
	tc := gan.TrainConfig{Loss: kind, DetachWeights: cfg.Train.DetachWeights, Lambda: cfg.Train.Lambda, LR: cfg.Train.LR, Beta1: cfg.Train.Beta1, Beta2: cfg.Train.Beta2}
	size := cfg.Data.Size
	tr, err := gan.NewTrainer(nets, tc, cfg.Train.Batch, size, size)
	if err != nil {
		return Result{}, err
	}
	defer tr.Close()

	res := Result{BestValL1: math.Inf(1), LastValL1: math.NaN()}
	step, epoch, offset := 0, 0, 0
	if opts.Resume {
		path, err := checkpoint.Latest(out)
		if err != nil && !os.IsNotExist(err) {
			return res, err
		}
		if path == "" {
			return res, fmt.Errorf("--resume: no checkpoint in %s", out)
		}
		f, err := checkpoint.Read(path)
		if err != nil {
			return res, err
		}
		if err := sameArchitecture(f.Config, cfg); err != nil {
			return res, fmt.Errorf("--resume from %s: %w", path, err)
		}
		if err := f.LoadModel(nets); err != nil {
			return res, err
		}
		if err := f.LoadOptimizers(nets, tr.OptG, tr.OptD); err != nil {
			return res, err
		}
		step, epoch, offset = f.Step, f.Epoch, f.Offset
		res.BestValL1, res.LastValL1, res.LastCkpt = f.BestValL1, f.ValL1, path
		log.Info("resumed", "checkpoint", path, "step", step)
	}
	res.Step = step
	if err := atomicfile.WriteFile(filepath.Join(out, "config.yaml"), []byte(cfg.YAML())); err != nil {
		return res, err
	}
	keep := -1
	if opts.Resume {
		keep = step
	}
	metricsPath := filepath.Join(out, "metrics.jsonl")
	metrics, torn, err := OpenMetrics(metricsPath, keep)
	if err != nil {
		return res, err
	}
	if torn > 0 {
		log.Warn("dropped torn records from the metrics log (the run was killed mid-write)", "file", metricsPath, "lines", torn)
	}
	defer metrics.Close()

	val, err := newValidator(ds, nets.Gen, cfg)
	if err != nil {
		return res, err
	}
	defer val.Close()

	// save writes the state of step as a step checkpoint, and as the best
	// one too when it improved on it. The metrics records up to step reach
	// the file first and the best checkpoint is written before the step's,
	// so whatever a kill interrupts, the newest step checkpoint never runs
	// ahead of the log or of best.safetensors: a resume from it redoes the
	// rest exactly.
	save := func(improved bool) error {
		if err := metrics.Flush(); err != nil {
			return err
		}
		st := &checkpoint.State{
			Meta:  checkpoint.Meta{Step: step, Epoch: epoch, Offset: offset, ValL1: res.LastValL1, BestValL1: res.BestValL1, Config: cfg},
			Model: nets, OptG: tr.OptG, OptD: tr.OptD,
		}
		if improved {
			if err := checkpoint.Save(filepath.Join(out, checkpoint.BestName), st); err != nil {
				return err
			}
		}
		path := filepath.Join(out, checkpoint.StepName(step))
		if err := checkpoint.Save(path, st); err != nil {
			return err
		}
		res.LastCkpt = path
		return checkpoint.Prune(out, cfg.Train.KeepLast)
	}

	batches, err := ds.Train(cfg.Seed, cfg.Train.Batch)
	if err != nil {
		return res, fmt.Errorf("data %s: %w", cfg.Data.Dir, err)
	}
	batches.StartStep(step)
	defer batches.Close()
	per := batches.BatchesPerEpoch()
	input := make([]float32, cfg.Train.Batch*modelio.InChannels*size*size)
	start := time.Now()
	bar := progress.New(opts.Progress, opts.TTY, "train", cfg.Train.Steps, step)
	defer bar.Finish()

	for step < cfg.Train.Steps {
		if ctx.Err() != nil {
			res.Interrupted = true
			break
		}
		b, err := batches.Next()
		if err != nil {
			return res, err
		}
		b.Input(input)
		l, err := tr.Step(input, b.Color, StepSeed(cfg.Seed, step+1))
		if err != nil {
			return res, fmt.Errorf("step %d: %w", step+1, err)
		}
		if l.Nonfin {
			return res, fmt.Errorf("step %d: %w (D %g, G adversarial %g, G reconstruction %g); stopped, the last good checkpoint is %s",
				step+1, ErrNonFinite, l.D, l.GAdv, l.GRec, orNone(res.LastCkpt))
		}
		step++
		epoch, offset = step/per, step%per
		res.Step = step
		if err := metrics.Write(Record{Step: step, Kind: "train", Time: time.Since(start).Seconds(),
			D: f64(l.D), GAdv: f64(l.GAdv), GRec: f64(l.GRec), L1: f64(l.L1), DReal: f64(l.DReal), DFake: f64(l.DFake)}); err != nil {
			return res, err
		}
		status := fmt.Sprintf("D %.3f G_adv %.3f %s %.4f", l.D, l.GAdv, cfg.Train.Loss, l.GRec)
		if !math.IsNaN(res.LastValL1) {
			status += fmt.Sprintf(" val_L1 %.4f", res.LastValL1)
		}
		bar.Update(step, status)

		improved := false
		if step%cfg.Train.ValEvery == 0 || step == cfg.Train.Steps {
			v, err := val.Measure()
			if err != nil {
				return res, err
			}
			if math.IsNaN(v.L1) || math.IsInf(v.L1, 0) {
				return res, fmt.Errorf("step %d: %w: validation L1 is %g; stopped, the last good checkpoint is %s", step, ErrNonFinite, v.L1, orNone(res.LastCkpt))
			}
			res.LastValL1 = v.L1
			if err := metrics.Write(Record{Step: step, Kind: "val", Time: time.Since(start).Seconds(), ValL1: f64(v.L1), ValCompL1: f64(v.CompL1)}); err != nil {
				return res, err
			}
			if v.L1 < res.BestValL1 {
				res.BestValL1, improved = v.L1, true
			}
		}
		if step%cfg.Train.SampleEvery == 0 || step == cfg.Train.Steps {
			if err := val.SaveSamples(filepath.Join(out, "samples", fmt.Sprintf("step-%08d.png", step))); err != nil {
				return res, err
			}
		}
		if step%cfg.Train.CheckpointEvery == 0 || step == cfg.Train.Steps || improved {
			if err := save(improved); err != nil {
				return res, err
			}
		}
		if opts.afterStep != nil {
			opts.afterStep(step, nets)
		}
	}
	if res.Interrupted {
		if res.LastCkpt == "" || filepath.Base(res.LastCkpt) != checkpoint.StepName(step) {
			if err := save(false); err != nil {
				return res, fmt.Errorf("interrupted at step %d, and saving failed: %w", step, err)
			}
		}
		log.Info("interrupted; checkpoint saved", "step", step, "checkpoint", res.LastCkpt)
	}
	return res, nil
}

func orNone(s string) string {
	if s == "" {
		return "(none yet)"
	}
	return s
}

// StepSeed derives the dropout seed of a step from the run seed.
func StepSeed(seed int64, step int) uint64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "dropout/%d/%d", seed, step)
	return h.Sum64()
}

// runFiles are the names a run writes into its folder.
func runFiles(dir string) []string {
	var names []string
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		n := e.Name()
		switch {
		case n == "config.yaml", n == "metrics.jsonl", n == checkpoint.BestName,
			strings.HasPrefix(n, "ckpt-") && strings.HasSuffix(n, ".safetensors"):
			names = append(names, n)
		case n == "samples" && e.IsDir():
			if s, _ := os.ReadDir(filepath.Join(dir, n)); len(s) > 0 {
				names = append(names, n)
			}
		}
	}
	return names
}

// claimFolder checks that a new run may start in out: it holds no run, or
// Resume continues it, or Force moves it aside.
func claimFolder(out string, opts Options) error {
	if opts.Resume && opts.Force {
		return errors.New("--resume continues the run and --force starts over: give one")
	}
	if opts.Resume || len(runFiles(out)) == 0 {
		return nil
	}
	if !opts.Force {
		return fmt.Errorf("run folder %s already holds a run (%s): continue it with --resume, or start over with --force (its files move to a dated subfolder)",
			out, strings.Join(runFiles(out), ", "))
	}
	_, err := MoveAside(out, time.Now())
	return err
}

// MoveAside moves the run files of dir into a new subfolder
// dir/previous-<UTC time> and returns its path. Each file is renamed, so a
// crash part-way leaves every file whole, in one place or the other.
func MoveAside(dir string, now time.Time) (string, error) {
	dst := filepath.Join(dir, "previous-"+now.UTC().Format("20060102T150405Z"))
	for i := 2; ; i++ {
		if _, err := os.Lstat(dst); os.IsNotExist(err) {
			break
		}
		dst = filepath.Join(dir, fmt.Sprintf("previous-%s-%d", now.UTC().Format("20060102T150405Z"), i))
	}
	if err := os.Mkdir(dst, 0o755); err != nil {
		return "", fmt.Errorf("--force: %w", err)
	}
	for _, n := range runFiles(dir) {
		if err := os.Rename(filepath.Join(dir, n), filepath.Join(dst, n)); err != nil {
			return dst, fmt.Errorf("--force: move %s aside: %w", filepath.Join(dir, n), err)
		}
	}
	return dst, os.MkdirAll(filepath.Join(dir, "samples"), 0o755)
}

// sameArchitecture refuses to resume a run with a different model or data size.
func sameArchitecture(saved, now config.Config) error {
	if saved.Model != now.Model {
		return fmt.Errorf("the checkpoint's model %+v differs from the config's %+v", saved.Model, now.Model)
	}
	if saved.Data.Size != now.Data.Size || saved.Train.Batch != now.Train.Batch {
		return fmt.Errorf("the checkpoint was trained at data.size %d, train.batch %d; the config says %d, %d",
			saved.Data.Size, saved.Train.Batch, now.Data.Size, now.Train.Batch)
	}
	return nil
}
