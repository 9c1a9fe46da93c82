// Package cmdutil holds what every colorize command shares: the I/O streams a
// command writes to (injected, so tests read what a user sees), the logger and
// the configuration loader bound to the root command's --config flag.
package cmdutil

import (
	"io"
	"log/slog"
	"os"

	"github.com/colorize-dev/colorize/internal/config"
	"github.com/colorize-dev/colorize/internal/imageio"
)

// IOStreams are the streams a command reads and writes.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	// ErrTTY reports whether ErrOut is a terminal; progress bars redraw in
	// place only then, and print occasional plain lines otherwise.
	ErrTTY bool
}

// System returns the process's standard streams.
func System() *IOStreams {
	return &IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr, ErrTTY: isTerminal(os.Stderr)}
}

// Test returns streams writing to the given buffers, not a terminal.
func Test(out, errOut io.Writer) *IOStreams {
	return &IOStreams{In: eofReader{}, Out: out, ErrOut: errOut}
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// Factory carries the shared dependencies into each command's constructor.
type Factory struct {
	IO *IOStreams
	// ConfigPath returns the value of the root command's --config flag.
	ConfigPath func() string
	// Logger is configured from --log-level.
	Logger *slog.Logger
	// Global are the root command's bindings of keys every command honours
	// (--max-pixels).
	Global []config.FlagBinding
}

// Config loads the configuration from the --config file, the environment,
// the global flags and the given flag bindings, and applies the limits it
// sets (limits.max_pixels) to the process.
func (f *Factory) Config(bindings ...config.FlagBinding) (config.Config, error) {
	path := ""
	if f.ConfigPath != nil {
		path = f.ConfigPath()
	}
	cfg, err := config.Load(path, append(append([]config.FlagBinding(nil), f.Global...), bindings...)...)
	if err != nil {
		return cfg, err
	}
	imageio.SetMaxPixels(cfg.Limits.MaxPixels)
	return cfg, nil
}
