package fid

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMissingWeightsError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nowhere", WeightsFile)
	_, err := Load(path, 2048)
	var miss *MissingWeightsError
	if !errors.As(err, &miss) || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("error %v (%T), want a *MissingWeightsError that is fs.ErrNotExist", err, err)
	}
	for _, want := range []string{path, WeightsURL, "6726825d", "MB", "--inception", "eval.inception"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestDefaultWeightsPath(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", "/cache")
	if got := DefaultWeightsPath(); got != filepath.Join("/cache", "colorize", WeightsFile) {
		t.Errorf("DefaultWeightsPath() = %s", got)
	}
}

func TestLoadCorruptWeights(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.pth")
	if err := os.WriteFile(path, []byte("not a checkpoint"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path, 2048)
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("corrupt file: error %v should name the file", err)
	}
}

// TestNewChecksStateDict: a missing tensor or a wrong shape is named; dims
// 64 needs only the first three convolutions.
func TestNewChecksStateDict(t *testing.T) {
	sd := map[string]Tensor{}
	addConv := func(prefix string, shape ...int) {
		sd[prefix+".conv.weight"] = Tensor{Shape: shape, Data: make([]float32, size(shape))}
		for _, p := range []string{"weight", "bias", "running_mean", "running_var"} {
			sd[prefix+".bn."+p] = Tensor{Shape: []int{shape[0]}, Data: make([]float32, shape[0])}
		}
	}
	addConv("Conv2d_1a_3x3", 32, 3, 3, 3)
	addConv("Conv2d_2a_3x3", 32, 32, 3, 3)
	addConv("Conv2d_2b_3x3", 64, 32, 3, 3)
	if _, err := New(sd, 64); err != nil {
		t.Fatalf("dims 64: %v", err)
	}
	if _, err := New(sd, 192); err == nil || !strings.Contains(err.Error(), "Conv2d_3b_1x1.conv.weight") {
		t.Errorf("dims 192 without Conv2d_3b_1x1: error %v should name the missing tensor", err)
	}
	if _, err := New(sd, 100); err == nil {
		t.Error("dims 100: want an error")
	}
	addConv("Conv2d_2b_3x3", 64, 32, 5, 5)
	if _, err := New(sd, 64); err == nil || !strings.Contains(err.Error(), "[64 32 5 5]") {
		t.Errorf("wrong shape: error %v should give the shape", err)
	}
}
