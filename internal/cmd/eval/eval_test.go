package eval

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/colorize-dev/colorize/internal/cmdutil"
	"github.com/colorize-dev/colorize/internal/fid"
)

func parse(t *testing.T, args ...string) (*EvalOptions, error) {
	t.Helper()
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	var got *EvalOptions
	f := &cmdutil.Factory{IO: cmdutil.Test(&bytes.Buffer{}, &bytes.Buffer{})}
	cmd := NewCmdEval(f, func(_ context.Context, o *EvalOptions) error { got = o; return nil })
	cmd.SetArgs(args)
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	err := cmd.Execute()
	return got, err
}

func TestFlags(t *testing.T) {
	o, err := parse(t, "--real", "r", "--fake", "f", "--fid", "--kid", "--json", "--inception", "w.pth", "--dims", "192", "--seed", "3")
	if err != nil {
		t.Fatal(err)
	}
	if o.Real != "r" || o.Fake != "f" || !o.FID || !o.KID || !o.JSON || o.Inception != "w.pth" || o.Dims != 192 || o.KIDOpts.Seed != 3 {
		t.Errorf("parsed %+v", o)
	}
	if o.KIDOpts.Subsets != 100 || o.KIDOpts.SubsetSize != 1000 {
		t.Errorf("KID defaults %+v, want 100 subsets of 1000", o.KIDOpts)
	}
	o, err = parse(t, "--real", "r", "--fake", "f")
	if err != nil {
		t.Fatal(err)
	}
	if o.Dims != 2048 || o.Inception != "" {
		t.Errorf("defaults: dims %d, inception %q; want 2048 and the default path", o.Dims, o.Inception)
	}
	for _, bad := range [][]string{
		{"--fake", "f"},
		{"--real", "r", "--fake", "f", "--dims", "100"},
		{"--real", "r.npz", "--fake", "f", "--kid"},
		{"--real", "r", "--fake", "f", "--save-stats", "s.npz"},
		{"--real", "r", "--fake", "f", "--kid-subset-size", "1"},
	} {
		if _, err := parse(t, bad...); err == nil {
			t.Errorf("%v: want an error", bad)
		}
	}
}

func writePNG(t *testing.T, path string, img image.Image) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
}

// pattern is a 16×16 test image; off is added to every channel.
func pattern(seed, off int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, 16, 16))
	for y := 0; y < 16; y++ {
		for x := 0; x < 16; x++ {
			v := uint8((x*13 + y*7 + seed*31) % 200)
			o := uint8(off)
			img.SetNRGBA(x, y, color.NRGBA{v + o, v/2 + o, 200 - v + o, 255})
		}
	}
	return img
}

