package kernels

import (
	"fmt"
	"math"
)

// BNShape is the shape of a batch-normalised tensor, N×C×HW; statistics are
// taken per channel over the N·HW values of that channel.
type BNShape struct{ N, C, HW int }

// Count is the number of values per channel, N·HW.
func (s BNShape) Count() int { return s.N * s.HW }

func (s BNShape) check(what string, xs ...[]float32) {
	for i, x := range xs {
		if x != nil && len(x) < s.N*s.C*s.HW {
			panic(fmt.Sprintf("%s: operand %d has %d elements, want %d for %+v", what, i, len(x), s.N*s.C*s.HW, s))
		}
	}
}

func checkC(what string, c int, xs ...[]float32) {
	for i, x := range xs {
		if x != nil && len(x) < c {
			panic(fmt.Sprintf("%s: per-channel operand %d has %d elements, want %d", what, i, len(x), c))
		}
	}
}

// channelStats returns the mean and the biased variance of channel c,
// computed in two passes in float64.
func channelStats(s BNShape, x []float32, c int) (mean, variance float64) {
	var sum float64
	for n := 0; n < s.N; n++ {
		sum += sum64(x[(n*s.C+c)*s.HW : (n*s.C+c+1)*s.HW])
	}
	m := float64(s.Count())
	mean = sum / m
	var ss float64
	for n := 0; n < s.N; n++ {
		ss += sumSq64(x[(n*s.C+c)*s.HW:(n*s.C+c+1)*s.HW], mean)
	}
	return mean, ss / m
}

// affine returns gamma[c] and beta[c], or 1 and 0 where they are nil.
func affine(gamma, beta []float32, c int) (g, b float64) {
	g, b = 1, 0
	if gamma != nil {
		g = float64(gamma[c])
	}
	if beta != nil {
		b = float64(beta[c])
	}
	return g, b
}

// normalize writes y = (x − mean)·scale + beta for channel c, with scale
// already multiplied by gamma.
func normalize(s BNShape, x, y []float32, c int, mean, scale, beta float64) {
	a, b, mu := float32(scale), float32(beta), float32(mean)
	for n := 0; n < s.N; n++ {
		off := (n*s.C + c) * s.HW
		xs, ys := x[off:off+s.HW], y[off:off+s.HW]
		for i, v := range xs {
			ys[i] = (v-mu)*a + b
		}
	}
}

// BatchNormTrainForward normalises x with its own per-channel batch
// statistics: y = (x − μ_B)/√(σ²_B + eps)·gamma + beta, where σ²_B is the
// biased variance. gamma and beta may be nil (1 and 0). y is overwritten;
// mean and variance, when not nil, receive μ_B and the biased σ²_B for
// BatchNormUpdateRunning.
func BatchNormTrainForward(s BNShape, x, gamma, beta []float32, eps float32, y, mean, variance []float32) {
	s.check("batchnorm forward", x, y)
	checkC("batchnorm forward", s.C, gamma, beta, mean, variance)
	parallelFor(s.C, func(lo, hi int) {
		for c := lo; c < hi; c++ {
			mu, v := channelStats(s, x, c)
			g, b := affine(gamma, beta, c)
			normalize(s, x, y, c, mu, g/math.Sqrt(v+float64(eps)), b)
			if mean != nil {
				mean[c] = float32(mu)
			}
			if variance != nil {
				variance[c] = float32(v)
			}
		}
	})
}

// BatchNormUpdateRunning folds one batch's statistics into the running ones
// as PyTorch does: r ← (1 − momentum)·r + momentum·b, where the variance
// folded in is the unbiased σ²_B·count/(count − 1). count is N·HW.
func BatchNormUpdateRunning(runMean, runVar, mean, variance []float32, momentum float32, count int) {
	checkC("batchnorm running update", len(mean), runMean, runVar, variance)
	m := float64(momentum)
	corr := 1.0
	if count > 1 {
		corr = float64(count) / float64(count-1)
	}
	for c := range mean {
		runMean[c] = float32((1-m)*float64(runMean[c]) + m*float64(mean[c]))
		runVar[c] = float32((1-m)*float64(runVar[c]) + m*float64(variance[c])*corr)
	}
}

