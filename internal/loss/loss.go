package loss

import (
	"fmt"
	"strings"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// CompensatedOptions configures CompensatedL1.
type CompensatedOptions struct {
	// DetachWeights treats the channel weights w_c of equation 4 as constants
	// when differentiating (a stop-gradient), so that ∂l_comp/∂l_c = w_c.
	// By default the gradient flows through them: ∂l_comp/∂l_c =
	// 2·w_c − Σ_k w_k².
	DetachWeights bool
}

// L1 returns a scalar node holding the plain L1 loss, mean |t − f| over all
// elements of pred (f) and target (t), which must have the same shape and
// float dtype.
func L1(pred, target *G.Node) (*G.Node, error) {
	op, err := imageOp(fnL1, pred, target)
	if err != nil {
		return nil, err
	}
	return apply(op, pred, target)
}

// CompensatedL1 returns a scalar node holding the color channel compensating
// L1 loss (equations 3–5) of NCHW pred (f) and target (t):
// l_comp = Σ_c w_c·l_c with l_c the mean |t − f| of channel c and
// w_c = l_c / Σ_k l_k.
func CompensatedL1(pred, target *G.Node, opt CompensatedOptions) (*G.Node, error) {
	fn := fnCompensatedL1
	if opt.DetachWeights {
		fn = fnCompensatedL1Detached
	}
	op, err := imageOp(fn, pred, target)
	if err != nil {
		return nil, err
	}
	return apply(op, pred, target)
}

// BCEWithLogits returns a scalar node holding the binary cross-entropy of the
// discriminator's logits with the constant label target (1 for real, 0 for
// fake; values in between allow label smoothing), averaged over every
// element of logits: mean softplus(x) − x·y.
func BCEWithLogits(logits *G.Node, target float64) (*G.Node, error) {
	if target < 0 || target > 1 {
		return nil, fmt.Errorf("bce with logits: label %v outside [0, 1]", target)
	}
	if err := checkFloat("bce with logits: logits", logits); err != nil {
		return nil, err
	}
	if logits.Dims() == 0 {
		return nil, fmt.Errorf("bce with logits: logits %v are a scalar, want a tensor", logits)
	}
	return apply(lossOp{spec{fn: fnBCEWithLogits, dims: logits.Dims(), label: target}}, logits)
}

// Kind selects the reconstruction loss of the generator.
type Kind int

const (
	// KindL1 is plain L1, named "l1".
	KindL1 Kind = iota + 1
	// KindCompensatedL1 is the compensated L1 of equations 3–5, named
	// "compensated_l1".
	KindCompensatedL1
)

// Kinds lists every reconstruction loss.
var Kinds = []Kind{KindL1, KindCompensatedL1}

// ByName returns the Kind named "l1" or "compensated_l1".
func ByName(name string) (Kind, error) {
	for _, k := range Kinds {
		if k.String() == name {
			return k, nil
		}
	}
	names := make([]string, len(Kinds))
	for i, k := range Kinds {
		names[i] = fmt.Sprintf("%q", k)
	}
	return 0, fmt.Errorf("unknown loss %q, want one of %s", name, strings.Join(names, ", "))
}

// String returns the name ByName accepts.
func (k Kind) String() string {
	switch k {
	case KindL1:
		return "l1"
	case KindCompensatedL1:
		return "compensated_l1"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Build returns the loss node of this kind; opt applies to
// KindCompensatedL1 only.
func (k Kind) Build(pred, target *G.Node, opt CompensatedOptions) (*G.Node, error) {
	switch k {
	case KindL1:
		return L1(pred, target)
	case KindCompensatedL1:
		return CompensatedL1(pred, target, opt)
	}
	return nil, fmt.Errorf("build loss: unknown %v", k)
}

// imageOp validates the prediction and target of an image loss.
func imageOp(fn lossFn, pred, target *G.Node) (lossOp, error) {
	op := lossOp{spec{fn: fn, dims: pred.Dims()}}
	if err := checkFloat(fmt.Sprintf("%v: prediction", fn), pred); err != nil {
		return op, err
	}
	if err := checkFloat(fmt.Sprintf("%v: target", fn), target); err != nil {
		return op, err
	}
	if pred.Dtype() != target.Dtype() {
		return op, fmt.Errorf("%v: prediction is %v, target %v", fn, pred.Dtype(), target.Dtype())
	}
	if !pred.Shape().Eq(target.Shape()) {
		return op, fmt.Errorf("%v: prediction shape %v differs from target shape %v", fn, pred.Shape(), target.Shape())
	}
	if fn != fnL1 && pred.Dims() != 4 {
		return op, fmt.Errorf("%v: prediction shape %v is not N×C×H×W", fn, pred.Shape())
	}
	if pred.Dims() == 0 {
		return op, fmt.Errorf("%v: prediction %v is a scalar, want a tensor", fn, pred)
	}
	return op, nil
}

func checkFloat(what string, n *G.Node) error {
	if n == nil {
		return fmt.Errorf("%s: nil node", what)
	}
	if dt := n.Dtype(); dt != tensor.Float32 && dt != tensor.Float64 {
		return fmt.Errorf("%s %v has dtype %v, want float32 or float64", what, n, dt)
	}
	return nil
}

func apply(op lossOp, children ...*G.Node) (*G.Node, error) {
	n, err := G.ApplyOp(op, children...)
	if err != nil {
		return nil, fmt.Errorf("%v: %w", op.spec, err)
	}
	return n, nil
}
