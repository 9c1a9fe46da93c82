// Package serve implements `colorize serve`.
package serve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/colorize-dev/colorize/internal/checkpoint"
	"github.com/colorize-dev/colorize/internal/cmdutil"
	"github.com/colorize-dev/colorize/internal/config"
	"github.com/colorize-dev/colorize/internal/runs"
	"github.com/colorize-dev/colorize/internal/serve"
)

// TokenEnv is the environment variable holding the bearer token.
const TokenEnv = "COLORIZE_SERVE_TOKEN"

// ServeOptions are the parsed flags of `colorize serve`.
type ServeOptions struct {
	IO     *cmdutil.IOStreams
	Logger *slog.Logger
	// Config holds the serve.* and limits.* keys.
	Config config.Config
	// Token, if set, is required on every API call (--token or
	// COLORIZE_SERVE_TOKEN).
	Token string
	// AllowRemote permits listening on an address other than loopback.
	AllowRemote bool
}

// NewCmdServe returns the serve command. runF replaces the work in tests.
func NewCmdServe(f *cmdutil.Factory, runF func(context.Context, *ServeOptions) error) *cobra.Command {
	opts := &ServeOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "serve [--checkpoint FILE|RUN_DIR] [--runs DIR] [--addr 127.0.0.1:7860]",
		Short: "Paint hints in the browser and watch training runs",
		Long: `Start a local web app: open a sketch, dot or paint color hints on it, and
see the colorized result update after each edit; download the result, the hint
layer (the RGBA PNG colorize infer --hint reads) and the colorize infer command
that reproduces it. The Runs view shows every run under --runs: its settings,
whether it is training now, live loss and validation curves, the newest sample
grid, and several runs' validation curves on one chart.

The page is built into colorize and loads nothing from the network. The same
HTTP API it uses is documented in the README (GET /api/models, POST
/api/colorize, GET /api/runs, ...); its PNGs are byte-identical to colorize
infer's for the same sketch, hints, model and --max-side.

The server listens on loopback only, unless --allow-remote is given, which
also needs a token (--token or ` + TokenEnv + `) that every API call must then
carry as "Authorization: Bearer TOKEN". Inference runs on --workers goroutines
behind a queue of --queue requests; more get 503 with Retry-After. Ctrl-C
lets requests in flight finish, then exits.`,
		Example: `  colorize serve
  colorize serve --runs runs --checkpoint runs/quickstart
  ` + TokenEnv + `=s3cret colorize serve --addr 0.0.0.0:7860 --allow-remote`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fl := cmd.Flags()
			cfg, err := f.Config(
				config.FlagBinding{Key: "serve.addr", Flag: fl.Lookup("addr")},
				config.FlagBinding{Key: "serve.runs", Flag: fl.Lookup("runs")},
				config.FlagBinding{Key: "serve.checkpoint", Flag: fl.Lookup("checkpoint")},
				config.FlagBinding{Key: "serve.max_upload", Flag: fl.Lookup("max-upload")},
				config.FlagBinding{Key: "serve.workers", Flag: fl.Lookup("workers")},
				config.FlagBinding{Key: "serve.queue", Flag: fl.Lookup("queue")},
				config.FlagBinding{Key: "serve.models", Flag: fl.Lookup("models")},
				config.FlagBinding{Key: "serve.max_side", Flag: fl.Lookup("max-side")},
				config.FlagBinding{Key: "limits.max_pixels", Flag: fl.Lookup("max-pixels")},
			)
			if err != nil {
				return err
			}
			opts.Config = cfg
			opts.Logger = f.Logger
			if opts.Token == "" {
				opts.Token = os.Getenv(TokenEnv)
			}
			if _, err := checkAddr(cfg.Serve.Addr, opts.AllowRemote, opts.Token); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return serveRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.String("addr", "", "listening address host:port (serve.addr, default 127.0.0.1:7860)")
	fl.String("runs", "", "folder of runs and checkpoints to offer and show (serve.runs, default runs)")
	fl.String("checkpoint", "", "default model, a checkpoint file or run folder (serve.checkpoint; default: the best of the newest run)")
	fl.Int("max-upload", 0, "largest request body in MiB (serve.max_upload, default 32)")
	fl.Int("workers", 0, "inferences run at once (serve.workers, default 1)")
	fl.Int("queue", 0, "requests that may wait for a worker; more get 503 (serve.queue, default 16)")
	fl.Int("models", 0, "loaded models kept in memory, at least --workers (serve.models, default 2)")
	fl.Int("max-side", 0, "colorize at most this many pixels on the longer side, as infer --max-side; 0 = no limit (serve.max_side, default 1024)")
	fl.Int("max-pixels", 0, "largest image accepted, width × height (limits.max_pixels, default 64000000)")
	fl.StringVar(&opts.Token, "token", "", "require this bearer token on every API call (default: $"+TokenEnv+")")
	fl.BoolVar(&opts.AllowRemote, "allow-remote", false, "allow listening on an address other than loopback (needs a token)")
	return cmd
}

