package infer

import (
	"bytes"
	"image"
	"image/color"
	"math"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/colorize-dev/colorize/internal/atomicfile"
	"github.com/colorize-dev/colorize/internal/checkpoint"
	"github.com/colorize-dev/colorize/internal/config"
	"github.com/colorize-dev/colorize/internal/model"
	"github.com/colorize-dev/colorize/internal/optim"
	"github.com/colorize-dev/colorize/internal/safetensors"
)

func repo(rel string) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", rel)
}

// tinyCheckpoint writes a small model (untrained weights,
// but running statistics far from PyTorch's initial 0/1, so eval-mode batch
// norm is exercised) and returns its path.
func tinyCheckpoint(t *testing.T, depth, ngf int, dropout float64) string {
	t.Helper()
	cfg := config.Default()
	cfg.Data.Size = 32
	cfg.Model.Depth, cfg.Model.NGF, cfg.Model.NDF, cfg.Model.DLayers, cfg.Model.Dropout = depth, ngf, 4, 2, dropout
	m, err := model.New(config.ModelConfig{Depth: depth, NGF: ngf, NDF: 4, DLayers: 2, Dropout: dropout}, 5)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewSource(9))
	for _, name := range m.Gen.Params.BatchNormNames() {
		st := m.Gen.Params.BatchNorm(name)
		for i := range st.RunningMean {
			st.RunningMean[i] = float32(rng.NormFloat64() * 0.3)
			st.RunningVar[i] = float32(0.5 + rng.Float64())
		}
	}
	// Untrained outputs are within ±0.05; a larger last layer spreads them
	// over tanh's range so the parity test compares values of order 1.
	w := m.Gen.Params.Tensor("level1.convt.weight").Data().([]float32)
	for i := range w {
		w[i] *= 20
	}
	path := filepath.Join(t.TempDir(), "tiny.safetensors")
	s := &checkpoint.State{Meta: checkpoint.Meta{Step: 1, Config: cfg}, Model: m, OptG: optim.NewAdam(1, 0, 0), OptD: optim.NewAdam(1, 0, 0)}
	if err := checkpoint.Save(path, s); err != nil {
		t.Fatal(err)
	}
	return path
}

// sketch is a w×h gray drawing: a dark ring on white.
func sketch(w, h int) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			dx, dy := float64(x)-float64(w)/2, float64(y)-float64(h)/2
			r := math.Hypot(dx, dy)
			v := uint8(255)
			if math.Abs(r-float64(min(w, h))/3) < 2 {
				v = 0
			}
			img.SetGray(x, y, color.Gray{Y: v})
		}
	}
	return img
}

func TestOutputHasTheSketchSize(t *testing.T) {
	c, err := Open(tinyCheckpoint(t, 6, 4, 0.5))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, tc := range []struct{ w, h, maxSide int }{{100, 77, 0}, {32, 32, 0}, {33, 5, 0}, {100, 77, 40}} {
		img, err := c.Colorize(Request{Sketch: sketch(tc.w, tc.h), MaxSide: tc.maxSide})
		if err != nil {
			t.Fatal(err)
		}
		if b := img.Bounds(); b.Dx() != tc.w || b.Dy() != tc.h {
			t.Errorf("%dx%d (max side %d): output %dx%d", tc.w, tc.h, tc.maxSide, b.Dx(), b.Dy())
		}
	}
	// Inference is deterministic (dropout off by default).
	a, _ := c.Colorize(Request{Sketch: sketch(50, 40)})
	b, _ := c.Colorize(Request{Sketch: sketch(50, 40)})
	if !bytes.Equal(a.(*image.RGBA).Pix, b.(*image.RGBA).Pix) {
		t.Error("two runs on the same sketch differ")
	}
}

