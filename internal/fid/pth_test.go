package fid

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/colorize-dev/colorize/internal/fuzzguard"
)

// tinyWant is the float tensors testdata/pth.py puts into its files.
var tinyWant = map[string]Tensor{
	"w":  {[]int{2, 3}, []float32{-1, -0.5, 0, 0.5, 1, 1.5}},
	"wt": {[]int{3, 2}, []float32{-1, 0.5, -0.5, 1, 0, 1.5}},
	"d":  {[]int{2}, []float32{0.25, -3}},
	"h":  {[]int{3}, []float32{1, -2, 0.5}},
	"b":  {[]int{2}, []float32{2, -0.75}},
	"e":  {[]int{0, 4}, []float32{}},
	"s":  {[]int{}, []float32{7.5}},
}

func checkTiny(t *testing.T, path string, got map[string]Tensor) {
	t.Helper()
	if len(got) != len(tinyWant) {
		t.Fatalf("%s: tensors %v, want %d (the int64 one skipped)", path, sortedKeys(got), len(tinyWant))
	}
	for name, want := range tinyWant {
		g := got[name]
		if !equalShape(g.Shape, want.Shape) || len(g.Data) != len(want.Data) {
			t.Fatalf("%s: %s has shape %v and %d values, want %v", path, name, g.Shape, len(g.Data), want.Shape)
		}
		for i := range want.Data {
			if g.Data[i] != want.Data[i] {
				t.Fatalf("%s: %s = %v, want %v", path, name, g.Data, want.Data)
			}
		}
	}
}

// TestTinyPTH reads both formats torch.save writes, with float32, float64,
// float16 and bfloat16 storages, a strided view, an empty and a 0-d tensor.
func TestTinyPTH(t *testing.T) {
	for _, name := range []string{"tiny_legacy.pth", "tiny_zip.pth"} {
		path := filepath.Join("testdata", name)
		sd, err := LoadStateDict(path)
		if err != nil {
			t.Fatal(err)
		}
		checkTiny(t, path, sd)
	}
}

// TestTinyPTHFromTorch: files torch writes now read the same (the files in
// testdata came from the same script).
func TestTinyPTHFromTorch(t *testing.T) {
	dir := t.TempDir()
	runPy(t, "pth.py", dir)
	for _, name := range []string{"tiny_legacy.pth", "tiny_zip.pth"} {
		path := filepath.Join(dir, name)
		sd, err := LoadStateDict(path)
		if err != nil {
			t.Fatal(err)
		}
		checkTiny(t, path, sd)
	}
}

// legacyDataStart is where the storages of a legacy file begin: after its
// five pickles.
func legacyDataStart(t *testing.T, data []byte) int {
	t.Helper()
	pos := 0
	for range 5 {
		n, err := scanPickle(data[pos:])
		if err != nil {
			t.Fatal(err)
		}
		pos += n
	}
	return pos
}

// rezip rewrites a zip, letting edit change each entry's content.
func rezip(t *testing.T, data []byte, edit func(name string, b []byte) []byte) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Store})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(edit(f.Name, b))
	}
	zw.Close()
	return buf.Bytes()
}

// zipWith is a zip of one stored entry.
func zipWith(t *testing.T, name string, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(b)
	zw.Close()
	return buf.Bytes()
}

