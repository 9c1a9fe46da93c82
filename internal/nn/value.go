package nn

import (
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

var (
	typeVar = hm.TypeVariable('a')
	t4      = G.TensorType{Dims: 4, Of: typeVar}
	t1      = G.TensorType{Dims: 1, Of: typeVar}
)

// opIDs hands out the process-unique ids stateful operations hash.
var opIDs atomic.Uint64

func nextID() uint64 { return opIDs.Add(1) }

// floats returns the backing slice and shape of a float32 dense tensor.
func floats(v G.Value, what string) ([]float32, tensor.Shape, error) {
	d, ok := v.(*tensor.Dense)
	if !ok {
		return nil, nil, fmt.Errorf("%s: want *tensor.Dense, got %T", what, v)
	}
	if d.Dtype() != tensor.Float32 {
		return nil, nil, fmt.Errorf("%s: want float32, got %v", what, d.Dtype())
	}
	if !d.IsNativelyAccessible() || d.RequiresIterator() {
		return nil, nil, fmt.Errorf("%s: tensor is not contiguous", what)
	}
	data, n := d.Float32s(), d.Shape().TotalSize()
	if len(data) < n {
		return nil, nil, fmt.Errorf("%s: tensor of shape %v holds only %d values", what, d.Shape(), len(data))
	}
	return data[:n], d.Shape(), nil
}

// newDense allocates a zeroed float32 tensor of the given shape.
func newDense(shape ...int) (*tensor.Dense, []float32) {
	d := tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(shape...))
	return d, d.Float32s()
}

// outBuf is the output tensor of one graph node's operation, kept from one
// run of a machine to the next so that a training step allocates (and the
// garbage collector reclaims) nothing in steady state: gorgonia would
// otherwise allocate every output afresh on every run, and the garbage of a
// step alone is larger than the live activations.
//
// Reuse is safe because every operation of this package overwrites its whole
// output, a node runs once per machine run, and each node gets its own outBuf
// when it is created (ops are never shared between nodes). The price is the
// documented ownership rule: a node's value is valid until the next run of
// its graph, as with unet.Runner.Run and gan.Trainer.Fake. A nil *outBuf
// allocates every time.
type outBuf struct {
	d     *tensor.Dense
	arena *Arena // when set, the output is borrowed from the arena instead
}

// outputBuffer is implemented by every operation of this package.
type outputBuffer interface{ outputBuf() *outBuf }

func (op *convOp) outputBuf() *outBuf         { return op.out }
func (op actOp) outputBuf() *outBuf           { return op.buf }
func (op actGradOp) outputBuf() *outBuf       { return op.buf }
func (op *bnOp) outputBuf() *outBuf           { return op.out }
func (op *bnGradOp) outputBuf() *outBuf       { return op.out }
func (op addBiasOp) outputBuf() *outBuf       { return op.buf }
func (op channelSumOp) outputBuf() *outBuf    { return op.buf }
func (op concatOp) outputBuf() *outBuf        { return op.buf }
func (op sliceChannelsOp) outputBuf() *outBuf { return op.buf }
func (op *dropoutOp) outputBuf() *outBuf      { return op.out }
func (op stopGradOp) outputBuf() *outBuf      { return op.buf }
func (op tapOp) outputBuf() *outBuf           { return op.buf }

// Arena lends output tensors to the nodes of graphs that share memory for
// their activations. Graphs that run one after the other each take from
// the arena after a Release, so the peak is that of the largest graph rather
// than the sum. A graph run nested inside another's run (from a Tap) takes
// from what the outer run has not taken yet and, with Mark and
// ReleaseSince, gives its tensors back for the outer run's remaining nodes:
// the training step runs the discriminator's update inside the generator's
// graph, whose backward pass then reuses the discriminator's activations.
//
// Within one run every node gets a tensor of its own; Release makes all of
// them available again. After a Release, the values of nodes that borrowed
// from the arena are undefined once another run has started, so nodes whose
// values are read after later runs (parameter gradients read by an optimizer
// or by tests, say) must be left out of Share. An Arena is not safe for
// concurrent runs.
type Arena struct {
	mu   sync.Mutex
	free map[int][]*tensor.Dense // by element count
	lent []*tensor.Dense
}

// NewArena returns an empty arena.
func NewArena() *Arena { return &Arena{free: map[int][]*tensor.Dense{}} }

// Share makes every node of g computed by an operation of this package
// borrow its output from a, except the nodes in keep.
func (a *Arena) Share(g *G.ExprGraph, keep ...*G.Node) {
	// A kept node computed by a gorgonia operation (the Add that sums a
	// weight's gradients over its uses, say) may have run in place on an
	// operand's tensor, so its operands are kept too, recursively.
	kept := map[*G.Node]bool{}
	var mark func(n *G.Node)
	mark = func(n *G.Node) {
		if n == nil || kept[n] {
			return
		}
		kept[n] = true
		if _, ours := n.Op().(outputBuffer); !ours {
			for it := g.From(n.ID()); it != nil && it.Next(); {
				if c, ok := it.Node().(*G.Node); ok {
					mark(c)
				}
			}
		}
	}
	for _, n := range keep {
		mark(n)
	}
	for _, n := range g.AllNodes() {
		if ob, ok := n.Op().(outputBuffer); ok && !kept[n] {
			if b := ob.outputBuf(); b != nil {
				b.arena, b.d = a, nil
			}
		}
	}
}

