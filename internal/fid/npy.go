package fid

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/colorize-dev/colorize/internal/atomicfile"
)

// Array is an n-dimensional array of a NumPy .npy file, held as float64 in
// row-major (C) order whatever the file's float type and order.
type Array struct {
	Shape []int
	Data  []float64
}

const npyMagic = "\x93NUMPY"

// WriteNPY writes a as a version 1.0 .npy file of little-endian float64
// ('<f8', C order), what np.save writes for a float64 array.
func WriteNPY(w io.Writer, a Array) error {
	if size(a.Shape) != len(a.Data) {
		return fmt.Errorf("npy: shape %v does not hold %d values", a.Shape, len(a.Data))
	}
	dims := make([]string, len(a.Shape))
	for i, d := range a.Shape {
		dims[i] = strconv.Itoa(d)
	}
	shape := strings.Join(dims, ", ")
	if len(a.Shape) == 1 {
		shape += ","
	}
	header := fmt.Sprintf("{'descr': '<f8', 'fortran_order': False, 'shape': (%s), }", shape)
	// Pad with spaces so that data starts at a multiple of 64 bytes, ending
	// the header with a newline, as NumPy does.
	total := len(npyMagic) + 2 + 2 + len(header) + 1
	header += strings.Repeat(" ", (64-total%64)%64) + "\n"
	if len(header) > math.MaxUint16 {
		return fmt.Errorf("npy: header of %d bytes too long", len(header))
	}
	buf := make([]byte, 0, 10+len(header)+8*len(a.Data))
	buf = append(buf, npyMagic...)
	buf = append(buf, 1, 0)
	buf = binary.LittleEndian.AppendUint16(buf, uint16(len(header)))
	buf = append(buf, header...)
	for _, v := range a.Data {
		buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(v))
	}
	_, err := w.Write(buf)
	return err
}

// ReadNPY reads a .npy file of float32 or float64 values (either byte order,
// C or Fortran order).
func ReadNPY(r io.Reader) (Array, error) {
	var pre [8]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		return Array{}, fmt.Errorf("npy: %w", err)
	}
	if string(pre[:6]) != npyMagic {
		return Array{}, errors.New("npy: not a .npy file (bad magic)")
	}
	var hlen int
	switch pre[6] {
	case 1:
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return Array{}, fmt.Errorf("npy: %w", err)
		}
		hlen = int(binary.LittleEndian.Uint16(b[:]))
	case 2, 3:
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return Array{}, fmt.Errorf("npy: %w", err)
		}
		hlen = int(binary.LittleEndian.Uint32(b[:]))
	default:
		return Array{}, fmt.Errorf("npy: unsupported format version %d.%d", pre[6], pre[7])
	}
	if hlen > 1<<20 {
		return Array{}, fmt.Errorf("npy: header length %d implausible", hlen)
	}
	hb := make([]byte, hlen)
	if _, err := io.ReadFull(r, hb); err != nil {
		return Array{}, fmt.Errorf("npy: header: %w", err)
	}
	descr, fortran, shape, err := parseNPYHeader(string(hb))
	if err != nil {
		return Array{}, err
	}
	var order binary.ByteOrder = binary.LittleEndian
	if descr[0] == '>' {
		order = binary.BigEndian
	}
	n := size(shape)
	var data []float64
	switch descr[1:] {
	case "f8":
		raw := make([]byte, 8*n)
		if _, err := io.ReadFull(r, raw); err != nil {
			return Array{}, fmt.Errorf("npy: data: %w", err)
		}
		data = make([]float64, n)
		for i := range data {
			data[i] = math.Float64frombits(order.Uint64(raw[8*i:]))
		}
	case "f4":
		raw := make([]byte, 4*n)
		if _, err := io.ReadFull(r, raw); err != nil {
			return Array{}, fmt.Errorf("npy: data: %w", err)
		}
		data = make([]float64, n)
		for i := range data {
			data[i] = float64(math.Float32frombits(order.Uint32(raw[4*i:])))
		}
	default:
		return Array{}, fmt.Errorf("npy: dtype %q not supported (want float32 or float64)", descr)
	}
	if fortran && len(shape) > 1 {
		data = fromFortran(data, shape)
	}
	return Array{Shape: shape, Data: data}, nil
}

