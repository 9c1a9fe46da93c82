package checkpoint

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/colorize-dev/colorize/internal/config"
	"github.com/colorize-dev/colorize/internal/model"
	"github.com/colorize-dev/colorize/internal/optim"
)

func tinyState(t *testing.T, seed int64, ngf int) *State {
	t.Helper()
	cfg := config.Default()
	cfg.Model.Depth, cfg.Model.NGF, cfg.Model.NDF, cfg.Model.DLayers = 5, ngf, 4, 2
	m, err := model.New(config.ModelConfig{Depth: 5, NGF: ngf, NDF: 4, DLayers: 2, Dropout: 0.5}, seed)
	if err != nil {
		t.Fatal(err)
	}
	og, od := optim.NewAdam(1e-4, 0.9, 0.99), optim.NewAdam(1e-4, 0.9, 0.99)
	og.T, od.T = 7, 7
	for _, name := range m.Gen.Params.Names() {
		n := m.Gen.Params.Tensor(name).Shape().TotalSize()
		og.M["G."+name], og.V["G."+name] = make([]float32, n), make([]float32, n)
		og.M["G."+name][0] = float32(seed)
	}
	for _, name := range m.Disc.Params.Names() {
		n := m.Disc.Params.Tensor(name).Shape().TotalSize()
		od.M["D."+name], od.V["D."+name] = make([]float32, n), make([]float32, n)
		od.V["D."+name][n-1] = 0.5
	}
	m.Gen.Params.BatchNorm("level2.bn").RunningMean[0] = 0.25
	return &State{Meta: Meta{Step: 42, Epoch: 3, Offset: 5, ValL1: 0.2, BestValL1: math.Inf(1), Config: cfg}, Model: m, OptG: og, OptD: od}
}

func TestRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.safetensors")
	s := tinyState(t, 1, 4)
	if err := Save(path, s); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o644 {
		t.Errorf("checkpoint mode %v, want 0644", st.Mode().Perm())
	}
	f, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if f.Step != 42 || f.Epoch != 3 || f.Offset != 5 || f.ValL1 != 0.2 || !math.IsInf(f.BestValL1, 1) || f.Config != s.Config {
		t.Fatalf("meta = %+v", f.Meta)
	}
	m, err := f.NewModel()
	if err != nil {
		t.Fatal(err)
	}
	for name, a := range s.Model.Gen.Params.State() {
		b := m.Gen.Params.State()[name]
		for i := range a.Data {
			if a.Data[i] != b.Data[i] {
				t.Fatalf("G.%s[%d] = %v, saved %v", name, i, b.Data[i], a.Data[i])
			}
		}
	}
	og, od := optim.NewAdam(1, 0, 0), optim.NewAdam(1, 0, 0)
	if err := f.LoadOptimizers(m, og, od); err != nil {
		t.Fatal(err)
	}
	if og.T != 7 || od.T != 7 || og.M["G.level1.conv.weight"][0] != 1 || od.V["D.layer0.weight"][len(od.V["D.layer0.weight"])-1] != 0.5 {
		t.Fatal("optimizer state not restored")
	}
}

func TestCorruptAndForeignFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "c.safetensors")
	if err := Save(path, tinyState(t, 1, 4)); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	trunc := filepath.Join(dir, "trunc.safetensors")
	os.WriteFile(trunc, data[:len(data)/2], 0o644)
	if _, err := Read(trunc); err == nil || !strings.Contains(err.Error(), "trunc.safetensors") || !strings.Contains(err.Error(), "truncated") {
		t.Errorf("truncated: err = %v", err)
	}
	garbage := filepath.Join(dir, "garbage.safetensors")
	os.WriteFile(garbage, []byte("this is not a checkpoint at all"), 0o644)
	if _, err := Read(garbage); err == nil || !strings.Contains(err.Error(), "garbage.safetensors") {
		t.Errorf("garbage: err = %v", err)
	}
	if _, err := Read(filepath.Join(dir, "missing.safetensors")); err == nil || !strings.Contains(err.Error(), "missing.safetensors") {
		t.Errorf("missing: err = %v", err)
	}
}

func TestArchitectureMismatch(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.safetensors")
	if err := Save(path, tinyState(t, 1, 4)); err != nil {
		t.Fatal(err)
	}
	f, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	other := tinyState(t, 2, 8).Model
	err = f.LoadModel(other)
	if err == nil || !strings.Contains(err.Error(), "does not match") || !strings.Contains(err.Error(), "shape") {
		t.Fatalf("err = %v", err)
	}
}

// TestFailedSaveKeepsPreviousCheckpoint: a save that cannot complete leaves
// the previous checkpoint intact and no temporary file behind.
func TestFailedSaveKeepsPreviousCheckpoint(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "c.safetensors")
	if err := Save(path, tinyState(t, 1, 4)); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	if os.Getuid() == 0 {
		// root ignores directory permissions: make the rename target a
		// non-empty directory instead, which rename cannot replace.
		target := filepath.Join(dir, "d.safetensors")
		os.MkdirAll(filepath.Join(target, "x"), 0o755)
		if err := Save(target, tinyState(t, 2, 4)); err == nil {
			t.Fatal("save over a directory succeeded")
		}
	} else {
		os.Chmod(dir, 0o500)
		defer os.Chmod(dir, 0o755)
		if err := Save(path, tinyState(t, 2, 4)); err == nil {
			t.Fatal("save into a read-only folder succeeded")
		}
	}
	after, _ := os.ReadFile(path)
	if string(before) != string(after) {
		t.Fatal("previous checkpoint changed")
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Fatalf("temporary file left behind: %s", e.Name())
		}
	}
}

func TestReadMetaMatchesRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.safetensors")
	s := tinyState(t, 1, 4)
	if err := Save(path, s); err != nil {
		t.Fatal(err)
	}
	f, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := ReadMeta(path)
	if err != nil {
		t.Fatal(err)
	}
	if m.Step != f.Step || m.ValL1 != f.ValL1 || !math.IsInf(m.BestValL1, 1) || m.Config != f.Config {
		t.Fatalf("ReadMeta %+v, Read %+v", m, f.Meta)
	}
	os.WriteFile(path, []byte("not a checkpoint at all"), 0o644)
	if _, err := ReadMeta(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("garbage: err = %v", err)
	}
}
