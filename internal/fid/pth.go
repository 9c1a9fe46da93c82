package fid

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"os"
	"strings"

	"github.com/nlpodyssey/gopickle/pickle"
	"github.com/nlpodyssey/gopickle/pytorch"
	"github.com/nlpodyssey/gopickle/types"
)

// A .pth file is what torch.save writes: either a zip holding data.pkl (the
// pickled object, whose tensors name their storages by key) and one entry
// data/KEY per storage, or, in the legacy format pytorch-fid's weights use,
// five pickles in a row (a magic number, the protocol version, system
// information, the object, the list of storage keys) followed by each
// storage as an int64 element count and its bytes.
//
// gopickle runs the pickles, but nothing in them is trusted: each pickle is
// scanned first (scanPickle) so that no length it holds exceeds the bytes
// present; storages are read here, not by gopickle, after their claimed
// sizes are checked against the file; and tensors' shapes, strides and
// offsets are checked against their storages when they are gathered.

// maxPickle bounds the pickle of a zip-format file (pytorch-fid's holds a
// few tens of KB): it is read into memory before it is scanned.
const maxPickle = 64 << 20

// legacyMagic is the legacy format's first pickle, a number.
const legacyMagic = "1950a86a20f9469cfc6c"

// storageClass is a torch.*Storage class: the element type of a storage.
type storageClass struct {
	name  string
	width int64 // bytes per element
}

var storageClasses = map[string]*storageClass{}

func init() {
	for name, width := range map[string]int64{
		"FloatStorage": 4, "DoubleStorage": 8, "HalfStorage": 2, "BFloat16Storage": 2,
		"LongStorage": 8, "IntStorage": 4, "ShortStorage": 2, "CharStorage": 1, "ByteStorage": 1, "BoolStorage": 1,
	} {
		storageClasses[name] = &storageClass{name: name, width: width}
	}
}

// storage is one storage of a .pth file; data holds numel little-endian
// elements once read.
type storage struct {
	class *storageClass
	key   string
	numel int
	data  []byte
}

// storageSet holds a file's storages by key: a pickle may name one storage
// many times, always with the same class and size.
type storageSet map[string]*storage

// seen returns the storage key names if it was named before, or an error if
// it was named differently then; nil, nil for a storage not seen yet.
func (s storageSet) seen(class *storageClass, key string, numel int) (*storage, error) {
	st := s[key]
	if st != nil && (st.class != class || st.numel != numel) {
		return nil, fmt.Errorf("storage %s named as %d %s and as %d %s", key, st.numel, st.class.name, numel, class.name)
	}
	return st, nil
}

// pthTensor is a tensor as torch._utils._rebuild_tensor_v2 describes it: a
// view of a storage.
type pthTensor struct {
	storage      *storage
	offset       int
	size, stride []int
}

// rebuildTensor stands for torch._utils._rebuild_tensor_v2(storage,
// storage_offset, size, stride, requires_grad, backward_hooks[, metadata]).
type rebuildTensor struct{}

func (rebuildTensor) Call(args ...any) (any, error) {
	if len(args) < 4 {
		return nil, fmt.Errorf("_rebuild_tensor_v2 with %d arguments, want at least 4", len(args))
	}
	st, ok := args[0].(*storage)
	if !ok {
		return nil, fmt.Errorf("_rebuild_tensor_v2 of a %T, want a storage", args[0])
	}
	off, ok := args[1].(int)
	if !ok {
		return nil, fmt.Errorf("tensor storage offset is a %T, want an int", args[1])
	}
	size, err := intTuple(args[2], "size")
	if err != nil {
		return nil, err
	}
	stride, err := intTuple(args[3], "stride")
	if err != nil {
		return nil, err
	}
	return &pthTensor{storage: st, offset: off, size: size, stride: stride}, nil
}

// rebuildParameter stands for torch._utils._rebuild_parameter(data,
// requires_grad, backward_hooks): a Parameter is its tensor.
type rebuildParameter struct{}

func (rebuildParameter) Call(args ...any) (any, error) {
	if len(args) < 1 {
		return nil, errors.New("_rebuild_parameter without arguments")
	}
	if _, ok := args[0].(*pthTensor); !ok {
		return nil, fmt.Errorf("_rebuild_parameter of a %T, want a tensor", args[0])
	}
	return args[0], nil
}

func intTuple(v any, what string) ([]int, error) {
	t, ok := v.(*types.Tuple)
	if !ok {
		return nil, fmt.Errorf("tensor %s is a %T, want a tuple", what, v)
	}
	out := make([]int, t.Len())
	for i := range out {
		if out[i], ok = t.Get(i).(int); !ok {
			return nil, fmt.Errorf("tensor %s has a %T, want ints", what, t.Get(i))
		}
	}
	return out, nil
}

