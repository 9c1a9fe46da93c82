package export

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/colorize-dev/colorize/internal/atomicfile"
	"github.com/colorize-dev/colorize/internal/checkpoint"
	"github.com/colorize-dev/colorize/internal/cmdutil"
	"github.com/colorize-dev/colorize/internal/config"
	"github.com/colorize-dev/colorize/internal/model"
	"github.com/colorize-dev/colorize/internal/optim"
	"github.com/colorize-dev/colorize/internal/safetensors"
)

func writeCheckpoint(t *testing.T, dir string, cfgNGF, weightsNGF int) string {
	t.Helper()
	cfg := config.Default()
	cfg.Data.Size = 32
	cfg.Model.Depth, cfg.Model.NGF, cfg.Model.NDF, cfg.Model.DLayers = 5, cfgNGF, 4, 2
	m, err := model.New(config.ModelConfig{Depth: 5, NGF: weightsNGF, NDF: 4, DLayers: 2, Dropout: 0.5}, 1)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "best.safetensors")
	if err := checkpoint.Save(path, &checkpoint.State{Meta: checkpoint.Meta{Step: 7, Config: cfg}, Model: m, OptG: optim.NewAdam(1, 0, 0), OptD: optim.NewAdam(1, 0, 0)}); err != nil {
		t.Fatal(err)
	}
	return path
}

func run(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd := NewCmdExport(&cmdutil.Factory{IO: cmdutil.Test(&out, &errOut)}, nil)
	cmd.SetArgs(args)
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	err := cmd.Execute()
	return out.String(), errOut.String(), err
}

func TestExportWritesModel(t *testing.T) {
	dir := t.TempDir()
	ckpt := writeCheckpoint(t, dir, 4, 4)
	out := filepath.Join(dir, "m.onnx")
	stdout, stderr, err := run(t, "--checkpoint", dir, "--format", "onnx", "-o", out)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	// The model carries its metadata (the encoding itself is tested in
	// internal/onnx, the model in internal/export against ONNX Runtime).
	for _, want := range []string{"colorize_version", "training_step", "model_config", "Conv", "ConvTranspose", "Tanh"} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("model lacks %q", want)
		}
	}
	if strings.TrimSpace(stdout) != out || !strings.Contains(stderr, ckpt) || !strings.Contains(stderr, "step 7") || !strings.Contains(stderr, "multiples of 32") {
		t.Errorf("stdout %q, stderr %q", stdout, stderr)
	}

	// An existing output is kept without --force and replaced with it.
	os.WriteFile(out, []byte("keep me"), 0o644)
	if _, _, err := run(t, "--checkpoint", ckpt, "-o", out); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("existing output: err = %v", err)
	}
	if b, _ := os.ReadFile(out); string(b) != "keep me" {
		t.Fatal("the existing output changed without --force")
	}
	if _, _, err := run(t, "--checkpoint", ckpt, "-o", out, "--force", "--opset", "13"); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(out); !bytes.Contains(b, []byte("ConvTranspose")) {
		t.Fatal("--force did not replace the output")
	}
}

func TestNewestRunIsTheDefault(t *testing.T) {
	runs := t.TempDir()
	os.MkdirAll(filepath.Join(runs, "a"), 0o755)
	ckpt := writeCheckpoint(t, filepath.Join(runs, "a"), 4, 4)
	_, stderr, err := run(t, "--runs", runs, "-o", filepath.Join(t.TempDir(), "m.onnx"))
	if err != nil || !strings.Contains(stderr, ckpt) {
		t.Fatalf("err %v, stderr %q", err, stderr)
	}
}

