package compare

import (
	"bytes"
	"context"
	"fmt"
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

func TestArmsHintsAndModes(t *testing.T) {
	o, err := parse(t, "--arms", "l1,compensated_l1,compensated_l1_detached", "--hints", "0,4", "--plan", "p.sh", "--line-art", "xdog")
	if err != nil {
		t.Fatal(err)
	}
	if len(o.Arms) != 3 || !o.Arms[2].Detach || fmt.Sprint(o.HintCounts) != "[0 4]" || o.Plan != "p.sh" || o.Run != -1 || o.Config.Data.LineArt != "xdog" {
		t.Fatalf("parsed %+v", o)
	}
	if o, err = parse(t); err != nil || len(o.Arms) != 2 || len(o.HintCounts) != 5 {
		t.Fatalf("defaults: %+v, %v", o, err)
	}
	for _, bad := range [][]string{
		{"--arms", "l1"}, {"--arms", "l1,nope"}, {"--hints", "-2"},
		{"--plan", "p", "--collect"}, {"--run", "1", "--collect"}, {"--run", "-3"}, {"--line-art", "pencil"},
	} {
		if _, err := parse(t, bad...); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}