// findClass resolves the globals a state dict pickle names; gopickle itself
// handles collections.OrderedDict, and any other class becomes an inert
// generic object.
func findClass(module, name string) (any, error) {
	switch {
	case module == "torch._utils" && name == "_rebuild_tensor_v2":
		return rebuildTensor{}, nil
	case module == "torch._utils" && name == "_rebuild_parameter":
		return rebuildParameter{}, nil
	case module == "torch" && storageClasses[name] != nil:
		return storageClasses[name], nil
	}
	return types.NewGenericClass(module, name), nil
}

// loadPTH reads the object a .pth file holds, with its storages read and
// checked. gopickle panics on some malformed pickles; those panics are
// errors here.
func loadPTH(path string) (obj any, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, errors.New("not a regular file")
	}
	data := make([]byte, st.Size())
	if _, err := io.ReadFull(f, data); err != nil {
		return nil, err
	}
	return decodePTH(data)
}

// decodePTH reads a .pth file held in data.
func decodePTH(data []byte) (obj any, err error) {
	defer func() {
		if r := recover(); r != nil {
			obj, err = nil, fmt.Errorf("not a readable PyTorch file (the unpickler failed: %v)", r)
		}
	}()
	if bytes.HasPrefix(data, []byte("PK\x03\x04")) {
		return decodeZipPTH(data)
	}
	return decodeLegacyPTH(data)
}

// unpickle runs the pickle at the start of data, which scanPickle has
// checked, and returns the object and the pickle's length.
func unpickle(data []byte, persistentLoad func(any) (any, error)) (any, int, error) {
	n, err := scanPickle(data)
	if err != nil {
		return nil, 0, err
	}
	u := pickle.NewUnpickler(bytes.NewReader(data[:n]))
	u.FindClass = findClass
	u.PersistentLoad = persistentLoad
	obj, err := u.Load()
	if err != nil {
		return nil, 0, fmt.Errorf("pickle: %w", err)
	}
	return obj, n, nil
}

// storageRef reads a storage's persistent id: ('storage', class, key,
// location, numel) in the zip format, with a sixth element, the view
// (None), in the legacy one.
func storageRef(id any, legacy bool) (*storageClass, string, int, error) {
	t, ok := id.(*types.Tuple)
	want := 5
	if legacy {
		want = 6
	}
	if !ok || t.Len() != want {
		return nil, "", 0, fmt.Errorf("persistent id is not a tuple of %d", want)
	}
	if kind, _ := t.Get(0).(string); kind != "storage" {
		return nil, "", 0, fmt.Errorf("persistent id of kind %q, want storage", kind)
	}
	class, ok1 := t.Get(1).(*storageClass)
	key, ok2 := t.Get(2).(string)
	numel, ok3 := t.Get(4).(int)
	if !ok1 || !ok2 || !ok3 {
		return nil, "", 0, fmt.Errorf("storage id holds a %T, %T and %T, want a torch storage class, a key and an element count", t.Get(1), t.Get(2), t.Get(4))
	}
	if numel < 0 {
		return nil, "", 0, fmt.Errorf("storage %s claims %d elements", key, numel)
	}
	if legacy && t.Get(5) != nil {
		return nil, "", 0, fmt.Errorf("storage %s is a view of another, which this reader does not support", key)
	}
	return class, key, numel, nil
}

// storageBytes is the size of numel elements of class, or an error when it
// exceeds limit (computed without overflow).
func storageBytes(class *storageClass, key string, numel int, limit int64) (int64, error) {
	if int64(numel) > limit/class.width {
		return 0, fmt.Errorf("storage %s claims %d elements of %d bytes, file holds %d", key, numel, class.width, limit)
	}
	return int64(numel) * class.width, nil
}

