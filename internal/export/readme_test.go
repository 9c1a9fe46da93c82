package export

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/colorize-dev/colorize/internal/checkpoint"
	"github.com/colorize-dev/colorize/internal/config"
	"github.com/colorize-dev/colorize/internal/imageio"
	"github.com/colorize-dev/colorize/internal/infer"
	"github.com/colorize-dev/colorize/internal/model"
	"github.com/colorize-dev/colorize/internal/optim"
	"github.com/colorize-dev/colorize/internal/ortnode"
)

// python is Debian's interpreter (python3-numpy, python3-pil).
const python = "/usr/bin/python3"

// readmeCode returns the first fenced block of the given language in the
// README's "Exporting to ONNX" section.
func readmeCode(t *testing.T, lang string) string {
	t.Helper()
	b, err := os.ReadFile(repoPath("README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, sec, ok := strings.Cut(string(b), "### Exporting to ONNX\n")
	if !ok {
		t.Fatal(`README.md has no "### Exporting to ONNX" section`)
	}
	sec, _, _ = strings.Cut(sec, "\n### ")
	_, code, ok := strings.Cut(sec, "```"+lang+"\n")
	if !ok {
		t.Fatalf("the README's export section has no %s block", lang)
	}
	code, _, _ = strings.Cut(code, "```")
	return code
}

// readmeFixture writes a checkpoint, its exported model, and a sketch and
// hint image that exercise the preprocessing: a size that is no multiple of
// 2^depth, semi-transparent sketch pixels, hint alphas on both sides of 128.
type readmeFixture struct {
	dir, ckpt, model, sketchPNG, hintPNG string
	sketch, hint                         *image.NRGBA
	metadata                             map[string]string
}

func newReadmeFixture(t *testing.T) *readmeFixture {
	t.Helper()
	fx := &readmeFixture{dir: t.TempDir()}
	cfg := config.Default()
	cfg.Data.Size = 32
	cfg.Model.Depth, cfg.Model.NGF, cfg.Model.NDF, cfg.Model.DLayers = 5, 4, 4, 2
	m, err := model.New(config.ModelConfig{Depth: 5, NGF: 4, NDF: 4, DLayers: 2, Dropout: 0.5}, 1)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewSource(5))
	for _, p := range m.Gen.Params.BatchNormNames() {
		st := m.Gen.Params.BatchNorm(p)
		for c := range st.RunningMean {
			st.RunningMean[c] = float32(rng.NormFloat64() * 0.1)
			st.RunningVar[c] = float32(0.5 + rng.Float64())
		}
	}
	spread(t, m.Gen, 64)
	fx.ckpt = filepath.Join(fx.dir, "best.safetensors")
	if err := checkpoint.Save(fx.ckpt, &checkpoint.State{Meta: checkpoint.Meta{Step: 3, Config: cfg}, Model: m, OptG: optim.NewAdam(1, 0, 0), OptD: optim.NewAdam(1, 0, 0)}); err != nil {
		t.Fatal(err)
	}
	f, err := checkpoint.Read(fx.ckpt)
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := f.NewModel()
	if err != nil {
		t.Fatal(err)
	}
	onnxModel, err := ONNX(loaded.Gen, Info{Version: "test", Step: f.Step, Config: f.Config}, DefaultOpset)
	if err != nil {
		t.Fatal(err)
	}
	fx.metadata = map[string]string{}
	for _, e := range onnxModel.Metadata {
		fx.metadata[e.Key] = e.Value
	}
	b, err := onnxModel.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	fx.model = filepath.Join(fx.dir, "colorize.onnx")
	if err := os.WriteFile(fx.model, b, 0o644); err != nil {
		t.Fatal(err)
	}

	const w, h = 75, 50
	fx.sketch = image.NewNRGBA(image.Rect(0, 0, w, h))
	fx.hint = image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.NRGBA{255, 255, 255, 255}
			switch {
			case (x+2*y)%9 == 0: // strokes
				c = color.NRGBA{uint8(rng.Intn(80)), uint8(rng.Intn(80)), uint8(rng.Intn(80)), 255}
			case rng.Float64() < 0.1: // colored, semi-transparent
				c = color.NRGBA{uint8(rng.Intn(256)), uint8(rng.Intn(256)), uint8(rng.Intn(256)), uint8(rng.Intn(256))}
			}
			fx.sketch.SetNRGBA(x, y, c)
		}
	}
	for _, p := range []struct{ x, y, a int }{{5, 5, 255}, {40, 10, 128}, {20, 30, 127}, {60, 35, 200}} {
		c := color.NRGBA{uint8(rng.Intn(256)), uint8(rng.Intn(256)), uint8(rng.Intn(256)), uint8(p.a)}
		for y := p.y; y < p.y+6; y++ {
			for x := p.x; x < p.x+6; x++ {
				fx.hint.SetNRGBA(x, y, c)
			}
		}
	}
	fx.sketchPNG, fx.hintPNG = filepath.Join(fx.dir, "sketch.png"), filepath.Join(fx.dir, "hints.png")
	writePNG(t, fx.sketchPNG, fx.sketch)
	writePNG(t, fx.hintPNG, fx.hint)
	return fx
}

