package train

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/colorize-dev/colorize/internal/atomicfile"
	"github.com/colorize-dev/colorize/internal/checkpoint"
	"github.com/colorize-dev/colorize/internal/config"
	"github.com/colorize-dev/colorize/internal/model"
	"github.com/colorize-dev/colorize/internal/runlock"
)

// tinyConfig trains a small model on the openmoji subset that ships with
// the project, at 32², for the given number of steps.
func tinyConfig(t *testing.T, out string, steps int) config.Config {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	cfg := config.Default()
	cfg.Data.Dir = filepath.Join(filepath.Dir(file), "..", "..", "data", "openmoji-mini")
	cfg.Data.Size = 32
	cfg.Data.MaxVal = 4
	cfg.Data.ValFraction = 0.1
	cfg.Model.Depth, cfg.Model.NGF, cfg.Model.NDF, cfg.Model.DLayers = 5, 4, 4, 2
	cfg.Train.Batch = 2
	cfg.Train.Steps = steps
	cfg.Train.ValEvery, cfg.Train.SampleEvery, cfg.Train.CheckpointEvery = 3, 4, 2
	cfg.Train.KeepLast = 2
	cfg.Train.Out = out
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func trainLines(t *testing.T, dir string) []Record {
	t.Helper()
	recs, err := ReadMetrics(filepath.Join(dir, "metrics.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var out []Record
	for _, r := range recs {
		if r.Kind == "train" {
			r.Time = 0
			out = append(out, r)
		}
	}
	return out
}

func sameLosses(a, b Record) bool {
	eq := func(x, y *float64) bool { return x != nil && y != nil && *x == *y }
	return a.Step == b.Step && eq(a.D, b.D) && eq(a.GAdv, b.GAdv) && eq(a.GRec, b.GRec) && eq(a.L1, b.L1)
}

func TestRunWritesEverything(t *testing.T) {
	out := t.TempDir()
	res, err := Run(context.Background(), Options{Config: tinyConfig(t, out, 6)})
	if err != nil {
		t.Fatal(err)
	}
	if res.Step != 6 || res.Interrupted || math.IsNaN(res.LastValL1) {
		t.Fatalf("result %+v", res)
	}
	for _, name := range []string{"config.yaml", "metrics.jsonl", "best.safetensors", "ckpt-00000006.safetensors", "ckpt-00000004.safetensors", "samples/step-00000004.png", "samples/step-00000006.png"} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Errorf("missing %s", name)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "ckpt-00000002.safetensors")); err == nil {
		t.Error("keep_last 2 did not prune the oldest checkpoint")
	}
	recs, _ := ReadMetrics(filepath.Join(out, "metrics.jsonl"))
	vals := 0
	for _, r := range recs {
		if r.Kind == "val" {
			vals++
		}
	}
	if len(trainLines(t, out)) != 6 || vals != 2 {
		t.Fatalf("metrics: %d train lines, %d val lines", len(trainLines(t, out)), vals)
	}
	if _, err := config.Load(filepath.Join(out, "config.yaml")); err != nil {
		t.Fatalf("config.yaml does not load back: %v", err)
	}
}

func TestDeterministicFromSeed(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	if _, err := Run(context.Background(), Options{Config: tinyConfig(t, a, 4)}); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), Options{Config: tinyConfig(t, b, 4)}); err != nil {
		t.Fatal(err)
	}
	la, lb := trainLines(t, a), trainLines(t, b)
	for i := range la {
		if !sameLosses(la[i], lb[i]) {
			t.Fatalf("step %d differs between two runs with the same seed: %+v vs %+v", i+1, la[i], lb[i])
		}
	}
	c := t.TempDir()
	cfg := tinyConfig(t, c, 4)
	cfg.Seed = 2
	if _, err := Run(context.Background(), Options{Config: cfg}); err != nil {
		t.Fatal(err)
	}
	if sameLosses(la[3], trainLines(t, c)[3]) {
		t.Fatal("a different seed gave the same losses")
	}
}

