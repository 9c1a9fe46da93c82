package root

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/colorize-dev/colorize/internal/checkpoint"
	"github.com/colorize-dev/colorize/internal/cmdutil"
	"github.com/colorize-dev/colorize/internal/imageio"
	"github.com/colorize-dev/colorize/internal/train"
)

// cliEnv makes the test binary run the colorize command line with the
// JSON-encoded arguments in it (TestMain), so tests can kill a real
// colorize process.
const cliEnv = "TEST_COLORIZE_CLI_ARGS"

func TestMain(m *testing.M) {
	if raw := os.Getenv(cliEnv); raw != "" {
		var args []string
		if err := json.Unmarshal([]byte(raw), &args); err != nil {
			panic(err)
		}
		cmd := NewCmdRoot(cmdutil.System())
		cmd.SetArgs(args)
		if err := cmd.Execute(); err != nil {
			fmt.Fprintln(os.Stderr, "colorize:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// colorize returns the command running colorize with args in a child process.
func colorize(t *testing.T, args ...string) *exec.Cmd {
	raw, _ := json.Marshal(args)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), cliEnv+"="+string(raw))
	return cmd
}

// killRepeatedly starts colorize with args kills times, each killed with
// SIGKILL after a random delay in [lo, hi), then runs it to completion and
// returns its output. It reports how many runs finished before their kill.
func killRepeatedly(t *testing.T, rng *rand.Rand, kills int, lo, hi time.Duration, args ...string) string {
	t.Helper()
	finished := 0
	for i := 0; i < kills; i++ {
		cmd := colorize(t, args...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("run %d failed before its kill: %v\n%s", i, err, out.String())
			}
			finished++
		case <-time.After(lo + time.Duration(rng.Int63n(int64(hi-lo)))):
			cmd.Process.Kill()
			<-done
		}
	}
	t.Logf("%d kills (%d runs finished first)", kills-finished, finished)
	cmd := colorize(t, args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the run after the kills failed: %v\n%s", err, out)
	}
	return string(out)
}

// noTemporaries fails if a temporary file of an interrupted write survives
// under dir after a completed run.
func noTemporaries(t *testing.T, dir string) {
	t.Helper()
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && strings.Contains(info.Name(), ".tmp-") {
			t.Errorf("temporary file left: %s", p)
		}
		return nil
	})
}

func repoData(t *testing.T) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "data", "openmoji-mini")
}

// TestPrepareSurvivesKill9 kills `colorize prepare` at random moments, then
// reruns it: every file is a whole PNG, the index lists every example, and
// nothing half-written remains.
func TestPrepareSurvivesKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("kills real processes for a while")
	}
	out := filepath.Join(t.TempDir(), "prepared")
	rng := rand.New(rand.NewSource(1))
	log := killRepeatedly(t, rng, 8, 30*time.Millisecond, 900*time.Millisecond,
		"prepare", "--src", repoData(t), "--out", out, "--size", "32", "--sheet", "8")
	if !strings.Contains(log, "prepared 240 of 240") {
		t.Fatalf("final run: %s", log)
	}
	noTemporaries(t, out)
	for _, sub := range []string{"line", "hint", "color"} {
		entries, _ := os.ReadDir(filepath.Join(out, sub))
		if len(entries) != 240 {
			t.Errorf("%s holds %d files, want 240", sub, len(entries))
		}
		for _, e := range entries {
			if _, _, err := imageio.Decode(filepath.Join(out, sub, e.Name())); err != nil {
				t.Errorf("corrupt output: %v", err)
			}
		}
	}
	f, err := os.Open(filepath.Join(out, "index.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil || len(rows) != 241 {
		t.Fatalf("index.csv: %d rows, %v; want a header and 240 rows", len(rows), err)
	}
	if _, _, err := imageio.Decode(filepath.Join(out, "contact-sheet.png")); err != nil {
		t.Error(err)
	}
}

// TestCompareSurvivesKill9 kills `colorize compare` at random moments
// (training, evaluation, report), then reruns it: every run is complete and
// loadable, the metrics logs read back, and the report is whole and agrees
// with an uninterrupted comparison.
func TestCompareSurvivesKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("kills real processes for a while")
	}
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "tiny.yaml")
	cfg := fmt.Sprintf(`seed: 1
data: {dir: %q, size: 32, max_val: 4, val_fraction: 0.1}
model: {depth: 5, ngf: 4, ndf: 4, d_layers: 2}
train: {batch: 2, steps: 24, val_every: 3, sample_every: 4, checkpoint_every: 2, keep_last: 2}
`, repoData(t))
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	args := func(out string) []string {
		return []string{"--config", cfgPath, "compare", "--seeds", "2", "--out", out, "--inception", filepath.Join(dir, "none.pth")}
	}
	ref := filepath.Join(dir, "reference")
	if out, err := colorize(t, args(ref)...).CombinedOutput(); err != nil {
		t.Fatalf("uninterrupted compare: %v\n%s", err, out)
	}
	out := filepath.Join(dir, "killed")
	rng := rand.New(rand.NewSource(2))
	killRepeatedly(t, rng, 12, 50*time.Millisecond, 1200*time.Millisecond, args(out)...)
	noTemporaries(t, out)
	for _, name := range []string{"report.md", "report.html", "curves.png"} {
		if st, err := os.Stat(filepath.Join(out, name)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", name, err)
		}
	}
	runs, _ := filepath.Glob(filepath.Join(out, "seed-*", "*"))
	if len(runs) != 4 {
		t.Fatalf("run folders %v, want 2 seeds × 2 losses", runs)
	}
	for _, r := range runs {
		if _, err := checkpoint.Read(filepath.Join(r, checkpoint.StepName(24))); err != nil {
			t.Errorf("final checkpoint: %v", err)
		}
		if _, err := train.ReadMetrics(filepath.Join(r, "metrics.jsonl")); err != nil {
			t.Errorf("metrics: %v", err)
		}
	}
	evals := func(root string) map[string]any {
		raw, err := os.ReadFile(filepath.Join(root, "results.json"))
		if err != nil {
			t.Fatal(err)
		}
		var res struct {
			Runs []struct {
				Seed  int64
				Loss  string
				Curve []map[string]any
				Eval  map[string]any
			}
		}
		if err := json.Unmarshal(raw, &res); err != nil {
			t.Fatalf("%s/results.json: %v", root, err)
		}
		m := map[string]any{}
		for _, r := range res.Runs {
			delete(r.Eval, "checkpoint")
			delete(r.Eval, "data")
			m[fmt.Sprint(r.Seed, r.Loss)] = r.Eval
			m[fmt.Sprint(r.Seed, r.Loss, " curve")] = r.Curve
		}
		return m
	}
	want, got := evals(ref), evals(out)
	if fmt.Sprint(want) != fmt.Sprint(got) {
		t.Errorf("after the kills the curves or the evaluation differ from an uninterrupted comparison:\n got %v\nwant %v", got, want)
	}
}