func writePNG(t *testing.T, path string, img image.Image) {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// want is colorize infer's picture of the fixture (sketch and hints decoded
// from the PNG files, as the command does).
func (fx *readmeFixture) want(t *testing.T, withHints bool) image.Image {
	t.Helper()
	c, err := infer.Open(fx.ckpt)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sketch, _, err := imageio.Decode(fx.sketchPNG)
	if err != nil {
		t.Fatal(err)
	}
	req := infer.Request{Sketch: sketch}
	if withHints {
		if req.Hint, _, err = imageio.Decode(fx.hintPNG); err != nil {
			t.Fatal(err)
		}
	}
	img, err := c.Colorize(req)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// compare requires got (RGBA bytes, w×h) to equal want's RGB within 1 (ONNX
// Runtime and colorize differ by ~1e-6, which may flip a rounding) in at
// most 1% of the values.
func compare(t *testing.T, name string, want image.Image, got []byte) {
	t.Helper()
	b := want.Bounds()
	if len(got) != 4*b.Dx()*b.Dy() {
		t.Fatalf("%s: %d bytes, want %d", name, len(got), 4*b.Dx()*b.Dy())
	}
	off := 0
	for y := range b.Dy() {
		for x := range b.Dx() {
			r, g, bl, _ := want.At(b.Min.X+x, b.Min.Y+y).RGBA()
			for c, v := range []uint32{r >> 8, g >> 8, bl >> 8} {
				d := int(got[4*(y*b.Dx()+x)+c]) - int(v)
				if d < -1 || d > 1 {
					t.Fatalf("%s: pixel %d,%d channel %d = %d, colorize infer gives %d", name, x, y, c, got[4*(y*b.Dx()+x)+c], v)
				}
				if d != 0 {
					off++
				}
			}
		}
	}
	if n := 3 * b.Dx() * b.Dy(); off > n/100 {
		t.Errorf("%s: %d of %d values differ by 1 from colorize infer", name, off, n)
	} else {
		t.Logf("%s: %d of %d values differ by 1 from colorize infer, the others are equal", name, off, n)
	}
}

func requireTool(t *testing.T, err error, what string) {
	t.Helper()
	if err == nil {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true but %s is unavailable: %v", what, err)
	}
	t.Skipf("%s unavailable (make test-deps installs it): %v", what, err)
}

// TestReadmeJavaScript runs the README's JavaScript colorize function in
// Node.js with onnxruntime-node and compares its pixels with colorize infer.
func TestReadmeJavaScript(t *testing.T) {
	rt := ortnode.Require(t)
	fx := newReadmeFixture(t)
	lib := filepath.Join(fx.dir, "colorize.mjs")
	if err := os.WriteFile(lib, []byte(readmeCode(t, "js")), 0o644); err != nil {
		t.Fatal(err)
	}
	harness := filepath.Join(fx.dir, "harness.mjs")
	os.WriteFile(harness, []byte(`import { createRequire } from 'node:module';
import { readFileSync, writeFileSync } from 'node:fs';
import { colorize } from './colorize.mjs';
const [ortDir, model, multiple, w, h, sketchFile, hintFile, outFile] = process.argv.slice(2);
const ort = createRequire(ortDir + '/')('onnxruntime-node');
const session = await ort.InferenceSession.create(model);
const image = (f) => f === '-' ? null : { data: new Uint8ClampedArray(readFileSync(f)), width: +w, height: +h };
const out = await colorize(ort, session, +multiple, image(sketchFile), image(hintFile));
writeFileSync(outFile, out.data);
`), 0o644)
	raw := func(name string, img *image.NRGBA) string {
		p := filepath.Join(fx.dir, name)
		os.WriteFile(p, img.Pix, 0o644) // 4·w bytes per row: Stride = 4·w
		return p
	}
	sketch, hint := raw("sketch.rgba", fx.sketch), raw("hint.rgba", fx.hint)
	b := fx.sketch.Bounds()
	for _, withHints := range []bool{false, true} {
		hintArg := "-"
		if withHints {
			hintArg = hint
		}
		out := filepath.Join(fx.dir, "out.rgba")
		cmd := exec.Command(rt.Node, harness, rt.Dir, fx.model, fx.metadata["size_multiple"], strconv.Itoa(b.Dx()), strconv.Itoa(b.Dy()), sketch, hintArg, out)
		if msg, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("node: %v\n%s", err, msg)
		}
		got, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		compare(t, "JavaScript, hints "+map[bool]string{false: "off", true: "on"}[withHints], fx.want(t, withHints), got)
	}
}

// TestReadmePython runs the README's Python script as a user would, with
// Debian's numpy and Pillow. onnxruntime's Python package is not in Debian,
// so a stand-in module hands the model and input to onnxruntime-node
// (ortnode's program) and returns its output, and answers
// get_modelmeta().custom_metadata_map from the model's metadata_props.
func TestReadmePython(t *testing.T) {
	rt := ortnode.Require(t)
	requireTool(t, exec.Command(python, "-c", "import numpy, PIL").Run(), python+" with numpy and Pillow (apt python3-numpy python3-pil)")
	fx := newReadmeFixture(t)
	script := filepath.Join(fx.dir, "colorize_onnx.py")
	os.WriteFile(script, []byte(readmeCode(t, "python")), 0o644)
	fake := filepath.Join(fx.dir, "fake")
	os.Mkdir(fake, 0o755)
	os.WriteFile(filepath.Join(fake, "onnxruntime.py"), []byte(fakeOnnxruntime), 0o644)
	prog := filepath.Join(fx.dir, "run.cjs")
	os.WriteFile(prog, ortnode.Program, 0o644)
	md, _ := json.Marshal(fx.metadata)
	for _, withHints := range []bool{false, true} {
		out := filepath.Join(fx.dir, "out.png")
		args := []string{script, fx.model, fx.sketchPNG, out}
		if withHints {
			args = append(args, fx.hintPNG)
		}
		cmd := exec.Command(python, args...)
		cmd.Env = append(os.Environ(), "PYTHONPATH="+fake, "FAKE_ORT_NODE="+rt.Node, "FAKE_ORT_PROGRAM="+prog,
			"FAKE_ORT_DIR="+rt.Dir, "FAKE_ORT_METADATA="+string(md))
		if msg, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("python: %v\n%s", err, msg)
		}
		img, _, err := imageio.Decode(out)
		if err != nil {
			t.Fatal(err)
		}
		rgba := image.NewNRGBA(img.Bounds())
		for y := range img.Bounds().Dy() {
			for x := range img.Bounds().Dx() {
				rgba.Set(x, y, img.At(x, y))
			}
		}
		compare(t, "Python, hints "+map[bool]string{false: "off", true: "on"}[withHints], fx.want(t, withHints), rgba.Pix)
	}
}