func TestPaddingAndHints(t *testing.T) {
	c, err := Open(tinyCheckpoint(t, 5, 4, 0))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	in, w, h, err := c.prepare(Request{Sketch: sketch(40, 20), Points: []Point{{X: 10, Y: 10, Color: color.RGBA{255, 0, 0, 255}}}})
	if err != nil {
		t.Fatal(err)
	}
	pw, ph := c.padded(w), c.padded(h)
	if w != 40 || h != 20 || pw != 64 || ph != 32 || len(in) != 5*pw*ph {
		t.Fatalf("working %dx%d padded %dx%d len %d", w, h, pw, ph, len(in))
	}
	if in[ph*pw-1] != 1 || in[4*ph*pw+ph*pw-1] != 0 {
		t.Error("padding is not white paper without hints")
	}
	// The point paints a square of hints.patch·min(w,h)/data.size = 5·20/32 ≈ 3 pixels.
	mask := in[4*ph*pw : 5*ph*pw]
	n := 0
	for _, v := range mask {
		if v == 1 {
			n++
		}
	}
	if n != 9 || mask[10*pw+10] != 1 || in[1*ph*pw+10*pw+10] != 1 || in[2*ph*pw+10*pw+10] != -1 {
		t.Errorf("hint square: %d mask pixels, mask %v, R %v, G %v", n, mask[10*pw+10], in[1*ph*pw+10*pw+10], in[2*ph*pw+10*pw+10])
	}
	if _, err := c.Colorize(Request{Sketch: sketch(40, 20), Hint: image.NewRGBA(image.Rect(0, 0, 41, 20))}); err == nil || !strings.Contains(err.Error(), "41x20") {
		t.Errorf("hint of the wrong size: err = %v", err)
	}
	if _, err := c.Colorize(Request{Sketch: sketch(40, 20), Points: []Point{{X: 40, Y: 0}}}); err == nil {
		t.Error("point outside the sketch accepted")
	}
}

