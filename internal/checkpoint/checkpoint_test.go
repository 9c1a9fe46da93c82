package checkpoint

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/colorize-dev/colorize/internal/config"
	"github.com/colorize-dev/colorize/internal/model"
	"github.com/colorize-dev/colorize/internal/optim"
	"github.com/colorize-dev/colorize/internal/safetensors"
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

// rewrite decodes the checkpoint at path, lets edit change it and writes it
// back to a new file, returning that file's path.
func rewrite(t testing.TB, path string, edit func(*safetensors.File)) string {
	t.Helper()
	f, err := safetensors.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	edit(&f)
	var buf bytes.Buffer
	if err := safetensors.Encode(&buf, f); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "edited.safetensors")
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestTensorsCheckedAgainstStoredConfig: a small file whose config claims a
// huge model, or whose tensors disagree with its config, is refused by Read
// before any network is built.
func TestTensorsCheckedAgainstStoredConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.safetensors")
	if err := Save(path, tinyState(t, 1, 4)); err != nil {
		t.Fatal(err)
	}
	setConfig := func(edit func(*config.Config)) func(*safetensors.File) {
		return func(f *safetensors.File) {
			cfg, err := config.FromJSON(f.Metadata["config"])
			if err != nil {
				t.Fatal(err)
			}
			edit(&cfg)
			f.Metadata["config"] = cfg.JSON()
		}
	}
	for name, c := range map[string]struct {
		edit func(*safetensors.File)
		want string
	}{
		// ngf 1024 at depth 9 would be billions of weights: the file holds
		// a few thousand.
		"config claims a huge model": {setConfig(func(c *config.Config) { c.Model.NGF, c.Model.Depth, c.Data.Size = 1024, 9, 512 }),
			"G.level1.conv.weight has shape [4 5 4 4], the model needs [1024 5 4 4]"},
		"config out of range": {setConfig(func(c *config.Config) { c.Model.Depth = 1000000 }), `stored config: key "model.depth"`},
		"missing tensor":      {func(f *safetensors.File) { delete(f.Tensors, "D.bn1.running_var") }, "missing D.bn1.running_var"},
		"unexpected tensor": {func(f *safetensors.File) {
			f.Tensors["G.extra"] = safetensors.Tensor{Shape: []int{1}, F32: []float32{0}}
		},
			"unexpected G.extra"},
		"wrong dtype": {func(f *safetensors.File) {
			f.Tensors["G.level1.convt.bias"] = safetensors.Tensor{Shape: []int{3}, F64: []float64{0, 0, 0}}
		},
			"G.level1.convt.bias is not float32"},
		"adam moment of the wrong shape": {func(f *safetensors.File) {
			f.Tensors["adam.G.m.level1.convt.bias"] = safetensors.Tensor{Shape: []int{1}, F32: []float32{0}}
		}, "adam.G.m.level1.convt.bias has shape [1], its parameter has [3]"},
		"adam moment of no parameter": {func(f *safetensors.File) {
			f.Tensors["adam.G.m.nothing"] = safetensors.Tensor{Shape: []int{1}, F32: []float32{0}}
		}, "unexpected adam.G.m.nothing"},
	} {
		edited := rewrite(t, path, c.edit)
		_, err := Read(edited)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), edited) {
			t.Errorf("%s: error %v, want one naming the file and containing %q", name, err, c.want)
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
