package train

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/colorize-dev/colorize/internal/cmdutil"
)

func parse(t *testing.T, configPath string, args ...string) (*TrainOptions, error) {
	t.Helper()
	var got *TrainOptions
	f := &cmdutil.Factory{IO: cmdutil.Test(&bytes.Buffer{}, &bytes.Buffer{}), ConfigPath: func() string { return configPath }}
	cmd := NewCmdTrain(f, func(_ context.Context, o *TrainOptions) error { got = o; return nil })
	cmd.SetArgs(args)
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	return got, cmd.Execute()
}

func TestFlagsOverrideTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(path, []byte("train:\n  steps: 10\n  out: runs/x\n  loss: l1\n"), 0o644)
	o, err := parse(t, path, "--steps", "20", "--resume", "--data", "d", "--seed", "5")
	if err != nil {
		t.Fatal(err)
	}
	c := o.Config
	if c.Train.Steps != 20 || c.Train.Out != "runs/x" || c.Train.Loss != "l1" || c.Data.Dir != "d" || c.Seed != 5 || !o.Resume || o.ConfigPath != path {
		t.Fatalf("parsed %+v", o)
	}
}

func TestBadConfigNamesKeyAndFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(path, []byte("train:\n  stepz: 10\n"), 0o644)
	_, err := parse(t, path)
	if err == nil || !strings.Contains(err.Error(), "train.stepz") || !strings.Contains(err.Error(), path) {
		t.Fatalf("err = %v", err)
	}
	if _, err := parse(t, "", "--loss", "l2"); err == nil || !strings.Contains(err.Error(), "train.loss") {
		t.Fatalf("bad --loss: err = %v", err)
	}
}
