package serve

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/colorize-dev/colorize/internal/cmdutil"
)

// parse runs the command's flag parsing and returns the options it built.
func parse(t *testing.T, args ...string) (*ServeOptions, error) {
	t.Helper()
	var got *ServeOptions
	f := &cmdutil.Factory{IO: cmdutil.Test(io.Discard, io.Discard)}
	cmd := NewCmdServe(f, func(_ context.Context, o *ServeOptions) error { got = o; return nil })
	cmd.SetArgs(args)
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	err := cmd.Execute()
	return got, err
}

func TestFlagsEnvAndDefaults(t *testing.T) {
	o, err := parse(t)
	if err != nil {
		t.Fatal(err)
	}
	sc := o.Config.Serve
	if sc.Addr != "127.0.0.1:7860" || sc.Runs != "runs" || sc.Workers != 1 || sc.MaxUpload != 32 || o.Config.Limits.MaxPixels != 64_000_000 || o.Token != "" {
		t.Fatalf("defaults: %+v %+v token %q", sc, o.Config.Limits, o.Token)
	}
	t.Setenv("COLORIZE_SERVE_QUEUE", "3")
	t.Setenv(TokenEnv, "from-env")
	o, err = parse(t, "--addr", "127.0.0.1:9000", "--runs", "elsewhere", "--checkpoint", "runs/x", "--workers", "2", "--models", "2",
		"--max-upload", "4", "--max-side", "512", "--max-pixels", "1000000")
	if err != nil {
		t.Fatal(err)
	}
	sc = o.Config.Serve
	if sc.Addr != "127.0.0.1:9000" || sc.Runs != "elsewhere" || sc.Checkpoint != "runs/x" || sc.Workers != 2 || sc.Queue != 3 ||
		sc.MaxUpload != 4 || sc.MaxSide != 512 || o.Config.Limits.MaxPixels != 1_000_000 || o.Token != "from-env" {
		t.Fatalf("flags and env: %+v %+v token %q", sc, o.Config.Limits, o.Token)
	}
	if o, _ := parse(t, "--token", "flag"); o.Token != "flag" {
		t.Fatalf("--token over the environment: %q", o.Token)
	}
	if _, err := parse(t, "--workers", "3"); err == nil || !strings.Contains(err.Error(), "serve.models") {
		t.Fatalf("more workers than models: %v", err)
	}
}

func TestRemoteAddressNeedsTheFlagAndAToken(t *testing.T) {
	for _, tc := range []struct {
		addr   string
		allow  bool
		token  string
		err    string
		warned bool
	}{
		{"127.0.0.1:7860", false, "", "", false},
		{"[::1]:7860", false, "", "", false},
		{"localhost:7860", false, "", "", false},
		{"0.0.0.0:7860", false, "t", "--allow-remote", false},
		{"192.168.1.5:7860", false, "", "--allow-remote", false},
		{":7860", false, "", "--allow-remote", false},
		{"0.0.0.0:7860", true, "", "needs a token", false},
		{"0.0.0.0:7860", true, "t", "", true},
		{"nonsense", false, "", "host:port", false},
	} {
		warning, err := checkAddr(tc.addr, tc.allow, tc.token)
		if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("%s allow=%v token=%q: err %v, want %q", tc.addr, tc.allow, tc.token, err, tc.err)
		}
		if (warning != "") != tc.warned {
			t.Errorf("%s allow=%v: warning %q", tc.addr, tc.allow, warning)
		}
	}
	t.Setenv(TokenEnv, "")
	if _, err := parse(t, "--addr", "0.0.0.0:7860"); err == nil || !strings.Contains(err.Error(), "--allow-remote") {
		t.Fatalf("serve --addr 0.0.0.0:7860: %v", err)
	}
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestServeRunPrintsItsAddressAndStopsOnCancel(t *testing.T) {
	t.Setenv(TokenEnv, "")
	o, err := parse(t, "--addr", "127.0.0.1:0", "--runs", t.TempDir(), "--token", "abc")
	if err != nil {
		t.Fatal(err)
	}
	var out, errOut syncBuffer
	o.IO = cmdutil.Test(&out, &errOut)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serveRun(ctx, o) }()
	re := regexp.MustCompile(`open (http://127\.0\.0\.1:\d+/)#token=abc`)
	var url string
	for end := time.Now().Add(10 * time.Second); url == "" && time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			url = m[1]
		}
	}
	if url == "" {
		t.Fatalf("no address printed: %q / %q", out.String(), errOut.String())
	}
	req, _ := http.NewRequest("GET", url+"api/models", nil)
	req.Header.Set("Authorization", "Bearer abc")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(body), `"models":[]`) {
		t.Fatalf("GET /api/models: %d %s", res.StatusCode, body)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop after its context was cancelled")
	}
	if !strings.Contains(errOut.String(), ": 0 checkpoints") || !strings.Contains(errOut.String(), "stopped") {
		t.Errorf("stderr %q", errOut.String())
	}
}

func TestMissingCheckpointIsAnError(t *testing.T) {
	o, err := parse(t, "--addr", "127.0.0.1:0", "--checkpoint", "/no/such/run")
	if err != nil {
		t.Fatal(err)
	}
	if err := serveRun(context.Background(), o); err == nil || !strings.Contains(err.Error(), "/no/such/run") {
		t.Fatalf("err = %v", err)
	}
}
