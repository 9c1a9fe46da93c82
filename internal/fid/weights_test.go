package fid

import (
	"encoding/binary"
	"errors"
	"io/fs"
	"math"
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

// floatStorage is a FloatStorage holding vals.
func floatStorage(vals ...float32) *storage {
	st := &storage{class: storageClasses["FloatStorage"], key: "0", numel: len(vals)}
	for _, v := range vals {
		st.data = binary.LittleEndian.AppendUint32(st.data, math.Float32bits(v))
	}
	return st
}

// TestGatherStrided gathers a transposed (non-contiguous) view the slow way
// and a contiguous one directly; both give row-major data. Views reaching
// outside their storage are errors.
func TestGatherStrided(t *testing.T) {
	st := floatStorage(9, 0, 1, 2, 3, 4, 5)
	// Storage from offset 1 holds the 2×3 matrix [[0 1 2] [3 4 5]].
	dense := &pthTensor{storage: st, offset: 1, size: []int{2, 3}, stride: []int{3, 1}}
	trans := &pthTensor{storage: st, offset: 1, size: []int{3, 2}, stride: []int{1, 3}}
	for _, c := range []struct {
		pt   *pthTensor
		want []float32
	}{{dense, []float32{0, 1, 2, 3, 4, 5}}, {trans, []float32{0, 3, 1, 4, 2, 5}}} {
		got, ok, err := c.pt.gather()
		if err != nil || !ok {
			t.Fatalf("%v %v", ok, err)
		}
		for i := range c.want {
			if got.Data[i] != c.want[i] {
				t.Fatalf("stride %v: %v, want %v", c.pt.stride, got.Data, c.want)
			}
		}
	}
	for name, c := range map[string]struct {
		pt   *pthTensor
		want string
	}{
		"past the end":     {&pthTensor{storage: st, offset: 3, size: []int{2, 3}, stride: []int{3, 1}}, "reach element 8 of a storage of 7"},
		"negative offset":  {&pthTensor{storage: st, offset: -1, size: []int{2}, stride: []int{1}}, "storage offset -1"},
		"negative stride":  {&pthTensor{storage: st, offset: 6, size: []int{2}, stride: []int{-1}}, "negative"},
		"stride overflows": {&pthTensor{storage: st, offset: 0, size: []int{2, 2}, stride: []int{math.MaxInt, 1}}, "more elements than its storage"},
		// A zero stride repeats one element: a huge tensor from a tiny storage.
		"more elements than the storage": {&pthTensor{storage: st, offset: 0, size: []int{1 << 20, 1 << 20}, stride: []int{0, 0}}, "more elements than its storage of 7"},
		"strides for other dimensions":   {&pthTensor{storage: st, offset: 0, size: []int{2}, stride: []int{1, 1}}, "2 strides for 1 dimensions"},
	} {
		if _, _, err := c.pt.gather(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", name, err, c.want)
		}
	}
}
