package safetensors

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func sample() File {
	return File{
		Tensors: map[string]Tensor{
			"g.w":   {Shape: []int{2, 3}, F32: []float32{1, 2, 3, 4, 5, -6.5}},
			"step":  {Shape: []int{}, I64: []int64{42}},
			"stats": {Shape: []int{2}, F64: []float64{0.25, -1e300}},
		},
		Metadata: map[string]string{"config": "train:\n  lr: 1e-4\n"},
	}
}

func TestRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	if err := Encode(&buf, sample()); err != nil {
		t.Fatal(err)
	}
	if binary.LittleEndian.Uint64(buf.Bytes()[:8])%8 != 0 {
		t.Error("header not padded to 8 bytes")
	}
	got, err := Decode(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, sample()) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, sample())
	}
}

func TestTruncatedAndCorrupt(t *testing.T) {
	var buf bytes.Buffer
	if err := Encode(&buf, sample()); err != nil {
		t.Fatal(err)
	}
	full := buf.Bytes()
	for _, n := range []int{0, 5, 8, 20, len(full) - 1} {
		if _, err := Decode(full[:n]); err == nil {
			t.Errorf("truncated to %d bytes: no error", n)
		}
	}
	bad := append([]byte(nil), full...)
	copy(bad[8:], "{{{{")
	if _, err := Decode(bad); err == nil || !strings.Contains(err.Error(), "corrupt") {
		t.Errorf("corrupt header: err = %v", err)
	}
	huge := append([]byte(nil), full...)
	binary.LittleEndian.PutUint64(huge, 1<<40)
	if _, err := Decode(huge); err == nil {
		t.Error("absurd header length accepted")
	}
}

func TestEncodeRejectsShapeMismatch(t *testing.T) {
	err := Encode(&bytes.Buffer{}, File{Tensors: map[string]Tensor{"x": {Shape: []int{3}, F32: []float32{1}}}})
	if err == nil || !strings.Contains(err.Error(), `"x"`) {
		t.Fatalf("err = %v", err)
	}
}

// TestReadableByNumPy checks the layout against an independent reader: the
// format's definition implemented in a few lines of Python with NumPy.
func TestReadableByNumPy(t *testing.T) {
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import numpy").Run(); err != nil {
		t.Skip("needs /usr/bin/python3 with numpy (apt python3-numpy)")
	}
	path := filepath.Join(t.TempDir(), "x.safetensors")
	var buf bytes.Buffer
	if err := Encode(&buf, sample()); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	script := `
import json, struct, sys, numpy as np
raw = open(sys.argv[1], 'rb').read()
n = struct.unpack('<Q', raw[:8])[0]
h = json.loads(raw[8:8+n]); body = raw[8+n:]
dt = {'F32': '<f4', 'F64': '<f8', 'I64': '<i8'}
for k in sorted(h):
    if k == '__metadata__': print('meta', h[k]['config'].split()[0]); continue
    a, b = h[k]['data_offsets']
    v = np.frombuffer(body[a:b], dtype=dt[h[k]['dtype']]).reshape(h[k]['shape'])
    print(k, v.shape, float(v.sum()))
`
	out, err := exec.Command(py, "-c", script, path).CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	want := "meta train:\ng.w (2, 3) 8.5\nstats (2,) -1e+300\nstep () 42.0\n"
	if string(out) != want {
		t.Fatalf("python read:\n%s\nwant:\n%s", out, want)
	}
}

// header builds a file from a raw JSON header and a data section.
func header(json string, body []byte) []byte {
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(json)))
	return append(append(out, json...), body...)
}

