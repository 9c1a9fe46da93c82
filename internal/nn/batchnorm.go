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

// BNMode selects how one BatchNorm node normalises. The mode belongs to the
// node, not to the graph, so a training graph and an evaluation graph can
// share parameters and running statistics.
type BNMode int

const (
	// BNTrain normalises with the batch statistics and folds them into the
	// running statistics each time the node runs.
	BNTrain BNMode = iota
	// BNTrainNoUpdate normalises with the batch statistics and leaves the
	// running statistics alone: use it when the same forward pass is built
	// in a second graph for the same step, so the statistics are folded in
	// once.
	BNTrainNoUpdate
	// BNEval normalises with the running statistics, which the gradient
	// then treats as constants.
	BNEval
)

func (m BNMode) String() string {
	switch m {
	case BNTrain:
		return "train"
	case BNTrainNoUpdate:
		return "train-no-update"
	case BNEval:
		return "eval"
	}
	return fmt.Sprintf("BNMode(%d)", int(m))
}

// BatchNormState holds one layer's running statistics and
// hyper-parameters. It is shared by every graph that contains the layer;
// BatchNorm nodes lock it while they read or update it.
type BatchNormState struct {
	RunningMean, RunningVar []float32
	Momentum                float32 // weight of the new batch, PyTorch's momentum (0.1)
	Eps                     float32 // added to the variance (1e-5 pix2pix, 1e-3 Inception)

	mu sync.Mutex
}

// NewBatchNormState returns the state of a c-channel layer as PyTorch
// initialises it: running mean 0, running variance 1.
func NewBatchNormState(c int, momentum, eps float32) *BatchNormState {
	st := &BatchNormState{RunningMean: make([]float32, c), RunningVar: make([]float32, c), Momentum: momentum, Eps: eps}
	for i := range st.RunningVar {
		st.RunningVar[i] = 1
	}
	return st
}

// runningCopy returns a snapshot of the running statistics.
func (st *BatchNormState) runningCopy() (mean, variance []float32) {
	st.mu.Lock()
	defer st.mu.Unlock()
	return append([]float32(nil), st.RunningMean...), append([]float32(nil), st.RunningVar...)
}

// bnOp is one BatchNorm node: (x [N,C,H,W], gamma [C], beta [C]) → y.
type bnOp struct {
	id   uint64
	st   *BatchNormState
	mode BNMode
	out  *outBuf
}

func (op *bnOp) Arity() int            { return 3 }
func (op *bnOp) Type() hm.Type         { return hm.NewFnType(t4, t1, t1, t4) }
func (op *bnOp) ReturnsPtr() bool      { return false }
func (op *bnOp) CallsExtern() bool     { return false }
func (op *bnOp) OverwritesInput() int  { return -1 }
func (op *bnOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }
func (op *bnOp) Hashcode() uint32      { return hashOf(op.String()) }
func (op *bnOp) String() string        { return fmt.Sprintf("BatchNorm#%d{%v}", op.id, op.mode) }
func (op *bnOp) DiffWRT(int) []bool    { return []bool{true, true, true} }

func (op *bnOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	s, err := shapesOf(op.String(), ds...)
	if err != nil {
		return nil, err
	}
	if err := op.check(s); err != nil {
		return nil, err
	}
	return s[0].Clone(), nil
}

func (op *bnOp) check(s []tensor.Shape) error {
	if len(s) != 3 || len(s[0]) != 4 || len(s[1]) != 1 || len(s[2]) != 1 ||
		s[1][0] != s[0][1] || s[2][0] != s[0][1] || len(op.st.RunningMean) != s[0][1] || len(op.st.RunningVar) != s[0][1] {
		return fmt.Errorf("%v: want x [N,C,H,W], gamma [C], beta [C] and %d-channel state, got %v", op, len(op.st.RunningMean), s)
	}
	return nil
}

func (op *bnOp) Do(vs ...G.Value) (G.Value, error) {
	defer op.out.consumed(vs)
	if len(vs) != 3 {
		return nil, fmt.Errorf("%v: want 3 operands, got %d", op, len(vs))
	}
	x, xs, err := floats(vs[0], op.String())
	if err != nil {
		return nil, err
	}
	gamma, gs, err := floats(vs[1], op.String())
	if err != nil {
		return nil, err
	}
	beta, bs, err := floats(vs[2], op.String())
	if err != nil {
		return nil, err
	}
	if err := op.check([]tensor.Shape{xs, gs, bs}); err != nil {
		return nil, err
	}
	s := kernels.BNShape{N: xs[0], C: xs[1], HW: xs[2] * xs[3]}
	out, y := op.out.dense(xs...)
	switch op.mode {
	case BNEval:
		rm, rv := op.st.runningCopy()
		kernels.BatchNormEvalForward(s, x, gamma, beta, rm, rv, op.st.Eps, y)
	case BNTrain:
		mean, variance := make([]float32, s.C), make([]float32, s.C)
		kernels.BatchNormTrainForward(s, x, gamma, beta, op.st.Eps, y, mean, variance)
		op.st.mu.Lock()
		kernels.BatchNormUpdateRunning(op.st.RunningMean, op.st.RunningVar, mean, variance, op.st.Momentum, s.Count())
		op.st.mu.Unlock()
	case BNTrainNoUpdate:
		kernels.BatchNormTrainForward(s, x, gamma, beta, op.st.Eps, y, nil, nil)
	default:
		return nil, fmt.Errorf("%v: unknown mode", op)
	}
	return out, nil
}