// TestPixelMetrics: pairs are matched by stem across extensions; a constant
// offset of 10 gives L1 = 2·10/255 on [−1, 1] and PSNR 20·log10(255/10).
func TestPixelMetrics(t *testing.T) {
	real, fake := t.TempDir(), t.TempDir()
	writePNG(t, filepath.Join(real, "a.png"), pattern(1, 0))
	writePNG(t, filepath.Join(real, "b.png"), pattern(2, 0))
	writePNG(t, filepath.Join(real, "c.png"), pattern(3, 0)) // no partner
	writePNG(t, filepath.Join(fake, "a.png"), pattern(1, 10))
	writePNG(t, filepath.Join(fake, "b.png"), pattern(2, 10))
	small := image.NewNRGBA(image.Rect(0, 0, 12, 12))
	writePNG(t, filepath.Join(real, "d.png"), pattern(4, 0))
	writePNG(t, filepath.Join(fake, "d.png"), small) // other size: left out
	if err := os.WriteFile(filepath.Join(fake, "notes.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	opts := &EvalOptions{IO: cmdutil.Test(&out, &errOut), Real: real, Fake: fake, JSON: true, Dims: 2048}
	if err := evalRun(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	var res Result
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	if res.NReal != 4 || res.NFake != 3 || res.Pairs != 3 || res.SizeMismatch != 1 {
		t.Fatalf("counts %+v", res)
	}
	if want := 2 * 10.0 / 255; math.Abs(*res.L1-want) > 1e-6 || math.Abs(*res.CompL1-want) > 1e-6 {
		t.Errorf("L1 %g, compensated %g, want %g", *res.L1, *res.CompL1, want)
	}
	if want := 20 * math.Log10(255.0/10); math.Abs(float64(*res.PSNR)-want) > 1e-4 {
		t.Errorf("PSNR %g, want %g", *res.PSNR, want)
	}
	if *res.SSIM <= 0.5 || *res.SSIM >= 1 {
		t.Errorf("SSIM %g of an offset copy, want in (0.5, 1)", *res.SSIM)
	}
	if !strings.Contains(errOut.String(), "d.png") {
		t.Errorf("no warning naming the mismatched pair: %q", errOut.String())
	}
	if res.FID != nil || res.KID != nil {
		t.Error("FID/KID reported without --fid/--kid")
	}

	out.Reset()
	opts.JSON = false
	if err := evalRun(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"pairs", "PSNR", "SSIM", "compensated L1"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
}

func TestMissingWeights(t *testing.T) {
	real := t.TempDir()
	writePNG(t, filepath.Join(real, "a.png"), pattern(1, 0))
	opts := &EvalOptions{IO: cmdutil.Test(&bytes.Buffer{}, &bytes.Buffer{}), Real: real, Fake: real, FID: true,
		Dims: 2048, Inception: filepath.Join(t.TempDir(), fid.WeightsFile)}
	err := evalRun(context.Background(), opts)
	var miss *fid.MissingWeightsError
	if !errors.As(err, &miss) || !strings.Contains(err.Error(), fid.WeightsURL) {
		t.Fatalf("error %v, want the missing-weights error with the download address", err)
	}
}

// TestFIDEndToEnd runs the command on the PNGs and synthetic weights of
// internal/fid's parity script and compares with PyTorch's FID (dims 192),
// then again from saved statistics.
func TestFIDEndToEnd(t *testing.T) {
	const python = "/usr/bin/python3"
	if err := exec.Command(python, "-c", "import torch, numpy, scipy").Run(); err != nil {
		t.Skipf("needs %s with torch, numpy and scipy (apt-get install python3-torch python3-scipy): %v", python, err)
	}
	dir := t.TempDir()
	if out, err := exec.Command(python, "../../fid/testdata/parity.py", dir, "1").CombinedOutput(); err != nil {
		t.Fatalf("parity.py: %v\n%s", err, out)
	}
	var ref map[string]float64
	raw, err := os.ReadFile(filepath.Join(dir, "ref.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}
	real, fake := filepath.Join(dir, "real"), filepath.Join(dir, "fake")
	for i := 0; i < 8; i++ {
		to := real
		if i >= 4 {
			to = fake
		}
		if err := os.MkdirAll(to, 0o755); err != nil {
			t.Fatal(err)
		}
		name := filepath.Join(dir, "img"+string(rune('0'+i))+".png")
		if err := os.Rename(name, filepath.Join(to, filepath.Base(name))); err != nil {
			t.Fatal(err)
		}
	}
	stats := filepath.Join(dir, "real.npz")
	run := func(o *EvalOptions) Result {
		t.Helper()
		var out bytes.Buffer
		o.IO, o.JSON, o.Dims, o.Inception = cmdutil.Test(&out, &bytes.Buffer{}), true, 192, filepath.Join(dir, "weights.pth")
		if err := evalRun(context.Background(), o); err != nil {
			t.Fatal(err)
		}
		var res Result
		if err := json.Unmarshal(out.Bytes(), &res); err != nil {
			t.Fatalf("%v: %s", err, out.String())
		}
		return res
	}
	res := run(&EvalOptions{Real: real, Fake: fake, FID: true, KID: true, SaveStats: stats,
		KIDOpts: fid.KIDOptions{Subsets: 10, SubsetSize: 1000}})
	want := ref["fid192"]
	if res.FID == nil || math.Abs(*res.FID-want) > 1e-3*want {
		t.Fatalf("FID %v, PyTorch %g", res.FID, want)
	}
	if res.KID == nil || res.KIDSubset != 4 || *res.KIDStd > 1e-9 {
		t.Errorf("KID %v ± %v over subsets of %d, want a value ± 0 over all 4 images", res.KID, res.KIDStd, res.KIDSubset)
	}
	again := run(&EvalOptions{Real: stats, Fake: fake, FID: true, KIDOpts: fid.DefaultKIDOptions()})
	if math.Abs(*again.FID-*res.FID) > 1e-9*want {
		t.Errorf("FID from saved statistics %g, from images %g", *again.FID, *res.FID)
	}
}

func TestCheckpointModeFlags(t *testing.T) {
	o, err := parse(t, "--checkpoint", "runs/x", "--data", "d", "--max-images", "7", "--save", "out", "--fid")
	if err != nil {
		t.Fatal(err)
	}
	if o.Checkpoint != "runs/x" || o.Data != "d" || o.MaxImages != 7 || o.SaveDir != "out" || !o.FID {
		t.Errorf("parsed %+v", o)
	}
	o, err = parse(t, "--checkpoint", "runs/x", "--hints", "0,1,4,16,64")
	if err != nil || fmt.Sprint(o.HintCounts) != "[0 1 4 16 64]" {
		t.Errorf("--hints parsed as %v, %v", o.HintCounts, err)
	}
	for _, args := range [][]string{{"--checkpoint", "c", "--real", "r", "--fake", "f"}, {"--fid"}, {"--real", "r"},
		{"--checkpoint", "c", "--hints", "-1"}, {"--real", "r", "--fake", "f", "--hints", "4"}} {
		if _, err := parse(t, args...); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
}

func TestCheckpointModeRuns(t *testing.T) {
	var out bytes.Buffer
	f := &cmdutil.Factory{IO: cmdutil.Test(&out, &bytes.Buffer{})}
	cmd := NewCmdEval(f, nil)
	cmd.SetArgs([]string{"--checkpoint", filepath.Join(t.TempDir(), "missing.safetensors")})
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	if err := cmd.Execute(); err == nil || !strings.Contains(err.Error(), "missing.safetensors") {
		t.Fatalf("err = %v", err)
	}
}
