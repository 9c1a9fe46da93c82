// Package root assembles the colorize command tree.
package root

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/spf13/cobra"

	comparecmd "github.com/colorize-dev/colorize/internal/cmd/compare"
	evalcmd "github.com/colorize-dev/colorize/internal/cmd/eval"
	exportcmd "github.com/colorize-dev/colorize/internal/cmd/export"
	infercmd "github.com/colorize-dev/colorize/internal/cmd/infer"
	"github.com/colorize-dev/colorize/internal/cmd/prepare"
	servecmd "github.com/colorize-dev/colorize/internal/cmd/serve"
	traincmd "github.com/colorize-dev/colorize/internal/cmd/train"
	"github.com/colorize-dev/colorize/internal/cmd/version"
	"github.com/colorize-dev/colorize/internal/cmdutil"
	"github.com/colorize-dev/colorize/internal/config"
)

// NewCmdRoot returns the root command with every subcommand attached.
func NewCmdRoot(io *cmdutil.IOStreams) *cobra.Command {
	var configPath, logLevel string
	f := &cmdutil.Factory{IO: io, ConfigPath: func() string { return configPath }}
	f.Logger = slog.New(slog.NewTextHandler(io.ErrOut, &slog.HandlerOptions{Level: slog.LevelInfo}))

	cmd := &cobra.Command{
		Use:   "colorize",
		Short: "Train and run line-art colorization GANs",
		Long: `colorize trains pix2pix-style colorization GANs (U-Net generator, PatchGAN
discriminator) that turn line art plus a few color hints into a colored image,
with the color-channel compensated L1 loss of Kim & Lee or plain L1.

Configuration comes from a YAML file (--config), COLORIZE_* environment
variables (COLORIZE_TRAIN_LR overrides train.lr) and flags, each overriding
the one before.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			var level slog.Level
			if err := level.UnmarshalText([]byte(strings.ToLower(logLevel))); err != nil {
				return fmt.Errorf("--log-level %q: want debug, info, warn or error", logLevel)
			}
			f.Logger = slog.New(slog.NewTextHandler(io.ErrOut, &slog.HandlerOptions{Level: level}))
			return nil
		},
	}
	cmd.SetOut(io.Out)
	cmd.SetErr(io.ErrOut)
	cmd.SetIn(io.In)
	cmd.PersistentFlags().StringVar(&configPath, "config", "", "YAML configuration file")
	cmd.PersistentFlags().StringVar(&logLevel, "log-level", "info", "log level: debug, info, warn or error")
	cmd.PersistentFlags().Int("max-pixels", config.Default().Limits.MaxPixels, "largest image accepted (width × height), checked from its header before decoding (limits.max_pixels)")
	f.Global = []config.FlagBinding{{Key: "limits.max_pixels", Flag: cmd.PersistentFlags().Lookup("max-pixels")}}

	cmd.AddCommand(version.NewCmdVersion(f))
	cmd.AddCommand(traincmd.NewCmdTrain(f, nil))
	cmd.AddCommand(infercmd.NewCmdInfer(f, nil))
	cmd.AddCommand(comparecmd.NewCmdCompare(f, nil))
	cmd.AddCommand(prepare.NewCmdPrepare(f, nil))
	cmd.AddCommand(evalcmd.NewCmdEval(f, nil))
	cmd.AddCommand(exportcmd.NewCmdExport(f, nil))
	cmd.AddCommand(servecmd.NewCmdServe(f, nil))
	return cmd
}
