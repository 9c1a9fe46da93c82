package kernels

import (
	"fmt"
	"math"
)

// PoolParams describes a 2-D pooling window sliding over an N×C×H×W input
// (floor output size, as PyTorch with ceil_mode=False).
type PoolParams struct {
	N, C, H, W       int
	KH, KW           int
	StrideH, StrideW int
	PadT, PadB       int
	PadL, PadR       int
}

// Pool2DParams is a shorthand for a square window with equal stride and
// padding on every side.
func Pool2DParams(n, c, h, w, kernel, stride, pad int) PoolParams {
	return PoolParams{N: n, C: c, H: h, W: w, KH: kernel, KW: kernel, StrideH: stride, StrideW: stride,
		PadT: pad, PadB: pad, PadL: pad, PadR: pad}
}

// OutH is ⌊(H + PadT + PadB − KH)/StrideH⌋ + 1.
func (p PoolParams) OutH() int { return (p.H+p.PadT+p.PadB-p.KH)/p.StrideH + 1 }

// OutW is ⌊(W + PadL + PadR − KW)/StrideW⌋ + 1.
func (p PoolParams) OutW() int { return (p.W+p.PadL+p.PadR-p.KW)/p.StrideW + 1 }

func (p PoolParams) check(x, y []float32) {
	if p.N <= 0 || p.C <= 0 || p.KH <= 0 || p.KW <= 0 || p.StrideH <= 0 || p.StrideW <= 0 || p.OutH() <= 0 || p.OutW() <= 0 {
		panic(fmt.Sprintf("pool: invalid parameters %+v", p))
	}
	if len(x) < p.N*p.C*p.H*p.W || len(y) < p.N*p.C*p.OutH()*p.OutW() {
		panic(fmt.Sprintf("pool: input %d or output %d elements too short for %+v", len(x), len(y), p))
	}
}

// pool runs reduce over the in-bounds window of every output position;
// reduce gets the channel plane, the window bounds and returns the value.
func (p PoolParams) pool(x, y []float32, reduce func(plane []float32, h0, h1, w0, w1, full int) float32) {
	p.check(x, y)
	oh, ow := p.OutH(), p.OutW()
	parallelFor(p.N*p.C, func(lo, hi int) {
		for nc := lo; nc < hi; nc++ {
			plane := x[nc*p.H*p.W : (nc+1)*p.H*p.W]
			out := y[nc*oh*ow : (nc+1)*oh*ow]
			for i := 0; i < oh; i++ {
				h0 := i*p.StrideH - p.PadT
				h1 := min(h0+p.KH, p.H+p.PadB)
				fullH := h1 - h0
				h0, h1 = max(h0, 0), min(h1, p.H)
				for j := 0; j < ow; j++ {
					w0 := j*p.StrideW - p.PadL
					w1 := min(w0+p.KW, p.W+p.PadR)
					full := fullH * (w1 - w0)
					out[i*ow+j] = reduce(plane, h0, h1, max(w0, 0), min(w1, p.W), full)
				}
			}
		}
	})
}

// MaxPool2D writes the maximum of each window into y (N×C×OutH×OutW);
// padded positions never win (PyTorch pads with −∞).
func MaxPool2D(p PoolParams, x, y []float32) {
	p.pool(x, y, func(plane []float32, h0, h1, w0, w1, _ int) float32 {
		m := float32(math.Inf(-1))
		for h := h0; h < h1; h++ {
			for _, v := range plane[h*p.W+w0 : h*p.W+w1] {
				if v > m {
					m = v
				}
			}
		}
		return m
	})
}

// AvgPool2D writes the mean of each window into y. With countIncludePad the
// divisor is the window area clipped to the padded input (PyTorch's
// count_include_pad=True); without it, only the in-bounds elements count
// (count_include_pad=False, as torchvision's Inception-v3 uses).
func AvgPool2D(p PoolParams, x, y []float32, countIncludePad bool) {
	p.pool(x, y, func(plane []float32, h0, h1, w0, w1, full int) float32 {
		var s float64
		for h := h0; h < h1; h++ {
			s += sum64(plane[h*p.W+w0 : h*p.W+w1])
		}
		d := (h1 - h0) * (w1 - w0)
		if countIncludePad {
			d = full
		}
		return float32(s / float64(d))
	})
}

// GlobalAvgPool writes the mean over HW of every (n, c) plane of x (N×C×HW)
// into y (N×C); it is adaptive average pooling to 1×1.
func GlobalAvgPool(n, c, hw int, x, y []float32) {
	if len(x) < n*c*hw || len(y) < n*c {
		panic(fmt.Sprintf("global avg pool: sizes %d, %d for %d×%d×%d", len(x), len(y), n, c, hw))
	}
	for i := 0; i < n*c; i++ {
		y[i] = float32(sum64(x[i*hw:(i+1)*hw]) / float64(hw))
	}
}
