// Package version implements `colorize version`.
package version

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/colorize-dev/colorize/internal/blas"
	"github.com/colorize-dev/colorize/internal/buildinfo"
	"github.com/colorize-dev/colorize/internal/cmdutil"
)

// NewCmdVersion returns the version command.
func NewCmdVersion(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, the Go version and the BLAS in use",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fmt.Fprintf(f.IO.Out, "colorize %s\n", buildinfo.String())
			fmt.Fprintf(f.IO.Out, "go       %s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
			fmt.Fprintf(f.IO.Out, "blas     %s\n", blas.Describe())
			return nil
		},
	}
}
