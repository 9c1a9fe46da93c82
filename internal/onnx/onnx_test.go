package onnx

import (
	"encoding/binary"
	"math"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
)

// fields is a decoded protobuf message: the values of each field number in
// order (uint64 for varints and fixed32, []byte for length-delimited).
type fields map[protowire.Number][]any

func decode(t *testing.T, b []byte) fields {
	t.Helper()
	f := fields{}
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			t.Fatalf("bad tag: %v", protowire.ParseError(n))
		}
		b = b[n:]
		var v any
		switch typ {
		case protowire.VarintType:
			v, n = protowire.ConsumeVarint(b)
		case protowire.Fixed32Type:
			var x uint32
			x, n = protowire.ConsumeFixed32(b)
			v = uint64(x)
		case protowire.BytesType:
			v, n = protowire.ConsumeBytes(b)
		default:
			t.Fatalf("field %d: unexpected wire type %d", num, typ)
		}
		if n < 0 {
			t.Fatalf("field %d: %v", num, protowire.ParseError(n))
		}
		b = b[n:]
		f[num] = append(f[num], v)
	}
	return f
}

func (f fields) one(t *testing.T, num protowire.Number) any {
	t.Helper()
	if len(f[num]) != 1 {
		t.Fatalf("field %d occurs %d times, want once", num, len(f[num]))
	}
	return f[num][0]
}

func (f fields) str(t *testing.T, num protowire.Number) string {
	t.Helper()
	return string(f.one(t, num).([]byte))
}

func (f fields) msg(t *testing.T, num protowire.Number) fields {
	t.Helper()
	return decode(t, f.one(t, num).([]byte))
}

func (f fields) int(t *testing.T, num protowire.Number) int64 {
	t.Helper()
	return int64(f.one(t, num).(uint64))
}

func testModel() *Model {
	return &Model{
		IRVersion: 8, Opset: 17, ProducerName: "colorize", ProducerVersion: "v1", DocString: "doc",
		Graph: Graph{
			Name: "g",
			Nodes: []Node{
				{Name: "c", OpType: "Conv", Inputs: []string{"x", "w"}, Outputs: []string{"c"},
					Attrs: []Attr{IntsAttr("pads", 1, 1, 1, 1), FloatAttr("alpha", 0.2), IntAttr("axis", -1), StringAttr("auto_pad", "NOTSET")}},
			},
			Initializers: []Tensor{{Name: "w", Dims: []int64{2, 1, 1, 1}, Data: []float32{1.5, -2}}},
			Inputs:       []ValueInfo{{Name: "x", Elem: Float, Dims: []Dim{{Param: "N"}, {Value: 1}}}},
			Outputs:      []ValueInfo{{Name: "c", Elem: Float, Dims: []Dim{{Param: "N"}, {Value: 2}}}},
		},
		Metadata: []Entry{{"a", "1"}, {"b", "two"}},
	}
}

