package nn

import (
	"fmt"
	"hash"
	"hash/fnv"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// stopGradOp is the identity with no gradient.
type stopGradOp struct {
	elementwise
	buf *outBuf
}

func (op stopGradOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) { return op.inferFirst(ds...) }
func (op stopGradOp) DiffWRT(int) []bool                                { return []bool{false} }
func (op stopGradOp) WriteHash(h hash.Hash)                             { fmt.Fprint(h, "StopGradient") }
func (op stopGradOp) Hashcode() uint32 {
	h := fnv.New32a()
	op.WriteHash(h)
	return h.Sum32()
}
func (op stopGradOp) String() string { return "StopGradient" }

// Do copies its operand, so that no later in-place operation can reach the
// value it came from.
func (op stopGradOp) Do(vs ...G.Value) (G.Value, error) {
	defer op.buf.consumed(vs)
	if len(vs) != 1 {
		return nil, fmt.Errorf("StopGradient: want 1 operand, got %d", len(vs))
	}
	switch v := vs[0].(type) {
	case *tensor.Dense:
		if x, xs, err := floats(v, "StopGradient"); err == nil {
			out, y := op.buf.dense(xs...)
			copy(y, x)
			return out, nil
		}
		return v.Clone().(G.Value), nil
	case tensor.Tensor:
		return v.Clone().(G.Value), nil
	case G.Scalar:
		return G.CloneValue(v)
	default:
		return nil, fmt.Errorf("StopGradient: unsupported value %T", v)
	}
}

func (op stopGradOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	return make(G.Nodes, len(in)), nil
}

// StopGradient returns x unchanged as a value that gradients do not flow
// through (PyTorch's detach). Use it for data inputs and for a generator
// output fed to the discriminator in the discriminator's step; Conv2d and
// ConvTranspose2d then skip computing the unused input gradient of any
// operand computed only from StopGradient outputs and constants.
func StopGradient(x *G.Node) (*G.Node, error) {
	n, err := G.ApplyOp(stopGradOp{buf: new(outBuf)}, x)
	if err != nil {
		return nil, fmt.Errorf("StopGradient: %w", err)
	}
	return n, nil
}

// isStopped reports whether no gradient can flow into n: it is a
// StopGradient output or a constant, or every operand it is computed from
// is. Input nodes are never stopped, since G.Grad may be asked for them.
func isStopped(n *G.Node) bool { return stopped(n, map[*G.Node]bool{}) }

func stopped(n *G.Node, memo map[*G.Node]bool) bool {
	if v, ok := memo[n]; ok {
		return v
	}
	var res bool
	switch {
	case n.Op() == nil: // input variable
		res = false
	default:
		if _, ok := n.Op().(stopGradOp); ok {
			res = true
			break
		}
		// A constant has an op and no operands, so it counts as stopped.
		res = true
		children := n.Graph().From(n.ID())
		for children.Next() {
			if c, ok := children.Node().(*G.Node); !ok || !stopped(c, memo) {
				res = false
				break
			}
		}
	}
	memo[n] = res
	return res
}
