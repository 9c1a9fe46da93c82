package nn

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	"github.com/colorize-dev/colorize/internal/kernels"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// concatOp joins two [N, C, H, W] tensors along the channel axis.
type concatOp struct{ buf *outBuf }

func (concatOp) Arity() int            { return 2 }
func (concatOp) Type() hm.Type         { return hm.NewFnType(t4, t4, t4) }
func (concatOp) ReturnsPtr() bool      { return false }
func (concatOp) CallsExtern() bool     { return false }
func (concatOp) OverwritesInput() int  { return -1 }
func (concatOp) String() string        { return "ConcatChannels" }
func (concatOp) WriteHash(h hash.Hash) { fmt.Fprint(h, "ConcatChannels") }
func (op concatOp) Hashcode() uint32   { return hashOf(op.String()) }
func (concatOp) DiffWRT(int) []bool    { return []bool{true, true} }

func (concatOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	s, err := shapesOf("ConcatChannels", ds...)
	if err != nil {
		return nil, err
	}
	if len(s) != 2 || len(s[0]) != 4 || len(s[1]) != 4 || s[0][0] != s[1][0] || s[0][2] != s[1][2] || s[0][3] != s[1][3] {
		return nil, fmt.Errorf("ConcatChannels: want [N,Ca,H,W] and [N,Cb,H,W], got %v", s)
	}
	return tensor.Shape{s[0][0], s[0][1] + s[1][1], s[0][2], s[0][3]}, nil
}

func (op concatOp) Do(vs ...G.Value) (G.Value, error) {
	defer op.buf.consumed(vs)
	if len(vs) != 2 {
		return nil, fmt.Errorf("ConcatChannels: want 2 operands, got %d", len(vs))
	}
	a, as, err := floats(vs[0], "ConcatChannels")
	if err != nil {
		return nil, err
	}
	b, bs, err := floats(vs[1], "ConcatChannels")
	if err != nil {
		return nil, err
	}
	shape, err := op.InferShape(as, bs)
	if err != nil {
		return nil, err
	}
	out, o := op.buf.dense(shape...)
	kernels.ConcatChannels(as[0], as[1], bs[1], as[2]*as[3], a, b, o)
	return out, nil
}

func (concatOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	ca := in[0].Shape()[1]
	cb := in[1].Shape()[1]
	da, err := G.ApplyOp(sliceChannelsOp{c0: 0, cn: ca, buf: new(outBuf)}, grad)
	if err != nil {
		return nil, fmt.Errorf("ConcatChannels gradient: %w", err)
	}
	db, err := G.ApplyOp(sliceChannelsOp{c0: ca, cn: cb, buf: new(outBuf)}, grad)
	if err != nil {
		return nil, fmt.Errorf("ConcatChannels gradient: %w", err)
	}
	return G.Nodes{da, db}, nil
}

// sliceChannelsOp copies channels [c0, c0+cn) of a [N, C, H, W] tensor.
type sliceChannelsOp struct {
	c0, cn int
	buf    *outBuf
}

func (sliceChannelsOp) Arity() int           { return 1 }
func (sliceChannelsOp) Type() hm.Type        { return hm.NewFnType(t4, t4) }
func (sliceChannelsOp) ReturnsPtr() bool     { return false }
func (sliceChannelsOp) CallsExtern() bool    { return false }
func (sliceChannelsOp) OverwritesInput() int { return -1 }
func (op sliceChannelsOp) String() string {
	return fmt.Sprintf("SliceChannels[%d:%d]", op.c0, op.c0+op.cn)
}
func (op sliceChannelsOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }
func (op sliceChannelsOp) Hashcode() uint32      { return hashOf(op.String()) }
func (sliceChannelsOp) DiffWRT(int) []bool       { return []bool{false} }
func (op sliceChannelsOp) SymDiff(G.Nodes, *G.Node, *G.Node) (G.Nodes, error) {
	return nil, fmt.Errorf("%v: second derivatives are not implemented", op)
}
func (op sliceChannelsOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	s, err := shapesOf(op.String(), ds...)
	if err != nil {
		return nil, err
	}
	if len(s) != 1 || len(s[0]) != 4 || op.c0+op.cn > s[0][1] {
		return nil, fmt.Errorf("%v: operand shape %v", op, s)
	}
	return tensor.Shape{s[0][0], op.cn, s[0][2], s[0][3]}, nil
}
func (op sliceChannelsOp) Do(vs ...G.Value) (G.Value, error) {
	defer op.buf.consumed(vs)
	if len(vs) != 1 {
		return nil, fmt.Errorf("%v: want 1 operand, got %d", op, len(vs))
	}
	x, xs, err := floats(vs[0], op.String())
	if err != nil {
		return nil, err
	}
	shape, err := op.InferShape(xs)
	if err != nil {
		return nil, err
	}
	out, o := op.buf.dense(shape...)
	kernels.SliceChannels(xs[0], xs[1], xs[2]*xs[3], op.c0, op.cn, x, o)
	return out, nil
}

// ConcatChannels joins a [N, Ca, H, W] and b [N, Cb, H, W] into
// [N, Ca+Cb, H, W] (the U-Net skip connection, torch.cat(dim=1)).
func ConcatChannels(a, b *G.Node) (*G.Node, error) {
	as, err := nodeShape(a, 4, "ConcatChannels")
	if err != nil {
		return nil, err
	}
	bs, err := nodeShape(b, 4, "ConcatChannels")
	if err != nil {
		return nil, err
	}
	if _, err := (concatOp{}).InferShape(as, bs); err != nil {
		return nil, err
	}
	n, err := G.ApplyOp(concatOp{buf: new(outBuf)}, a, b)
	if err != nil {
		return nil, fmt.Errorf("ConcatChannels: %w", err)
	}
	return n, nil
}
