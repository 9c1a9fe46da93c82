package infer

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/png"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/colorize-dev/colorize/internal/checkpoint"
	"github.com/colorize-dev/colorize/internal/cmdutil"
	"github.com/colorize-dev/colorize/internal/config"
	"github.com/colorize-dev/colorize/internal/model"
	"github.com/colorize-dev/colorize/internal/optim"
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

func writeSketch(t *testing.T, path string, w, h int) {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, w, h))
	rng := rand.New(rand.NewSource(1))
	for i := range img.Pix {
		img.Pix[i] = uint8(200 + rng.Intn(56))
	}
	var buf bytes.Buffer
	png.Encode(&buf, img)
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func run(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd := NewCmdInfer(&cmdutil.Factory{IO: cmdutil.Test(&out, &errOut)}, nil)
	cmd.SetArgs(args)
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	err := cmd.Execute()
	return out.String(), errOut.String(), err
}

func size(t *testing.T, path string) (int, int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg, err := png.DecodeConfig(f)
	if err != nil {
		t.Fatal(err)
	}
	return cfg.Width, cfg.Height
}

func TestInferOneSketchKeepsItsSize(t *testing.T) {
	dir := t.TempDir()
	ckpt := writeCheckpoint(t, dir, 4, 4)
	sk := filepath.Join(dir, "sketch.png")
	writeSketch(t, sk, 100, 77)
	out := filepath.Join(dir, "out.png")
	_, errOut, err := run(t, sk, "--checkpoint", ckpt, "-o", out, "--hint-points", "10,10,#ff0000")
	if err != nil {
		t.Fatal(err)
	}
	if w, h := size(t, out); w != 100 || h != 77 {
		t.Fatalf("output %dx%d, want 100x77", w, h)
	}
	if !strings.Contains(errOut, ckpt) {
		t.Errorf("does not say which checkpoint it used: %q", errOut)
	}
	// Default output name beside the input.
	if _, _, err := run(t, sk, "--checkpoint", dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "sketch.colorized.png")); err != nil {
		t.Fatal(err)
	}
}

func TestNewestRunIsTheDefault(t *testing.T) {
	runs := t.TempDir()
	os.MkdirAll(filepath.Join(runs, "a"), 0o755)
	ckpt := writeCheckpoint(t, filepath.Join(runs, "a"), 4, 4)
	sk := filepath.Join(t.TempDir(), "s.png")
	writeSketch(t, sk, 40, 40)
	_, errOut, err := run(t, sk, "--runs", runs)
	if err != nil || !strings.Contains(errOut, ckpt) {
		t.Fatalf("err %v, stderr %q", err, errOut)
	}
}

func TestNeverOverwritesAnInput(t *testing.T) {
	dir := t.TempDir()
	ckpt := writeCheckpoint(t, dir, 4, 4)
	sk := filepath.Join(dir, "sketch.png")
	writeSketch(t, sk, 40, 30)
	before, _ := os.ReadFile(sk)
	_, _, err := run(t, sk, "--checkpoint", ckpt, "-o", sk)
	if err == nil || !strings.Contains(err.Error(), "overwrite") {
		t.Fatalf("err = %v", err)
	}
	after, _ := os.ReadFile(sk)
	if !bytes.Equal(before, after) {
		t.Fatal("the input changed")
	}
}

func TestFolderWithBadFiles(t *testing.T) {
	dir := t.TempDir()
	ckpt := writeCheckpoint(t, t.TempDir(), 4, 4)
	src := filepath.Join(dir, "src")
	os.MkdirAll(src, 0o755)
	writeSketch(t, filepath.Join(src, "a.png"), 50, 20)
	writeSketch(t, filepath.Join(src, "c.png"), 20, 50)
	os.WriteFile(filepath.Join(src, "b.png"), []byte("not a png"), 0o644)
	out := filepath.Join(dir, "out")
	stdout, _, err := run(t, src, "--checkpoint", ckpt, "--out-dir", out)
	if err == nil || !strings.Contains(err.Error(), "1 of 3") || !strings.Contains(err.Error(), "b.png") {
		t.Fatalf("err = %v", err)
	}
	for _, name := range []string{"a.png", "c.png"} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Errorf("%s not colorized", name)
		}
	}
	if !strings.Contains(stdout, "a.png") {
		t.Errorf("stdout %q", stdout)
	}
}

