package fid

import (
	"archive/zip"
	"bytes"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/colorize-dev/colorize/internal/fuzzguard"
)

// The seed corpora in testdata/fuzz hold files NumPy wrote (np.save of
// float64, big-endian Fortran-order float32, 0-d and empty arrays;
// np.savez and np.savez_compressed of mu and sigma) besides the crashers
// the fuzzers found; the functions below add files of colorize's writers.

// FuzzNPY reads arbitrary bytes as a .npy file: no panic, no allocation
// beyond the budget, and what reads writes back to an array that reads the
// same.
func FuzzNPY(f *testing.F) {
	for _, a := range []Array{{[]int{3}, []float64{1, -2.5, math.Inf(1)}}, {[]int{2, 2}, []float64{1, 2, 3, 4}}, {[]int{}, []float64{7}}} {
		var buf bytes.Buffer
		if err := WriteNPY(&buf, a); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes())
	}
	f.Add([]byte("\x93NUMPY\x02\x00\xff\xff\xff\xff"))
	f.Add([]byte("\x93NUMPY\x01\x00\x46\x00{'descr': '<f4', 'fortran_order': True, 'shape': (65536, 65536, 65536), }  \n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var a Array
		var err error
		fuzzguard.Check(t, len(data), func() { a, err = ReadNPY(bytes.NewReader(data)) })
		if err != nil {
			return
		}
		if n, err := numValues(a.Shape); err != nil || n != len(a.Data) {
			t.Fatalf("shape %v with %d values", a.Shape, len(a.Data))
		}
		var buf bytes.Buffer
		if err := WriteNPY(&buf, a); err != nil {
			t.Fatalf("an array read does not write: %v", err)
		}
		b, err := ReadNPY(&buf)
		if err != nil {
			t.Fatalf("an array written does not read: %v", err)
		}
		for i := range a.Data {
			if math.Float64bits(a.Data[i]) != math.Float64bits(b.Data[i]) {
				t.Fatalf("value %d: %v read back as %v", i, a.Data[i], b.Data[i])
			}
		}
	})
}

// FuzzNPZ reads arbitrary bytes as a statistics .npz: no panic, no
// allocation beyond the budget, and what reads is valid statistics.
func FuzzNPZ(f *testing.F) {
	dir := f.TempDir()
	path := filepath.Join(dir, "s.npz")
	if err := SaveStats(path, Stats{Mu: []float64{1, 2}, Sigma: []float64{2, 0.5, 0.5, 1}}); err != nil {
		f.Fatal(err)
	}
	saved, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(saved)
	// A stored (not deflated) entry whose header lies about its size.
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.CreateHeader(&zip.FileHeader{Name: "mu.npy", Method: zip.Store})
	WriteNPY(w, Array{[]int{2}, []float64{1, 2}})
	zw.Close()
	f.Add(buf.Bytes())
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		var s Stats
		var err error
		fuzzguard.Check(t, len(data), func() { s, err = readStats(bytes.NewReader(data), int64(len(data))) })
		if err != nil {
			return
		}
		if err := s.validate(); err != nil {
			t.Fatalf("statistics read are invalid: %v", err)
		}
	})
}