// TestResumeIsBitForBit: N steps, stop, resume, M steps gives the losses and
// weights of N+M steps without stopping.
func TestResumeIsBitForBit(t *testing.T) {
	whole, split := t.TempDir(), t.TempDir()
	if _, err := Run(context.Background(), Options{Config: tinyConfig(t, whole, 8)}); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), Options{Config: tinyConfig(t, split, 5)}); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), Options{Config: tinyConfig(t, split, 8), Resume: true}); err != nil {
		t.Fatal(err)
	}
	lw, ls := trainLines(t, whole), trainLines(t, split)
	if len(lw) != 8 || len(ls) != 8 {
		t.Fatalf("train lines: %d and %d", len(lw), len(ls))
	}
	for i := range lw {
		if !sameLosses(lw[i], ls[i]) {
			t.Fatalf("step %d: uninterrupted %+v, resumed %+v", i+1, lw[i], ls[i])
		}
	}
	fw, err := checkpoint.Read(filepath.Join(whole, "ckpt-00000008.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	fs, err := checkpoint.Read(filepath.Join(split, "ckpt-00000008.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	mw, _ := fw.NewModel()
	ms, _ := fs.NewModel()
	for name, a := range mw.Gen.Params.State() {
		b := ms.Gen.Params.State()[name]
		for i := range a.Data {
			if a.Data[i] != b.Data[i] {
				t.Fatalf("G.%s[%d]: %v vs %v", name, i, a.Data[i], b.Data[i])
			}
		}
	}
}

func TestInterruptSavesCheckpoint(t *testing.T) {
	out := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	opts := Options{Config: tinyConfig(t, out, 50)}
	opts.afterStep = func(step int, _ *model.Model) {
		if step == 3 {
			cancel() // what SIGINT does in main
		}
	}
	res, err := Run(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Interrupted || res.Step != 3 || filepath.Base(res.LastCkpt) != "ckpt-00000003.safetensors" {
		t.Fatalf("result %+v", res)
	}
	if _, err := checkpoint.Read(res.LastCkpt); err != nil {
		t.Fatal(err)
	}
	res, err = Run(context.Background(), Options{Config: tinyConfig(t, out, 5), Resume: true})
	if err != nil || res.Step != 5 {
		t.Fatalf("resume after interrupt: %+v, %v", res, err)
	}
	if n := len(trainLines(t, out)); n != 5 {
		t.Fatalf("%d train lines after resume, want 5", n)
	}
}

func TestCorruptCheckpointIsAnError(t *testing.T) {
	out := t.TempDir()
	if _, err := Run(context.Background(), Options{Config: tinyConfig(t, out, 2)}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(out, "ckpt-00000002.safetensors")
	data, _ := os.ReadFile(path)
	os.WriteFile(path, data[:len(data)-100], 0o644)
	_, err := Run(context.Background(), Options{Config: tinyConfig(t, out, 4), Resume: true})
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "truncated") {
		t.Fatalf("err = %v", err)
	}
}

func TestResumeRefusesOtherArchitecture(t *testing.T) {
	out := t.TempDir()
	if _, err := Run(context.Background(), Options{Config: tinyConfig(t, out, 2)}); err != nil {
		t.Fatal(err)
	}
	cfg := tinyConfig(t, out, 4)
	cfg.Model.NGF = 8
	_, err := Run(context.Background(), Options{Config: cfg, Resume: true})
	if err == nil || !strings.Contains(err.Error(), "model") {
		t.Fatalf("err = %v", err)
	}
}

// TestNonFiniteLossStops: a NaN in the weights makes the next step's loss
// NaN; training stops with an error naming the step, and the last good
// checkpoint stays readable.
func TestNonFiniteLossStops(t *testing.T) {
	out := t.TempDir()
	opts := Options{Config: tinyConfig(t, out, 10)}
	opts.afterStep = func(step int, m *model.Model) {
		if step == 4 {
			m.Gen.Params.Tensor("level1.conv.weight").Data().([]float32)[0] = float32(math.NaN())
		}
	}
	_, err := Run(context.Background(), opts)
	if !errors.Is(err, ErrNonFinite) || !strings.Contains(err.Error(), "step 5") || !strings.Contains(err.Error(), "ckpt-00000004") {
		t.Fatalf("err = %v", err)
	}
	f, err := checkpoint.Read(filepath.Join(out, "ckpt-00000004.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := f.NewModel()
	if err != nil {
		t.Fatal(err)
	}
	if v := m.Gen.Params.Tensor("level1.conv.weight").Data().([]float32)[0]; math.IsNaN(float64(v)) {
		t.Fatal("the saved checkpoint holds the NaN")
	}
}

func TestRunFolderInUseIsRefused(t *testing.T) {
	out := t.TempDir()
	l, err := runlock.Acquire(out)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	_, err = Run(context.Background(), Options{Config: tinyConfig(t, out, 2)})
	var held *runlock.HeldError
	if !errors.As(err, &held) {
		t.Fatalf("training into a locked run folder: err = %v, want a *runlock.HeldError", err)
	}
	l.Release()
	if _, err := Run(context.Background(), Options{Config: tinyConfig(t, out, 2)}); err != nil {
		t.Fatalf("after the lock was released: %v", err)
	}
	if held, _, _ := runlock.Probe(out); held {
		t.Error("the run folder is still locked after training ended")
	}
}

// TestExistingRunNeedsResumeOrForce: a second plain `train` on a run folder
// is refused; --force moves the old run into previous-<time>/ whole, and the
// new run's metrics and checkpoint pruning see only the new run.
func TestExistingRunNeedsResumeOrForce(t *testing.T) {
	out := t.TempDir()
	if _, err := Run(context.Background(), Options{Config: tinyConfig(t, out, 6)}); err != nil {
		t.Fatal(err)
	}
	oldCkpts, _ := checkpoint.StepFiles(out)
	_, err := Run(context.Background(), Options{Config: tinyConfig(t, out, 2)})
	if err == nil || !strings.Contains(err.Error(), "--resume") || !strings.Contains(err.Error(), "--force") || !strings.Contains(err.Error(), out) {
		t.Fatalf("second run: err = %v, want a refusal naming the folder, --resume and --force", err)
	}
	if _, err := Run(context.Background(), Options{Config: tinyConfig(t, out, 2), Resume: true, Force: true}); err == nil {
		t.Error("--resume with --force accepted")
	}
	if _, err := Run(context.Background(), Options{Config: tinyConfig(t, out, 4), Force: true}); err != nil {
		t.Fatal(err)
	}
	prev, _ := filepath.Glob(filepath.Join(out, "previous-*"))
	if len(prev) != 1 {
		t.Fatalf("previous runs %v, want one folder", prev)
	}
	for _, c := range oldCkpts {
		moved := filepath.Join(prev[0], filepath.Base(c))
		if f, err := checkpoint.Read(moved); err != nil || f.Step == 0 {
			t.Errorf("old checkpoint %s not kept whole: %v", moved, err)
		}
	}
	if old := trainLines(t, prev[0]); len(old) != 6 {
		t.Errorf("old metrics kept %d train lines, want 6", len(old))
	}
	if recs := trainLines(t, out); len(recs) != 4 || recs[0].Step != 1 {
		t.Errorf("new run's metrics: %d train lines from step %d, want 4 from step 1", len(recs), recs[0].Step)
	}
	now, _ := checkpoint.StepFiles(out)
	if len(now) != 2 || filepath.Base(now[len(now)-1]) != checkpoint.StepName(4) {
		t.Errorf("checkpoints after --force: %v, want the new run's newest 2", now)
	}
}

// TestTornMetricsLineIsDroppedOnResume: kill -9 mid-write leaves half a
// record at the end of metrics.jsonl; readers skip it and --resume drops it
// with a warning.
func TestTornMetricsLineIsDroppedOnResume(t *testing.T) {
	out := t.TempDir()
	if _, err := Run(context.Background(), Options{Config: tinyConfig(t, out, 4)}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(out, "metrics.jsonl")
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"kind":"train","step":5,"d_lo`)
	f.Close()
	if recs, err := ReadMetrics(path); err != nil || len(recs) == 0 {
		t.Fatalf("reading a log with a torn last line: %d records, %v", len(recs), err)
	}
	var logBuf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logBuf, nil))
	if _, err := Run(context.Background(), Options{Config: tinyConfig(t, out, 6), Resume: true, Logger: logger}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logBuf.String(), "torn") || !strings.Contains(logBuf.String(), path) {
		t.Errorf("resume did not note the torn line: %s", logBuf.String())
	}
	if recs := trainLines(t, out); len(recs) != 6 || recs[5].Step != 6 {
		t.Errorf("after resume: %d train lines, want steps 1–6", len(recs))
	}
}

// TestFailedWritesLeaveAResumableRun injects a full disk into each kind of
// file training writes: the error names the file, the previous checkpoint
// stays loadable, and --resume finishes the run.
func TestFailedWritesLeaveAResumableRun(t *testing.T) {
	enospc := errors.New("no space left on device (injected)")
	for _, victim := range []string{checkpoint.StepName(4), "step-00000004.png", "metrics.jsonl"} {
		t.Run(victim, func(t *testing.T) {
			out := t.TempDir()
			cfg := tinyConfig(t, out, 6)
			var armed atomic.Bool
			restore := atomicfile.InjectFault(func(path string) error {
				if filepath.Base(path) == victim && armed.Load() {
					return enospc
				}
				return nil
			})
			defer restore()
			opts := Options{Config: cfg}
			opts.afterStep = func(step int, _ *model.Model) { armed.Store(step >= 3) }
			_, err := Run(context.Background(), opts)
			if !errors.Is(err, enospc) || !strings.Contains(err.Error(), victim) {
				t.Fatalf("err = %v, want the injected failure naming %s", err, victim)
			}
			restore()
			prev := filepath.Join(out, checkpoint.StepName(2))
			if f, err := checkpoint.Read(prev); err != nil || f.Step != 2 {
				t.Fatalf("previous checkpoint %s: %v", prev, err)
			}
			res, err := Run(context.Background(), Options{Config: cfg, Resume: true})
			if err != nil || res.Step != 6 {
				t.Fatalf("resume after the failure: step %d, %v", res.Step, err)
			}
		})
	}
}

// TestFullDiskLeavesAResumableRun trains on a real, nearly full file system
// (a size-limited tmpfs; needs root, skipped where mounting is refused):
// the write that runs out of space is an error naming its file, the
// checkpoint before it stays loadable, and once space is freed --resume
// finishes the run.
func TestFullDiskLeavesAResumableRun(t *testing.T) {
	probe := t.TempDir()
	if _, err := Run(context.Background(), Options{Config: tinyConfig(t, probe, 2)}); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(probe, checkpoint.StepName(2)))
	if err != nil {
		t.Fatal(err)
	}
	ckptSize := st.Size()

	mnt := t.TempDir()
	if err := syscall.Mount("tmpfs", mnt, "tmpfs", 0, "size=16m"); err != nil {
		if os.Getenv("CI") == "true" && os.Geteuid() == 0 {
			t.Fatalf("CI runs as root but cannot mount a tmpfs: %v", err)
		}
		t.Skipf("cannot mount a tmpfs here (needs root): %v", err)
	}
	defer syscall.Unmount(mnt, 0)
	var fs syscall.Statfs_t
	if err := syscall.Statfs(mnt, &fs); err != nil {
		t.Fatal(err)
	}
	// Leave room for the first checkpoint and the small files, not for two.
	room := ckptSize*3/2 + 256<<10
	filler := filepath.Join(mnt, "filler")
	if err := os.WriteFile(filler, make([]byte, int64(fs.Bavail)*fs.Bsize-room), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(mnt, "run")
	cfg := tinyConfig(t, out, 8)
	_, err = Run(context.Background(), Options{Config: cfg})
	if !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), out) {
		t.Fatalf("training onto a full disk: err = %v, want ENOSPC naming a file in %s", err, out)
	}
	t.Logf("out of space: %v", err)
	latest, _ := checkpoint.Latest(out)
	f, err := checkpoint.Read(latest)
	if err != nil || f.Step < 2 {
		t.Fatalf("newest checkpoint %q after the failure: %v", latest, err)
	}
	if tmp, _ := filepath.Glob(filepath.Join(out, ".*.tmp-*")); len(tmp) > 0 {
		t.Errorf("temporary files left behind: %v", tmp)
	}
	os.Remove(filler)
	res, err := Run(context.Background(), Options{Config: cfg, Resume: true})
	if err != nil || res.Step != 8 {
		t.Fatalf("resume once space is free: step %d, %v", res.Step, err)
	}
}
