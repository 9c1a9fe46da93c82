package serve

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"image"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	infercmd "github.com/colorize-dev/colorize/internal/cmd/infer"
	"github.com/colorize-dev/colorize/internal/cmdutil"
	"github.com/colorize-dev/colorize/internal/infer"
)

// inferCLI runs `colorize infer` on files and returns the PNG it writes.
func inferCLI(t *testing.T, args ...string) []byte {
	t.Helper()
	out := filepath.Join(t.TempDir(), "out.png")
	var stdout, stderr bytes.Buffer
	cmd := infercmd.NewCmdInfer(&cmdutil.Factory{IO: cmdutil.Test(&stdout, &stderr)}, nil)
	cmd.SetArgs(append(args, "-o", out))
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	if err := cmd.Execute(); err != nil {
		t.Fatalf("colorize infer %v: %v\n%s", args, err, stderr.String())
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestColorizeIsByteIdenticalToInfer sends what a user would give
// `colorize infer` and compares the PNG bytes.
func TestColorizeIsByteIdenticalToInfer(t *testing.T) {
	root := runsTree(t)
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	moon, err := os.ReadFile(repo("data/openmoji-mini/line/1F31D.png"))
	if err != nil {
		t.Fatal(err)
	}
	odd := encodePNG(t, sketch(100, 77))
	oddHint := encodePNG(t, hintImage(100, 77))
	big := encodePNG(t, sketch(150, 90))
	const points = "10,10,#e02020 60,40,#2060e0"
	cases := []struct {
		name    string
		files   map[string][]byte
		fields  map[string]string
		maxSide int
		args    []string
	}{
		{"openmoji sketch, no hints, default model", map[string][]byte{"sketch": moon}, nil, 0,
			[]string{write("moon.png", moon), "--checkpoint", filepath.Join(root, "a", "best.safetensors")}},
		{"odd size, hint image and points, other model", map[string][]byte{"sketch": odd, "hint": oddHint},
			map[string]string{"points": points, "model": "a:ckpt-00000100"}, 0,
			[]string{write("odd.png", odd), "--hint", write("odd-hint.png", oddHint), "--hint-points", points, "--checkpoint", filepath.Join(root, "a", "ckpt-00000100.safetensors")}},
		{"over max side", map[string][]byte{"sketch": big}, map[string]string{"points": "149,89,#30a040", "model": "b:ckpt-00000010"}, 64,
			[]string{write("big.png", big), "--hint-points", "149,89,#30a040", "--max-side", "64", "--checkpoint", filepath.Join(root, "b")}},
	}
	seen := map[string]bool{}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			opts := defaultOptions(root)
			opts.MaxSide = tc.maxSide
			s := newServer(t, opts)
			rec := colorize(t, s, tc.files, tc.fields)
			if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "image/png" {
				t.Fatalf("%d %s", rec.Code, rec.Body)
			}
			want := inferCLI(t, tc.args...)
			if !bytes.Equal(rec.Body.Bytes(), want) {
				t.Fatalf("the API's PNG (%d bytes) differs from colorize infer's (%d bytes)", rec.Body.Len(), len(want))
			}
			cfg, _, err := image.DecodeConfig(bytes.NewReader(rec.Body.Bytes()))
			sk, _, _ := image.DecodeConfig(bytes.NewReader(tc.files["sketch"]))
			if err != nil || cfg.Width != sk.Width || cfg.Height != sk.Height {
				t.Fatalf("result %dx%d, sketch %dx%d (%v)", cfg.Width, cfg.Height, sk.Width, sk.Height, err)
			}
			seen[string(want)] = true
		})
	}
	if len(seen) != len(cases) {
		t.Fatal("different inputs gave the same picture")
	}
}

