package nn

import (
	"fmt"
	"slices"
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
	// readers is the number of nodes that read the output and hand it back
	// to the arena when they have (Arena.ReturnEarly); 0 holds it until the
	// arena's Release.
	readers int
	// inputsTo, when set, is the arena this node's operation hands its
	// inputs back to as it finishes.
	inputsTo *Arena
	// slot is the output's place in the arena's slab (Arena.Layout).
	slot *slot
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
// By default every node of a run gets a tensor of its own, and Release
// makes all of them available again. ReturnEarly hands a node's tensor back
// as soon as its last reader has run, and Layout places the outputs in one
// slab sized for what a run keeps live at once: set up in that order
// (Share, ReturnEarly, Layout), a training step holds about half of what it
// computes, an inference a fraction. After a Release, the values of nodes
// that borrowed from the arena are undefined once another run has started,
// so nodes whose values are read after later runs (parameter gradients read
// by an optimizer or by tests, say) must be left out of Share. An Arena is
// not safe for concurrent runs.
type Arena struct {
	mu   sync.Mutex
	free map[int][]*tensor.Dense // by element count
	lent []*loan                 // in the order lent
	// out holds the loans not yet returned whose tensors go back early,
	// by tensor.
	out map[*tensor.Dense]*loan
	// slab holds the outputs placed by Layout, each node's at its slot.
	slab []float32
	// strays counts the takes of the current run whose slot could not be
	// used.
	strays int
}

// loan is one tensor lent to one node for one run.
type loan struct {
	d        *tensor.Dense
	left     int   // reads still to come before an early return; 0: none
	returned bool  // given back (early, or by a release)
	slot     *slot // where in the slab, or nil for a tensor of its own
}

// slot is one node's place in the slab: a tensor over slab[off:off+size].
type slot struct {
	off, size int
	d         *tensor.Dense
	busy      bool    // lent and not yet returned
	shares    []*slot // the other slots overlapping this one's memory
}

// free reports whether the slot's memory can be lent now: no slot sharing
// it is lent. It is what keeps a run that strays from the planned order
// correct; such a node gets a tensor of its own.
func (s *slot) free() bool {
	if s.busy {
		return false
	}
	for _, o := range s.shares {
		if o.busy {
			return false
		}
	}
	return true
}

// NewArena returns an empty arena.
func NewArena() *Arena {
	return &Arena{free: map[int][]*tensor.Dense{}, out: map[*tensor.Dense]*loan{}}
}

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
	a.strays = 0
	a.giveBack(a.lent)
	clear(a.lent)
	a.lent = a.lent[:0]
}

// giveBack puts the tensors of the loans not yet returned on the free lists.
func (a *Arena) giveBack(loans []*loan) {
	for _, l := range loans {
		if !l.returned {
			a.giveBackOne(l)
		}
	}
}

// giveBackOne returns one loan: a slab slot is free again, a tensor of its
// own goes on the free list of its size.
func (a *Arena) giveBackOne(l *loan) {
	l.returned = true
	delete(a.out, l.d)
	if l.slot != nil {
		l.slot.busy = false
		return
	}
	n := l.d.Shape().TotalSize()
	a.free[n] = append(a.free[n], l.d)
}

// ReturnEarly plans early returns for the nodes of run, the graph a machine
// executes: a node's tensor goes back to the arena as soon as the last node
// that reads it has run, and later nodes of the same run can take it. That
// is what bounds a training step's activations by what is live at once
// rather than by everything the step computes (the forward values are read
// by the backward pass and return there; most gradients return as soon as
// the next one is computed).
//
// A node returns early only when every node reading it in run is computed
// by an operation of this package (those hand their inputs back as they
// finish; gorgonia's own may work in place or return views of their
// operands) and it is not among results, the nodes whose values are read
// after the run. Call it after Share, with the graph the machine was built
// from.
func (a *Arena) ReturnEarly(run *G.ExprGraph, results ...*G.Node) {
	held := map[*G.Node]bool{}
	for _, n := range results {
		held[n] = true
	}
	// The tape machine merges nodes of equal hash (common subexpression
	// elimination): one of them runs and the readers of all read its
	// value, so none of them returns early.
	hashes := map[uint32]int{}
	for _, n := range run.AllNodes() {
		hashes[n.Hashcode()]++
	}
	for _, n := range run.AllNodes() {
		if hashes[n.Hashcode()] > 1 {
			held[n] = true
		}
	}
	for _, n := range run.AllNodes() {
		ob, ok := n.Op().(outputBuffer)
		if !ok {
			continue
		}
		b := ob.outputBuf()
		if b == nil {
			continue
		}
		b.inputsTo = a
		b.readers = 0
		if b.arena != a || held[n] {
			continue
		}
		b.readers = ourReaders(run, n)
	}
}