// parseNPYHeader reads the Python dict literal of a .npy header.
func parseNPYHeader(h string) (descr string, fortran bool, shape []int, err error) {
	field := func(key string) (string, error) {
		i := strings.Index(h, "'"+key+"'")
		if i < 0 {
			return "", fmt.Errorf("npy: header %q has no %s", h, key)
		}
		rest := strings.TrimSpace(h[i+len(key)+2:])
		if !strings.HasPrefix(rest, ":") {
			return "", fmt.Errorf("npy: malformed header %q", h)
		}
		return strings.TrimSpace(rest[1:]), nil
	}
	v, err := field("descr")
	if err != nil {
		return "", false, nil, err
	}
	if len(v) < 2 || v[0] != '\'' {
		return "", false, nil, fmt.Errorf("npy: malformed descr in %q", h)
	}
	descr = v[1 : 1+strings.IndexByte(v[1:], '\'')]
	if len(descr) != 3 || !strings.ContainsRune("<>|=", rune(descr[0])) {
		return "", false, nil, fmt.Errorf("npy: dtype %q not supported (want float32 or float64)", descr)
	}
	if descr[0] == '=' || descr[0] == '|' {
		descr = "<" + descr[1:]
	}
	if v, err = field("fortran_order"); err != nil {
		return "", false, nil, err
	}
	fortran = strings.HasPrefix(v, "True")
	if v, err = field("shape"); err != nil {
		return "", false, nil, err
	}
	end := strings.IndexByte(v, ')')
	if !strings.HasPrefix(v, "(") || end < 0 {
		return "", false, nil, fmt.Errorf("npy: malformed shape in %q", h)
	}
	shape = []int{}
	for _, p := range strings.Split(v[1:end], ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		d, err := strconv.Atoi(p)
		if err != nil || d < 0 {
			return "", false, nil, fmt.Errorf("npy: malformed shape in %q", h)
		}
		shape = append(shape, d)
	}
	return descr, fortran, shape, nil
}

func size(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// fromFortran reorders column-major data into row-major.
func fromFortran(data []float64, shape []int) []float64 {
	out := make([]float64, len(data))
	idx := make([]int, len(shape))
	for i := range out { // i walks the row-major order
		off, stride := 0, 1
		for d := 0; d < len(shape); d++ {
			off += idx[d] * stride
			stride *= shape[d]
		}
		out[i] = data[off]
		for d := len(idx) - 1; d >= 0; d-- {
			idx[d]++
			if idx[d] < shape[d] {
				break
			}
			idx[d] = 0
		}
	}
	return out
}

// SaveStats writes s as pytorch-fid's statistics file: a zip (deflated, as
// np.savez_compressed writes it) of mu.npy (D float64) and sigma.npy (D×D).
func SaveStats(path string, s Stats) error {
	if err := s.validate(); err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	d := s.Dim()
	for _, e := range []struct {
		name string
		a    Array
	}{{"mu.npy", Array{[]int{d}, s.Mu}}, {"sigma.npy", Array{[]int{d, d}, s.Sigma}}} {
		f, err := zw.CreateHeader(&zip.FileHeader{Name: e.name, Method: zip.Deflate})
		if err != nil {
			return fmt.Errorf("save %s: %w", path, err)
		}
		if err := WriteNPY(f, e.a); err != nil {
			return fmt.Errorf("save %s: %w", path, err)
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	return atomicfile.WriteFile(path, buf.Bytes())
}

// LoadStats reads statistics written by SaveStats or by pytorch-fid
// (--save-stats, np.savez or np.savez_compressed with keys mu and sigma).
func LoadStats(path string) (Stats, error) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return Stats{}, fmt.Errorf("load %s: %w", path, err)
	}
	defer zr.Close()
	arrays := map[string]Array{}
	for _, f := range zr.File {
		name := strings.TrimSuffix(f.Name, ".npy")
		if name != "mu" && name != "sigma" {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return Stats{}, fmt.Errorf("load %s: %s: %w", path, f.Name, err)
		}
		a, err := ReadNPY(rc)
		rc.Close()
		if err != nil {
			return Stats{}, fmt.Errorf("load %s: %s: %w", path, f.Name, err)
		}
		arrays[name] = a
	}
	mu, ok1 := arrays["mu"]
	sigma, ok2 := arrays["sigma"]
	if !ok1 || !ok2 {
		return Stats{}, fmt.Errorf("load %s: want arrays mu and sigma in the .npz", path)
	}
	if len(mu.Shape) != 1 || len(sigma.Shape) != 2 || sigma.Shape[0] != mu.Shape[0] || sigma.Shape[1] != mu.Shape[0] {
		return Stats{}, fmt.Errorf("load %s: mu %v and sigma %v are not D and D×D", path, mu.Shape, sigma.Shape)
	}
	return Stats{Mu: mu.Data, Sigma: sigma.Data}, nil
}