func TestClearErrors(t *testing.T) {
	dir := t.TempDir()
	sk := filepath.Join(dir, "sketch.png")
	writeSketch(t, sk, 40, 30)
	hint := filepath.Join(dir, "hint.png")
	var buf bytes.Buffer
	png.Encode(&buf, image.NewRGBA(image.Rect(0, 0, 41, 30)))
	os.WriteFile(hint, buf.Bytes(), 0o644)
	good := writeCheckpoint(t, t.TempDir(), 4, 4)
	mismatched := writeCheckpoint(t, t.TempDir(), 8, 4) // config says ngf 8, weights are ngf 4
	junk := filepath.Join(dir, "junk.png")
	os.WriteFile(junk, []byte("junk"), 0o644)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{sk, "--checkpoint", filepath.Join(dir, "missing.safetensors")}, "missing.safetensors"},
		{[]string{sk, "--checkpoint", mismatched}, "does not match"},
		{[]string{junk, "--checkpoint", good}, "junk.png"},
		{[]string{sk, "--checkpoint", good, "--hint", hint}, "41x30"},
		{[]string{sk, "--checkpoint", good, "--hint-points", "1,2,blue"}, "--hint-points"},
		{[]string{sk, sk, "--checkpoint", good, "-o", "x.png"}, "exactly one"},
		{[]string{filepath.Join(dir, "nope.png"), "--checkpoint", good}, "nope.png"},
	}
	for _, tc := range cases {
		_, _, err := run(t, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want it to mention %q", tc.args, err, tc.want)
		}
	}
}

func TestFlags(t *testing.T) {
	var got *InferOptions
	cmd := NewCmdInfer(&cmdutil.Factory{IO: cmdutil.Test(&bytes.Buffer{}, &bytes.Buffer{})}, func(_ context.Context, o *InferOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"a.png", "dir", "--checkpoint", "c.safetensors", "--out-dir", "o", "--max-side", "512", "--dropout", "--seed", "3"})
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if len(got.Inputs) != 2 || got.Checkpoint != "c.safetensors" || got.OutDir != "o" || got.MaxSide != 512 ||
		got.Dropout == nil || !*got.Dropout || got.Seed == nil || *got.Seed != 3 {
		t.Errorf("%+v", got)
	}
	cmd = NewCmdInfer(&cmdutil.Factory{IO: cmdutil.Test(&bytes.Buffer{}, &bytes.Buffer{})}, func(_ context.Context, o *InferOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"a.png"})
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	if err := cmd.Execute(); err != nil || got.Dropout != nil || got.Seed != nil {
		t.Errorf("defaults: err %v, dropout %v, seed %v (want the checkpoint's)", err, got.Dropout, got.Seed)
	}
	for _, args := range [][]string{{"a.png", "-o", "x.png", "--out-dir", "d"}, {"a.png", "--max-side", "-1"}, {"a.png", "-o", "a.jpg"}, {}} {
		cmd = NewCmdInfer(&cmdutil.Factory{IO: cmdutil.Test(&bytes.Buffer{}, &bytes.Buffer{})}, func(context.Context, *InferOptions) error { return nil })
		cmd.SetArgs(args)
		cmd.SetOut(&bytes.Buffer{})
		cmd.SetErr(&bytes.Buffer{})
		if err := cmd.Execute(); err == nil {
			t.Errorf("%q accepted", args)
		}
	}
}

