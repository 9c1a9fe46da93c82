package serve

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/colorize-dev/colorize/internal/runlock"
)

func TestModelsListsCheckpointsWithStepAndValL1(t *testing.T) {
	s := newServer(t, defaultOptions(runsTree(t)))
	rec := do(t, s, "GET", "/api/models", nil, "")
	if rec.Code != http.StatusOK {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	var got struct {
		Models  []modelJSON
		Default string
		Limits  limitsJSON
	}
	decodeJSON(t, rec, &got)
	var ids []string
	for _, m := range got.Models {
		ids = append(ids, m.ID)
	}
	if strings.Join(ids, " ") != "a:best a:ckpt-00000100 b:ckpt-00000010" {
		t.Fatalf("models %v", ids)
	}
	m := got.Models[0]
	if m.Step != 50 || m.ValL1 == nil || *m.ValL1 != 0.29 || !m.Best || m.HintPatch != 5 || m.DataSize != 32 || m.Run != "a" {
		t.Fatalf("a:best = %+v", m)
	}
	if got.Default != "a:best" || got.Limits.MaxPixels != 4<<20 {
		t.Fatalf("default %q limits %+v", got.Default, got.Limits)
	}
}

func TestRunsMetricsAndSamples(t *testing.T) {
	root := runsTree(t)
	s := newServer(t, defaultOptions(root))
	var list struct{ Runs []runJSON }
	decodeJSON(t, do(t, s, "GET", "/api/runs", nil, ""), &list)
	if len(list.Runs) != 2 {
		t.Fatalf("runs %+v", list.Runs)
	}
	a := list.Runs[0]
	if a.ID != "a" || a.State != "finished" || a.Step != 100 || a.Config == nil || a.Config.Steps != 100 ||
		*a.BestValL1 != 0.29 || a.SampleStep == nil || *a.SampleStep != 100 || len(a.Checkpoints) != 2 {
		t.Fatalf("run a %+v", a)
	}
	if b := list.Runs[1]; b.State != "stopped" || b.Config != nil {
		t.Fatalf("run b %+v", b)
	}

	// A process training it shows as such, with its PID.
	l, err := runlock.Acquire(filepath.Join(root, "b"))
	if err != nil {
		t.Fatal(err)
	}
	decodeJSON(t, do(t, s, "GET", "/api/runs", nil, ""), &list)
	if b := list.Runs[1]; b.State != "training" || b.Holder == nil || b.Holder.PID != os.Getpid() {
		t.Fatalf("run b while locked %+v", b)
	}
	l.Release()

	var m struct {
		Records []struct {
			Step int
			Kind string
		}
		LastStep int `json:"last_step"`
	}
	decodeJSON(t, do(t, s, "GET", "/api/runs/a/metrics?since=1", nil, ""), &m)
	if len(m.Records) != 3 || m.Records[0].Step != 2 || m.LastStep != 100 {
		t.Fatalf("since=1: %+v", m)
	}
	decodeJSON(t, do(t, s, "GET", "/api/runs/a/metrics?kind=val", nil, ""), &m)
	if len(m.Records) != 1 || m.Records[0].Kind != "val" {
		t.Fatalf("kind=val: %+v", m)
	}

	rec := do(t, s, "GET", "/api/runs/a/samples/latest", nil, "")
	want, _ := os.ReadFile(filepath.Join(root, "a", "samples", "step-00000100.png"))
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "image/png" || rec.Header().Get("X-Colorize-Step") != "100" || !bytes.Equal(rec.Body.Bytes(), want) {
		t.Fatalf("sample: %d %v", rec.Code, rec.Header())
	}
	if rec := do(t, s, "GET", "/api/runs/b/samples/latest", nil, ""); rec.Code != 404 {
		t.Fatalf("run without samples: %d", rec.Code)
	}
}

// TestIDsAreNeverPaths: run and model IDs are looked up among the
// discovered ones, so traversal attempts are unknown IDs.
func TestIDsAreNeverPaths(t *testing.T) {
	root := runsTree(t)
	// A real run folder outside the runs root, one level up.
	saveModel(t, filepath.Join(filepath.Dir(root), "outside", "best.safetensors"), 1, 1, 0.1)
	s := newServer(t, defaultOptions(root))
	for _, target := range []string{
		"/api/runs/..%2Foutside/metrics",
		"/api/runs/..%2F..%2Fetc/metrics",
		"/api/runs/%2E%2E/metrics",
		"/api/runs/a%2F..%2Fb/metrics",
		"/api/runs/..%2Foutside/samples/latest",
		"/api/runs/nope/metrics",
	} {
		rec := do(t, s, "GET", target, nil, "")
		if rec.Code != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", target, rec.Code)
			continue
		}
		errorOf(t, rec)
	}
	sk := encodePNG(t, sketch(32, 32))
	for _, model := range []string{"../outside:best", "..", "a:../../outside/best", filepath.Join(root, "a", "best.safetensors"), "a:best.safetensors"} {
		rec := colorize(t, s, map[string][]byte{"sketch": sk}, map[string]string{"model": model})
		if rec.Code != http.StatusNotFound || !strings.Contains(errorOf(t, rec), "unknown model") {
			t.Errorf("model %q: %d %s", model, rec.Code, rec.Body)
		}
	}
}