func TestParsePoints(t *testing.T) {
	pts, err := ParsePoints("1,2,#ff8000 3,4,#0000FF;5,6,#000001")
	if err != nil || len(pts) != 3 || pts[0].Color != (color.RGBA{255, 128, 0, 255}) || pts[1].X != 3 || pts[2].Color.B != 1 {
		t.Fatalf("%+v %v", pts, err)
	}
	for _, bad := range []string{"1,2", "a,2,#ffffff", "1,2,#fff", "1,2,red"} {
		if _, err := ParsePoints(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if pts, err := ParsePoints(""); err != nil || len(pts) != 0 {
		t.Error("empty points")
	}
}

// TestMatchesPyTorch runs the same checkpoints in PyTorch (pyref/models.py,
// eval mode) on the same padded inputs and compares the outputs: a depth-6
// net on a 100×77 sketch and a depth-8 one (pix2pix's 256² architecture,
// narrower) on a 300×200 sketch padded to 512×256.
func TestMatchesPyTorch(t *testing.T) {
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import torch").Run(); err != nil {
		t.Skip("needs /usr/bin/python3 with torch (apt python3-torch)")
	}
	for _, tc := range []struct{ depth, ngf, w, h int }{{6, 4, 100, 77}, {8, 16, 300, 200}} {
		// Dropout layers must be inert, as in torch's eval().
		ckpt := tinyCheckpoint(t, tc.depth, tc.ngf, 0.5)
		c, err := Open(ckpt)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		in, w, h, err := c.prepare(Request{Sketch: sketch(tc.w, tc.h), Points: []Point{{X: 50, Y: 30, Color: color.RGBA{200, 40, 40, 255}}}})
		if err != nil {
			t.Fatal(err)
		}
		pw, ph := c.padded(w), c.padded(h)
		got, err := c.run(in, pw, ph)
		if err != nil {
			t.Fatal(err)
		}
		want := torchInfer(t, py, ckpt, in, []int{1, 5, ph, pw})
		worst, scale := 0.0, 0.0
		for i := range want {
			worst = math.Max(worst, math.Abs(float64(got[i]-want[i])))
			scale = math.Max(scale, math.Abs(float64(want[i])))
		}
		if worst > 1e-4*scale {
			t.Fatalf("depth %d, %dx%d: max |Go − PyTorch| = %g (max |output| %g)", tc.depth, pw, ph, worst, scale)
		}
		t.Logf("depth %d, %dx%d: max |Go − PyTorch| = %.3g over %d values (max |output| %.3g)", tc.depth, pw, ph, worst, len(want), scale)
	}
}

// torchInfer runs pyref/unet_infer_parity.py on input of the given shape.
func torchInfer(t *testing.T, py, ckpt string, input []float32, shape []int) []float32 {
	t.Helper()
	dir := t.TempDir()
	var buf bytes.Buffer
	if err := safetensors.Encode(&buf, safetensors.File{Tensors: map[string]safetensors.Tensor{"input": {Shape: shape, F32: input}}}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "in.safetensors"), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, repo("pyref/unet_infer_parity.py"), ckpt, filepath.Join(dir, "in.safetensors"), filepath.Join(dir, "out.safetensors"))
	cmd.Dir = repo("pyref")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	ref, err := safetensors.ReadFile(filepath.Join(dir, "out.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	return ref.Tensors["output"].F32
}

// TestSketchFormatsAgree checks that the same drawing given as gray, as RGB
// and as black ink on a transparent background colorizes identically (all
// are composited on white, as training does).
func TestSketchFormatsAgree(t *testing.T) {
	c, err := Open(tinyCheckpoint(t, 5, 4, 0))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	gray := sketch(45, 30)
	rgb := image.NewRGBA(gray.Bounds())
	alpha := image.NewNRGBA(gray.Bounds())
	for y := 0; y < 30; y++ {
		for x := 0; x < 45; x++ {
			v := gray.GrayAt(x, y).Y
			rgb.Set(x, y, color.RGBA{v, v, v, 255})
			alpha.SetNRGBA(x, y, color.NRGBA{0, 0, 0, 255 - v}) // ink where dark, clear where white
		}
	}
	want, err := c.Colorize(Request{Sketch: gray})
	if err != nil {
		t.Fatal(err)
	}
	for name, img := range map[string]image.Image{"rgb": rgb, "alpha": alpha} {
		got, err := c.Colorize(Request{Sketch: img})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.(*image.RGBA).Pix, want.(*image.RGBA).Pix) {
			t.Errorf("%s sketch colorizes differently from the gray one", name)
		}
	}
}

// TestDropout checks that dropout at inference is off by default and, when
// on, is a pure function of the seed.
func TestDropout(t *testing.T) {
	c, err := Open(tinyCheckpoint(t, 6, 4, 0.5)) // depth 6 has dropout at level 5
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Dropout {
		t.Fatal("dropout on by default")
	}
	run := func(dropout bool, seed uint64) []byte {
		c.Dropout, c.Seed = dropout, seed
		img, err := c.Colorize(Request{Sketch: sketch(64, 64)})
		if err != nil {
			t.Fatal(err)
		}
		return img.(*image.RGBA).Pix
	}
	off, on1, on1again, on2 := run(false, 1), run(true, 1), run(true, 1), run(true, 2)
	if bytes.Equal(off, on1) || bytes.Equal(on1, on2) {
		t.Error("dropout has no effect, or ignores the seed")
	}
	if !bytes.Equal(on1, on1again) {
		t.Error("same seed, different pictures")
	}
}

func TestMaxGraphsBoundsTheGraphCache(t *testing.T) {
	c, err := Open(tinyCheckpoint(t, 5, 4, 0.5))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.MaxGraphs = 2
	colorize := func(w int) image.Image {
		img, err := c.Colorize(Request{Sketch: sketch(w, 32)})
		if err != nil {
			t.Fatal(err)
		}
		return img
	}
	first := colorize(32)
	for _, w := range []int{64, 96, 32, 128, 160} {
		colorize(w)
		if n := c.Graphs(); n > 2 {
			t.Fatalf("%d graphs cached with MaxGraphs 2", n)
		}
	}
	// A rebuilt graph gives the same picture as the evicted one did.
	a, _ := atomicfile.EncodePNG(first)
	b, _ := atomicfile.EncodePNG(colorize(32))
	if !bytes.Equal(a, b) {
		t.Fatal("the 32×32 result changed after its graph was evicted and rebuilt")
	}
}