// TestPTHLyingLengths: storages shorter or longer than their pickle claims,
// lengths in the pickle beyond the file, and zip headers that lie are
// errors naming the file and the storage, found without allocating what is
// claimed.
func TestPTHLyingLengths(t *testing.T) {
	legacy, err := os.ReadFile(filepath.Join("testdata", "tiny_legacy.pth"))
	if err != nil {
		t.Fatal(err)
	}
	zipped, err := os.ReadFile(filepath.Join("testdata", "tiny_zip.pth"))
	if err != nil {
		t.Fatal(err)
	}
	start := legacyDataStart(t, legacy)
	hugeCount := append([]byte(nil), legacy...)
	binary.LittleEndian.PutUint64(hugeCount[start:], 1<<40)
	var lie bytes.Buffer
	zw := zip.NewWriter(&lie)
	w, _ := zw.CreateRaw(&zip.FileHeader{Name: "a/data.pkl", Method: zip.Deflate, CompressedSize64: 4, UncompressedSize64: 1 << 40})
	w.Write([]byte{1, 2, 3, 4})
	zw.Close()
	bigBytes := append([]byte("\x80\x02\x8e"), binary.LittleEndian.AppendUint64(nil, 1<<60)...)
	dir := t.TempDir()
	for name, c := range map[string]struct {
		data []byte
		want string
	}{
		"legacy storage cut short": {legacy[:len(legacy)-4], "file holds"},
		"legacy count disagrees":   {hugeCount, "elements, the data 1099511627776"},
		"legacy bytes after":       {append(append([]byte(nil), legacy...), 0), "1 bytes after the last storage"},
		"zip storage shorter than its shape": {rezip(t, zipped, func(name string, b []byte) []byte {
			if strings.HasSuffix(name, "/data/0") {
				return b[:20]
			}
			return b
		}), "storage 0: the pickle claims 6 elements of FloatStorage (24 bytes), tiny_zip/data/0 holds 20 bytes"},
		"zip storage longer than its shape": {rezip(t, zipped, func(name string, b []byte) []byte {
			if strings.HasSuffix(name, "/data/1") {
				return append(b, 0, 0, 0, 0)
			}
			return b
		}), "tiny_zip/data/1: zip header claims 20 bytes, want at most 16"},
		"zip storage missing": {rezip(t, zipped, func(name string, b []byte) []byte {
			if strings.HasSuffix(name, "/data.pkl") {
				return bytes.ReplaceAll(b, []byte("X\x01\x00\x00\x000"), []byte("X\x01\x00\x00\x009"))
			}
			return b
		}), "storage 9: no zip entry tiny_zip/data/9"},
		"zip header claims 1 TiB":   {lie.Bytes(), "a/data.pkl: zip header claims 1099511627776 bytes from 4 compressed"},
		"pickle bytes beyond":       {zipWith(t, "a/data.pkl", append(bigBytes, '.')), "claims 1152921504606846976 bytes, 1 remain"},
		"pickle number too long":    {zipWith(t, "a/data.pkl", []byte("L"+strings.Repeat("9", 100000)+"\n.")), "a number of 100000 characters"},
		"pickle opcode unknown":     {zipWith(t, "a/data.pkl", []byte("\x80\x02\xff.")), "unknown opcode 0xff"},
		"pickle without stop":       {zipWith(t, "a/data.pkl", []byte("\x80\x02N")), "no STOP"},
		"zip without pickle":        {zipWith(t, "a/other", nil), "without data.pkl"},
		"torchscript":               {zipWith(t, "a/constants.pkl", nil), "TorchScript"},
		"neither zip nor legacy":    {[]byte("not a checkpoint"), "neither a zip nor a legacy"},
		"legacy magic number wrong": {append([]byte("\x80\x02K\x01."), legacy[20:]...), "wrong magic number"},
	} {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".pth")
		if err := os.WriteFile(path, c.data, 0o644); err != nil {
			t.Fatal(err)
		}
		var err error
		used := fuzzguard.Measure(func() { _, err = LoadStateDict(path) })
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: error %v, want one naming the file and containing %q", name, err, c.want)
		}
		if used > 1<<20 {
			t.Errorf("%s: reading %d bytes allocated %d", name, len(c.data), used)
		}
	}
}

// FuzzPTH reads arbitrary bytes as a .pth state dict (seeded with the two
// files torch wrote for testdata/pth.py): no panic, no allocation beyond
// the budget, and every tensor read has as many values as its shape.
func FuzzPTH(f *testing.F) {
	for _, name := range []string{"tiny_legacy.pth", "tiny_zip.pth"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("\x80\x02}q\x00."))
	f.Add(append([]byte("\x80\x02\x8e"), binary.LittleEndian.AppendUint64(nil, 1<<60)...))
	f.Fuzz(func(t *testing.T, data []byte) {
		var sd map[string]Tensor
		var err error
		fuzzguard.Check(t, len(data), func() {
			var obj any
			if obj, err = decodePTH(data); err == nil {
				sd, err = stateDict(obj)
			}
		})
		if err != nil {
			return
		}
		for name, tt := range sd {
			n := 1
			for _, d := range tt.Shape {
				n *= d
			}
			if n != len(tt.Data) {
				t.Fatalf("%s: shape %v with %d values", name, tt.Shape, len(tt.Data))
			}
		}
	})
}

// TestPTHUnpicklerPanics: pickles on which gopickle panics (found by
// FuzzPTH: a dict built from an odd number of items, a LONG1 of no bytes)
// are errors.
func TestPTHUnpicklerPanics(t *testing.T) {
	for in, want := range map[string]string{
		"}(K0u.":    "the unpickler failed",
		"((C\x00d.": "the unpickler failed",
		"\x8a\x00.": "an integer of no bytes",
	} {
		if _, err := decodePTH([]byte(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want one containing %q", in, err, want)
		}
	}
}
