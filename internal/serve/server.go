package serve

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/colorize-dev/colorize/internal/infer"
	"github.com/colorize-dev/colorize/internal/runs"
	"github.com/colorize-dev/colorize/internal/serve/web"
)

// Options configure a Server.
type Options struct {
	Runs *runs.Index
	// Workers inferences run at once; Queue more may wait; Models loaded
	// models are kept (at least Workers); each keeps MaxGraphs graphs.
	Workers, Queue, Models, MaxGraphs int
	// MaxUpload bounds a request body in bytes; MaxPixels an image's
	// width·height; MaxSide the longer side the generator sees (0 = none).
	MaxUpload int64
	MaxPixels int
	MaxSide   int
	// Timeout bounds a colorize request from admission to its answer.
	Timeout time.Duration
	// Token, if set, is required as "Authorization: Bearer TOKEN" on every
	// API call.
	Token string
	// Hosts, if not empty, are the only Host header values accepted (the
	// loopback names of the listening address: a page on another site that
	// rebinds its DNS name to 127.0.0.1 is refused).
	Hosts  []string
	Logger *slog.Logger
	// Open loads a model; nil means infer.Open.
	Open func(path string) (*infer.Colorizer, error)
}

// Server handles the page and the API.
type Server struct {
	opts Options
	log  *slog.Logger
	pool *pool
	mux  *http.ServeMux
}

// New starts the workers; Close stops them.
func New(opts Options) (*Server, error) {
	switch {
	case opts.Runs == nil:
		return nil, errors.New("serve: no runs index")
	case opts.Workers < 1:
		return nil, fmt.Errorf("serve: %d workers", opts.Workers)
	case opts.Queue < 0:
		return nil, fmt.Errorf("serve: queue %d", opts.Queue)
	case opts.Models < opts.Workers:
		return nil, fmt.Errorf("serve: %d loaded models for %d workers: each worker holds one", opts.Models, opts.Workers)
	case opts.MaxUpload < 1 || opts.MaxPixels < 1 || opts.Timeout <= 0:
		return nil, errors.New("serve: MaxUpload, MaxPixels and Timeout must be positive")
	}
	if opts.MaxGraphs < 1 {
		opts.MaxGraphs = 2
	}
	if opts.Open == nil {
		opts.Open = infer.Open
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s := &Server{opts: opts, log: log}
	s.pool = newPool(opts.Workers, opts.Queue, newModelCache(opts.Models, func(path string) (*infer.Colorizer, error) {
		c, err := opts.Open(path)
		if err == nil {
			c.MaxGraphs = opts.MaxGraphs
		}
		return c, err
	}))
	s.routes()
	return s, nil
}

// Close waits for the workers to finish the jobs they hold and releases the
// loaded models. Call it after the HTTP server has shut down.
func (s *Server) Close() { s.pool.close() }

func (s *Server) routes() {
	m := http.NewServeMux()
	m.HandleFunc("GET /api/models", s.handleModels)
	m.HandleFunc("POST /api/colorize", s.handleColorize)
	m.HandleFunc("GET /api/runs", s.handleRuns)
	m.HandleFunc("GET /api/runs/{id}/metrics", s.handleMetrics)
	m.HandleFunc("GET /api/runs/{id}/samples/latest", s.handleLatestSample)
	m.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no API endpoint %s %s", r.Method, r.URL.Path)
	})
	static, err := fs.Sub(web.Files, ".")
	if err != nil {
		panic(err)
	}
	files := http.FileServerFS(static)
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		files.ServeHTTP(w, r)
	})
	s.mux = m
}

// ServeHTTP checks the Host header and the token, then routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if len(s.opts.Hosts) > 0 && !hostAllowed(r.Host, s.opts.Hosts) {
		writeError(w, http.StatusMisdirectedRequest, "host %q is not this server's address (use %s)", r.Host, s.opts.Hosts[0])
		return
	}
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	if strings.HasPrefix(r.URL.Path, "/api/") {
		h.Set("Cache-Control", "no-store")
		if s.opts.Token != "" && !s.authorized(r) {
			h.Set("WWW-Authenticate", `Bearer realm="colorize"`)
			writeError(w, http.StatusUnauthorized, "this server needs its token: Authorization: Bearer TOKEN")
			return
		}
	} else {
		// The page loads nothing from elsewhere, and may not.
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' blob: data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
		h.Set("X-Frame-Options", "DENY")
	}
	s.mux.ServeHTTP(w, r)
}

func (s *Server) authorized(r *http.Request) bool {
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(s.opts.Token)) == 1
}

func hostAllowed(host string, allowed []string) bool {
	for _, a := range allowed {
		if strings.EqualFold(host, a) {
			return true
		}
	}
	return false
}

// LoopbackHosts returns the Host header values under which a browser on
// this machine reaches a server listening on addr (a loopback address).
func LoopbackHosts(addr net.Addr) []string {
	_, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return nil
	}
	return []string{net.JoinHostPort("127.0.0.1", port), net.JoinHostPort("localhost", port), net.JoinHostPort("::1", port)}
}

// IsLoopback reports whether the host of a listening address (host:port)
// is a loopback address or "localhost".
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Timeouts are the HTTP server's.
type Timeouts struct {
	Read, Write, Idle time.Duration
	// Shutdown bounds how long requests in flight may take to finish after
	// ctx is cancelled.
	Shutdown time.Duration
}

// Serve answers on ln until ctx is cancelled, then stops accepting, lets the
// requests in flight finish (at most t.Shutdown), stops the workers and
// returns.
func Serve(ctx context.Context, ln net.Listener, s *Server, t Timeouts) error {
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: min(t.Read, 10*time.Second),
		ReadTimeout:       t.Read,
		WriteTimeout:      t.Write,
		IdleTimeout:       t.Idle,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		s.Close()
		return err
	case <-ctx.Done():
	}
	s.log.Info("shutting down: finishing the requests in flight")
	sctx, cancel := context.WithTimeout(context.Background(), t.Shutdown)
	defer cancel()
	err := srv.Shutdown(sctx)
	s.Close()
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("requests still running after %v; stopped anyway", t.Shutdown)
	}
	return err
}

// apiError is the body of every error answer.
type apiError struct {
	Error string `json:"error"`
}

func writeError(w http.ResponseWriter, status int, format string, args ...any) {
	writeJSON(w, status, apiError{Error: fmt.Sprintf(format, args...)})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"encode the answer"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}
