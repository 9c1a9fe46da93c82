package loss

import "math"

// The fused kernels behind the graph Ops: one pass over contiguous NCHW data
// per call, sums in float64, no allocation. Callers check the lengths.

// addChannelAbsSums adds Σ|f − t| over each channel of NCHW data, viewed as
// planes of hw values, to sums[c] (len(sums) = C).
func addChannelAbsSums[T Float](pred, target []T, hw int, sums []float64) {
	c := len(sums)
	for p, off := 0, 0; off < len(pred); p, off = p+1, off+hw {
		sums[p%c] += sumAbsDiff(pred[off:off+hw], target[off:off+hw])
	}
}

// sumAbsDiff returns Σ|f_i − t_i|, with four accumulators to shorten the
// dependency chain of the additions.
func sumAbsDiff[T Float](pred, target []T) float64 {
	target = target[:len(pred)]
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(pred); i += 4 {
		s0 += math.Abs(float64(pred[i] - target[i]))
		s1 += math.Abs(float64(pred[i+1] - target[i+1]))
		s2 += math.Abs(float64(pred[i+2] - target[i+2]))
		s3 += math.Abs(float64(pred[i+3] - target[i+3]))
	}
	for ; i < len(pred); i++ {
		s0 += math.Abs(float64(pred[i] - target[i]))
	}
	return (s0 + s1) + (s2 + s3)
}

// writeChannelSignGrad sets grad_i = scale[c]·sign(f_i − t_i) for every
// element i of channel c of NCHW data viewed as planes of hw values. grad
// may alias pred or target: element i is read before it is written.
func writeChannelSignGrad[T Float](grad, pred, target []T, hw int, scale []float64) {
	c := len(scale)
	for p, off := 0, 0; off < len(pred); p, off = p+1, off+hw {
		writeSignGrad(grad[off:off+hw], pred[off:off+hw], target[off:off+hw], T(scale[p%c]))
	}
}

// writeSignGrad sets grad_i = k·sign(f_i − t_i), with sign(0) = 0.
func writeSignGrad[T Float](grad, pred, target []T, k T) {
	switch g := any(grad).(type) {
	case []float32:
		signGrad32(g, any(pred).([]float32), any(target).([]float32), float32(k))
	case []float64:
		signGrad64(g, any(pred).([]float64), any(target).([]float64), float64(k))
	}
}

// signGrad32 is writeSignGrad for float32. The sign of f − t is copied onto
// k with bit operations: a branch on the sign of random errors mispredicts
// half the time and made this loop several times slower.
func signGrad32(grad, pred, target []float32, k float32) {
	grad, target = grad[:len(pred)], target[:len(pred)]
	kb := math.Float32bits(k)
	for i, f := range pred {
		d := f - target[i]
		g := math.Float32frombits(kb ^ math.Float32bits(d)&(1<<31))
		if d == 0 {
			g = 0
		}
		grad[i] = g
	}
}

// signGrad64 is writeSignGrad for float64; see signGrad32.
func signGrad64(grad, pred, target []float64, k float64) {
	grad, target = grad[:len(pred)], target[:len(pred)]
	kb := math.Float64bits(k)
	for i, f := range pred {
		d := f - target[i]
		g := math.Float64frombits(kb ^ math.Float64bits(d)&(1<<63))
		if d == 0 {
			g = 0
		}
		grad[i] = g
	}
}

// sumBCE returns Σ softplus(x_i) − x_i·y.
func sumBCE[T Float](logits []T, y float64) float64 {
	var s float64
	for _, x := range logits {
		s += softplus(float64(x)) - float64(x)*y
	}
	return s
}

// writeBCEGrad sets grad_i = k·(σ(x_i) − y). grad may alias logits.
func writeBCEGrad[T Float](grad, logits []T, y, k float64) {
	grad = grad[:len(logits)]
	for i, x := range logits {
		grad[i] = T(k * (sigmoid(float64(x)) - y))
	}
}