// fakeOnnxruntime stands in for onnxruntime's Python API (the part the
// README uses), running the model in onnxruntime-node.
const fakeOnnxruntime = `import json, os, subprocess, tempfile
import numpy as np


class _ModelMeta:
    def __init__(self):
        self.custom_metadata_map = json.loads(os.environ["FAKE_ORT_METADATA"])


class InferenceSession:
    def __init__(self, path, providers=None):
        self.path = path

    def get_modelmeta(self):
        return _ModelMeta()

    def run(self, output_names, feeds):
        x = np.ascontiguousarray(feeds["input"], dtype="<f4")
        with tempfile.TemporaryDirectory() as d:
            x.tofile(os.path.join(d, "in.f32"))
            job = {"model": self.path, "levels": ["all"],
                   "runs": [{"input": os.path.join(d, "in.f32"), "dims": list(x.shape), "output": os.path.join(d, "out.f32")}]}
            with open(os.path.join(d, "job.json"), "w") as f:
                json.dump(job, f)
            res = json.loads(subprocess.check_output([os.environ["FAKE_ORT_NODE"], os.environ["FAKE_ORT_PROGRAM"],
                                                      os.environ["FAKE_ORT_DIR"], os.path.join(d, "job.json")]))
            dims = res["sessions"][0]["runs"][0]["dims"]
            return [np.fromfile(os.path.join(d, "out.f32.all"), dtype="<f4").reshape(dims)]
`
