package fid

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
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

// maxNPYHeader bounds a .npy header (NumPy writes under 100 bytes for the
// arrays colorize reads; version 2 allows 4 GiB).
const maxNPYHeader = 1 << 20

// maxNPYValues bounds the values of one array (2^31−1: 16 GiB of float64).
const maxNPYValues = math.MaxInt32

// ReadNPY reads a .npy file of float32 or float64 values (either byte order,
// C or Fortran order). Nothing in the header is trusted: the data is read as
// it arrives, never allocated from the shape ahead of the bytes, it must
// hold exactly the values the shape needs, and nothing may follow it.
func ReadNPY(r io.Reader) (Array, error) { return readNPY(r, nil) }

// readNPY is ReadNPY with a check of the shape, made before any of the data
// is read, when check is not nil.
func readNPY(r io.Reader, check func(shape []int) error) (Array, error) {
	var pre [8]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		return Array{}, fmt.Errorf("npy: %w", err)
	}
	if string(pre[:6]) != npyMagic {
		return Array{}, errors.New("npy: not a .npy file (bad magic)")
	}
	var hlen int64
	switch pre[6] {
	case 1:
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return Array{}, fmt.Errorf("npy: header length: %w", err)
		}
		hlen = int64(binary.LittleEndian.Uint16(b[:]))
	case 2, 3:
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return Array{}, fmt.Errorf("npy: header length: %w", err)
		}
		hlen = int64(binary.LittleEndian.Uint32(b[:]))
	default:
		return Array{}, fmt.Errorf("npy: unsupported format version %d.%d", pre[6], pre[7])
	}
	if hlen > maxNPYHeader {
		return Array{}, fmt.Errorf("npy: header claims %d bytes, more than the %d allowed", hlen, maxNPYHeader)
	}
	hb, err := readExactly(r, hlen)
	if err != nil {
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
	n, err := numValues(shape)
	if err != nil {
		return Array{}, err
	}
	if check != nil {
		if err := check(shape); err != nil {
			return Array{}, err
		}
	}
	width := map[string]int64{"f8": 8, "f4": 4}[descr[1:]]
	if width == 0 {
		return Array{}, fmt.Errorf("npy: dtype %q not supported (want float32 or float64)", descr)
	}
	raw, err := readExactly(r, int64(n)*width)
	if err != nil {
		return Array{}, fmt.Errorf("npy: shape %v of %s: %w", shape, descr, err)
	}
	if err := expectEOF(r); err != nil {
		return Array{}, fmt.Errorf("npy: shape %v of %s: %w", shape, descr, err)
	}
	data := make([]float64, n)
	if width == 8 {
		for i := range data {
			data[i] = math.Float64frombits(order.Uint64(raw[8*i:]))
		}
	} else {
		for i := range data {
			data[i] = float64(math.Float32frombits(order.Uint32(raw[4*i:])))
		}
	}
	if fortran && len(shape) > 1 {
		data = fromFortran(data, shape)
	}
	return Array{Shape: shape, Data: data}, nil
}

// numValues is the number of values of shape, an error beyond maxNPYValues
// (computed without overflow).
func numValues(shape []int) (int, error) {
	n := 1
	for _, d := range shape {
		if d > 0 && n > maxNPYValues/d {
			return 0, fmt.Errorf("npy: shape %v holds more than %d values", shape, maxNPYValues)
		}
		n *= d
	}
	return n, nil
}

// readExactly reads n bytes from r. Its buffer grows only as data arrives
// (doubling, capped at n), so a length that lies costs memory in proportion
// to the bytes actually present, not to the claim.
func readExactly(r io.Reader, n int64) ([]byte, error) {
	buf := make([]byte, 0, min(n, 1<<16))
	for empty := 0; int64(len(buf)) < n; {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, int(min(n-int64(len(buf)), int64(cap(buf)))))
		}
		m, err := r.Read(buf[len(buf):min(int64(cap(buf)), n)])
		buf = buf[:len(buf)+m]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if empty = empty + 1; m > 0 {
			empty = 0
		} else if empty >= maxEmptyReads {
			return nil, io.ErrNoProgress
		}
	}
	if int64(len(buf)) < n {
		return nil, fmt.Errorf("needs %d bytes, only %d are there", n, len(buf))
	}
	return buf, nil
}

