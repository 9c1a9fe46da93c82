// Package onnx writes ONNX models: the subset of ONNX's protobuf messages
// (onnx/onnx.proto) that a feed-forward network of standard operators needs,
// encoded with google.golang.org/protobuf's protowire.
//
// A Model is plain data — a graph of nodes over named values, float32
// initializers, typed graph inputs and outputs, and string metadata — and
// Marshal turns it into the bytes of a ModelProto. Field numbers are those of
// onnx.proto; tensors are stored little-endian in raw_data. Nothing here
// checks that the graph is valid ONNX: the runtime that loads it does.
package onnx

import (
	"encoding/binary"
	"fmt"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// DataType is an element type (TensorProto.DataType).
type DataType int32

// The element types colorize uses.
const (
	Float DataType = 1
	Int64 DataType = 7
)

// IRVersion returns the IR version ONNX released together with opset
// version opset of the default domain (onnx/docs/Versioning.md), for opsets
// 11 to 23, and false for others.
func IRVersion(opset int) (int64, bool) {
	switch {
	case opset == 11:
		return 6, true
	case opset >= 12 && opset <= 14:
		return 7, true
	case opset >= 15 && opset <= 18:
		return 8, true
	case opset >= 19 && opset <= 20:
		return 9, true
	case opset >= 21 && opset <= 22:
		return 10, true
	case opset == 23:
		return 11, true
	}
	return 0, false
}

// Model is a ModelProto.
type Model struct {
	IRVersion       int64
	Opset           int64 // version of the default ("ai.onnx") operator set
	ProducerName    string
	ProducerVersion string
	DocString       string
	Graph           Graph
	// Metadata becomes metadata_props, in this order; keys must be distinct.
	Metadata []Entry
}

// Entry is a StringStringEntryProto.
type Entry struct{ Key, Value string }

// Graph is a GraphProto. Nodes must be sorted topologically.
type Graph struct {
	Name         string
	Nodes        []Node
	Initializers []Tensor
	Inputs       []ValueInfo
	Outputs      []ValueInfo
}

// Node is a NodeProto of the default domain.
type Node struct {
	Name    string
	OpType  string
	Inputs  []string
	Outputs []string
	Attrs   []Attr
}

// Tensor is a float32 TensorProto (an initializer).
type Tensor struct {
	Name string
	Dims []int64
	Data []float32 // row-major, len = product of Dims
}

// ValueInfo is a ValueInfoProto of a tensor type.
type ValueInfo struct {
	Name string
	Elem DataType
	Dims []Dim
}

// Dim is one dimension of a tensor shape: a fixed size, or a symbolic one
// (Param) that the caller sets at run time.
type Dim struct {
	Value int64
	Param string
}

// AttrType is an AttributeProto.AttributeType.
type AttrType int32

// The attribute types Attr holds.
const (
	AttrFloat  AttrType = 1
	AttrInt    AttrType = 2
	AttrString AttrType = 3
	AttrInts   AttrType = 7
)

// Attr is an AttributeProto holding one float, int, string or int list.
type Attr struct {
	Name string
	Type AttrType
	F    float32
	I    int64
	S    string
	Ints []int64
}

// FloatAttr returns a float attribute.
func FloatAttr(name string, v float32) Attr { return Attr{Name: name, Type: AttrFloat, F: v} }

// IntAttr returns an int attribute.
func IntAttr(name string, v int64) Attr { return Attr{Name: name, Type: AttrInt, I: v} }

// StringAttr returns a string attribute.
func StringAttr(name, v string) Attr { return Attr{Name: name, Type: AttrString, S: v} }

// IntsAttr returns an int-list attribute.
func IntsAttr(name string, v ...int64) Attr { return Attr{Name: name, Type: AttrInts, Ints: v} }

// Field numbers of onnx.proto.
const (
	modelIRVersion       = 1
	modelProducerName    = 2
	modelProducerVersion = 3
	modelDocString       = 6
	modelGraph           = 7
	modelOpsetImport     = 8
	modelMetadataProps   = 14

	opsetDomain  = 1
	opsetVersion = 2

	entryKey   = 1
	entryValue = 2

	graphNode        = 1
	graphName        = 2
	graphInitializer = 5
	graphInput       = 11
	graphOutput      = 12

	nodeInput     = 1
	nodeOutput    = 2
	nodeName      = 3
	nodeOpType    = 4
	nodeAttribute = 5

	attrName = 1
	attrF    = 2
	attrI    = 3
	attrS    = 4
	attrInts = 8
	attrType = 20

	tensorDims     = 1
	tensorDataType = 2
	tensorName     = 8
	tensorRawData  = 9

	valueName = 1
	valueType = 2

	typeTensor      = 1 // TypeProto.tensor_type
	tensorTypeElem  = 1 // TypeProto.Tensor.elem_type
	tensorTypeShape = 2 // TypeProto.Tensor.shape
	shapeDim        = 1 // TensorShapeProto.dim
	dimValue        = 1 // TensorShapeProto.Dimension.dim_value
	dimParam        = 2 // TensorShapeProto.Dimension.dim_param
)

// Marshal encodes m as a serialized ModelProto. It fails on an initializer
// whose data does not fill its dims, or an attribute of an unknown type.
func (m *Model) Marshal() ([]byte, error) {
	var b []byte
	b = appendVarint(b, modelIRVersion, uint64(m.IRVersion))
	b = appendString(b, modelProducerName, m.ProducerName)
	b = appendString(b, modelProducerVersion, m.ProducerVersion)
	b = appendString(b, modelDocString, m.DocString)
	g, err := m.Graph.marshal()
	if err != nil {
		return nil, err
	}
	b = appendMessage(b, modelGraph, g)
	var opset []byte
	opset = appendString(opset, opsetDomain, "")
	opset = appendVarint(opset, opsetVersion, uint64(m.Opset))
	b = appendMessage(b, modelOpsetImport, opset)
	seen := map[string]bool{}
	for _, e := range m.Metadata {
		if seen[e.Key] {
			return nil, fmt.Errorf("onnx: metadata key %q given twice", e.Key)
		}
		seen[e.Key] = true
		var eb []byte
		eb = appendString(eb, entryKey, e.Key)
		eb = appendString(eb, entryValue, e.Value)
		b = appendMessage(b, modelMetadataProps, eb)
	}
	return b, nil
}

func (g *Graph) marshal() ([]byte, error) {
	var b []byte
	b = appendString(b, graphName, g.Name)
	for _, n := range g.Nodes {
		nb, err := n.marshal()
		if err != nil {
			return nil, err
		}
		b = appendMessage(b, graphNode, nb)
	}
	for _, t := range g.Initializers {
		tb, err := t.marshal()
		if err != nil {
			return nil, err
		}
		b = appendMessage(b, graphInitializer, tb)
	}
	for _, v := range g.Inputs {
		b = appendMessage(b, graphInput, v.marshal())
	}
	for _, v := range g.Outputs {
		b = appendMessage(b, graphOutput, v.marshal())
	}
	return b, nil
}

func (n *Node) marshal() ([]byte, error) {
	var b []byte
	for _, in := range n.Inputs {
		b = appendString(b, nodeInput, in)
	}
	for _, out := range n.Outputs {
		b = appendString(b, nodeOutput, out)
	}
	b = appendString(b, nodeName, n.Name)
	b = appendString(b, nodeOpType, n.OpType)
	for _, a := range n.Attrs {
		ab, err := a.marshal()
		if err != nil {
			return nil, fmt.Errorf("onnx: node %s: %w", n.Name, err)
		}
		b = appendMessage(b, nodeAttribute, ab)
	}
	return b, nil
}

func (a *Attr) marshal() ([]byte, error) {
	var b []byte
	b = appendString(b, attrName, a.Name)
	b = appendVarint(b, attrType, uint64(a.Type))
	switch a.Type {
	case AttrFloat:
		b = protowire.AppendTag(b, attrF, protowire.Fixed32Type)
		b = protowire.AppendFixed32(b, math.Float32bits(a.F))
	case AttrInt:
		b = appendVarint(b, attrI, uint64(a.I))
	case AttrString:
		b = appendString(b, attrS, a.S)
	case AttrInts:
		// onnx.proto does not declare ints packed: one field per value.
		for _, v := range a.Ints {
			b = appendVarint(b, attrInts, uint64(v))
		}
	default:
		return nil, fmt.Errorf("attribute %s: unsupported type %d", a.Name, a.Type)
	}
	return b, nil
}

func (t *Tensor) marshal() ([]byte, error) {
	n := int64(1)
	for _, d := range t.Dims {
		n *= d
	}
	if n != int64(len(t.Data)) {
		return nil, fmt.Errorf("onnx: initializer %s has %d values for dims %v", t.Name, len(t.Data), t.Dims)
	}
	var b []byte
	for _, d := range t.Dims {
		b = appendVarint(b, tensorDims, uint64(d))
	}
	b = appendVarint(b, tensorDataType, uint64(Float))
	b = appendString(b, tensorName, t.Name)
	raw := make([]byte, 4*len(t.Data))
	for i, v := range t.Data {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
	}
	b = appendMessage(b, tensorRawData, raw)
	return b, nil
}

func (v *ValueInfo) marshal() []byte {
	var shape []byte
	for _, d := range v.Dims {
		var db []byte
		if d.Param != "" {
			db = appendString(db, dimParam, d.Param)
		} else {
			db = appendVarint(db, dimValue, uint64(d.Value))
		}
		shape = appendMessage(shape, shapeDim, db)
	}
	var tt []byte
	tt = appendVarint(tt, tensorTypeElem, uint64(v.Elem))
	tt = appendMessage(tt, tensorTypeShape, shape)
	var typ []byte
	typ = appendMessage(typ, typeTensor, tt)
	var b []byte
	b = appendString(b, valueName, v.Name)
	b = appendMessage(b, valueType, typ)
	return b
}

// appendVarint appends field num as a varint (int32, int64 and enum fields;
// negative values take ten bytes, as protobuf encodes them).
func appendVarint(b []byte, num protowire.Number, v uint64) []byte {
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

// appendString appends a string field; empty strings are left out, as an
// unset optional field.
func appendString(b []byte, num protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

// appendMessage appends an embedded message (or bytes field) field. It is
// written even when empty: an empty shape or opset entry still says the
// field is present.
func appendMessage(b []byte, num protowire.Number, msg []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, msg)
}