func decodeZipPTH(data []byte) (any, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, err
	}
	entries := map[string]*zip.File{}
	var pkl *zip.File
	for _, f := range zr.File {
		if entries[f.Name] != nil {
			return nil, fmt.Errorf("zip entry %s twice", f.Name)
		}
		entries[f.Name] = f
		if strings.HasSuffix(f.Name, "/constants.pkl") {
			return nil, errors.New("a TorchScript archive, want a state dict saved with torch.save")
		}
		if f.Name == "data.pkl" || strings.HasSuffix(f.Name, "/data.pkl") {
			if pkl != nil {
				return nil, fmt.Errorf("two pickles, %s and %s", pkl.Name, f.Name)
			}
			pkl = f
		}
	}
	if pkl == nil {
		return nil, errors.New("zip archive without data.pkl: not a torch.save file")
	}
	prefix := strings.TrimSuffix(pkl.Name, "data.pkl")
	if bo := entries[prefix+"byteorder"]; bo != nil {
		b, err := readEntry(bo, 16, int64(len(data)))
		if err != nil {
			return nil, err
		}
		if string(b) != "little" {
			return nil, fmt.Errorf("%s says %q: only little-endian files are supported", bo.Name, b)
		}
	}
	raw, err := readEntry(pkl, maxPickle, int64(len(data)))
	if err != nil {
		return nil, err
	}
	storages := storageSet{}
	obj, n, err := unpickle(raw, func(id any) (any, error) {
		class, key, numel, err := storageRef(id, false)
		if err != nil {
			return nil, err
		}
		if st, err := storages.seen(class, key, numel); st != nil || err != nil {
			return st, err
		}
		entry := entries[prefix+"data/"+key]
		if entry == nil {
			return nil, fmt.Errorf("storage %s: no zip entry %sdata/%s", key, prefix, key)
		}
		size, err := storageBytes(class, key, numel, maxInflation*int64(len(data)))
		if err != nil {
			return nil, err
		}
		b, err := readEntry(entry, size, int64(len(data)))
		if err != nil {
			return nil, err
		}
		if int64(len(b)) != size {
			return nil, fmt.Errorf("storage %s: the pickle claims %d elements of %s (%d bytes), %s holds %d bytes", key, numel, class.name, size, entry.Name, len(b))
		}
		st := &storage{class: class, key: key, numel: numel, data: b}
		storages[key] = st
		return st, nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", pkl.Name, err)
	}
	if n != len(raw) {
		return nil, fmt.Errorf("%s: %d bytes after the pickle", pkl.Name, len(raw)-n)
	}
	return obj, nil
}

// readEntry reads a zip entry of at most limit bytes. Its header's sizes are
// only believed as far as they are possible: the compressed size must fit
// in the file (of fileSize bytes) and the uncompressed size within
// deflate's expansion of it; the data is read as it arrives, and an entry
// longer than limit is an error.
func readEntry(f *zip.File, limit, fileSize int64) ([]byte, error) {
	if f.CompressedSize64 > uint64(fileSize) {
		return nil, fmt.Errorf("%s: zip header claims %d compressed bytes, file holds %d", f.Name, f.CompressedSize64, fileSize)
	}
	if f.UncompressedSize64/maxInflation > f.CompressedSize64 {
		return nil, fmt.Errorf("%s: zip header claims %d bytes from %d compressed, beyond deflate's %d-fold limit", f.Name, f.UncompressedSize64, f.CompressedSize64, maxInflation)
	}
	if f.UncompressedSize64 > uint64(limit) {
		return nil, fmt.Errorf("%s: zip header claims %d bytes, want at most %d", f.Name, f.UncompressedSize64, limit)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Name, err)
	}
	defer rc.Close()
	b, err := readExactly(rc, int64(f.UncompressedSize64))
	if err == nil {
		err = expectEOF(rc)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Name, err)
	}
	return b, nil
}

func decodeLegacyPTH(data []byte) (any, error) {
	pos := 0
	next := func(what string, load func(any) (any, error)) (any, error) {
		obj, n, err := unpickle(data[pos:], load)
		if err != nil {
			return nil, fmt.Errorf("%s at byte %d: %w", what, pos, err)
		}
		pos += n
		return obj, nil
	}
	noPersistent := func(any) (any, error) { return nil, errors.New("unexpected persistent id") }
	magic, err := next("magic number", noPersistent)
	if err != nil {
		return nil, fmt.Errorf("neither a zip nor a legacy torch.save file: %w", err)
	}
	if m, ok := magic.(*big.Int); !ok || m.Text(16) != legacyMagic {
		return nil, errors.New("neither a zip nor a legacy torch.save file (wrong magic number)")
	}
	version, err := next("protocol version", noPersistent)
	if err != nil {
		return nil, err
	}
	if v, ok := version.(int); !ok || v != 1001 {
		return nil, fmt.Errorf("legacy protocol version %v, want 1001", version)
	}
	sysInfo, err := next("system information", noPersistent)
	if err != nil {
		return nil, err
	}
	if d, ok := sysInfo.(*types.Dict); ok {
		if le, ok := d.Get("little_endian"); ok && le != true {
			return nil, errors.New("written on a big-endian machine: only little-endian files are supported")
		}
	}
	storages := storageSet{}
	obj, err := next("object", func(id any) (any, error) {
		class, key, numel, err := storageRef(id, true)
		if err != nil {
			return nil, err
		}
		if st, err := storages.seen(class, key, numel); st != nil || err != nil {
			return st, err
		}
		st := &storage{class: class, key: key, numel: numel}
		storages[key] = st
		return st, nil
	})
	if err != nil {
		return nil, err
	}
	keysObj, err := next("storage keys", noPersistent)
	if err != nil {
		return nil, err
	}
	keys, ok := keysObj.(*types.List)
	if !ok {
		return nil, fmt.Errorf("storage keys are a %T, want a list", keysObj)
	}
	for _, k := range *keys {
		key, ok := k.(string)
		if !ok {
			return nil, fmt.Errorf("a storage key is a %T, want a string", k)
		}
		st := storages[key]
		if st == nil {
			return nil, fmt.Errorf("storage %s is listed but no tensor uses it", key)
		}
		if st.data != nil {
			return nil, fmt.Errorf("storage %s is listed twice", key)
		}
		if len(data)-pos < 8 {
			return nil, fmt.Errorf("storage %s: truncated at byte %d, before its element count", key, pos)
		}
		numel := binary.LittleEndian.Uint64(data[pos:])
		pos += 8
		if numel != uint64(st.numel) {
			return nil, fmt.Errorf("storage %s: the pickle claims %d elements, the data %d", key, st.numel, numel)
		}
		size, err := storageBytes(st.class, key, st.numel, int64(len(data)-pos))
		if err != nil {
			return nil, fmt.Errorf("at byte %d: %w", pos, err)
		}
		st.data = data[pos : pos+int(size) : pos+int(size)]
		pos += int(size)
	}
	for key, st := range storages {
		if st.data == nil && st.numel > 0 {
			return nil, fmt.Errorf("storage %s has no data", key)
		}
	}
	if pos != len(data) {
		return nil, fmt.Errorf("%d bytes after the last storage", len(data)-pos)
	}
	return obj, nil
}

