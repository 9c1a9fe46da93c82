package kernels

import "fmt"

// ConvTParams describes a 2-D transposed convolution (PyTorch's
// ConvTranspose2d without output_padding, dilation or groups) of an
// N×Cin×H×W input with a Cin×Cout×KH×KW filter. The output is
// N×Cout×OutH×OutW with OutH = (H−1)·StrideH − PadT − PadB + KH.
//
// A transposed convolution is the adjoint of the convolution Conv() returns:
// its forward pass is that convolution's backward-data pass and vice versa.
type ConvTParams struct {
	N, Cin, H, W     int
	Cout             int
	KH, KW           int
	StrideH, StrideW int
	PadT, PadB       int
	PadL, PadR       int
}

// ConvT2DParams is a shorthand for a square kernel with equal stride and
// padding on every side (pix2pix uses kernel 4, stride 2, pad 1).
func ConvT2DParams(n, cin, h, w, cout, kernel, stride, pad int) ConvTParams {
	return ConvTParams{N: n, Cin: cin, H: h, W: w, Cout: cout, KH: kernel, KW: kernel,
		StrideH: stride, StrideW: stride, PadT: pad, PadB: pad, PadL: pad, PadR: pad}
}

// OutH is (H−1)·StrideH − PadT − PadB + KH.
func (p ConvTParams) OutH() int { return (p.H-1)*p.StrideH - p.PadT - p.PadB + p.KH }

// OutW is (W−1)·StrideW − PadL − PadR + KW.
func (p ConvTParams) OutW() int { return (p.W-1)*p.StrideW - p.PadL - p.PadR + p.KW }

// InSize is N·Cin·H·W.
func (p ConvTParams) InSize() int { return p.N * p.Cin * p.H * p.W }

// OutSize is N·Cout·OutH·OutW.
func (p ConvTParams) OutSize() int { return p.N * p.Cout * p.OutH() * p.OutW() }

// WeightSize is Cin·Cout·KH·KW.
func (p ConvTParams) WeightSize() int { return p.Cin * p.Cout * p.KH * p.KW }

// FLOPs is twice the multiply-add count of one pass.
func (p ConvTParams) FLOPs() float64 { return p.Conv().FLOPs() }

// Conv returns the convolution whose adjoint this transposed convolution is:
// it maps N×Cout×OutH×OutW to N×Cin×H×W with filter [Cin, Cout, KH, KW]
// read as [K, C, KH, KW].
func (p ConvTParams) Conv() ConvParams {
	return ConvParams{N: p.N, C: p.Cout, H: p.OutH(), W: p.OutW(), K: p.Cin, KH: p.KH, KW: p.KW,
		StrideH: p.StrideH, StrideW: p.StrideW, PadT: p.PadT, PadB: p.PadB, PadL: p.PadL, PadR: p.PadR}
}

// Validate reports whether the parameters describe a transposed convolution
// that is exactly the adjoint of Conv() (every input row and column is
// reached, i.e. Conv().OutH() == H and Conv().OutW() == W).
func (p ConvTParams) Validate() error {
	if p.N <= 0 || p.Cin <= 0 || p.H <= 0 || p.W <= 0 || p.Cout <= 0 {
		return fmt.Errorf("conv transpose: non-positive size in %+v", p)
	}
	if p.OutH() <= 0 || p.OutW() <= 0 {
		return fmt.Errorf("conv transpose: empty output in %+v", p)
	}
	c := p.Conv()
	if err := c.Validate(); err != nil {
		return fmt.Errorf("conv transpose: %w", err)
	}
	if c.OutH() != p.H || c.OutW() != p.W {
		return fmt.Errorf("conv transpose: %+v is not invertible in shape", p)
	}
	return nil
}

// ConvTranspose2DForward computes y = convᵀ(x, w) + bias. x is N×Cin×H×W,
// w is Cin×Cout×KH×KW, bias is Cout values or nil; y (N×Cout×OutH×OutW) is
// overwritten.
func ConvTranspose2DForward(p ConvTParams, x, w, bias, y []float32) {
	if err := p.Validate(); err != nil {
		panic(err)
	}
	c := p.Conv()
	Conv2DBackwardData(c, x, w, y)
	if bias != nil {
		if len(bias) < p.Cout {
			panic(fmt.Sprintf("conv transpose: bias has %d elements, want %d", len(bias), p.Cout))
		}
		hw := p.OutH() * p.OutW()
		for n := 0; n < p.N; n++ {
			for k := 0; k < p.Cout; k++ {
				addScalar(y[(n*p.Cout+k)*hw:(n*p.Cout+k+1)*hw], bias[k])
			}
		}
	}
}

// ConvTranspose2DBackwardData computes dx (N×Cin×H×W, overwritten) from dy
// (N×Cout×OutH×OutW): it is the plain convolution of dy with w.
func ConvTranspose2DBackwardData(p ConvTParams, dy, w, dx []float32) {
	if err := p.Validate(); err != nil {
		panic(err)
	}
	Conv2DForward(p.Conv(), dy, w, nil, dx)
}

// ConvTranspose2DBackwardFilter computes dw (Cin×Cout×KH×KW, overwritten),
// summed over the batch, from the input x and the output gradient dy.
func ConvTranspose2DBackwardFilter(p ConvTParams, x, dy, dw []float32) {
	if err := p.Validate(); err != nil {
		panic(err)
	}
	// In the adjoint convolution dy plays the input and x the output.
	Conv2DBackwardFilter(p.Conv(), dy, x, dw)
}
