package compare

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/colorize-dev/colorize/internal/atomicfile"
)

// WritePlan writes the comparison's resolved configuration into its output
// folder (ConfigFile) and, at path, one shell command per cell that trains
// that cell from it (compare --run I) — to be run anywhere that sees the
// output folder, in any order, any number at once — followed by the command
// that collects the finished runs into the report. exe is the colorize
// binary the commands name. The configuration's relative paths are made
// absolute, so the commands work from any folder.
func WritePlan(path string, opts Options, exe string) (cells int, err error) {
	out, err := filepath.Abs(opts.Out)
	if err != nil {
		return 0, err
	}
	cfg := opts.Config
	for _, p := range []*string{&cfg.Data.Dir, &cfg.Data.SplitFile, &cfg.Eval.Inception} {
		if *p == "" {
			continue
		}
		if *p, err = filepath.Abs(*p); err != nil {
			return 0, err
		}
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return 0, err
	}
	cfgPath := filepath.Join(out, ConfigFile)
	if err := atomicfile.WriteFile(cfgPath, []byte(cfg.YAML())); err != nil {
		return 0, err
	}
	var names []string
	for _, a := range opts.arms() {
		names = append(names, a.Name)
	}
	base := fmt.Sprintf("%s --config %s compare --out %s --seeds %d --arms %s", shellQuote(exe), shellQuote(cfgPath), shellQuote(out), opts.Seeds, strings.Join(names, ","))
	// The evaluation's own settings matter only to the collect command.
	collect := base
	if len(opts.HintCounts) > 0 {
		hints := make([]string, len(opts.HintCounts))
		for i, n := range opts.HintCounts {
			hints[i] = strconv.Itoa(n)
		}
		collect += " --hints " + strings.Join(hints, ",")
	}
	if opts.Eval.MaxImages > 0 {
		collect += fmt.Sprintf(" --max-eval %d", opts.Eval.MaxImages)
	}
	all := opts.Cells()
	var b strings.Builder
	fmt.Fprintf(&b, "# colorize compare plan: %d runs (%d seeds × %d arms) into %s.\n", len(all), opts.Seeds, len(names), out)
	b.WriteString("# Each line trains one run; run them anywhere that sees that folder, in any\n")
	b.WriteString("# order and any number at once (a run folder takes one process at a time;\n")
	b.WriteString("# a rerun resumes). Line I is also `... --run I`, for array jobs.\n")
	for _, c := range all {
		fmt.Fprintf(&b, "%s --run %d  # seed %d, %s\n", base, c.Index, c.Seed, c.Arm.Name)
	}
	fmt.Fprintf(&b, "# Then, or at any time, report what has finished:\n# %s --collect\n", collect)
	return len(all), atomicfile.WriteFile(path, []byte(b.String()))
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r == '/' || r == '.' || r == '-' || r == '_' || r == ',' || r == ':' || r == '=' || r == '+' ||
			(r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z'))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