func TestClearErrors(t *testing.T) {
	dir := t.TempDir()
	good := writeCheckpoint(t, t.TempDir(), 4, 4)
	mismatched := writeCheckpoint(t, t.TempDir(), 8, 4) // config says ngf 8, weights are ngf 4
	junk := filepath.Join(dir, "junk.safetensors")
	os.WriteFile(junk, []byte("this is not a checkpoint"), 0o644)
	// A safetensors file that is not a colorize checkpoint.
	var foreign bytes.Buffer
	if err := safetensors.Encode(&foreign, safetensors.File{Tensors: map[string]safetensors.Tensor{"w": {Shape: []int{1}, F32: []float32{1}}}, Metadata: map[string]string{}}); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "other.safetensors")
	os.WriteFile(other, foreign.Bytes(), 0o644)
	emptyDir := t.TempDir()
	out := filepath.Join(dir, "m.onnx")
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--checkpoint", filepath.Join(dir, "missing.safetensors"), "-o", out}, "missing.safetensors"},
		{[]string{"--checkpoint", junk, "-o", out}, "junk.safetensors"},
		{[]string{"--checkpoint", other, "-o", out}, "not a colorize checkpoint"},
		{[]string{"--checkpoint", mismatched, "-o", out}, "does not match"},
		{[]string{"--checkpoint", emptyDir, "-o", out}, "holds no checkpoint"},
		{[]string{"--checkpoint", good, "-o", filepath.Join(dir, "no", "such", "m.onnx")}, "folder " + filepath.Join(dir, "no", "such") + " does not exist"},
	}
	for _, tc := range cases {
		_, _, err := run(t, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want it to mention %q", tc.args, err, tc.want)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a failed export left an output file")
	}
	// A checkpoint oddly named .onnx is not overwritten by its own export.
	odd := filepath.Join(dir, "ckpt.onnx")
	if err := atomicfile.Copy(good, odd); err != nil {
		t.Fatal(err)
	}
	if _, _, err := run(t, "--checkpoint", odd, "-o", odd, "--force"); err == nil || !strings.Contains(err.Error(), "checkpoint itself") {
		t.Errorf("output = checkpoint: err = %v", err)
	}
	folder := filepath.Join(dir, "folder.onnx")
	os.Mkdir(folder, 0o755)
	if _, _, err := run(t, "--checkpoint", good, "-o", folder, "--force"); err == nil || !strings.Contains(err.Error(), "folder") {
		t.Errorf("folder output: err = %v", err)
	}
}

func TestFlags(t *testing.T) {
	parse := func(args ...string) (*ExportOptions, error) {
		var got *ExportOptions
		cmd := NewCmdExport(&cmdutil.Factory{IO: cmdutil.Test(&bytes.Buffer{}, &bytes.Buffer{})}, func(o *ExportOptions) error { got = o; return nil })
		cmd.SetArgs(args)
		cmd.SetOut(&bytes.Buffer{})
		cmd.SetErr(&bytes.Buffer{})
		return got, cmd.Execute()
	}
	got, err := parse("--checkpoint", "c.safetensors", "--format", "onnx", "-o", "m.onnx", "--opset", "13", "--force")
	if err != nil || got.Checkpoint != "c.safetensors" || got.Output != "m.onnx" || got.Opset != 13 || !got.Force || got.Format != "onnx" {
		t.Fatalf("%+v, %v", got, err)
	}
	if got, err = parse("-o", "m.onnx"); err != nil || got.Opset != 17 || got.Force || got.Checkpoint != "" {
		t.Errorf("defaults: %+v, %v", got, err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-o", "m.onnx", "--dropout"}, "ONNX Runtime has no seeded dropout"},
		{[]string{"-o", "m.onnx", "--format", "tflite"}, "tflite"},
		{[]string{}, "-o"},
		{[]string{"-o", "m.safetensors"}, ".onnx"},
		{[]string{"-o", "m.onnx", "--opset", "9"}, "--opset 9"},
		{[]string{"-o", "m.onnx", "--opset", "99"}, "--opset 99"},
		{[]string{"-o", "m.onnx", "extra"}, "extra"},
	} {
		if _, err := parse(tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err = %v, want it to mention %q", tc.args, err, tc.want)
		}
	}
}
