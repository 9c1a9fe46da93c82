package fid

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
)

func TestNPYRoundTrip(t *testing.T) {
	for _, shape := range [][]int{{5}, {3, 4}, {2, 1, 3}, {0}} {
		a := Array{Shape: shape, Data: make([]float64, size(shape))}
		for i := range a.Data {
			a.Data[i] = float64(i)*1.25 - 3 + math.SmallestNonzeroFloat64
		}
		var buf bytes.Buffer
		if err := WriteNPY(&buf, a); err != nil {
			t.Fatal(err)
		}
		if hdr := buf.Len() - 8*len(a.Data); hdr%64 != 0 {
			t.Errorf("shape %v: data starts at byte %d, want a multiple of 64", shape, hdr)
		}
		b, err := ReadNPY(&buf)
		if err != nil {
			t.Fatalf("shape %v: %v", shape, err)
		}
		if !equalShape(a.Shape, b.Shape) {
			t.Fatalf("shape %v read back as %v", a.Shape, b.Shape)
		}
		for i := range a.Data {
			if a.Data[i] != b.Data[i] {
				t.Fatalf("shape %v: value %d %g read back as %g", shape, i, a.Data[i], b.Data[i])
			}
		}
	}
}

func TestNPYErrors(t *testing.T) {
	for name, in := range map[string]string{
		"bad magic": "\x93NUMPX\x01\x00",
		"int dtype": "\x93NUMPY\x01\x00\x46\x00{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }          \n",
		"truncated": "\x93NUMPY\x01\x00\x46\x00{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }          \n\x00\x00",
	} {
		if _, err := ReadNPY(strings.NewReader(in)); err == nil {
			t.Errorf("%s: want an error", name)
		}
	}
}

// TestNPYFortranOrder reads a Fortran-ordered array written by numpy.
func TestNPYFortranOrder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.npy")
	var want []float64
	if err := json.Unmarshal(runPy(t, "ref.py", "fortran", path), &want); err != nil {
		t.Fatal(err)
	}
	a := readNPYFile(t, path)
	if !equalShape(a.Shape, []int{3, 4}) {
		t.Fatalf("shape %v, want [3 4]", a.Shape)
	}
	for i := range want {
		if a.Data[i] != want[i] {
			t.Fatalf("value %d: %g, want %g (all %v)", i, a.Data[i], want[i], a.Data)
		}
	}
}

// TestLoadStatsFromNumpy reads statistics numpy computed and saved with
// np.savez_compressed, as pytorch-fid --save-stats does.
func TestLoadStatsFromNumpy(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	feats := randomFeatures(rng, 40, 16, 1, 2)
	dir := t.TempDir()
	fp := filepath.Join(dir, "f.npy")
	a := Array{Shape: []int{40, 16}}
	for _, f := range feats {
		for _, v := range f {
			a.Data = append(a.Data, float64(v))
		}
	}
	var buf bytes.Buffer
	if err := WriteNPY(&buf, a); err != nil {
		t.Fatal(err)
	}
	if err := writeFile(fp, buf.Bytes()); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "s.npz")
	runPy(t, "ref.py", "stats", fp, out)
	got, err := LoadStats(out)
	if err != nil {
		t.Fatal(err)
	}
	want, err := ComputeStats(feats)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want.Mu {
		if math.Abs(got.Mu[i]-want.Mu[i]) > 1e-12*(1+math.Abs(want.Mu[i])) {
			t.Fatalf("mu[%d] = %g, ours %g", i, got.Mu[i], want.Mu[i])
		}
	}
	for i := range want.Sigma {
		if math.Abs(got.Sigma[i]-want.Sigma[i]) > 1e-12*(1+math.Abs(want.Sigma[i])) {
			t.Fatalf("sigma[%d] = %g, ours %g", i, got.Sigma[i], want.Sigma[i])
		}
	}
	// And our own file reads back identically.
	p := filepath.Join(dir, "ours.npz")
	if err := SaveStats(p, want); err != nil {
		t.Fatal(err)
	}
	back, err := LoadStats(p)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want.Sigma {
		if back.Sigma[i] != want.Sigma[i] {
			t.Fatalf("sigma[%d] round trip %g → %g", i, want.Sigma[i], back.Sigma[i])
		}
	}
}

func TestLoadStatsErrors(t *testing.T) {
	if _, err := LoadStats(filepath.Join(t.TempDir(), "none.npz")); err == nil || !strings.Contains(err.Error(), "none.npz") {
		t.Errorf("missing file: error %v should name the file", err)
	}
	if err := SaveStats(filepath.Join(t.TempDir(), "x.npz"), Stats{Mu: []float64{1, 2}, Sigma: []float64{1}}); err == nil {
		t.Error("inconsistent statistics: want an error")
	}
}