// SymDiff builds dx and dgamma from x, gamma and the output gradient (the
// batch statistics are recomputed from x, so no state passes from the
// forward run), and dbeta as the per-channel sum of the output gradient.
func (op *bnOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	if len(in) != 3 {
		return nil, fmt.Errorf("%v: want 3 operands, got %d", op, len(in))
	}
	dx, err := G.ApplyOp(&bnGradOp{fwd: op, wrtGamma: false, out: new(outBuf)}, in[0], in[1], grad)
	if err != nil {
		return nil, fmt.Errorf("%v input gradient: %w", op, err)
	}
	dg, err := G.ApplyOp(&bnGradOp{fwd: op, wrtGamma: true, out: new(outBuf)}, in[0], in[1], grad)
	if err != nil {
		return nil, fmt.Errorf("%v gamma gradient: %w", op, err)
	}
	db, err := G.ApplyOp(channelSumOp{buf: new(outBuf)}, grad)
	if err != nil {
		return nil, fmt.Errorf("%v beta gradient: %w", op, err)
	}
	return G.Nodes{dx, dg, db}, nil
}

// bnGradOp computes the gradient of one BatchNorm node with respect to x
// or to gamma from (x, gamma, dy), in the forward node's mode.
type bnGradOp struct {
	fwd      *bnOp
	wrtGamma bool
	out      *outBuf
}

func (op *bnGradOp) Arity() int { return 3 }
func (op *bnGradOp) Type() hm.Type {
	if op.wrtGamma {
		return hm.NewFnType(t4, t1, t4, t1)
	}
	return hm.NewFnType(t4, t1, t4, t4)
}
func (op *bnGradOp) ReturnsPtr() bool      { return false }
func (op *bnGradOp) CallsExtern() bool     { return false }
func (op *bnGradOp) OverwritesInput() int  { return -1 }
func (op *bnGradOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }
func (op *bnGradOp) Hashcode() uint32      { return hashOf(op.String()) }
func (op *bnGradOp) String() string {
	if op.wrtGamma {
		return op.fwd.String() + ".GradGamma"
	}
	return op.fwd.String() + ".GradInput"
}
func (op *bnGradOp) DiffWRT(int) []bool { return []bool{false, false, false} }
func (op *bnGradOp) SymDiff(G.Nodes, *G.Node, *G.Node) (G.Nodes, error) {
	return nil, fmt.Errorf("%v: second derivatives are not implemented", op)
}

func (op *bnGradOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	s, err := shapesOf(op.String(), ds...)
	if err != nil {
		return nil, err
	}
	if len(s) != 3 || len(s[0]) != 4 || !s[0].Eq(s[2]) || len(s[1]) != 1 || s[1][0] != s[0][1] {
		return nil, fmt.Errorf("%v: want x [N,C,H,W], gamma [C], dy like x, got %v", op, s)
	}
	if op.wrtGamma {
		return s[1].Clone(), nil
	}
	return s[0].Clone(), nil
}

func (op *bnGradOp) Do(vs ...G.Value) (G.Value, error) {
	defer op.out.consumed(vs)
	if len(vs) != 3 {
		return nil, fmt.Errorf("%v: want 3 operands, got %d", op, len(vs))
	}
	x, xs, err := floats(vs[0], op.String())
	if err != nil {
		return nil, err
	}
	gamma, gs, err := floats(vs[1], op.String())
	if err != nil {
		return nil, err
	}
	dy, ds, err := floats(vs[2], op.String())
	if err != nil {
		return nil, err
	}
	shape, err := op.InferShape(xs, gs, ds)
	if err != nil {
		return nil, err
	}
	s := kernels.BNShape{N: xs[0], C: xs[1], HW: xs[2] * xs[3]}
	out, o := op.out.dense(shape...)
	var dx, dg []float32
	if op.wrtGamma {
		dg = o
	} else {
		dx = o
	}
	st := op.fwd.st
	if op.fwd.mode == BNEval {
		rm, rv := st.runningCopy()
		kernels.BatchNormEvalBackward(s, x, dy, gamma, rm, rv, st.Eps, dx, dg, nil)
	} else {
		kernels.BatchNormTrainBackward(s, x, dy, gamma, st.Eps, dx, dg, nil)
	}
	return out, nil
}

// BatchNorm returns the batch normalisation of x [N, C, H, W] with scale
// gamma [C] and shift beta [C], using and maintaining the statistics in st
// as mode says. Each call creates a distinct node, even for identical
// operands, because BNTrain nodes have a side effect.
func BatchNorm(x, gamma, beta *G.Node, st *BatchNormState, mode BNMode) (*G.Node, error) {
	if st == nil {
		return nil, fmt.Errorf("BatchNorm: nil state")
	}
	if mode != BNTrain && mode != BNTrainNoUpdate && mode != BNEval {
		return nil, fmt.Errorf("BatchNorm: unknown mode %v", mode)
	}
	op := &bnOp{id: nextID(), st: st, mode: mode, out: new(outBuf)}
	var shapes []tensor.Shape
	for i, n := range []*G.Node{x, gamma, beta} {
		dims := 1
		if i == 0 {
			dims = 4
		}
		s, err := nodeShape(n, dims, "BatchNorm")
		if err != nil {
			return nil, err
		}
		shapes = append(shapes, s)
	}
	if err := op.check(shapes); err != nil {
		return nil, err
	}
	n, err := G.ApplyOp(op, x, gamma, beta)
	if err != nil {
		return nil, fmt.Errorf("BatchNorm: %w", err)
	}
	return n, nil
}
