package nn

import (
	"fmt"
	"hash"
	"hash/fnv"

	"github.com/chewxy/hm"
	"github.com/colorize-dev/colorize/internal/kernels"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func hashOf(s string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(s))
	return h.Sum32()
}

// addBiasOp computes x[n,c,h,w] + b[c].
type addBiasOp struct{ buf *outBuf }

func (addBiasOp) Arity() int            { return 2 }
func (addBiasOp) Type() hm.Type         { return hm.NewFnType(t4, t1, t4) }
func (addBiasOp) ReturnsPtr() bool      { return false }
func (addBiasOp) CallsExtern() bool     { return false }
func (addBiasOp) OverwritesInput() int  { return -1 }
func (addBiasOp) WriteHash(h hash.Hash) { fmt.Fprint(h, "AddBias") }
func (op addBiasOp) Hashcode() uint32   { return hashOf(op.String()) }
func (addBiasOp) String() string        { return "AddBias" }
func (addBiasOp) DiffWRT(n int) []bool  { return []bool{true, true} }
func (addBiasOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	s, err := shapesOf("AddBias", ds...)
	if err != nil {
		return nil, err
	}
	if len(s) != 2 || len(s[0]) != 4 || len(s[1]) != 1 || s[1][0] != s[0][1] {
		return nil, fmt.Errorf("AddBias: want [N,C,H,W] and [C], got %v", s)
	}
	return s[0].Clone(), nil
}

func (op addBiasOp) Do(vs ...G.Value) (G.Value, error) {
	defer op.buf.consumed(vs)
	if len(vs) != 2 {
		return nil, fmt.Errorf("AddBias: want 2 operands, got %d", len(vs))
	}
	x, xs, err := floats(vs[0], "AddBias")
	if err != nil {
		return nil, err
	}
	b, bs, err := floats(vs[1], "AddBias")
	if err != nil {
		return nil, err
	}
	if _, err := op.InferShape(xs, bs); err != nil {
		return nil, err
	}
	out, o := op.buf.dense(xs...)
	copy(o, x)
	kernels.AddChannelBias(xs[0], xs[1], xs[2]*xs[3], o, b)
	return out, nil
}

func (addBiasOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	db, err := G.ApplyOp(channelSumOp{buf: new(outBuf)}, grad)
	if err != nil {
		return nil, fmt.Errorf("AddBias gradient: %w", err)
	}
	return G.Nodes{grad, db}, nil
}

// AddBias returns x + b broadcast over N, H and W: x is [N, C, H, W] and b
// is [C].
func AddBias(x, b *G.Node) (*G.Node, error) {
	xs, err := nodeShape(x, 4, "AddBias input")
	if err != nil {
		return nil, err
	}
	bs, err := nodeShape(b, 1, "AddBias bias")
	if err != nil {
		return nil, err
	}
	if bs[0] != xs[1] {
		return nil, fmt.Errorf("AddBias: bias %v does not match %d channels of %v", bs, xs[1], xs)
	}
	n, err := G.ApplyOp(addBiasOp{buf: new(outBuf)}, x, b)
	if err != nil {
		return nil, fmt.Errorf("AddBias: %w", err)
	}
	return n, nil
}

// channelSumOp reduces [N, C, H, W] to [C] by summing over N, H and W: the
// gradient of a per-channel bias (or batch-norm beta). It is not
// differentiable again.
type channelSumOp struct{ buf *outBuf }

func (channelSumOp) Arity() int            { return 1 }
func (channelSumOp) Type() hm.Type         { return hm.NewFnType(t4, t1) }
func (channelSumOp) ReturnsPtr() bool      { return false }
func (channelSumOp) CallsExtern() bool     { return false }
func (channelSumOp) OverwritesInput() int  { return -1 }
func (channelSumOp) WriteHash(h hash.Hash) { fmt.Fprint(h, "ChannelSum") }
func (op channelSumOp) Hashcode() uint32   { return hashOf(op.String()) }
func (channelSumOp) String() string        { return "ChannelSum" }
func (channelSumOp) DiffWRT(int) []bool    { return []bool{false} }
func (channelSumOp) SymDiff(in G.Nodes, _, _ *G.Node) (G.Nodes, error) {
	return nil, fmt.Errorf("ChannelSum: second derivatives are not implemented")
}
func (channelSumOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	s, err := shapesOf("ChannelSum", ds...)
	if err != nil {
		return nil, err
	}
	if len(s) != 1 || len(s[0]) != 4 {
		return nil, fmt.Errorf("ChannelSum: want one [N,C,H,W] operand, got %v", s)
	}
	return tensor.Shape{s[0][1]}, nil
}
func (op channelSumOp) Do(vs ...G.Value) (G.Value, error) {
	defer op.buf.consumed(vs)
	if len(vs) != 1 {
		return nil, fmt.Errorf("ChannelSum: want 1 operand, got %d", len(vs))
	}
	x, xs, err := floats(vs[0], "ChannelSum")
	if err != nil {
		return nil, err
	}
	if len(xs) != 4 {
		return nil, fmt.Errorf("ChannelSum: want [N,C,H,W], got %v", xs)
	}
	out, o := op.buf.dense(xs[1])
	kernels.ConvBackwardBias(xs[0], xs[1], xs[2]*xs[3], x, o)
	return out, nil
}