// TestSeveralInputs: a missing file among several and two sketches with one
// output name are listed as failures; the rest are colorized.
func TestSeveralInputs(t *testing.T) {
	dir := t.TempDir()
	ckpt := writeCheckpoint(t, t.TempDir(), 4, 4)
	a, c := filepath.Join(dir, "a.png"), filepath.Join(dir, "c.png")
	writeSketch(t, a, 30, 30)
	writeSketch(t, c, 30, 30)
	aSub := filepath.Join(dir, "sub", "a.png") // same stem as a.png
	os.MkdirAll(filepath.Dir(aSub), 0o755)
	writeSketch(t, aSub, 20, 20)
	out := filepath.Join(dir, "out")
	stdout, _, err := run(t, a, filepath.Join(dir, "missing.png"), aSub, c, "--checkpoint", ckpt, "--out-dir", out)
	if err == nil || !strings.Contains(err.Error(), "2 of 4") || !strings.Contains(err.Error(), "missing.png") || !strings.Contains(err.Error(), "already holds") {
		t.Fatalf("err = %v", err)
	}
	if w, _ := size(t, filepath.Join(out, "a.png")); w != 30 {
		t.Errorf("out/a.png is %d wide: the second a.png overwrote the first", w)
	}
	if _, err := os.Stat(filepath.Join(out, "c.png")); err != nil || !strings.Contains(stdout, "c.png") {
		t.Errorf("c.png not colorized: %v, stdout %q", err, stdout)
	}
}

// TestHintImageAndPoints: both kinds of hint together are accepted, and each
// changes the picture.
func TestHintImageAndPoints(t *testing.T) {
	dir := t.TempDir()
	ckpt := writeCheckpoint(t, dir, 4, 4)
	sk := filepath.Join(dir, "s.png")
	writeSketch(t, sk, 40, 30)
	hintImg := image.NewNRGBA(image.Rect(0, 0, 40, 30))
	for y := 5; y < 15; y++ {
		for x := 5; x < 15; x++ {
			hintImg.Pix[hintImg.PixOffset(x, y)+0] = 255
			hintImg.Pix[hintImg.PixOffset(x, y)+3] = 255
		}
	}
	hint := filepath.Join(dir, "hint.png")
	var buf bytes.Buffer
	png.Encode(&buf, hintImg)
	os.WriteFile(hint, buf.Bytes(), 0o644)
	outs := map[string][]string{
		"none.png":   nil,
		"image.png":  {"--hint", hint},
		"points.png": {"--hint-points", "30,20,#0000ff"},
		"both.png":   {"--hint", hint, "--hint-points", "30,20,#0000ff"},
	}
	pix := map[string][]byte{}
	for name, extra := range outs {
		p := filepath.Join(dir, name)
		if _, _, err := run(t, append([]string{sk, "--checkpoint", ckpt, "-o", p}, extra...)...); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		pix[name], _ = os.ReadFile(p)
	}
	for _, pair := range [][2]string{{"none.png", "image.png"}, {"none.png", "points.png"}, {"image.png", "both.png"}, {"points.png", "both.png"}} {
		if bytes.Equal(pix[pair[0]], pix[pair[1]]) {
			t.Errorf("%s and %s are the same picture", pair[0], pair[1])
		}
	}
}

func TestInterruptStopsBetweenSketches(t *testing.T) {
	ckpt := writeCheckpoint(t, t.TempDir(), 4, 4)
	dir := t.TempDir()
	for _, n := range []string{"a", "b", "c"} {
		writeSketch(t, filepath.Join(dir, n+".png"), 40, 40)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var errOut bytes.Buffer
	opts := &InferOptions{IO: cmdutil.Test(&bytes.Buffer{}, &errOut), Inputs: []string{dir}, Checkpoint: ckpt, OutDir: t.TempDir()}
	err := inferRun(ctx, opts)
	if !errors.Is(err, context.Canceled) || !strings.Contains(errOut.String(), "interrupted: 0 of 3") {
		t.Fatalf("err %v, stderr %q", err, errOut.String())
	}
	if entries, _ := os.ReadDir(opts.OutDir); len(entries) != 0 {
		t.Errorf("%d files written after an interrupt", len(entries))
	}
}
