package serve

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"io"
	"math/rand"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/colorize-dev/colorize/internal/checkpoint"
	"github.com/colorize-dev/colorize/internal/config"
	"github.com/colorize-dev/colorize/internal/model"
	"github.com/colorize-dev/colorize/internal/optim"
	"github.com/colorize-dev/colorize/internal/runs"
)

func repo(rel string) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", rel)
}

// saveModel writes an untrained small model whose last layer is scaled up so
// its outputs spread over the color range, and whose weights depend on seed.
func saveModel(t testing.TB, path string, seed int64, step int, valL1 float64) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.Data.Size = 32
	cfg.Model.Depth, cfg.Model.NGF, cfg.Model.NDF, cfg.Model.DLayers = 5, 8, 4, 2
	cfg.Train.Steps = 100
	m, err := model.New(config.ModelConfig{Depth: 5, NGF: 8, NDF: 4, DLayers: 2, Dropout: 0.5}, seed)
	if err != nil {
		t.Fatal(err)
	}
	w := m.Gen.Params.Tensor("level1.convt.weight").Data().([]float32)
	for i := range w {
		w[i] *= 20
	}
	s := &checkpoint.State{Meta: checkpoint.Meta{Step: step, ValL1: valL1, BestValL1: valL1, Config: cfg}, Model: m, OptG: optim.NewAdam(1, 0, 0), OptD: optim.NewAdam(1, 0, 0)}
	if err := checkpoint.Save(path, s); err != nil {
		t.Fatal(err)
	}
}

// runsTree makes root/a (config, metrics, a sample grid, best and step 100
// checkpoints of different weights) and root/b (one checkpoint).
func runsTree(t testing.TB) string {
	t.Helper()
	root := t.TempDir()
	a := filepath.Join(root, "a")
	saveModel(t, filepath.Join(a, checkpoint.StepName(100)), 2, 100, 0.31)
	saveModel(t, filepath.Join(a, checkpoint.BestName), 1, 50, 0.29)
	cfg := config.Default()
	cfg.Train.Steps = 100
	os.WriteFile(filepath.Join(a, "config.yaml"), []byte(cfg.YAML()), 0o644)
	os.WriteFile(filepath.Join(a, "metrics.jsonl"), []byte(
		`{"step":1,"kind":"train","time":0.1,"d":1.4,"g_adv":0.7,"g_rec":40,"l1":0.4}`+"\n"+
			`{"step":2,"kind":"train","time":0.2,"d":1.3,"g_adv":0.8,"g_rec":35,"l1":0.35}`+"\n"+
			`{"step":2,"kind":"val","time":0.3,"val_l1":0.29,"val_comp_l1":0.3}`+"\n"+
			`{"step":100,"kind":"train","time":9,"d":1.2,"g_adv":0.9,"g_rec":30,"l1":0.3}`+"\n"), 0o644)
	os.MkdirAll(filepath.Join(a, "samples"), 0o755)
	os.WriteFile(filepath.Join(a, "samples", "step-00000100.png"), encodePNG(t, sketch(16, 8)), 0o644)
	saveModel(t, filepath.Join(root, "b", checkpoint.StepName(10)), 3, 10, 0.5)
	// a:best is the newest of a, and a is the run to default to.
	old := time.Now().Add(-time.Hour)
	os.Chtimes(filepath.Join(root, "b", checkpoint.StepName(10)), old, old)
	return root
}

// sketch is a w×h gray drawing: noise around a dark ring, on white.
func sketch(w, h int) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, w, h))
	rng := rand.New(rand.NewSource(int64(w*1000 + h)))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := uint8(200 + rng.Intn(56))
			dx, dy := x-w/2, y-h/2
			if r2 := dx*dx + dy*dy; r2 > (min(w, h)/4)*(min(w, h)/4) && r2 < (min(w, h)/3)*(min(w, h)/3) {
				v = 20
			}
			img.SetGray(x, y, color.Gray{Y: v})
		}
	}
	return img
}

// hintImage is a transparent w×h picture with an opaque red and a blue square.
func hintImage(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := h / 4; y < h/4+6; y++ {
		for x := w / 4; x < w/4+6; x++ {
			img.Set(x, y, color.NRGBA{220, 30, 30, 255})
			img.Set(w-x, h-y, color.NRGBA{30, 30, 220, 255})
		}
	}
	return img
}

func encodePNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// form builds a multipart body from files (name → bytes) and fields.
func form(t testing.TB, files map[string][]byte, fields map[string]string) (*bytes.Buffer, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for name, b := range files {
		w, err := mw.CreateFormFile(name, name+".png")
		if err != nil {
			t.Fatal(err)
		}
		w.Write(b)
	}
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	mw.Close()
	return &buf, mw.FormDataContentType()
}

func defaultOptions(root string) Options {
	return Options{
		Runs: runs.New(root, ""), Workers: 1, Queue: 4, Models: 2,
		MaxUpload: 8 << 20, MaxPixels: 4 << 20, MaxSide: 0, Timeout: time.Minute,
	}
}

func newServer(t testing.TB, opts Options) *Server {
	t.Helper()
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// do sends a request to the handler and returns the recorded answer.
func do(t testing.TB, s http.Handler, method, target string, body io.Reader, contentType string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, body)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	return rec
}

func colorize(t testing.TB, s http.Handler, files map[string][]byte, fields map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	body, ct := form(t, files, fields)
	return do(t, s, "POST", "/api/colorize", body, ct)
}

func decodeJSON(t testing.TB, rec *httptest.ResponseRecorder, v any) {
	t.Helper()
	if err := json.Unmarshal(rec.Body.Bytes(), v); err != nil {
		t.Fatalf("answer %q: %v", rec.Body.String(), err)
	}
}

// errorOf returns the message of a JSON error answer.
func errorOf(t testing.TB, rec *httptest.ResponseRecorder) string {
	t.Helper()
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("error answer has Content-Type %q: %s", ct, rec.Body.String())
	}
	var e apiError
	decodeJSON(t, rec, &e)
	if e.Error == "" {
		t.Fatalf("error answer without a message: %s", rec.Body.String())
	}
	return e.Error
}

func record(s http.Handler, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	return rec
}
