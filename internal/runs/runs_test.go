package runs

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/colorize-dev/colorize/internal/checkpoint"
	"github.com/colorize-dev/colorize/internal/config"
	"github.com/colorize-dev/colorize/internal/model"
	"github.com/colorize-dev/colorize/internal/optim"
	"github.com/colorize-dev/colorize/internal/runlock"
)

func saveCheckpoint(t *testing.T, path string, step int, valL1 float64) {
	t.Helper()
	os.MkdirAll(filepath.Dir(path), 0o755)
	cfg := config.Default()
	cfg.Model.Depth, cfg.Model.NGF, cfg.Model.NDF, cfg.Model.DLayers = 5, 4, 4, 2
	cfg.Train.Steps = 20
	m, err := model.New(config.ModelConfig{Depth: 5, NGF: 4, NDF: 4, DLayers: 2, Dropout: 0.5}, 1)
	if err != nil {
		t.Fatal(err)
	}
	s := &checkpoint.State{Meta: checkpoint.Meta{Step: step, ValL1: valL1, BestValL1: valL1, Config: cfg}, Model: m, OptG: optim.NewAdam(1, 0, 0), OptD: optim.NewAdam(1, 0, 0)}
	if err := checkpoint.Save(path, s); err != nil {
		t.Fatal(err)
	}
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// tree builds root/a (config, metrics with a torn last line, two samples,
// two checkpoints), root/cmp/seed-1/l1 (one checkpoint, nested as compare
// writes them) and root/empty (no run).
func tree(t *testing.T) string {
	root := t.TempDir()
	a := filepath.Join(root, "a")
	cfg := config.Default()
	cfg.Train.Loss, cfg.Train.Steps = "l1", 20
	write(t, filepath.Join(a, "config.yaml"), cfg.YAML())
	write(t, filepath.Join(a, "metrics.jsonl"),
		`{"step":1,"kind":"train","time":0.1,"d":1.2,"g_adv":0.7,"g_rec":30}`+"\n"+
			`{"step":2,"kind":"train","time":0.2,"d":1.1,"g_adv":0.8,"g_rec":28}`+"\n"+
			`{"step":2,"kind":"val","time":0.3,"val_l1":0.25,"val_comp_l1":0.26}`+"\n"+
			`{"step":3,"kind":"tra`)
	write(t, filepath.Join(a, "samples", "step-00000010.png"), "ten")
	write(t, filepath.Join(a, "samples", "step-00000020.png"), "twenty")
	saveCheckpoint(t, filepath.Join(a, checkpoint.StepName(20)), 20, 0.3)
	saveCheckpoint(t, filepath.Join(a, checkpoint.BestName), 10, 0.25)
	saveCheckpoint(t, filepath.Join(root, "cmp", "seed-1", "l1", checkpoint.StepName(5)), 5, math.NaN())
	os.MkdirAll(filepath.Join(root, "empty", "samples"), 0o755)
	return root
}

func TestScanFindsRunsAndCheckpoints(t *testing.T) {
	root := tree(t)
	ix := New(root, "")
	all, err := ix.Runs()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || all[0].ID != "a" || all[1].ID != "cmp/seed-1/l1" {
		t.Fatalf("runs %+v", all)
	}
	a := all[0]
	if a.Config == nil || a.Config.Train.Loss != "l1" || a.Training {
		t.Fatalf("run a: config %+v training %v (%s)", a.Config, a.Training, a.ConfigErr)
	}
	if len(a.Checkpoints) != 2 || !a.Checkpoints[0].Best || a.Checkpoints[0].ID != "a:best" || a.Checkpoints[0].Step != 10 ||
		a.Checkpoints[1].ID != "a:ckpt-00000020" || a.Checkpoints[1].ValL1 != 0.3 {
		t.Fatalf("checkpoints %+v", a.Checkpoints)
	}
	models, err := ix.Models()
	if err != nil || len(models) != 3 || models[2].ID != "cmp/seed-1/l1:ckpt-00000005" || !math.IsNaN(models[2].ValL1) {
		t.Fatalf("models %+v, err %v", models, err)
	}
	if Finite(models[2].ValL1) != nil || *Finite(0.3) != 0.3 {
		t.Error("Finite")
	}
	// As for colorize infer: the best checkpoint of the newest run one
	// level down (cmp's is newer, but nested deeper).
	def, err := ix.Default(models)
	if err != nil || def.ID != "a:best" {
		t.Fatalf("default %+v, err %v", def, err)
	}
	// With only nested runs, the newest checkpoint.
	os.RemoveAll(filepath.Join(root, "a"))
	models, _ = ix.Models()
	if def, err := ix.Default(models); err != nil || def.ID != "cmp/seed-1/l1:ckpt-00000005" {
		t.Fatalf("nested only: default %+v, err %v", def, err)
	}
	if _, err := ix.Default(nil); err == nil {
		t.Fatal("no models, yet a default")
	}
	for _, id := range []string{"", "..", "../a", "a/..", "a/../a", "cmp", "empty", "/a", "a"} {
		if _, ok, _ := ix.Run(id); ok {
			t.Errorf("run ID %q was found", id)
		}
	}
}

func TestTrainingRunIsShownAsSuch(t *testing.T) {
	root := tree(t)
	l, err := runlock.Acquire(filepath.Join(root, "a"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	r, ok, err := New(root, "").Run("a")
	if err != nil || !ok || !r.Training || r.Holder.PID != os.Getpid() {
		t.Fatalf("run %+v ok %v err %v", r, ok, err)
	}
}

func TestMetricsSinceAndKind(t *testing.T) {
	root := tree(t)
	ix := New(root, "")
	r, _, _ := ix.Run("a")
	recs, err := ix.Metrics(r, 0, "")
	if err != nil || len(recs) != 3 {
		t.Fatalf("%d records (torn last line must be left out), err %v", len(recs), err)
	}
	if recs, _ := ix.Metrics(r, 1, ""); len(recs) != 2 || recs[0].Step != 2 {
		t.Fatalf("since 1: %+v", recs)
	}
	if recs, _ := ix.Metrics(r, 0, "val"); len(recs) != 1 || *recs[0].ValL1 != 0.25 {
		t.Fatalf("val: %+v", recs)
	}
	// The torn line completes and another arrives: the next read sees both.
	path := filepath.Join(r.Dir, "metrics.jsonl")
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`in","time":0.4,"d":1,"g_adv":0.9,"g_rec":25}` + "\n" + `{"step":4,"kind":"train","time":0.5,"d":1,"g_adv":0.9,"g_rec":24}` + "\n")
	f.Close()
	os.Chtimes(path, time.Now().Add(time.Second), time.Now().Add(time.Second))
	if recs, _ := ix.Metrics(r, 2, "train"); len(recs) != 2 || recs[1].Step != 4 {
		t.Fatalf("after appending: %+v", recs)
	}
	cmp, _, _ := ix.Run("cmp/seed-1/l1")
	if recs, err := ix.Metrics(cmp, 0, ""); err != nil || len(recs) != 0 {
		t.Fatalf("run without metrics: %v, %v", recs, err)
	}
}

func TestLatestSample(t *testing.T) {
	root := tree(t)
	ix := New(root, "")
	r, _, _ := ix.Run("a")
	path, step, ok := LatestSample(r)
	if !ok || step != 20 || !strings.HasSuffix(path, "step-00000020.png") {
		t.Fatalf("%s %d %v", path, step, ok)
	}
	cmp, _, _ := ix.Run("cmp/seed-1/l1")
	if _, _, ok := LatestSample(cmp); ok {
		t.Fatal("a run without samples has a latest sample")
	}
}

func TestExtraCheckpointOutsideTheRoot(t *testing.T) {
	root := tree(t)
	other := filepath.Join(t.TempDir(), "mine.safetensors")
	saveCheckpoint(t, other, 7, 0.5)
	ix := New(root, other)
	models, err := ix.Models()
	if err != nil || len(models) != 4 || models[0].ID != "checkpoint:mine" || models[0].Step != 7 {
		t.Fatalf("models %+v err %v", models, err)
	}
	if def, err := ix.Default(models); err != nil || def.ID != "checkpoint:mine" {
		t.Fatalf("default %+v err %v", def, err)
	}
	// Extra inside the root is not listed twice.
	ix = New(root, filepath.Join(root, "a"))
	models, _ = ix.Models()
	if def, err := ix.Default(models); len(models) != 3 || err != nil || def.ID != "a:best" {
		t.Fatalf("%d models, default %+v, err %v", len(models), def, err)
	}
	if _, err := New(root, filepath.Join(root, "nope")).Models(); err == nil {
		t.Fatal("a missing --checkpoint is not an error")
	}
}

func TestMissingRootHasNoRuns(t *testing.T) {
	all, err := New(filepath.Join(t.TempDir(), "none"), "").Runs()
	if err != nil || len(all) != 0 {
		t.Fatalf("%v %v", all, err)
	}
}