// expectEOF fails if r holds more data.
func expectEOF(r io.Reader) error {
	var b [1]byte
	for range maxEmptyReads {
		m, err := r.Read(b[:])
		if m > 0 {
			return errors.New("more data follows the values the shape needs")
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
	return io.ErrNoProgress
}

// maxEmptyReads is how many reads returning nothing, and no error, count as
// a reader that is stuck (bufio's limit).
const maxEmptyReads = 100

// parseNPYHeader reads the Python dict literal of a .npy header:
// {'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), } and nothing
// else, each key once, then spaces and a newline.
func parseNPYHeader(h string) (descr string, fortran bool, shape []int, err error) {
	p := &dictParser{s: h}
	bad := func(what string) (string, bool, []int, error) {
		return "", false, nil, fmt.Errorf("npy: malformed header %q: %s at byte %d", h, what, p.i)
	}
	seen := map[string]bool{}
	if !p.skip('{') {
		return bad("want {")
	}
	for !p.skip('}') {
		key, ok := p.quoted()
		if !ok {
			return bad("want a quoted key")
		}
		if seen[key] {
			return bad("key " + key + " twice")
		}
		seen[key] = true
		if !p.skip(':') {
			return bad("want :")
		}
		switch key {
		case "descr":
			if descr, ok = p.quoted(); !ok {
				return bad("want a quoted descr")
			}
		case "fortran_order":
			switch {
			case p.word("True"):
				fortran = true
			case p.word("False"):
			default:
				return bad("want True or False")
			}
		case "shape":
			if shape, ok = p.tuple(); !ok {
				return bad("want a tuple of dimensions")
			}
		default:
			return bad("unknown key " + key)
		}
		if !p.skip(',') && !p.peek('}') {
			return bad("want , or }")
		}
	}
	if strings.TrimRight(h[p.i:], " \n") != "" {
		return bad("text after the dictionary")
	}
	if !seen["descr"] || !seen["fortran_order"] || !seen["shape"] {
		return bad("want keys descr, fortran_order and shape")
	}
	if len(descr) != 3 || !strings.ContainsRune("<>|=", rune(descr[0])) {
		return "", false, nil, fmt.Errorf("npy: dtype %q not supported (want float32 or float64)", descr)
	}
	if descr[0] == '=' || descr[0] == '|' {
		descr = "<" + descr[1:]
	}
	return descr, fortran, shape, nil
}

// dictParser walks the Python literal of a .npy header.
type dictParser struct {
	s string
	i int
}

func (p *dictParser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

// peek reports whether c is next, after spaces.
func (p *dictParser) peek(c byte) bool {
	p.space()
	return p.i < len(p.s) && p.s[p.i] == c
}

// skip consumes c if it is next, after spaces.
func (p *dictParser) skip(c byte) bool {
	if !p.peek(c) {
		return false
	}
	p.i++
	return true
}

// word consumes w if it is next, after spaces.
func (p *dictParser) word(w string) bool {
	p.space()
	if !strings.HasPrefix(p.s[p.i:], w) {
		return false
	}
	p.i += len(w)
	return true
}

// quoted consumes a string in single or double quotes (without escapes).
func (p *dictParser) quoted() (string, bool) {
	p.space()
	if p.i >= len(p.s) || (p.s[p.i] != '\'' && p.s[p.i] != '"') {
		return "", false
	}
	q := p.s[p.i]
	end := strings.IndexByte(p.s[p.i+1:], q)
	if end < 0 {
		return "", false
	}
	v := p.s[p.i+1 : p.i+1+end]
	p.i += end + 2
	return v, true
}

// tuple consumes a tuple of non-negative integers: (), (3,), (3, 4).
func (p *dictParser) tuple() ([]int, bool) {
	if !p.skip('(') {
		return nil, false
	}
	dims := []int{}
	for !p.skip(')') {
		p.space()
		j := p.i
		for j < len(p.s) && p.s[j] >= '0' && p.s[j] <= '9' {
			j++
		}
		d, err := strconv.Atoi(p.s[p.i:j])
		if err != nil {
			return nil, false
		}
		p.i = j
		dims = append(dims, d)
		if !p.skip(',') && !p.peek(')') {
			return nil, false
		}
	}
	return dims, true
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

// MaxStatsDim bounds the feature dimension of a statistics file: the widest
// features of pytorch-fid's Inception have 2048 values.
const MaxStatsDim = 2048

// maxInflation is deflate's largest possible expansion (a stream of one
// repeated byte inflates about 1032-fold): an entry that claims more
// uncompressed data than that for its compressed size is lying.
const maxInflation = 1032

// LoadStats reads statistics written by SaveStats or by pytorch-fid
// (--save-stats, np.savez or np.savez_compressed with keys mu and sigma).
// Errors name the file and the entry.
func LoadStats(path string) (Stats, error) {
	f, err := os.Open(path)
	if err != nil {
		return Stats{}, fmt.Errorf("load %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return Stats{}, fmt.Errorf("load %s: %w", path, err)
	}
	if !st.Mode().IsRegular() {
		return Stats{}, fmt.Errorf("load %s: not a regular file", path)
	}
	s, err := readStats(f, st.Size())
	if err != nil {
		return Stats{}, fmt.Errorf("load %s: %w", path, err)
	}
	return s, nil
}

// checkStatsShape refuses, before its data is read, an array that cannot be
// mu (D) or sigma (D×D) with D ≤ MaxStatsDim.
func checkStatsShape(name string, shape []int) error {
	dims := 1
	if name == "sigma" {
		dims = 2
	}
	if len(shape) != dims {
		return fmt.Errorf("shape %v, want %d dimension(s)", shape, dims)
	}
	for _, d := range shape {
		if d < 1 || d > MaxStatsDim {
			return fmt.Errorf("shape %v, want dimensions D in [1, %d]", shape, MaxStatsDim)
		}
	}
	return nil
}

// readStats reads an .npz of size bytes holding mu (D) and sigma (D×D).
// The sizes zip headers claim are not trusted: an entry that claims more
// than the file or to inflate beyond deflate's limit is refused, and each
// array's shape is checked before its data is read, then exactly the bytes
// the shape needs are read, as they arrive, and nothing may follow them.
func readStats(r io.ReaderAt, size int64) (Stats, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return Stats{}, err
	}
	arrays := map[string]Array{}
	for _, f := range zr.File {
		name := strings.TrimSuffix(f.Name, ".npy")
		if name != "mu" && name != "sigma" {
			continue
		}
		if _, dup := arrays[name]; dup {
			return Stats{}, fmt.Errorf("%s: a second entry for %s", f.Name, name)
		}
		if f.CompressedSize64 > uint64(size) {
			return Stats{}, fmt.Errorf("%s: zip header claims %d compressed bytes, file holds %d", f.Name, f.CompressedSize64, size)
		}
		if f.UncompressedSize64/maxInflation > f.CompressedSize64 {
			return Stats{}, fmt.Errorf("%s: zip header claims %d bytes from %d compressed, beyond deflate's %d-fold limit", f.Name, f.UncompressedSize64, f.CompressedSize64, maxInflation)
		}
		rc, err := f.Open()
		if err != nil {
			return Stats{}, fmt.Errorf("%s: %w", f.Name, err)
		}
		a, err := readNPY(rc, func(shape []int) error { return checkStatsShape(name, shape) })
		rc.Close()
		if err != nil {
			return Stats{}, fmt.Errorf("%s: %w", f.Name, err)
		}
		arrays[name] = a
	}
	mu, ok1 := arrays["mu"]
	sigma, ok2 := arrays["sigma"]
	if !ok1 || !ok2 {
		return Stats{}, errors.New("want arrays mu and sigma in the .npz")
	}
	if len(mu.Shape) != 1 || len(sigma.Shape) != 2 || sigma.Shape[0] != mu.Shape[0] || sigma.Shape[1] != mu.Shape[0] {
		return Stats{}, fmt.Errorf("mu %v and sigma %v are not D and D×D", mu.Shape, sigma.Shape)
	}
	s := Stats{Mu: mu.Data, Sigma: sigma.Data}
	if err := s.validate(); err != nil {
		return Stats{}, err
	}
	return s, nil
}