func TestColorizeErrors(t *testing.T) {
	root := runsTree(t)
	opts := defaultOptions(root)
	opts.MaxUpload = 64 << 10
	opts.MaxPixels = 64 * 64
	s := newServer(t, opts)
	sk := encodePNG(t, sketch(40, 30))
	// A GIF header claiming 60000×60000: the budget refuses it from those
	// 13 bytes, before any decoding is attempted.
	gif := []byte("GIF89a\x00\x00\x00\x00\x00\x00\x00")
	binary.LittleEndian.PutUint16(gif[6:], 60000)
	binary.LittleEndian.PutUint16(gif[8:], 60000)
	cases := []struct {
		name   string
		files  map[string][]byte
		fields map[string]string
		status int
		msg    string
	}{
		{"no sketch", nil, map[string]string{"points": "1,1,#ff0000"}, 400, "no sketch"},
		{"unknown field", map[string][]byte{"sketch": sk}, map[string]string{"colour": "red"}, 400, `unknown form field "colour"`},
		{"bad points", map[string][]byte{"sketch": sk}, map[string]string{"points": "1,1,red"}, 400, "#rrggbb"},
		{"point outside", map[string][]byte{"sketch": sk}, map[string]string{"points": "40,10,#ff0000"}, 400, "outside the 40x30 sketch"},
		{"hint of another size", map[string][]byte{"sketch": sk, "hint": encodePNG(t, hintImage(30, 40))}, nil, 400, "hint image is 30x40 but the sketch is 40x30"},
		{"not an image", map[string][]byte{"sketch": []byte("just some text, not a picture")}, nil, 415, "not an image"},
		{"hint not an image", map[string][]byte{"sketch": sk, "hint": []byte("%PDF-1.4")}, nil, 415, "hint"},
		{"corrupt image body", map[string][]byte{"sketch": sk[:len(sk)/2]}, nil, 400, "sketch"},
		{"over the pixel budget", map[string][]byte{"sketch": encodePNG(t, sketch(65, 64))}, nil, 413, "65x64 = 4160 pixels, over the limit of 4096"},
		{"huge header, tiny file", map[string][]byte{"sketch": gif}, nil, 413, "60000x60000"},
		{"over the upload limit", map[string][]byte{"sketch": sk, "hint": make([]byte, 80<<10)}, nil, 413, "upload limit"},
		{"unknown model", map[string][]byte{"sketch": sk}, map[string]string{"model": "zzz"}, 404, "unknown model"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := colorize(t, s, tc.files, tc.fields)
			if rec.Code != tc.status {
				t.Fatalf("%d %s, want %d", rec.Code, rec.Body, tc.status)
			}
			if msg := errorOf(t, rec); !strings.Contains(msg, tc.msg) {
				t.Fatalf("error %q does not say %q", msg, tc.msg)
			}
		})
	}
	if rec := do(t, s, "POST", "/api/colorize", strings.NewReader("sketch=1"), "application/x-www-form-urlencoded"); rec.Code != 400 {
		t.Fatalf("urlencoded body: %d", rec.Code)
	}
	if rec := do(t, s, "GET", "/api/runs/a/metrics?since=soon", nil, ""); rec.Code != 400 || !strings.Contains(errorOf(t, rec), "since") {
		t.Fatalf("since=soon: %d", rec.Code)
	}
	// Nothing of this reached a worker or loaded a model.
	if n := s.pool.models.loaded(); n != 0 {
		t.Fatalf("%d models loaded by bad requests", n)
	}
}

// gate makes Open wait until released, so a test can hold a worker busy.
type gate struct {
	entered chan struct{}
	release chan struct{}
	mu      sync.Mutex
	opens   int
}

func newGate() *gate { return &gate{entered: make(chan struct{}, 16), release: make(chan struct{})} }

func (g *gate) open(path string) (*infer.Colorizer, error) {
	g.mu.Lock()
	g.opens++
	g.mu.Unlock()
	g.entered <- struct{}{}
	<-g.release
	return infer.Open(path)
}

func TestQueueFullGets503WithRetryAfter(t *testing.T) {
	opts := defaultOptions(runsTree(t))
	opts.Workers, opts.Queue, opts.Models = 1, 1, 1
	g := newGate()
	opts.Open = g.open
	s := newServer(t, opts)
	sk := encodePNG(t, sketch(32, 32))

	codes := make(chan int, 2)
	for range 2 { // one on the worker, one in the queue
		go func() { codes <- colorize(t, s, map[string][]byte{"sketch": sk}, nil).Code }()
	}
	<-g.entered // the first is on the worker
	deadline := time.Now().Add(10 * time.Second)
	for len(s.pool.slots) < 2 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond) // the second is admitted
	}
	rec := colorize(t, s, map[string][]byte{"sketch": sk}, nil)
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("third request: %d, Retry-After %q", rec.Code, rec.Header().Get("Retry-After"))
	}
	errorOf(t, rec)
	close(g.release)
	for range 2 {
		if c := <-codes; c != 200 {
			t.Fatalf("queued request: %d", c)
		}
	}
	if g.opens != 1 {
		t.Fatalf("the model was loaded %d times for one worker", g.opens)
	}
}

func TestModelCacheIsBounded(t *testing.T) {
	opts := defaultOptions(runsTree(t))
	opts.Workers, opts.Models = 1, 1
	s := newServer(t, opts)
	sk := encodePNG(t, sketch(32, 32))
	first := map[string][]byte{}
	for i := range 6 {
		model := []string{"a:best", "b:ckpt-00000010", "a:ckpt-00000100"}[i%3]
		rec := colorize(t, s, map[string][]byte{"sketch": sk}, map[string]string{"model": model})
		if rec.Code != 200 || rec.Header().Get("X-Colorize-Model") != model {
			t.Fatalf("%s: %d %s", model, rec.Code, rec.Body)
		}
		if n := s.pool.models.loaded(); n > 1 {
			t.Fatalf("%d models loaded with Models 1", n)
		}
		if prev, ok := first[model]; ok && !bytes.Equal(prev, rec.Body.Bytes()) {
			t.Fatalf("%s gave another picture after being reloaded", model)
		}
		first[model] = rec.Body.Bytes()
	}
}