// gather copies a tensor's elements out of its storage into a dense float32
// row-major array. ok is false for integer and boolean tensors. The view
// must lie inside the storage: sizes and strides are non-negative, and the
// farthest element it reaches (computed without overflow) is an element of
// the storage, so a tensor never has more elements than its storage.
func (t *pthTensor) gather() (out Tensor, ok bool, err error) {
	st := t.storage
	var at func(i int) float32
	switch st.class.name {
	case "FloatStorage":
		at = func(i int) float32 { return math.Float32frombits(binary.LittleEndian.Uint32(st.data[4*i:])) }
	case "DoubleStorage":
		at = func(i int) float32 { return float32(math.Float64frombits(binary.LittleEndian.Uint64(st.data[8*i:]))) }
	case "HalfStorage":
		at = func(i int) float32 {
			return math.Float32frombits(pytorch.FloatBits16to32(binary.LittleEndian.Uint16(st.data[2*i:])))
		}
	case "BFloat16Storage":
		at = func(i int) float32 {
			return math.Float32frombits(uint32(binary.LittleEndian.Uint16(st.data[2*i:])) << 16)
		}
	default:
		return Tensor{}, false, nil
	}
	if len(t.stride) != len(t.size) {
		return Tensor{}, false, fmt.Errorf("%d strides for %d dimensions", len(t.stride), len(t.size))
	}
	if t.offset < 0 {
		return Tensor{}, false, fmt.Errorf("storage offset %d", t.offset)
	}
	n, last := 1, t.offset
	for d, s := range t.size {
		if s < 0 || t.stride[d] < 0 {
			return Tensor{}, false, fmt.Errorf("size %v, stride %v: negative", t.size, t.stride)
		}
		if s == 0 {
			n = 0
			continue
		}
		if n > st.numel/s || (s-1) > 0 && t.stride[d] > (math.MaxInt-last)/(s-1) {
			return Tensor{}, false, fmt.Errorf("size %v, stride %v: more elements than its storage of %d", t.size, t.stride, st.numel)
		}
		n *= s
		last += (s - 1) * t.stride[d]
	}
	if n > 0 && last >= st.numel {
		return Tensor{}, false, fmt.Errorf("size %v, stride %v at storage offset %d reach element %d of a storage of %d", t.size, t.stride, t.offset, last, st.numel)
	}
	out = Tensor{Shape: append([]int{}, t.size...), Data: make([]float32, n)}
	if n == 0 {
		return out, true, nil
	}
	if contiguous(t.size, t.stride) {
		for i := range out.Data {
			out.Data[i] = at(t.offset + i)
		}
		return out, true, nil
	}
	idx := make([]int, len(t.size))
	for i := range out.Data {
		off := t.offset
		for d, v := range idx {
			off += v * t.stride[d]
		}
		out.Data[i] = at(off)
		for d := len(idx) - 1; d >= 0; d-- { // row-major increment
			idx[d]++
			if idx[d] < t.size[d] {
				break
			}
			idx[d] = 0
		}
	}
	return out, true, nil
}