// TestMarshalFieldNumbers decodes a marshaled model field by field against
// the numbers of onnx/onnx.proto.
func TestMarshalFieldNumbers(t *testing.T) {
	b, err := testModel().Marshal()
	if err != nil {
		t.Fatal(err)
	}
	m := decode(t, b)
	if m.int(t, 1) != 8 || m.str(t, 2) != "colorize" || m.str(t, 3) != "v1" || m.str(t, 6) != "doc" {
		t.Errorf("ir_version, producer or doc_string wrong: %v", m)
	}
	if ops := m.msg(t, 8); ops.int(t, 2) != 17 || len(ops[1]) != 0 {
		t.Errorf("opset_import %v, want version 17 of the default domain", ops)
	}
	if len(m[14]) != 2 {
		t.Fatalf("%d metadata_props, want 2", len(m[14]))
	}
	for i, want := range [][2]string{{"a", "1"}, {"b", "two"}} {
		e := decode(t, m[14][i].([]byte))
		if e.str(t, 1) != want[0] || e.str(t, 2) != want[1] {
			t.Errorf("metadata_props[%d] = %v, want %v", i, e, want)
		}
	}

	g := m.msg(t, 7)
	if g.str(t, 2) != "g" {
		t.Errorf("graph name %v", g)
	}
	n := g.msg(t, 1)
	if n.str(t, 3) != "c" || n.str(t, 4) != "Conv" || len(n[1]) != 2 || string(n[1][1].([]byte)) != "w" || string(n[2][0].([]byte)) != "c" {
		t.Errorf("node %v", n)
	}
	if len(n[5]) != 4 {
		t.Fatalf("%d attributes, want 4", len(n[5]))
	}
	pads := decode(t, n[5][0].([]byte))
	if pads.str(t, 1) != "pads" || pads.int(t, 20) != 7 || len(pads[8]) != 4 || pads[8][0].(uint64) != 1 {
		t.Errorf("ints attribute %v", pads)
	}
	alpha := decode(t, n[5][1].([]byte))
	if alpha.int(t, 20) != 1 || math.Float32frombits(uint32(alpha.one(t, 2).(uint64))) != 0.2 {
		t.Errorf("float attribute %v", alpha)
	}
	axis := decode(t, n[5][2].([]byte))
	if axis.int(t, 20) != 2 || axis.int(t, 3) != -1 {
		t.Errorf("int attribute %v (negative ints are ten-byte varints)", axis)
	}
	if s := decode(t, n[5][3].([]byte)); s.int(t, 20) != 3 || s.str(t, 4) != "NOTSET" {
		t.Errorf("string attribute %v", s)
	}

	w := g.msg(t, 5)
	raw := w.one(t, 9).([]byte)
	if w.str(t, 8) != "w" || w.int(t, 2) != 1 || len(w[1]) != 4 || w[1][0].(uint64) != 2 || len(raw) != 8 ||
		math.Float32frombits(binary.LittleEndian.Uint32(raw[4:])) != -2 {
		t.Errorf("initializer %v", w)
	}

	in := g.msg(t, 11)
	tt := in.msg(t, 2).msg(t, 1)
	dims := tt.msg(t, 2)[1]
	if in.str(t, 1) != "x" || tt.int(t, 1) != 1 || len(dims) != 2 {
		t.Fatalf("input %v", in)
	}
	if d0, d1 := decode(t, dims[0].([]byte)), decode(t, dims[1].([]byte)); d0.str(t, 2) != "N" || d1.int(t, 1) != 1 {
		t.Errorf("input dims %v %v", d0, d1)
	}
	if out := g.msg(t, 12); out.str(t, 1) != "c" {
		t.Errorf("output %v", out)
	}
}

func TestMarshalErrors(t *testing.T) {
	m := testModel()
	m.Metadata = append(m.Metadata, Entry{"a", "again"})
	if _, err := m.Marshal(); err == nil || !strings.Contains(err.Error(), `"a"`) {
		t.Errorf("duplicate metadata key: err = %v", err)
	}
	m = testModel()
	m.Graph.Initializers[0].Dims = []int64{3}
	if _, err := m.Marshal(); err == nil || !strings.Contains(err.Error(), "initializer w") {
		t.Errorf("short initializer: err = %v", err)
	}
	m = testModel()
	m.Graph.Nodes[0].Attrs[0].Type = 99
	if _, err := m.Marshal(); err == nil || !strings.Contains(err.Error(), "pads") {
		t.Errorf("unknown attribute type: err = %v", err)
	}
}

func TestIRVersion(t *testing.T) {
	for opset, want := range map[int]int64{11: 6, 13: 7, 17: 8, 18: 8, 19: 9, 21: 10, 22: 10, 23: 11} {
		if got, ok := IRVersion(opset); !ok || got != want {
			t.Errorf("IRVersion(%d) = %d, %v; want %d", opset, got, ok, want)
		}
	}
	for _, opset := range []int{10, 24} {
		if _, ok := IRVersion(opset); ok {
			t.Errorf("IRVersion(%d) known", opset)
		}
	}
}
