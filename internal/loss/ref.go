package loss

import (
	"errors"
	"fmt"
	"math"
)

// Float is the element type of the slices the reference functions accept.
type Float interface{ float32 | float64 }

// L1Ref returns the plain L1 loss, mean |t − f| over all elements, of
// prediction f and target t.
func L1Ref[T Float](pred, target []T) (float64, error) {
	if err := checkPair(len(pred), len(target)); err != nil {
		return 0, fmt.Errorf("l1: %w", err)
	}
	var sum float64
	for i := range pred {
		sum += math.Abs(float64(target[i]) - float64(pred[i]))
	}
	return sum / float64(len(pred)), nil
}

// L1RefGrad returns the plain L1 loss and its gradient with respect to the
// prediction, sign(f_i − t_i) / len(pred).
func L1RefGrad[T Float](pred, target []T) (float64, []float64, error) {
	value, err := L1Ref(pred, target)
	if err != nil {
		return 0, nil, err
	}
	grad := make([]float64, len(pred))
	for i := range pred {
		grad[i] = sign(float64(pred[i])-float64(target[i])) / float64(len(pred))
	}
	return value, grad, nil
}

// ChannelL1Ref returns equation 3 for each channel: l_c, the mean of
// |t − f| over the N·H·W values of channel c of NCHW data with the given
// shape (N, C, H, W).
func ChannelL1Ref[T Float](pred, target []T, shape []int) ([]float64, error) {
	n, c, h, w, err := nchw(shape)
	if err != nil {
		return nil, fmt.Errorf("channel l1: %w", err)
	}
	if len(pred) != n*c*h*w || len(target) != n*c*h*w {
		return nil, fmt.Errorf("channel l1: shape %v needs %d values, got prediction %d, target %d", shape, n*c*h*w, len(pred), len(target))
	}
	l := make([]float64, c)
	for in := 0; in < n; in++ {
		for ic := 0; ic < c; ic++ {
			for ih := 0; ih < h; ih++ {
				for iw := 0; iw < w; iw++ {
					i := ((in*c+ic)*h+ih)*w + iw
					l[ic] += math.Abs(float64(target[i]) - float64(pred[i]))
				}
			}
		}
	}
	for ic := range l {
		l[ic] /= float64(n * h * w)
	}
	return l, nil
}

// Compensate applies equations 4 and 5 to per-channel errors l_c (equation
// 3): w_c = l_c / Σ l, l_comp = Σ w_c·l_c. It returns 0 when every l_c is 0.
// Evaluation code can pool ChannelL1Ref over a whole data set and compensate
// once.
func Compensate(l []float64) float64 {
	value := compensation(l, false, nil)
	return value
}

// CompensatedL1Ref returns the compensated L1 loss (equations 3–5) of NCHW
// prediction f and target t with the given shape (N, C, H, W).
func CompensatedL1Ref[T Float](pred, target []T, shape []int) (float64, error) {
	l, err := ChannelL1Ref(pred, target, shape)
	if err != nil {
		return 0, fmt.Errorf("compensated l1: %w", err)
	}
	return Compensate(l), nil
}

// CompensatedL1RefGrad returns the compensated L1 loss and its gradient with
// respect to the prediction, g_c·sign(f_i − t_i)/(N·H·W), with g_c as derived
// in the package documentation for the mode opt selects.
func CompensatedL1RefGrad[T Float](pred, target []T, shape []int, opt CompensatedOptions) (float64, []float64, error) {
	l, err := ChannelL1Ref(pred, target, shape)
	if err != nil {
		return 0, nil, fmt.Errorf("compensated l1: %w", err)
	}
	g := make([]float64, len(l))
	value := compensation(l, opt.DetachWeights, g)
	n, c, h, w := shape[0], shape[1], shape[2], shape[3]
	grad := make([]float64, len(pred))
	for i := range pred {
		ic := (i / (h * w)) % c
		grad[i] = g[ic] * sign(float64(pred[i])-float64(target[i])) / float64(n*h*w)
	}
	return value, grad, nil
}

// BCEWithLogitsRef returns the binary cross-entropy of logits x with the
// constant label y, mean of softplus(x) − x·y over all elements.
func BCEWithLogitsRef[T Float](logits []T, target float64) (float64, error) {
	if len(logits) == 0 {
		return 0, errors.New("bce with logits: no logits")
	}
	var sum float64
	for _, x := range logits {
		sum += softplus(float64(x)) - float64(x)*target
	}
	return sum / float64(len(logits)), nil
}

// BCEWithLogitsRefGrad returns the binary cross-entropy and its gradient with
// respect to the logits, (σ(x_i) − y) / len(logits).
func BCEWithLogitsRefGrad[T Float](logits []T, target float64) (float64, []float64, error) {
	value, err := BCEWithLogitsRef(logits, target)
	if err != nil {
		return 0, nil, err
	}
	grad := make([]float64, len(logits))
	for i, x := range logits {
		grad[i] = (sigmoid(float64(x)) - target) / float64(len(logits))
	}
	return value, grad, nil
}

// compensation returns l_comp = Σ l_c² / Σ l_c (equations 4–5) and, when
// dLdl is not nil, writes g_c = ∂l_comp/∂l_c into it:
// 2·w_c − Σ_k w_k² when the weights are differentiated through, w_c when
// they are detached. When Σ l_c = 0 the weights, the value and g are 0.
func compensation(l []float64, detach bool, dLdl []float64) float64 {
	var total float64
	for _, lc := range l {
		total += lc
	}
	if total == 0 {
		for c := range dLdl {
			dLdl[c] = 0
		}
		return 0
	}
	var value, sumW2 float64
	for _, lc := range l {
		wc := lc / total // equation 4
		value += wc * lc // equation 5
		sumW2 += wc * wc
	}
	for c := range dLdl {
		wc := l[c] / total
		if detach {
			dLdl[c] = wc
		} else {
			dLdl[c] = 2*wc - sumW2
		}
	}
	return value
}

// sign returns −1, 0 or 1: the subgradient of |x| with 0 at 0.
func sign(x float64) float64 {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return 0
}

// softplus returns log(1 + e^x) without overflow for large |x|.
func softplus(x float64) float64 {
	return math.Max(x, 0) + math.Log1p(math.Exp(-math.Abs(x)))
}

// sigmoid returns 1/(1 + e^−x) without overflow for large |x|.
func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

func checkPair(nPred, nTarget int) error {
	if nPred != nTarget {
		return fmt.Errorf("prediction has %d values, target %d", nPred, nTarget)
	}
	if nPred == 0 {
		return errors.New("no values")
	}
	return nil
}

// nchw validates a 4-D shape with no zero dimension.
func nchw(shape []int) (n, c, h, w int, err error) {
	if len(shape) != 4 {
		return 0, 0, 0, 0, fmt.Errorf("shape %v is not N×C×H×W", shape)
	}
	for _, d := range shape {
		if d <= 0 {
			return 0, 0, 0, 0, fmt.Errorf("shape %v has an empty dimension", shape)
		}
	}
	return shape[0], shape[1], shape[2], shape[3], nil
}
