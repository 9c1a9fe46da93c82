package nn

import (
	"fmt"
	"hash"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// tapOp is the identity, in value and gradient, that hands its operand's
// value to a function before passing it on.
type tapOp struct {
	elementwise
	id   uint64
	name string
	fn   func(*tensor.Dense) error
	buf  *outBuf
}

func (op tapOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) { return op.inferFirst(ds...) }
func (op tapOp) String() string                                    { return fmt.Sprintf("Tap{%s}", op.name) }

// A tap has side effects, so it hashes a process-unique id: gorgonia must
// never merge two taps.
func (op tapOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "Tap%d", op.id) }
func (op tapOp) Hashcode() uint32      { return hashOf(fmt.Sprintf("Tap%d", op.id)) }

// Do calls fn with the operand, then returns a copy of it (the copy keeps
// fn from reaching the value later operations read, and the operand's node
// from being overwritten in place through this one's output).
func (op tapOp) Do(vs ...G.Value) (G.Value, error) {
	defer op.buf.consumed(vs)
	if len(vs) != 1 {
		return nil, fmt.Errorf("%v: want 1 operand, got %d", op, len(vs))
	}
	x, xs, err := floats(vs[0], op.String())
	if err != nil {
		return nil, err
	}
	if err := op.fn(vs[0].(*tensor.Dense)); err != nil {
		return nil, fmt.Errorf("%v: %w", op, err)
	}
	out, y := op.buf.dense(xs...)
	copy(y, x)
	return out, nil
}

// SymDiff passes the gradient through unchanged.
func (op tapOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	return G.Nodes{grad}, nil
}

// Tap returns x unchanged, in value and gradient, and calls fn with x's
// value each time the node runs. Everything that consumes the returned node
// runs after fn has returned, which orders work outside the graph inside a
// run: a training step taps the generator's output to run the
// discriminator's update before the generator's adversarial term reads the
// updated discriminator weights. fn must not keep or modify the tensor; an
// error from fn fails the run. name only labels the node.
func Tap(x *G.Node, name string, fn func(*tensor.Dense) error) (*G.Node, error) {
	if fn == nil {
		return nil, fmt.Errorf("Tap %s: nil function", name)
	}
	n, err := G.ApplyOp(tapOp{id: nextID(), name: name, fn: fn, buf: new(outBuf)}, x)
	if err != nil {
		return nil, fmt.Errorf("Tap %s: %w", name, err)
	}
	return n, nil
}