func TestReplacedCheckpointIsReloaded(t *testing.T) {
	root := runsTree(t)
	s := newServer(t, defaultOptions(root))
	sk := encodePNG(t, sketch(32, 32))
	before := colorize(t, s, map[string][]byte{"sketch": sk}, map[string]string{"model": "a:best"}).Body.Bytes()
	// Training writes a new best.safetensors: same ID, new weights.
	saveModel(t, filepath.Join(root, "a", "best.safetensors"), 9, 60, 0.2)
	later := time.Now().Add(time.Minute)
	os.Chtimes(filepath.Join(root, "a", "best.safetensors"), later, later)
	rec := colorize(t, s, map[string][]byte{"sketch": sk}, map[string]string{"model": "a:best"})
	if rec.Code != 200 || bytes.Equal(before, rec.Body.Bytes()) || rec.Header().Get("X-Colorize-Step") != "60" {
		t.Fatalf("after the checkpoint was replaced: %d, step %s, same picture %v", rec.Code, rec.Header().Get("X-Colorize-Step"), bytes.Equal(before, rec.Body.Bytes()))
	}
	if n := s.pool.models.loaded(); n != 1 {
		t.Fatalf("%d models loaded; the replaced one should be closed", n)
	}
}

func TestShutdownLetsRequestsInFlightFinish(t *testing.T) {
	opts := defaultOptions(runsTree(t))
	g := newGate()
	opts.Open = g.open
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() {
		served <- Serve(ctx, ln, s, Timeouts{Read: 10 * time.Second, Write: time.Minute, Idle: time.Minute, Shutdown: time.Minute})
	}()

	body, ct := form(t, map[string][]byte{"sketch": encodePNG(t, sketch(32, 32))}, nil)
	type answer struct {
		code int
		png  []byte
		err  error
	}
	answers := make(chan answer, 1)
	go func() {
		res, err := http.Post(fmt.Sprintf("http://%s/api/colorize", ln.Addr()), ct, body)
		if err != nil {
			answers <- answer{err: err}
			return
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		answers <- answer{res.StatusCode, b, err}
	}()
	<-g.entered
	cancel() // Ctrl-C while the request is on a worker
	select {
	case err := <-served:
		t.Fatalf("Serve returned (%v) with a request in flight", err)
	case <-time.After(200 * time.Millisecond):
	}
	if _, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
		t.Error("still accepting connections while shutting down")
	}
	close(g.release)
	a := <-answers
	if a.err != nil || a.code != 200 || !bytes.HasPrefix(a.png, []byte("\x89PNG")) {
		t.Fatalf("request in flight: %d %v", a.code, a.err)
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve: %v", err)
	}
}

// TestAbandonedJobsKeepTheirSlot: a request that times out in the queue
// keeps its slot until a worker drops its job, so the queue never holds more
// than it has room for, and the server recovers once the worker is free.
func TestAbandonedJobsKeepTheirSlot(t *testing.T) {
	opts := defaultOptions(runsTree(t))
	opts.Workers, opts.Queue, opts.Models = 1, 1, 1
	opts.Timeout = 300 * time.Millisecond
	g := newGate()
	opts.Open = g.open
	s := newServer(t, opts)
	sk := map[string][]byte{"sketch": encodePNG(t, sketch(32, 32))}

	codes := make(chan *httptest.ResponseRecorder, 2)
	go func() { codes <- colorize(t, s, sk, nil) }()
	<-g.entered // A holds the worker
	go func() { codes <- colorize(t, s, sk, nil) }()
	for range 2 { // both time out: A on the worker, B in the queue
		rec := <-codes
		if rec.Code != http.StatusServiceUnavailable || !strings.Contains(errorOf(t, rec), "not colorized within") || rec.Header().Get("Retry-After") == "" {
			t.Fatalf("timed-out request: %d %s", rec.Code, rec.Body)
		}
	}
	// Their jobs still hold both slots: a third request is turned away.
	if rec := colorize(t, s, sk, nil); rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("with the worker stuck and the queue full: %d", rec.Code)
	}
	close(g.release)
	for end := time.Now().Add(10 * time.Second); len(s.pool.slots) > 0 && time.Now().Before(end); {
		time.Sleep(time.Millisecond)
	}
	s.opts.Timeout = time.Minute
	if rec := colorize(t, s, sk, nil); rec.Code != http.StatusOK {
		t.Fatalf("after the worker was freed: %d %s", rec.Code, rec.Body)
	}
}
