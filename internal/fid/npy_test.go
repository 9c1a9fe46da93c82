package fid

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/colorize-dev/colorize/internal/fuzzguard"
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

// npyHeader is a version 1.0 .npy preamble with the given header text.
func npyHeader(h string) []byte {
	b := append([]byte(npyMagic), 1, 0, byte(len(h)), byte(len(h)>>8))
	return append(b, h...)
}

// TestNPYLyingLengths: a header that claims more data than there is, or a
// shape whose size overflows, is an error saying so, and reading it
// allocates in proportion to the bytes present, not to the claim.
func TestNPYLyingLengths(t *testing.T) {
	for name, c := range map[string]struct {
		in   []byte
		want string
	}{
		"shape product overflows": {npyHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296, 16), }\n"), "holds more than 2147483647 values"},
		"claims 8 GiB, holds 16 bytes": {append(npyHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (1073741824,), }\n"), make([]byte, 16)...),
			"needs 8589934592 bytes, only 16 are there"},
		"header longer than the file": {append([]byte(npyMagic), 2, 0, 0xff, 0xff, 0x0f, 0), "header: needs 1048575 bytes, only 0 are there"},
		"header beyond the cap":       {append([]byte(npyMagic), 2, 0, 0xff, 0xff, 0xff, 0xff), "header claims 4294967295 bytes, more than the 1048576 allowed"},
		"data after the values":       {append(npyHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }\n"), make([]byte, 8)...), "more data follows"},
		"unterminated descr":          {npyHeader("{'descr': '<f8, 'fortran_order': False, 'shape': (1,), }\n"), "malformed header"},
		"unknown key":                 {npyHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), 'x': 1}\n"), "unknown key x"},
		"negative dimension":          {npyHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (-1,), }\n"), "malformed header"},
	} {
		var err error
		used := fuzzguard.Measure(func() { _, err = ReadNPY(bytes.NewReader(c.in)) })
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", name, err, c.want)
		}
		if used > 1<<20 {
			t.Errorf("%s: reading %d bytes allocated %d", name, len(c.in), used)
		}
	}
}

// zipOf builds a zip with the given entries, each deflated.
func zipOf(t *testing.T, entries map[string][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, data := range entries {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func npyBytes(t *testing.T, a Array) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteNPY(&buf, a); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestNPZLyingLengths: entries are read only as far as their shapes need;
// an entry that inflates beyond its shape, claims more than deflate can
// give, or has a shape no statistics have is refused, naming the file and
// the entry, without allocating what it claims.
func TestNPZLyingLengths(t *testing.T) {
	mu := npyBytes(t, Array{[]int{2}, []float64{1, 2}})
	sigma := npyBytes(t, Array{[]int{2, 2}, []float64{1, 0, 0, 1}})
	// 64 MiB of zeros after sigma's four values deflate to about 64 KiB.
	bomb := append(append([]byte(nil), sigma...), make([]byte, 64<<20)...)
	// A stored mu entry whose zip header claims 64 GiB.
	var lie bytes.Buffer
	zw := zip.NewWriter(&lie)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "mu.npy", Method: zip.Deflate, CompressedSize64: 10, UncompressedSize64: 64 << 30})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(make([]byte, 10))
	zw.Close()
	huge := npyHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (4096, 4096), }\n")
	dir := t.TempDir()
	for name, c := range map[string]struct {
		data []byte
		want string
	}{
		"entry inflates beyond its shape": {zipOf(t, map[string][]byte{"mu.npy": mu, "sigma.npy": bomb}), "sigma.npy: npy: shape [2 2] of <f8: more data follows"},
		"header claims 64 GiB":            {lie.Bytes(), "mu.npy: zip header claims 68719476736 bytes from 10 compressed, beyond deflate's 1032-fold limit"},
		"sigma too wide":                  {zipOf(t, map[string][]byte{"mu.npy": mu, "sigma.npy": huge}), "sigma.npy: shape [4096 4096], want dimensions D in [1, 2048]"},
		"sigma truncated":                 {zipOf(t, map[string][]byte{"mu.npy": mu, "sigma.npy": sigma[:len(sigma)-8]}), "needs 32 bytes, only 24 are there"},
		"mu not a vector":                 {zipOf(t, map[string][]byte{"mu.npy": sigma, "sigma.npy": sigma}), "mu.npy: shape [2 2], want 1 dimension(s)"},
		"mu missing":                      {zipOf(t, map[string][]byte{"sigma.npy": sigma}), "want arrays mu and sigma"},
		"D disagrees":                     {zipOf(t, map[string][]byte{"mu.npy": npyBytes(t, Array{[]int{3}, []float64{1, 2, 3}}), "sigma.npy": sigma}), "not D and D×D"},
		"not finite":                      {zipOf(t, map[string][]byte{"mu.npy": npyBytes(t, Array{[]int{2}, []float64{1, math.NaN()}}), "sigma.npy": sigma}), "non-finite"},
	} {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".npz")
		if err := os.WriteFile(path, c.data, 0o644); err != nil {
			t.Fatal(err)
		}
		var err error
		used := fuzzguard.Measure(func() { _, err = LoadStats(path) })
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: error %v, want one naming the file and containing %q", name, err, c.want)
		}
		if used > 4<<20 {
			t.Errorf("%s: reading %d bytes allocated %d", name, len(c.data), used)
		}
	}
}