func TestPageIsEmbeddedAndSelfContained(t *testing.T) {
	s := newServer(t, defaultOptions(t.TempDir()))
	rec := do(t, s, "GET", "/", nil, "")
	if rec.Code != 200 || !strings.Contains(rec.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("GET /: %d %v", rec.Code, rec.Header())
	}
	csp := rec.Header().Get("Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'self'") || strings.Contains(csp, "http") {
		t.Fatalf("CSP %q", csp)
	}
	page := rec.Body.String()
	for _, ref := range []string{`src="app.js"`, `href="app.css"`} {
		if !strings.Contains(page, ref) {
			t.Errorf("page lacks %s", ref)
		}
	}
	for _, f := range []string{"app.js", "api.js", "paint.js", "runs.js", "chart.js", "ui.js", "app.css"} {
		rec := do(t, s, "GET", "/"+f, nil, "")
		if rec.Code != 200 || rec.Body.Len() == 0 {
			t.Fatalf("GET /%s: %d", f, rec.Code)
		}
		body := rec.Body.String()
		// Nothing from elsewhere: the only absolute URL is the SVG
		// namespace, which names and fetches nothing.
		rest := strings.ReplaceAll(body, "http://www.w3.org/2000/svg", "")
		for _, bad := range []string{"http://", "https://", "//cdn", "@import", "fonts.g"} {
			if strings.Contains(rest, bad) {
				t.Errorf("%s refers to %q", f, bad)
			}
		}
	}
	if rec := do(t, s, "GET", "/api/nothing", nil, ""); rec.Code != 404 {
		t.Fatalf("unknown API path: %d", rec.Code)
	}
}

func TestTokenIsRequiredOnEveryAPICall(t *testing.T) {
	opts := defaultOptions(runsTree(t))
	opts.Token = "s3cret"
	s := newServer(t, opts)
	for _, target := range []string{"/api/models", "/api/runs", "/api/runs/a/metrics", "/api/runs/a/samples/latest"} {
		for _, auth := range []string{"", "Bearer nope", "s3cret", "Basic s3cret"} {
			req, _ := http.NewRequest("GET", target, nil)
			if auth != "" {
				req.Header.Set("Authorization", auth)
			}
			rec := record(s, req)
			if rec.Code != http.StatusUnauthorized || rec.Header().Get("WWW-Authenticate") == "" {
				t.Errorf("GET %s with %q: %d", target, auth, rec.Code)
			}
		}
		req, _ := http.NewRequest("GET", target, nil)
		req.Header.Set("Authorization", "Bearer s3cret")
		if rec := record(s, req); rec.Code != 200 {
			t.Errorf("GET %s with the token: %d %s", target, rec.Code, rec.Body)
		}
	}
	body, ct := form(t, map[string][]byte{"sketch": encodePNG(t, sketch(32, 32))}, nil)
	if rec := do(t, s, "POST", "/api/colorize", body, ct); rec.Code != http.StatusUnauthorized {
		t.Errorf("colorize without the token: %d", rec.Code)
	}
	// The page itself holds no data and loads without it.
	if rec := do(t, s, "GET", "/", nil, ""); rec.Code != 200 {
		t.Errorf("page: %d", rec.Code)
	}
}

func TestForeignHostIsRefused(t *testing.T) {
	opts := defaultOptions(runsTree(t))
	opts.Hosts = []string{"127.0.0.1:7860", "localhost:7860"}
	s := newServer(t, opts)
	for host, want := range map[string]int{"127.0.0.1:7860": 200, "LOCALHOST:7860": 200, "evil.example:7860": 421, "127.0.0.1:80": 421} {
		req, _ := http.NewRequest("GET", "/api/models", nil)
		req.Host = host
		if rec := record(s, req); rec.Code != want {
			t.Errorf("Host %s: %d, want %d", host, rec.Code, want)
		}
	}
}