// Release returns every lent tensor to the arena. Call it before each run
// of a graph that shares it.
func (a *Arena) Release() {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, d := range a.lent {
		n := d.Shape().TotalSize()
		a.free[n] = append(a.free[n], d)
	}
	clear(a.lent)
	a.lent = a.lent[:0]
}

// Mark returns a position in the sequence of lent tensors for ReleaseSince.
func (a *Arena) Mark() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.lent)
}

// ReleaseSince returns the tensors lent after mark was taken, and keeps
// those lent before. It serves a graph run nested inside another's run (a
// Tap's function running a second graph): once the inner run's results are
// read, its activations can go to the outer graph's remaining nodes.
func (a *Arena) ReleaseSince(mark int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if mark < 0 || mark > len(a.lent) {
		return
	}
	for _, d := range a.lent[mark:] {
		n := d.Shape().TotalSize()
		a.free[n] = append(a.free[n], d)
	}
	clear(a.lent[mark:])
	a.lent = a.lent[:mark]
}

// Bytes returns the memory the arena holds, lent or free.
func (a *Arena) Bytes() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	var n int
	for _, d := range a.lent {
		n += 4 * d.Shape().TotalSize()
	}
	for size, ds := range a.free {
		n += 4 * size * len(ds)
	}
	return n
}

func (a *Arena) take(shape []int) (*tensor.Dense, []float32) {
	a.mu.Lock()
	defer a.mu.Unlock()
	size := tensor.Shape(shape).TotalSize()
	var d *tensor.Dense
	if fl := a.free[size]; len(fl) > 0 {
		d = fl[len(fl)-1]
		fl[len(fl)-1] = nil
		a.free[size] = fl[:len(fl)-1]
		if !d.Shape().Eq(tensor.Shape(shape)) {
			if err := d.Reshape(shape...); err != nil {
				d = nil // cannot happen for a contiguous tensor of this size
			}
		}
	}
	if d == nil {
		d, _ = newDense(shape...)
	}
	a.lent = append(a.lent, d)
	return d, d.Float32s()[:size]
}

// dense returns the buffer as a float32 tensor of the given shape with
// unspecified contents, allocating it on first use or when the shape (or the
// tensor, should something else have reshaped it) no longer matches.
func (b *outBuf) dense(shape ...int) (*tensor.Dense, []float32) {
	if b == nil {
		return newDense(shape...)
	}
	if b.arena != nil {
		return b.arena.take(shape)
	}
	if d := b.d; d != nil && d.Dtype() == tensor.Float32 && d.Shape().Eq(tensor.Shape(shape)) && d.IsNativelyAccessible() && !d.RequiresIterator() {
		if data := d.Float32s(); len(data) == tensor.Shape(shape).TotalSize() {
			return d, data
		}
	}
	var data []float32
	b.d, data = newDense(shape...)
	return b.d, data
}

// nodeShape returns the static shape of a node, requiring dims dimensions.
func nodeShape(n *G.Node, dims int, what string) (tensor.Shape, error) {
	s := n.Shape()
	if len(s) != dims {
		return nil, fmt.Errorf("%s: want a %d-D node, %s has shape %v", what, dims, n.Name(), s)
	}
	for _, d := range s {
		if d <= 0 {
			return nil, fmt.Errorf("%s: %s has unknown or empty shape %v", what, n.Name(), s)
		}
	}
	if n.Dtype() != tensor.Float32 {
		return nil, fmt.Errorf("%s: %s is %v, only float32 is supported", what, n.Name(), n.Dtype())
	}
	return s.Clone(), nil
}

// shapesOf converts InferShape's arguments to shapes.
func shapesOf(what string, ds ...G.DimSizer) ([]tensor.Shape, error) {
	out := make([]tensor.Shape, len(ds))
	for i, d := range ds {
		s, ok := d.(tensor.Shape)
		if !ok {
			return nil, fmt.Errorf("%s: input %d has no shape (%T)", what, i, d)
		}
		out[i] = s
	}
	return out, nil
}

// elementwise is the common part of one-input, shape-preserving ops.
type elementwise struct{}

func (elementwise) Arity() int           { return 1 }
func (elementwise) Type() hm.Type        { return hm.NewFnType(typeVar, typeVar) }
func (elementwise) ReturnsPtr() bool     { return false }
func (elementwise) CallsExtern() bool    { return false }
func (elementwise) OverwritesInput() int { return -1 }
func (elementwise) DiffWRT(n int) []bool { return []bool{true} }
func (elementwise) inferFirst(ds ...G.DimSizer) (tensor.Shape, error) {
	s, ok := ds[0].(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("elementwise op: input has no shape (%T)", ds[0])
	}
	return s.Clone(), nil
}
