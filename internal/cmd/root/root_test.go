package root

import (
	"bytes"
	"strings"
	"testing"

	"github.com/colorize-dev/colorize/internal/cmdutil"
)

func run(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd := NewCmdRoot(cmdutil.Test(&out, &errOut))
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), errOut.String(), err
}

func TestHelpListsCommands(t *testing.T) {
	out, _, err := run(t, "--help")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"version", "--config", "--log-level", "COLORIZE_"} {
		if !strings.Contains(out, want) {
			t.Errorf("help lacks %q:\n%s", want, out)
		}
	}
}

func TestVersion(t *testing.T) {
	out, _, err := run(t, "version")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"colorize", "go1.", "blas"} {
		if !strings.Contains(out, want) {
			t.Errorf("version output lacks %q:\n%s", want, out)
		}
	}
}

func TestBadLogLevel(t *testing.T) {
	_, _, err := run(t, "--log-level", "loud", "version")
	if err == nil || !strings.Contains(err.Error(), "loud") {
		t.Fatalf("err = %v", err)
	}
}
