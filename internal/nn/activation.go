package nn

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	"github.com/colorize-dev/colorize/internal/kernels"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// actKind names a pointwise activation.
type actKind int

const (
	actLeaky actKind = iota // leaky ReLU with slope alpha (ReLU when alpha is 0)
	actTanh
)

// actOp applies an activation: x → f(x).
type actOp struct {
	elementwise
	kind  actKind
	alpha float32
	buf   *outBuf
}

func (op actOp) String() string {
	if op.kind == actTanh {
		return "Tanh"
	}
	return fmt.Sprintf("LeakyReLU{%g}", op.alpha)
}
func (op actOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }
func (op actOp) Hashcode() uint32      { return hashOf(op.String()) }
func (op actOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	return op.inferFirst(ds...)
}

func (op actOp) Do(vs ...G.Value) (G.Value, error) {
	defer op.buf.consumed(vs)
	if len(vs) != 1 {
		return nil, fmt.Errorf("%v: want 1 operand, got %d", op, len(vs))
	}
	x, xs, err := floats(vs[0], op.String())
	if err != nil {
		return nil, err
	}
	out, y := op.buf.dense(xs...)
	if op.kind == actTanh {
		kernels.Tanh(x, y)
	} else {
		kernels.LeakyReLU(x, y, op.alpha)
	}
	return out, nil
}

// SymDiff: the derivative reads the output y. Tanh's is 1 - y²; leaky
// ReLU's picks its slope by x > 0, which is y > 0 for any alpha ≥ 0 (bit
// for bit the same gradient). Reading y rather than x lets x go back to an
// arena after the forward pass (Arena.ReturnEarly), as PyTorch's in-place
// activations free their input.
func (op actOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	from := in[0]
	if op.kind == actTanh || op.alpha >= 0 {
		from = out
	}
	n, err := G.ApplyOp(actGradOp{kind: op.kind, alpha: op.alpha, buf: new(outBuf)}, from, grad)
	if err != nil {
		return nil, fmt.Errorf("%v gradient: %w", op, err)
	}
	return G.Nodes{n}, nil
}

// actGradOp computes an activation's input gradient from (x or y, dy).
type actGradOp struct {
	kind  actKind
	alpha float32
	buf   *outBuf
}

func (op actGradOp) Arity() int            { return 2 }
func (op actGradOp) Type() hm.Type         { return hm.NewFnType(typeVar, typeVar, typeVar) }
func (op actGradOp) ReturnsPtr() bool      { return false }
func (op actGradOp) CallsExtern() bool     { return false }
func (op actGradOp) OverwritesInput() int  { return -1 }
func (op actGradOp) String() string        { return actOp{kind: op.kind, alpha: op.alpha}.String() + "Grad" }
func (op actGradOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }
func (op actGradOp) Hashcode() uint32      { return hashOf(op.String()) }
func (op actGradOp) DiffWRT(int) []bool    { return []bool{false, false} }
func (op actGradOp) SymDiff(G.Nodes, *G.Node, *G.Node) (G.Nodes, error) {
	return nil, fmt.Errorf("%v: second derivatives are not implemented", op)
}
func (op actGradOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	s, err := shapesOf(op.String(), ds...)
	if err != nil {
		return nil, err
	}
	if len(s) != 2 || !s[0].Eq(s[1]) {
		return nil, fmt.Errorf("%v: want two operands of one shape, got %v", op, s)
	}
	return s[0].Clone(), nil
}
func (op actGradOp) Do(vs ...G.Value) (G.Value, error) {
	defer op.buf.consumed(vs)
	if len(vs) != 2 {
		return nil, fmt.Errorf("%v: want 2 operands, got %d", op, len(vs))
	}
	a, as, err := floats(vs[0], op.String())
	if err != nil {
		return nil, err
	}
	dy, ds, err := floats(vs[1], op.String())
	if err != nil {
		return nil, err
	}
	if !as.Eq(ds) {
		return nil, fmt.Errorf("%v: shapes %v and %v differ", op, as, ds)
	}
	out, dx := op.buf.dense(as...)
	if op.kind == actTanh {
		kernels.TanhBackward(a, dy, dx)
	} else {
		kernels.LeakyReLUBackward(a, dy, dx, op.alpha)
	}
	return out, nil
}

func applyAct(x *G.Node, op actOp) (*G.Node, error) {
	if x.Dtype() != tensor.Float32 {
		return nil, fmt.Errorf("%v: %s is %v, only float32 is supported", op, x.Name(), x.Dtype())
	}
	op.buf = new(outBuf)
	n, err := G.ApplyOp(op, x)
	if err != nil {
		return nil, fmt.Errorf("%v: %w", op, err)
	}
	return n, nil
}

// LeakyReLU returns x where x > 0 and alpha·x elsewhere (pix2pix uses
// alpha = 0.2 in the encoder and discriminator).
func LeakyReLU(x *G.Node, alpha float64) (*G.Node, error) {
	return applyAct(x, actOp{kind: actLeaky, alpha: float32(alpha)})
}

// ReLU returns max(x, 0).
func ReLU(x *G.Node) (*G.Node, error) { return applyAct(x, actOp{kind: actLeaky}) }

// Tanh returns tanh(x).
func Tanh(x *G.Node) (*G.Node, error) { return applyAct(x, actOp{kind: actTanh}) }