// TestLyingLengths: every length in the header is checked against the bytes
// present before anything is allocated, and the error says what was claimed
// and what is there.
func TestLyingLengths(t *testing.T) {
	var buf bytes.Buffer
	if err := Encode(&buf, sample()); err != nil {
		t.Fatal(err)
	}
	full := buf.Bytes()
	claims4G := append([]byte(nil), full[:400]...)
	binary.LittleEndian.PutUint64(claims4G, 1<<32)
	for name, c := range map[string]struct {
		data []byte
		want string
	}{
		"header longer than the file": {claims4G, "header claims 4294967296 bytes, file holds 392"},
		"truncated data":              {full[:len(full)-4], `header claims bytes`},
		"shape product overflows":     {header(`{"x":{"dtype":"F32","shape":[4294967296,4294967296,16],"data_offsets":[0,4]}}`, make([]byte, 4)), "more than 2147483647 values"},
		"negative dimension":          {header(`{"x":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}`, make([]byte, 4)), "negative dimension"},
		"offsets disagree with shape": {header(`{"x":{"dtype":"F32","shape":[1000000],"data_offsets":[0,4]}}`, make([]byte, 4)), "needs 4000000"},
		"offsets past the data": {header(`{"x":{"dtype":"F32","shape":[1000000],"data_offsets":[0,4000000]}}`, make([]byte, 4)),
			"header claims bytes 0 to 4000000 of the data, file holds 4"},
		// Two tensors on the same bytes would let a small file decode into
		// many copies of its data.
		"overlapping tensors":         {header(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, make([]byte, 4)), "overlap"},
		"hole between tensors":        {header(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}`, make([]byte, 12)), "hole"},
		"bytes after the last tensor": {header(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, make([]byte, 8)), "end at byte 4 of the data, file holds 8"},
		"junk after the header JSON":  {header(`{}x`, nil), "after the JSON"},
		"unsupported dtype":           {header(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}`, make([]byte, 1)), `unsupported dtype "U8"`},
		"metadata not strings":        {header(`{"__metadata__":{"a":1}}`, nil), "metadata"},
	} {
		_, err := Decode(c.data)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", name, err, c.want)
		}
	}
}

func TestReadFileNamesTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.safetensors")
	if err := os.WriteFile(path, header(`{"x":{"dtype":"F32","shape":[9],"data_offsets":[0,36]}}`, nil), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile(path); err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), `"x"`) {
		t.Errorf("error %v should name the file and the tensor", err)
	}
	if _, err := ReadFile(t.TempDir()); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("a folder: error %v", err)
	}
}

// TestEmptyTensors: zero-sized tensors take no bytes and may sit anywhere.
func TestEmptyTensors(t *testing.T) {
	f := File{Tensors: map[string]Tensor{"a": {Shape: []int{0, 3}, F32: []float32{}}, "b": {Shape: []int{2}, I64: []int64{1, 2}}, "c": {Shape: []int{0}, F64: []float64{}}}}
	var buf bytes.Buffer
	if err := Encode(&buf, f); err != nil {
		t.Fatal(err)
	}
	got, err := Decode(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Tensors) != 3 || !reflect.DeepEqual(got.Tensors["b"].I64, []int64{1, 2}) {
		t.Errorf("decoded %+v", got)
	}
}

func TestReadMetadataReadsOnlyTheHeader(t *testing.T) {
	var buf bytes.Buffer
	if err := Encode(&buf, sample()); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "a.safetensors")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	md, err := ReadMetadata(path)
	if err != nil || !reflect.DeepEqual(md, sample().Metadata) {
		t.Fatalf("metadata %v, err %v; want %v", md, err, sample().Metadata)
	}
	// The tensors are not read: a file cut right after its header still
	// gives its metadata, and a cut header is an error naming the file.
	hlen := binary.LittleEndian.Uint64(buf.Bytes()[:8])
	os.WriteFile(path, buf.Bytes()[:8+hlen], 0o644)
	if _, err := ReadMetadata(path); err != nil {
		t.Errorf("header only: %v", err)
	}
	os.WriteFile(path, buf.Bytes()[:8+hlen-1], 0o644)
	if _, err := ReadMetadata(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("cut header: err = %v", err)
	}
}
