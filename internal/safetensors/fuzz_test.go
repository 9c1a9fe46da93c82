package safetensors

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/colorize-dev/colorize/internal/fuzzguard"
)

// FuzzSafetensors decodes arbitrary bytes: no panic, no allocation beyond
// the budget, and whatever decodes re-encodes to a file that decodes to the
// same encoding again.
func FuzzSafetensors(f *testing.F) {
	var buf bytes.Buffer
	if err := Encode(&buf, sample()); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	buf.Reset()
	if err := Encode(&buf, File{Tensors: map[string]Tensor{"e": {Shape: []int{0}, F32: []float32{}}, "s": {Shape: []int{}, F64: []float64{1}}}}); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte{})
	f.Add(binary.LittleEndian.AppendUint64(nil, 1<<40))
	f.Add(header(`{"x":{"dtype":"F32","shape":[1073741824],"data_offsets":[0,4294967296]}}`, nil))
	f.Add(header(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"I64","shape":[0],"data_offsets":[4,4]}}`, make([]byte, 4)))
	f.Fuzz(func(t *testing.T, data []byte) {
		var file File
		var err error
		fuzzguard.Check(t, len(data), func() { file, err = Decode(data) })
		if err != nil {
			return
		}
		var once, twice bytes.Buffer
		if err := Encode(&once, file); err != nil {
			t.Fatalf("decoded file does not encode: %v", err)
		}
		again, err := Decode(once.Bytes())
		if err != nil {
			t.Fatalf("re-encoded file does not decode: %v", err)
		}
		if err := Encode(&twice, again); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(once.Bytes(), twice.Bytes()) {
			t.Fatal("encode(decode(x)) is not stable")
		}
	})
}
