package loss

import (
	"errors"
	"fmt"
	"hash"
	"hash/fnv"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// lossFn names the loss an Op computes.
type lossFn int

const (
	fnL1 lossFn = iota
	fnCompensatedL1
	fnCompensatedL1Detached
	fnBCEWithLogits
)

func (f lossFn) String() string {
	switch f {
	case fnL1:
		return "l1"
	case fnCompensatedL1:
		return "compensated_l1"
	case fnCompensatedL1Detached:
		return "compensated_l1_detached"
	case fnBCEWithLogits:
		return "bce_with_logits"
	}
	return fmt.Sprintf("lossFn(%d)", int(f))
}

// spec is everything a loss Op and its gradient Op know besides their
// inputs. The Ops are pure functions of the inputs and the spec, so two
// nodes with equal specs on equal inputs may be merged by gorgonia's hashing.
type spec struct {
	fn    lossFn
	dims  int     // rank of the prediction (and target) tensors
	label float64 // the constant BCE target y; 0 for the image losses
}

// arity is the number of tensor inputs: prediction and target, or logits.
func (s spec) arity() int {
	if s.fn == fnBCEWithLogits {
		return 1
	}
	return 2
}

func (s spec) String() string {
	if s.fn == fnBCEWithLogits {
		return fmt.Sprintf("%v(y=%v)", s.fn, s.label)
	}
	return s.fn.String()
}

func (s spec) writeHash(h hash.Hash, what string) {
	fmt.Fprintf(h, "colorize/loss.%s %v dims=%d y=%v", what, s.fn, s.dims, s.label)
}

// checkShapes validates the input shapes of either Op.
func (s spec) checkShapes(in []G.DimSizer) (tensor.Shape, error) {
	if len(in) < s.arity() {
		return nil, fmt.Errorf("%v: want %d inputs, got %d", s, s.arity(), len(in))
	}
	shape, ok := in[0].(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("%v: input shape is %T, not a tensor.Shape", s, in[0])
	}
	if len(shape) != s.dims {
		return nil, fmt.Errorf("%v: input has shape %v, want %d dimensions", s, shape, s.dims)
	}
	if s.arity() == 2 {
		if t, ok := in[1].(tensor.Shape); !ok || !shape.Eq(t) {
			return nil, fmt.Errorf("%v: prediction shape %v differs from target shape %v", s, shape, in[1])
		}
	}
	return shape, nil
}

// lossOp computes a loss value: a scalar of the inputs' dtype.
type lossOp struct{ spec }

func (op lossOp) Arity() int { return op.arity() }

// Type is Tensor d a → Tensor d a → a, or Tensor d a → a for BCE.
func (op lossOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	t := G.TensorType{Dims: op.dims, Of: a}
	if op.arity() == 1 {
		return hm.NewFnType(t, a)
	}
	return hm.NewFnType(t, t, a)
}

func (op lossOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	if _, err := op.checkShapes(in); err != nil {
		return nil, err
	}
	return tensor.ScalarShape(), nil
}

func (op lossOp) Do(vals ...G.Value) (G.Value, error) {
	ts, err := op.inputs(vals)
	if err != nil {
		return nil, err
	}
	switch x := ts[0].Data().(type) {
	case []float32:
		return G.NewF32(float32(lossValue(op.spec, ts[0].Shape(), x, dataOf[float32](ts)))), nil
	case []float64:
		return G.NewF64(lossValue(op.spec, ts[0].Shape(), x, dataOf[float64](ts))), nil
	}
	return nil, fmt.Errorf("%v: unsupported dtype %v", op.spec, ts[0].Dtype())
}

func (op lossOp) ReturnsPtr() bool      { return false }
func (op lossOp) CallsExtern() bool     { return false }
func (op lossOp) OverwritesInput() int  { return -1 }
func (op lossOp) WriteHash(h hash.Hash) { op.writeHash(h, "loss") }
func (op lossOp) Hashcode() uint32      { return hashOf(op) }
func (op lossOp) String() string        { return op.spec.String() }

// DiffWRT: the prediction (or logits) only; the target is ground truth.
func (op lossOp) DiffWRT(n int) []bool {
	d := make([]bool, n)
	d[0] = true
	return d
}

func (op lossOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	children := append(append(G.Nodes{}, inputs...), grad)
	dx, err := G.ApplyOp(lossGradOp(op), children...)
	if err != nil {
		return nil, fmt.Errorf("%v gradient: %w", op.spec, err)
	}
	grads := make(G.Nodes, len(inputs))
	grads[0] = dx
	return grads, nil
}

// lossGradOp computes ∂loss/∂prediction scaled by the incoming gradient, a
// scalar that is the last input.
type lossGradOp struct{ spec }

func (op lossGradOp) Arity() int { return op.arity() + 1 }

// Type is Tensor d a → Tensor d a → a → Tensor d a, or Tensor d a → a →
// Tensor d a for BCE.
func (op lossGradOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	t := G.TensorType{Dims: op.dims, Of: a}
	if op.arity() == 1 {
		return hm.NewFnType(t, a, t)
	}
	return hm.NewFnType(t, t, a, t)
}

func (op lossGradOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	shape, err := op.checkShapes(in)
	if err != nil {
		return nil, err
	}
	return shape.Clone(), nil
}

func (op lossGradOp) Do(vals ...G.Value) (G.Value, error) {
	return op.UsePreallocDo(nil, vals...)
}

// UsePreallocDo writes the gradient into prealloc when it is a contiguous
// tensor of the right shape and dtype that does not share memory with an
// input (whose node may still be read, e.g. to save the generated image);
// otherwise into a new tensor.
func (op lossGradOp) UsePreallocDo(prealloc G.Value, vals ...G.Value) (G.Value, error) {
	if len(vals) != op.Arity() {
		return nil, fmt.Errorf("%v gradient: want %d inputs, got %d", op.spec, op.Arity(), len(vals))
	}
	ts, err := op.inputs(vals[:op.arity()])
	if err != nil {
		return nil, err
	}
	gOut, err := scalarOf(vals[op.arity()])
	if err != nil {
		return nil, fmt.Errorf("%v gradient: %w", op.spec, err)
	}
	out := reusable(prealloc, ts)
	if out == nil {
		out = tensor.New(tensor.WithShape(ts[0].Shape().Clone()...), tensor.Of(ts[0].Dtype()))
	}
	switch x := ts[0].Data().(type) {
	case []float32:
		lossGrad(op.spec, ts[0].Shape(), out.Data().([]float32), x, dataOf[float32](ts), gOut)
	case []float64:
		lossGrad(op.spec, ts[0].Shape(), out.Data().([]float64), x, dataOf[float64](ts), gOut)
	default:
		return nil, fmt.Errorf("%v gradient: unsupported dtype %v", op.spec, ts[0].Dtype())
	}
	return out, nil
}

func (op lossGradOp) ReturnsPtr() bool      { return false }
func (op lossGradOp) CallsExtern() bool     { return false }
func (op lossGradOp) OverwritesInput() int  { return -1 }
func (op lossGradOp) WriteHash(h hash.Hash) { op.writeHash(h, "grad") }
func (op lossGradOp) Hashcode() uint32      { return hashOf(op) }
func (op lossGradOp) String() string        { return "∂" + op.spec.String() }

// DiffWRT reports no differentiable input: second derivatives are not
// supported. Declaring it (rather than not being an SDOp) lets a later
// G.Grad on the same graph walk past this node.
func (op lossGradOp) DiffWRT(n int) []bool { return make([]bool, n) }

func (op lossGradOp) SymDiff(G.Nodes, *G.Node, *G.Node) (G.Nodes, error) {
	return nil, fmt.Errorf("%v: second derivatives are not implemented", op.spec)
}

// inputs returns the tensor inputs as contiguous dense tensors of one float
// dtype and matching shapes.
func (s spec) inputs(vals []G.Value) ([]*tensor.Dense, error) {
	if len(vals) != s.arity() {
		return nil, fmt.Errorf("%v: want %d inputs, got %d", s, s.arity(), len(vals))
	}
	ts := make([]*tensor.Dense, len(vals))
	for i, v := range vals {
		d, ok := v.(*tensor.Dense)
		if !ok {
			return nil, fmt.Errorf("%v: input %d is %T, not a dense tensor", s, i, v)
		}
		if d.RequiresIterator() {
			if d, ok = d.Materialize().(*tensor.Dense); !ok {
				return nil, fmt.Errorf("%v: input %d cannot be made contiguous", s, i)
			}
		}
		if d.Dtype() != tensor.Float32 && d.Dtype() != tensor.Float64 {
			return nil, fmt.Errorf("%v: input %d has dtype %v, want float32 or float64", s, i, d.Dtype())
		}
		if i > 0 && (d.Dtype() != ts[0].Dtype() || !d.Shape().Eq(ts[0].Shape())) {
			return nil, fmt.Errorf("%v: target %v %v differs from prediction %v %v", s, d.Dtype(), d.Shape(), ts[0].Dtype(), ts[0].Shape())
		}
		ts[i] = d
	}
	if len(ts[0].Shape()) != s.dims || ts[0].Size() == 0 {
		return nil, fmt.Errorf("%v: input shape %v, want %d non-empty dimensions", s, ts[0].Shape(), s.dims)
	}
	return ts, nil
}

// dataOf returns the target's data, or nil when there is no target (BCE).
func dataOf[T Float](ts []*tensor.Dense) []T {
	if len(ts) < 2 {
		return nil
	}
	return ts[1].Data().([]T)
}

// reusable returns prealloc as the output tensor if it fits the inputs and
// shares no memory with them, else nil.
func reusable(prealloc G.Value, ts []*tensor.Dense) *tensor.Dense {
	d, ok := prealloc.(*tensor.Dense)
	if !ok || d == nil || d.RequiresIterator() || d.Dtype() != ts[0].Dtype() || !d.Shape().Eq(ts[0].Shape()) {
		return nil
	}
	for _, t := range ts {
		if d.Uintptr() == t.Uintptr() {
			return nil
		}
	}
	return d
}

// scalarOf reads the incoming gradient, a float scalar.
func scalarOf(v G.Value) (float64, error) {
	switch s := v.(type) {
	case *G.F32:
		return float64(*s), nil
	case *G.F64:
		return float64(*s), nil
	case tensor.Tensor:
		if s.Size() == 1 {
			switch d := s.Data().(type) {
			case float32:
				return float64(d), nil
			case float64:
				return d, nil
			case []float32:
				return float64(d[0]), nil
			case []float64:
				return d[0], nil
			}
		}
	}
	return 0, fmt.Errorf("incoming gradient %v (%T) is not a float scalar", v, v)
}

// lossValue computes the loss of prediction x and target t (nil for BCE).
func lossValue[T Float](s spec, shape tensor.Shape, x, t []T) float64 {
	switch s.fn {
	case fnL1:
		return sumAbsDiff(x, t) / float64(len(x))
	case fnCompensatedL1, fnCompensatedL1Detached:
		var buf [8]float64
		l := channels(&buf, shape[1])
		channelL1(l, shape, x, t)
		return compensation(l, false, nil)
	case fnBCEWithLogits:
		return sumBCE(x, s.label) / float64(len(x))
	}
	panic(errors.New("loss: unknown loss function")) // unreachable: specs are built in this package
}

// lossGrad writes gOut·∂loss/∂x into grad.
func lossGrad[T Float](s spec, shape tensor.Shape, grad, x, t []T, gOut float64) {
	switch s.fn {
	case fnL1:
		writeSignGrad(grad, x, t, T(gOut/float64(len(x))))
	case fnCompensatedL1, fnCompensatedL1Detached:
		var lbuf, gbuf [8]float64
		l, g := channels(&lbuf, shape[1]), channels(&gbuf, shape[1])
		channelL1(l, shape, x, t)
		compensation(l, s.fn == fnCompensatedL1Detached, g) // g_c = ∂l_comp/∂l_c
		n := float64(shape[0] * shape[2] * shape[3])
		for c := range g {
			g[c] *= gOut / n // ∂l_c/∂f_i = sign(d_i)/n
		}
		writeChannelSignGrad(grad, x, t, shape[2]*shape[3], g)
	case fnBCEWithLogits:
		writeBCEGrad(grad, x, s.label, gOut/float64(len(x)))
	default:
		panic(errors.New("loss: unknown loss function")) // unreachable: specs are built in this package
	}
}

// channelL1 sets l, zeroed and of length C, to equation 3: l_c for each
// channel of NCHW x and t.
func channelL1[T Float](l []float64, shape tensor.Shape, x, t []T) {
	addChannelAbsSums(x, t, shape[2]*shape[3], l)
	n := float64(shape[0] * shape[2] * shape[3])
	for c := range l {
		l[c] /= n
	}
}

// channels returns a zeroed slice of length c, backed by buf when it fits,
// so that the usual three channels need no allocation.
func channels(buf *[8]float64, c int) []float64 {
	if c <= len(buf) {
		return buf[:c]
	}
	return make([]float64, c)
}

func hashOf(op G.Op) uint32 {
	h := fnv.New32a()
	op.WriteHash(h)
	return h.Sum32()
}