// checkAddr refuses a non-loopback address unless allowed and protected by
// a token, and returns the warning to print when it is allowed.
func checkAddr(addr string, allowRemote bool, token string) (warning string, err error) {
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return "", fmt.Errorf("serve.addr %q: want host:port (%v)", addr, err)
	}
	if serve.IsLoopback(addr) {
		return "", nil
	}
	if !allowRemote {
		return "", fmt.Errorf("serve.addr %s is not a loopback address: other machines could use this server; pass --allow-remote (with --token) to allow it", addr)
	}
	if token == "" {
		return "", fmt.Errorf("--allow-remote on %s needs a token: --token TOKEN or %s", addr, TokenEnv)
	}
	return fmt.Sprintf("warning: listening on %s, reachable from other machines; every API call needs the token, and traffic is not encrypted (plain HTTP)", addr), nil
}

func serveRun(ctx context.Context, opts *ServeOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	sc := opts.Config.Serve
	warning, err := checkAddr(sc.Addr, opts.AllowRemote, opts.Token)
	if err != nil {
		return err
	}
	if sc.Checkpoint != "" {
		if _, err := checkpoint.Resolve(sc.Checkpoint); err != nil {
			return fmt.Errorf("--checkpoint: %w", err)
		}
	}
	index := runs.New(sc.Runs, sc.Checkpoint)
	models, err := index.Models()
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", sc.Addr)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	var hosts []string
	if serve.IsLoopback(sc.Addr) {
		hosts = serve.LoopbackHosts(ln.Addr())
	}
	write := time.Duration(sc.WriteTimeout * float64(time.Second))
	s, err := serve.New(serve.Options{
		Runs: index, Workers: sc.Workers, Queue: sc.Queue, Models: sc.Models,
		MaxUpload: int64(sc.MaxUpload) << 20, MaxPixels: opts.Config.Limits.MaxPixels, MaxSide: sc.MaxSide,
		// A request gets its answer, a 503 included, before the write
		// timeout would cut the connection.
		Timeout: write * 9 / 10, Token: opts.Token, Hosts: hosts, Logger: opts.Logger,
	})
	if err != nil {
		ln.Close()
		return err
	}
	if warning != "" {
		fmt.Fprintln(opts.IO.ErrOut, warning)
	}
	url := "http://" + ln.Addr().String() + "/"
	if hosts != nil {
		url = "http://" + hosts[0] + "/"
	}
	if opts.Token != "" {
		url += "#token=" + opts.Token
	}
	def := "none yet (train one with colorize train)"
	if c, err := index.Default(models); err == nil {
		def = fmt.Sprintf("%s (step %d)", c.ID, c.Step)
	}
	fmt.Fprintf(opts.IO.ErrOut, "runs folder %s: %d checkpoints; default model %s; %d worker(s), queue %d\n", sc.Runs, len(models), def, sc.Workers, sc.Queue)
	fmt.Fprintf(opts.IO.Out, "colorize serve: open %s\n", url)
	err = serve.Serve(ctx, ln, s, serve.Timeouts{
		Read: seconds(sc.ReadTimeout), Write: write, Idle: seconds(sc.IdleTimeout), Shutdown: write,
	})
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	fmt.Fprintln(opts.IO.ErrOut, "serve: stopped")
	return err
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
