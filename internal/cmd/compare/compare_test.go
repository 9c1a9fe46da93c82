package compare

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/colorize-dev/colorize/internal/cmdutil"
)

func parse(t *testing.T, args ...string) (*CompareOptions, error) {
	t.Helper()
	var got *CompareOptions
	f := &cmdutil.Factory{IO: cmdutil.Test(&bytes.Buffer{}, &bytes.Buffer{})}
	cmd := NewCmdCompare(f, func(_ context.Context, o *CompareOptions) error { got = o; return nil })
	cmd.SetArgs(args)
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	return got, cmd.Execute()
}

func TestFlags(t *testing.T) {
	o, err := parse(t, "--seeds", "3", "--steps", "700", "--out", "cmp", "--data", "d", "--inception", "w.pth", "--max-eval", "50")
	if err != nil {
		t.Fatal(err)
	}
	if o.Seeds != 3 || o.Config.Train.Steps != 700 || o.Out != "cmp" || o.Config.Data.Dir != "d" || o.Inception != "w.pth" || o.MaxEval != 50 {
		t.Fatalf("parsed %+v", o)
	}
	if _, err := parse(t, "--seeds", "0"); err == nil || !strings.Contains(err.Error(), "--seeds") {
		t.Fatalf("--seeds 0: err = %v", err)
	}
}