// BatchNormEvalForward normalises x with running statistics:
// y = (x − runMean)/√(runVar + eps)·gamma + beta. y is overwritten.
func BatchNormEvalForward(s BNShape, x, gamma, beta, runMean, runVar []float32, eps float32, y []float32) {
	s.check("batchnorm eval forward", x, y)
	checkC("batchnorm eval forward", s.C, gamma, beta, runMean, runVar)
	parallelFor(s.C, func(lo, hi int) {
		for c := lo; c < hi; c++ {
			g, b := affine(gamma, beta, c)
			normalize(s, x, y, c, float64(runMean[c]), g/math.Sqrt(float64(runVar[c])+float64(eps)), b)
		}
	})
}

// bnBackward is the shared backward pass. With batch statistics (train) the
// input gradient is
//
//	dx = gamma·invstd/m · (m·dy − Σdy − x̂·Σ(dy·x̂)),
//
// with fixed statistics (eval) it is dx = gamma·invstd·dy. In both modes
// dgamma = Σ dy·x̂ and dbeta = Σ dy. Any of dx, dgamma, dbeta may be nil.
func bnBackward(s BNShape, train bool, x, dy, gamma, runMean, runVar []float32, eps float32, dx, dgamma, dbeta []float32) {
	s.check("batchnorm backward", x, dy, dx)
	checkC("batchnorm backward", s.C, gamma, runMean, runVar, dgamma, dbeta)
	m := float64(s.Count())
	parallelFor(s.C, func(lo, hi int) {
		for c := lo; c < hi; c++ {
			var mu, v float64
			if train {
				mu, v = channelStats(s, x, c)
			} else {
				mu, v = float64(runMean[c]), float64(runVar[c])
			}
			invstd := 1 / math.Sqrt(v+float64(eps))
			g, _ := affine(gamma, nil, c)
			var sdy, sdyx float64 // Σdy, Σdy·x̂
			for n := 0; n < s.N; n++ {
				off := (n*s.C + c) * s.HW
				a, b := dotCentered64(dy[off:off+s.HW], x[off:off+s.HW], mu)
				sdy += a
				sdyx += b
			}
			sdyx *= invstd
			if dgamma != nil {
				dgamma[c] = float32(sdyx)
			}
			if dbeta != nil {
				dbeta[c] = float32(sdy)
			}
			if dx == nil {
				continue
			}
			k := g * invstd
			// dx = a·dy + b·(x − μ) + d, folded per channel; x − μ is formed
			// before scaling so a large mean does not cancel digits.
			a, b, d := k, 0.0, 0.0
			if train {
				b = -k * sdyx * invstd / m
				d = -k * sdy / m
			}
			af, bf, df, muf := float32(a), float32(b), float32(d), float32(mu)
			for n := 0; n < s.N; n++ {
				off := (n*s.C + c) * s.HW
				xs, dys, dxs := x[off:off+s.HW], dy[off:off+s.HW], dx[off:off+s.HW]
				for i, dv := range dys {
					dxs[i] = af*dv + bf*(xs[i]-muf) + df
				}
			}
		}
	})
}

// BatchNormTrainBackward computes the gradients of a BatchNormTrainForward
// pass (with the same x, gamma and eps) from dy. The batch statistics are
// recomputed from x, so it needs no state from the forward pass. dx, dgamma
// and dbeta are overwritten; any of them may be nil.
func BatchNormTrainBackward(s BNShape, x, dy, gamma []float32, eps float32, dx, dgamma, dbeta []float32) {
	bnBackward(s, true, x, dy, gamma, nil, nil, eps, dx, dgamma, dbeta)
}

// BatchNormEvalBackward computes the gradients of a BatchNormEvalForward
// pass: the running statistics are constants, so dx = dy·gamma/√(runVar+eps).
// dx, dgamma and dbeta are overwritten; any of them may be nil.
func BatchNormEvalBackward(s BNShape, x, dy, gamma, runMean, runVar []float32, eps float32, dx, dgamma, dbeta []float32) {
	bnBackward(s, false, x, dy, gamma, runMean, runVar, eps, dx, dgamma, dbeta)
}
