package nn

import (
	"fmt"
	"hash"
	"sync"

	"github.com/chewxy/hm"
	"github.com/colorize-dev/colorize/internal/kernels"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// DropoutMask is the randomness of one dropout layer. The mask is a pure
// function of (Seed, Stream) and the tensor size, so every graph holding
// the layer draws the same units for the same Seed: set Seed once per
// training step (e.g. to the step number) before running that step's
// graphs. Stream tells the layers apart and should differ between layers.
type DropoutMask struct {
	P        float32 // probability of dropping a unit (pix2pix: 0.5)
	Seed     uint64  // set by the caller before each step
	Stream   uint64  // fixed per layer
	Disabled bool    // identity, for inference

	mu         sync.Mutex
	cache      []float32 // the last mask drawn, for (cacheSeed, len(cache))
	cacheSeed  uint64
	cacheValid bool
}

// NewDropoutMask returns an enabled mask with drop probability p for the
// layer identified by stream.
func NewDropoutMask(p float32, stream uint64) *DropoutMask {
	return &DropoutMask{P: p, Stream: stream}
}

// multipliers returns the mask for n units and the current seed: 0 for a
// dropped unit, 1/(1−P) for a kept one, or nil when disabled. The caller
// must not modify it.
func (m *DropoutMask) multipliers(n int) []float32 {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.Disabled {
		return nil
	}
	if !m.cacheValid || m.cacheSeed != m.Seed || len(m.cache) != n {
		m.cache = make([]float32, n) // fresh: earlier results may still hold the old one
		kernels.DropoutMask(m.Seed, m.Stream, m.P, m.cache)
		m.cacheSeed, m.cacheValid = m.Seed, true
	}
	return m.cache
}

// dropoutOp multiplies its operand by the layer's mask; its gradient is the
// same multiplication, so forward and backward use one op type.
type dropoutOp struct {
	elementwise
	id   uint64
	m    *DropoutMask
	grad bool
	out  *outBuf
}

func (op *dropoutOp) String() string {
	if op.grad {
		return fmt.Sprintf("Dropout#%d.Grad", op.id)
	}
	return fmt.Sprintf("Dropout#%d", op.id)
}
func (op *dropoutOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }
func (op *dropoutOp) Hashcode() uint32      { return hashOf(op.String()) }
func (op *dropoutOp) Type() hm.Type         { return hm.NewFnType(typeVar, typeVar) }
func (op *dropoutOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	return op.inferFirst(ds...)
}

func (op *dropoutOp) Do(vs ...G.Value) (G.Value, error) {
	defer op.out.consumed(vs)
	if len(vs) != 1 {
		return nil, fmt.Errorf("%v: want 1 operand, got %d", op, len(vs))
	}
	x, xs, err := floats(vs[0], op.String())
	if err != nil {
		return nil, err
	}
	out, y := op.out.dense(xs...)
	if mask := op.m.multipliers(len(x)); mask != nil {
		kernels.Mul(x, mask, y)
	} else {
		copy(y, x)
	}
	return out, nil
}

func (op *dropoutOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	n, err := G.ApplyOp(&dropoutOp{id: op.id, m: op.m, grad: true, out: new(outBuf)}, grad)
	if err != nil {
		return nil, fmt.Errorf("%v gradient: %w", op, err)
	}
	return G.Nodes{n}, nil
}

// Dropout returns x·mask with the inverted-dropout mask of m (units dropped
// with probability m.P, survivors scaled by 1/(1−m.P)); when m.Disabled it
// returns a copy of x. Its gradient applies the same mask.
func Dropout(x *G.Node, m *DropoutMask) (*G.Node, error) {
	if m == nil {
		return nil, fmt.Errorf("Dropout: nil mask")
	}
	if m.P < 0 || m.P >= 1 {
		return nil, fmt.Errorf("Dropout: probability %g outside [0, 1)", m.P)
	}
	if x.Dtype() != tensor.Float32 {
		return nil, fmt.Errorf("Dropout: %s is %v, only float32 is supported", x.Name(), x.Dtype())
	}
	n, err := G.ApplyOp(&dropoutOp{id: nextID(), m: m, out: new(outBuf)}, x)
	if err != nil {
		return nil, fmt.Errorf("Dropout: %w", err)
	}
	return n, nil
}