// ourReaders returns the number of nodes of run that read n, or 0 if any of
// them is not computed by an operation of this package.
func ourReaders(run *G.ExprGraph, n *G.Node) int {
	readers := 0
	for it := run.To(n.ID()); it != nil && it.Next(); {
		r, isNode := it.Node().(*G.Node)
		if !isNode {
			return 0
		}
		if rb, ours := r.Op().(outputBuffer); !ours || rb.outputBuf() == nil {
			return 0
		}
		readers++
	}
	return readers
}

// consumed is called by a node's operation when it has finished reading its
// inputs: each input lent for an early return counts one read.
func (a *Arena) consumed(vs []G.Value) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for i, v := range vs {
		d, ok := v.(*tensor.Dense)
		if !ok || slices.ContainsFunc(vs[:i], func(u G.Value) bool { return u == v }) {
			continue // a node reading one input twice is one reader
		}
		l := a.out[d]
		if l == nil {
			continue
		}
		if l.left--; l.left == 0 {
			a.giveBackOne(l)
		}
	}
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
	a.giveBack(a.lent[mark:])
	clear(a.lent[mark:])
	a.lent = a.lent[:mark]
}

// Strays returns the number of nodes of the current run (since the last
// Release) that got a tensor of their own because their slot in the slab
// (Layout) did not fit or overlapped a tensor still in use: 0 when runs
// follow the planned order.
func (a *Arena) Strays() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.strays
}

// Bytes returns the memory the arena holds, lent or free.
func (a *Arena) Bytes() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	var n int
	for _, l := range a.lent {
		if !l.returned && l.slot == nil {
			n += 4 * l.d.Shape().TotalSize()
		}
	}
	n += 4 * len(a.slab)
	for size, ds := range a.free {
		n += 4 * size * len(ds)
	}
	return n
}

// take lends a tensor of the given shape, from slot s of the slab when it
// fits and is free; readers > 0 returns it early after that many consumed
// reads.
func (a *Arena) take(shape []int, readers int, planned *slot) (*tensor.Dense, []float32) {
	a.mu.Lock()
	defer a.mu.Unlock()
	size := tensor.Shape(shape).TotalSize()
	s := planned
	if s != nil && (s.size != size || !s.free() || !s.d.Shape().Eq(tensor.Shape(shape)) && s.d.Reshape(shape...) != nil) {
		s = nil
		a.strays++
	}
	var d *tensor.Dense
	if s != nil {
		d = s.d
		s.busy = true
	} else if fl := a.free[size]; len(fl) > 0 {
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
	l := &loan{d: d, left: readers, slot: s}
	a.lent = append(a.lent, l)
	if readers > 0 {
		a.out[d] = l
	}
	return d, d.Float32s()[:size]
}

// consumed tells the arena planned by ReturnEarly that the node's operation
// has finished reading vs. Operations defer it on entry to Do.
func (b *outBuf) consumed(vs []G.Value) {
	if b != nil && b.inputsTo != nil {
		b.inputsTo.consumed(vs)
	}
}

// dense returns the buffer as a float32 tensor of the given shape with
// unspecified contents, allocating it on first use or when the shape (or the
// tensor, should something else have reshaped it) no longer matches.
func (b *outBuf) dense(shape ...int) (*tensor.Dense, []float32) {
	if b == nil {
		return newDense(shape...)
	}
	if b.arena != nil {
		return b.arena.take(shape, b.readers, b.slot)
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
