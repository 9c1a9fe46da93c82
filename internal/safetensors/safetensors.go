// Package safetensors reads and writes the safetensors format
// (https://github.com/huggingface/safetensors): an 8-byte little-endian
// header length, a JSON header mapping tensor names to dtype, shape and byte
// offsets (plus an optional "__metadata__" string map), then the raw
// little-endian tensor bytes. colorize stores weights, optimizer state and
// run metadata in it so that other tools (PyTorch, NumPy) can read them.
//
// Only the dtypes colorize uses are supported: F32, F64 and I64.
package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
)

// Tensor is one named array. Exactly one of F32, F64 and I64 is set.
type Tensor struct {
	Shape []int
	F32   []float32
	F64   []float64
	I64   []int64
}

// File is the content of a safetensors file.
type File struct {
	Tensors  map[string]Tensor
	Metadata map[string]string
}

// maxHeader bounds the JSON header so a corrupt length cannot make us
// allocate gigabytes.
const maxHeader = 100 << 20

type entry struct {
	DType   string   `json:"dtype"`
	Shape   []int    `json:"shape"`
	Offsets [2]int64 `json:"data_offsets"`
}

func (t Tensor) dtype() (string, int, error) {
	set := 0
	var name string
	var n int
	if t.F32 != nil {
		set, name, n = set+1, "F32", len(t.F32)
	}
	if t.F64 != nil {
		set, name, n = set+1, "F64", len(t.F64)
	}
	if t.I64 != nil {
		set, name, n = set+1, "I64", len(t.I64)
	}
	if set != 1 {
		return "", 0, errors.New("exactly one of F32, F64, I64 must be set")
	}
	return name, n, nil
}

// maxNumel bounds the values of one tensor (2^31−1: 8 GiB of F32).
const maxNumel = math.MaxInt32

// numel is the number of values of shape, an error for negative dimensions
// or a product beyond maxNumel (computed without overflow).
func numel(shape []int) (int, error) {
	n := 1
	for _, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("shape %v has a negative dimension", shape)
		}
		if d > 0 && n > maxNumel/d {
			return 0, fmt.Errorf("shape %v holds more than %d values", shape, maxNumel)
		}
		n *= d
	}
	return n, nil
}

// Encode writes f to w. Tensors are laid out in name order, so the same File
// always produces the same bytes.
func Encode(w io.Writer, f File) error {
	names := make([]string, 0, len(f.Tensors))
	for name := range f.Tensors {
		if name == "__metadata__" {
			return errors.New(`safetensors: tensor name "__metadata__" is reserved`)
		}
		names = append(names, name)
	}
	sort.Strings(names)
	header := map[string]any{}
	if len(f.Metadata) > 0 {
		header["__metadata__"] = f.Metadata
	}
	var off int64
	for _, name := range names {
		t := f.Tensors[name]
		dt, n, err := t.dtype()
		if err != nil {
			return fmt.Errorf("safetensors: tensor %q: %w", name, err)
		}
		want, err := numel(t.Shape)
		if err != nil || want != n {
			return fmt.Errorf("safetensors: tensor %q: shape %v holds %d values, data has %d", name, t.Shape, want, n)
		}
		size := int64(n) * 4
		if dt != "F32" {
			size = int64(n) * 8
		}
		shape := t.Shape
		if shape == nil {
			shape = []int{}
		}
		header[name] = entry{DType: dt, Shape: shape, Offsets: [2]int64{off, off + size}}
		off += size
	}
	hdr, err := json.Marshal(header)
	if err != nil {
		return err
	}
	// Pad the header with spaces to 8 bytes so the data is aligned.
	for len(hdr)%8 != 0 {
		hdr = append(hdr, ' ')
	}
	var lenBuf [8]byte
	binary.LittleEndian.PutUint64(lenBuf[:], uint64(len(hdr)))
	if _, err := w.Write(lenBuf[:]); err != nil {
		return err
	}
	if _, err := w.Write(hdr); err != nil {
		return err
	}
	buf := make([]byte, 0, 1<<16)
	flush := func() error {
		_, err := w.Write(buf)
		buf = buf[:0]
		return err
	}
	for _, name := range names {
		t := f.Tensors[name]
		switch {
		case t.F32 != nil:
			for _, v := range t.F32 {
				buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
				if len(buf) >= 1<<16 {
					if err := flush(); err != nil {
						return err
					}
				}
			}
		case t.F64 != nil:
			for _, v := range t.F64 {
				buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(v))
				if len(buf) >= 1<<16 {
					if err := flush(); err != nil {
						return err
					}
				}
			}
		default:
			for _, v := range t.I64 {
				buf = binary.LittleEndian.AppendUint64(buf, uint64(v))
				if len(buf) >= 1<<16 {
					if err := flush(); err != nil {
						return err
					}
				}
			}
		}
	}
	return flush()
}