// TestPlanWithTwoWorkersMatchesSequential writes a plan, runs its commands
// two at a time in separate processes, collects, and compares every run's
// metrics and evaluation with the sequential compare, bit for bit.
func TestPlanWithTwoWorkersMatchesSequential(t *testing.T) {
	if testing.Short() {
		t.Skip("trains eight small runs")
	}
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "tiny.yaml")
	cfg := fmt.Sprintf(`seed: 3
data: {dir: %q, size: 32, max_val: 4, val_fraction: 0.1}
model: {depth: 5, ngf: 4, ndf: 4, d_layers: 2}
train: {batch: 2, steps: 6, val_every: 3, sample_every: 3, checkpoint_every: 3, keep_last: 2}
`, repoData(t))
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	common := []string{"--seeds", "2", "--arms", "l1,compensated_l1", "--hints", "0,4", "--inception", filepath.Join(dir, "none.pth")}
	seq := filepath.Join(dir, "sequential")
	if out, err := colorize(t, append([]string{"--config", cfgPath, "compare", "--out", seq}, common...)...).CombinedOutput(); err != nil {
		t.Fatalf("sequential compare: %v\n%s", err, out)
	}
	par := filepath.Join(dir, "planned")
	plan := filepath.Join(dir, "plan.sh")
	if out, err := colorize(t, append([]string{"--config", cfgPath, "compare", "--out", par, "--plan", plan}, common...)...).CombinedOutput(); err != nil {
		t.Fatalf("plan: %v\n%s", err, out)
	}
	text, err := os.ReadFile(plan)
	if err != nil {
		t.Fatal(err)
	}
	var jobs [][]string
	var collect []string
	for _, line := range strings.Split(string(text), "\n") {
		if cmd, ok := strings.CutPrefix(line, "# "); ok && strings.HasSuffix(cmd, "--collect") {
			collect = strings.Fields(cmd)[1:] // drop the executable
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		args := strings.Fields(strings.SplitN(line, "#", 2)[0])
		jobs = append(jobs, args[1:])
	}
	if len(jobs) != 4 || collect == nil {
		t.Fatalf("plan has %d commands and collect %v:\n%s", len(jobs), collect, text)
	}
	work := make(chan []string)
	errs := make(chan error, len(jobs))
	for w := 0; w < 2; w++ {
		go func() {
			for args := range work {
				out, err := colorize(t, args...).CombinedOutput()
				if err != nil {
					err = fmt.Errorf("%v: %v\n%s", args, err, out)
				}
				errs <- err
			}
		}()
	}
	for _, j := range jobs {
		work <- j
	}
	close(work)
	for range jobs {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if out, err := colorize(t, collect...).CombinedOutput(); err != nil {
		t.Fatalf("collect: %v\n%s", err, out)
	}
	records := func(run string) string {
		recs, err := train.ReadMetrics(filepath.Join(run, "metrics.jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for _, r := range recs {
			r.Time = 0
			line, _ := json.Marshal(r)
			b.Write(line)
		}
		return b.String()
	}
	runs, _ := filepath.Glob(filepath.Join(seq, "seed-*", "*"))
	if len(runs) != 4 {
		t.Fatalf("sequential runs %v", runs)
	}
	for _, r := range runs {
		rel, _ := filepath.Rel(seq, r)
		if records(r) != records(filepath.Join(par, rel)) {
			t.Errorf("%s: the planned run's metrics differ from the sequential run's", rel)
		}
	}
	eval := func(root string) string {
		raw, err := os.ReadFile(filepath.Join(root, "results.json"))
		if err != nil {
			t.Fatal(err)
		}
		var res struct {
			Runs []struct{ Eval map[string]any }
		}
		json.Unmarshal(raw, &res)
		for _, r := range res.Runs {
			delete(r.Eval, "checkpoint")
			delete(r.Eval, "data")
		}
		b, _ := json.Marshal(res)
		return string(b)
	}
	if eval(seq) != eval(par) {
		t.Error("the collected evaluation differs from the sequential one")
	}
}
