package kernels

import (
	"fmt"
	"math"

	"github.com/colorize-dev/colorize/internal/parallel"
)

// LeakyReLU writes y = x for x > 0 and alpha·x otherwise. y may alias x.
func LeakyReLU(x, y []float32, alpha float32) {
	y = y[:len(x)]
	parallel.Chunks(len(x), 1<<16, func(lo, hi int) { leaky(x[lo:hi], y[lo:hi], alpha) })
}

// LeakyReLUBackward writes dx = dy where x > 0 and alpha·dy otherwise (the
// derivative at 0 is taken as alpha, as PyTorch does). dx may alias dy.
func LeakyReLUBackward(x, dy, dx []float32, alpha float32) {
	dy, dx = dy[:len(x)], dx[:len(x)]
	parallel.Chunks(len(x), 1<<16, func(lo, hi int) { leakyBackward(x[lo:hi], dy[lo:hi], dx[lo:hi], alpha) })
}

// leaky and leakyBackward are the loops of LeakyReLU and its backward as
// plain functions of their slices, which the compiler keeps in registers
// without bounds checks (inside the closures it reloads captured slices).
// The multiplier is picked from the sign bit without a branch: activations
// have random signs, and the compiler turns an if into a branch whose
// mispredictions made these loops 3–4× slower (6.5 vs 1.7 ns per element).
func leaky(x, y []float32, alpha float32) {
	y = y[:len(x)]
	d := leakyVec(x, y, alpha) // the bulk in AVX2, where the CPU has it
	x, y = x[d:], y[d:]
	ab := math.Float32bits(alpha)
	for i, v := range x {
		y[i] = v * signSelect(v, ab)
	}
}

func leakyBackward(x, dy, dx []float32, alpha float32) {
	dy, dx = dy[:len(x)], dx[:len(x)]
	d := leakyBackwardVec(x, dy, dx, alpha)
	x, dy, dx = x[d:], dy[d:], dx[d:]
	ab := math.Float32bits(alpha)
	for i, v := range x {
		dx[i] = dy[i] * signSelect(v, ab)
	}
}

// signSelect returns 1 when v > 0 and the float with bits alphaBits
// otherwise, as PyTorch's LeakyReLU derivative does (alpha at ±0). A float
// is > 0 exactly when its bits b, read as an int32, are > 0; the sign bit of
// -b & ^b is that test, also for -0 (b = MinInt32, where -b overflows).
// NaNs may get either value; NaN times it stays NaN.
func signSelect(v float32, alphaBits uint32) float32 {
	const one = 0x3f800000 // math.Float32bits(1)
	b := int32(math.Float32bits(v))
	pos := uint32((-b & ^b) >> 31)
	return math.Float32frombits(one&pos | alphaBits&^pos)
}

// AddBiasReLU adds bias[c] to plane c of y (planes of plane values each)
// and applies ReLU in place, in one pass: bit for bit what adding the bias
// and then calling ReLU gives.
func AddBiasReLU(y, bias []float32, plane int) {
	for c, b := range bias {
		p := y[c*plane : (c+1)*plane]
		p = p[addBiasReLUVec(p, b):]
		for i, v := range p {
			v += b
			p[i] = v * signSelect(v, 0)
		}
	}
}

// ReLU writes y = max(x, 0). y may alias x.
func ReLU(x, y []float32) { LeakyReLU(x, y, 0) }

// ReLUBackward writes dx = dy where x > 0 and 0 otherwise. dx may alias dy.
func ReLUBackward(x, dy, dx []float32) { LeakyReLUBackward(x, dy, dx, 0) }

// Tanh writes y = tanh(x). y may alias x.
func Tanh(x, y []float32) {
	y = y[:len(x)]
	// 20 ns a value: the generator's last layer (3×512² at 512²) took 8 ms
	// on one core while the other waited.
	parallel.Chunks(len(x), 1<<13, func(lo, hi int) { tanh(x[lo:hi], y[lo:hi]) })
}

func tanh(x, y []float32) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] = float32(math.Tanh(float64(v)))
	}
}

// TanhBackward writes dx = dy·(1 − y²) from the forward output y. dx may
// alias dy.
func TanhBackward(y, dy, dx []float32) {
	parallel.Chunks(len(y), 1<<16, func(lo, hi int) { tanhBackward(y[lo:hi], dy[lo:hi], dx[lo:hi]) })
}

func tanhBackward(y, dy, dx []float32) {
	dy, dx = dy[:len(y)], dx[:len(y)]
	for i, v := range y {
		dx[i] = dy[i] * (1 - v*v)
	}
}

// AddChannelBias adds b[c] to every element of channel c of an N×C×HW
// tensor, in place.
func AddChannelBias(n, c, hw int, x, b []float32) {
	if len(x) < n*c*hw || len(b) < c {
		panic(fmt.Sprintf("add bias: x has %d, b %d elements for %d×%d×%d", len(x), len(b), n, c, hw))
	}
	parallel.Chunks(n*c, max(1, (1<<16)/hw), func(lo, hi int) {
		for p := lo; p < hi; p++ {
			addScalar(x[p*hw:(p+1)*hw], b[p%c])
		}
	})
}

// ConcatChannels writes the channel concatenation of a (N×Ca×HW) and b
// (N×Cb×HW) into out (N×(Ca+Cb)×HW).
func ConcatChannels(n, ca, cb, hw int, a, b, out []float32) {
	if len(a) < n*ca*hw || len(b) < n*cb*hw || len(out) < n*(ca+cb)*hw {
		panic(fmt.Sprintf("concat: sizes %d, %d, %d do not fit %d×(%d+%d)×%d", len(a), len(b), len(out), n, ca, cb, hw))
	}
	sa, sb := ca*hw, cb*hw
	for i := 0; i < n; i++ {
		o := out[i*(sa+sb):]
		copyParallel(o[:sa], a[i*sa:(i+1)*sa])
		copyParallel(o[sa:sa+sb], b[i*sb:(i+1)*sb])
	}
}

// copyParallel is copy(dst, src) split over the cores for large slices:
// the U-Net's skip concatenations move up to 16 MB each, 4 ms a pass at
// 512² on one core.
func copyParallel(dst, src []float32) {
	n := min(len(dst), len(src))
	parallel.Chunks(n, 1<<17, func(lo, hi int) { copy(dst[lo:hi], src[lo:hi]) })
}

// SliceChannels copies channels [c0, c0+cn) of x (N×C×HW) into out
// (N×cn×HW). It is the adjoint of ConcatChannels for one operand.
func SliceChannels(n, c, hw, c0, cn int, x, out []float32) {
	if c0 < 0 || cn < 0 || c0+cn > c || len(x) < n*c*hw || len(out) < n*cn*hw {
		panic(fmt.Sprintf("slice channels [%d,%d) of %d×%d×%d: sizes %d, %d", c0, c0+cn, n, c, hw, len(x), len(out)))
	}
	for i := 0; i < n; i++ {
		copyParallel(out[i*cn*hw:(i+1)*cn*hw], x[(i*c+c0)*hw:(i*c+c0+cn)*hw])
	}
}
