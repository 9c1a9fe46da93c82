// Command colorize trains and runs line-art colorization GANs.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	// gorgonia v0.9.18 refuses to start on new Go releases unless this module
	// is at its newest version; importing it here keeps go.mod pinned to it.
	_ "go4.org/unsafe/assume-no-moving-gc"

	"github.com/colorize-dev/colorize/internal/cmd/root"
	"github.com/colorize-dev/colorize/internal/cmdutil"
)

func main() {
	// Ctrl-C or SIGTERM cancels the context; long commands save their state and return.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	io := cmdutil.System()
	if err := root.NewCmdRoot(io).ExecuteContext(ctx); err != nil {
		fmt.Fprintln(io.ErrOut, "colorize:", err)
		os.Exit(1)
	}
}