// Decode parses a whole safetensors file held in data. Nothing in the
// header is trusted: the header length must fit in data, every tensor's
// offsets must match its shape and dtype, and the tensors must tile the data
// section exactly, in order, without overlaps or holes (as the format
// requires), so that the values allocated never exceed the bytes present.
func Decode(data []byte) (File, error) {
	if len(data) < 8 {
		return File{}, fmt.Errorf("truncated: %d bytes, not even the 8-byte header length", len(data))
	}
	hlen := binary.LittleEndian.Uint64(data[:8])
	if hlen > uint64(len(data)-8) {
		return File{}, fmt.Errorf("header claims %d bytes, file holds %d after the header length", hlen, len(data)-8)
	}
	if hlen > maxHeader {
		return File{}, fmt.Errorf("header claims %d bytes, more than the %d allowed", hlen, maxHeader)
	}
	var raw map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(data[8 : 8+hlen]))
	if err := dec.Decode(&raw); err != nil {
		return File{}, fmt.Errorf("corrupt header: %w", err)
	}
	if rest := bytes.TrimLeft(data[8+dec.InputOffset():8+hlen], " \t\r\n"); len(rest) > 0 {
		return File{}, fmt.Errorf("corrupt header: %d bytes after the JSON object", len(rest))
	}
	body := data[8+hlen:]
	f := File{Tensors: map[string]Tensor{}}
	type span struct {
		name   string
		e      entry
		n      int
		lo, hi int64
	}
	spans := make([]span, 0, len(raw))
	for name, msg := range raw {
		if name == "__metadata__" {
			if err := json.Unmarshal(msg, &f.Metadata); err != nil {
				return File{}, fmt.Errorf("corrupt metadata (want a map of strings): %w", err)
			}
			continue
		}
		var e entry
		if err := json.Unmarshal(msg, &e); err != nil {
			return File{}, fmt.Errorf("tensor %q: corrupt header entry: %w", name, err)
		}
		n, err := numel(e.Shape)
		if err != nil {
			return File{}, fmt.Errorf("tensor %q: %w", name, err)
		}
		width := map[string]int64{"F32": 4, "F64": 8, "I64": 8}[e.DType]
		if width == 0 {
			return File{}, fmt.Errorf("tensor %q: unsupported dtype %q (want F32, F64 or I64)", name, e.DType)
		}
		lo, hi := e.Offsets[0], e.Offsets[1]
		if lo < 0 || hi < lo || hi-lo != int64(n)*width {
			return File{}, fmt.Errorf("tensor %q: data_offsets %v span %d bytes, shape %v of %s needs %d", name, e.Offsets, hi-lo, e.Shape, e.DType, int64(n)*width)
		}
		if hi > int64(len(body)) {
			return File{}, fmt.Errorf("tensor %q: truncated: header claims bytes %d to %d of the data, file holds %d", name, lo, hi, len(body))
		}
		spans = append(spans, span{name, e, n, lo, hi})
	}
	// The tensors must tile the data section: sorted by offset, each starts
	// where the previous one ended and the last ends with the file. Empty
	// tensors take no bytes and may sit anywhere in that sequence.
	sort.Slice(spans, func(i, j int) bool {
		if spans[i].lo != spans[j].lo {
			return spans[i].lo < spans[j].lo
		}
		if spans[i].hi != spans[j].hi {
			return spans[i].hi < spans[j].hi
		}
		return spans[i].name < spans[j].name
	})
	var end int64
	for _, s := range spans {
		if s.lo != end {
			if s.lo < end {
				return File{}, fmt.Errorf("tensor %q: data_offsets %v overlap the previous tensor, which ends at %d", s.name, s.e.Offsets, end)
			}
			return File{}, fmt.Errorf("tensor %q: data_offsets %v leave a hole after byte %d of the data", s.name, s.e.Offsets, end)
		}
		end = s.hi
	}
	if end != int64(len(body)) {
		return File{}, fmt.Errorf("the tensors end at byte %d of the data, file holds %d", end, len(body))
	}
	for _, s := range spans {
		b := body[s.lo:s.hi]
		t := Tensor{Shape: s.e.Shape}
		if t.Shape == nil {
			t.Shape = []int{}
		}
		switch s.e.DType {
		case "F32":
			t.F32 = make([]float32, s.n)
			for i := range t.F32 {
				t.F32[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
			}
		case "F64":
			t.F64 = make([]float64, s.n)
			for i := range t.F64 {
				t.F64[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
			}
		case "I64":
			t.I64 = make([]int64, s.n)
			for i := range t.I64 {
				t.I64[i] = int64(binary.LittleEndian.Uint64(b[8*i:]))
			}
		}
		f.Tensors[s.name] = t
	}
	return f, nil
}

// ReadFile reads and decodes the safetensors file at path; errors name the
// file. Only regular files are read, so a device or a pipe cannot feed it
// without end.
func ReadFile(path string) (File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return File{}, err
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return File{}, err
	}
	if !st.Mode().IsRegular() {
		return File{}, fmt.Errorf("%s: not a regular file", path)
	}
	data := make([]byte, st.Size())
	if _, err := io.ReadFull(fh, data); err != nil {
		return File{}, fmt.Errorf("%s: %w", path, err)
	}
	f, err := Decode(data)
	if err != nil {
		return File{}, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// ReadMetadata reads only the header of the safetensors file at path and
// returns its "__metadata__" map, without reading the tensors.
func ReadMetadata(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var lenBuf [8]byte
	if _, err := io.ReadFull(f, lenBuf[:]); err != nil {
		return nil, fmt.Errorf("%s: truncated: not even a header length", path)
	}
	hlen := binary.LittleEndian.Uint64(lenBuf[:])
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if hlen > maxHeader || hlen > uint64(st.Size()-8) {
		return nil, fmt.Errorf("%s: corrupt or truncated: header length %d, file has %d bytes", path, hlen, st.Size())
	}
	header := make([]byte, hlen)
	if _, err := io.ReadFull(f, header); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var raw struct {
		Metadata map[string]string `json:"__metadata__"`
	}
	if err := json.Unmarshal(header, &raw); err != nil {
		return nil, fmt.Errorf("%s: corrupt header: %w", path, err)
	}
	return raw.Metadata, nil
}
