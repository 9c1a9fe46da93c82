package kernels

// Output-side lowering, for convolutions with few output channels and many
// input channels (PatchGAN's last layer: 512 channels in, 1 out, 4×4,
// stride 1).
//
// im2col copies the input KH·KW times over: C·KH·KW × OH·OW values per
// image, 6.4 MB for that layer at batch 4, all to produce K = 1 output
// plane, and its backward-data pass is an outer product (inner dimension
// K = 1) followed by a col2im of the same size. The same convolution can be
// lowered on the output side instead. For output channel o, let
// Wo = w[o] viewed as the C × KH·KW matrix, and X the C × H·W image. Then
//
//	forward:        Z = Woᵀ·X            (KH·KW × H·W), and
//	                y[o,oy,ox] = Σ_{kh,kw} Z[kh,kw][oy·s−pt+kh, ox·s−pl+kw];
//	backward data:  dx = Σ_o Wo·So      (C × H·W),
//	backward filter: dWo = Σ_n Xn·Soᵀ    (C × KH·KW),
//
// where So (KH·KW × H·W) spreads dy[o] onto the input positions each tap
// reads: So[kh,kw][oy·s−pt+kh, ox·s−pl+kw] = dy[o,oy,ox], zero elsewhere.
// The lowered matrices are K·KH·KW × H·W per image instead of
// C·KH·KW × OH·OW, 450 times smaller for that layer. The sums run in a
// different order than im2col's, so results differ from that path by float
// rounding only.

// outputSideGain is how many times less lowering the output side must need
// before a convolution takes that path. Tests set it to 0 (every
// convolution) and to +Inf (none).
var outputSideGain = 4.0

// outputSide reports whether p is lowered on the output side.
func (p ConvParams) outputSide() bool {
	return !p.direct() && outputSideGain*float64(p.K*p.H*p.W) <= float64(p.C*p.OutH()*p.OutW())
}

// spreadOutput writes So for every output channel of one image: dy is
// K × OH·OW, s is K·KH·KW × H·W (overwritten).
func spreadOutput(p ConvParams, dy, s []float32) {
	oh, ow, hw := p.OutH(), p.OutW(), p.H*p.W
	clear(s[:p.K*p.KH*p.KW*hw])
	row := 0
	for o := 0; o < p.K; o++ {
		src := dy[o*oh*ow : (o+1)*oh*ow]
		for kh := 0; kh < p.KH; kh++ {
			hlo, hhi := validRange(oh, p.H, p.StrideH, p.PadT, kh)
			for kw := 0; kw < p.KW; kw++ {
				plane := s[row*hw : (row+1)*hw]
				row++
				wlo, whi := validRange(ow, p.W, p.StrideW, p.PadL, kw)
				for oy := hlo; oy < hhi; oy++ {
					d := plane[(oy*p.StrideH-p.PadT+kh)*p.W:]
					sr := src[oy*ow : (oy+1)*ow]
					iw := wlo*p.StrideW - p.PadL + kw
					for ox := wlo; ox < whi; ox++ {
						d[iw] = sr[ox]
						iw += p.StrideW
					}
				}
			}
		}
	}
}

// gatherTaps is the adjoint of spreadOutput: y[o,oy,ox] (+)= Σ_taps of z,
// with z K·KH·KW × H·W and y K × OH·OW. y is overwritten with bias (or 0)
// first.
func gatherTaps(p ConvParams, z, bias, y []float32) {
	oh, ow, hw := p.OutH(), p.OutW(), p.H*p.W
	row := 0
	for o := 0; o < p.K; o++ {
		dst := y[o*oh*ow : (o+1)*oh*ow]
		b := float32(0)
		if bias != nil {
			b = bias[o]
		}
		for i := range dst {
			dst[i] = b
		}
		for kh := 0; kh < p.KH; kh++ {
			hlo, hhi := validRange(oh, p.H, p.StrideH, p.PadT, kh)
			for kw := 0; kw < p.KW; kw++ {
				plane := z[row*hw : (row+1)*hw]
				row++
				wlo, whi := validRange(ow, p.W, p.StrideW, p.PadL, kw)
				for oy := hlo; oy < hhi; oy++ {
					src := plane[(oy*p.StrideH-p.PadT+kh)*p.W:]
					d := dst[oy*ow : (oy+1)*ow]
					iw := wlo*p.StrideW - p.PadL + kw
					for ox := wlo; ox < whi; ox++ {
						d[ox] += src[iw]
						iw += p.StrideW
					}
				}
			}
		}
	}
}

// conv2DForwardOutputSide is Conv2DForward lowered on the output side.
func conv2DForwardOutputSide(p ConvParams, x, w, bias, y []float32) {
	taps, hw := p.KH*p.KW, p.H*p.W
	inImg, outImg := p.C*hw, p.K*p.OutH()*p.OutW()
	parallelFor(p.N, func(lo, hi int) {
		buf := getBuf(p.K * taps * hw)
		defer putBuf(buf)
		z := *buf
		for n := lo; n < hi; n++ {
			xn := x[n*inImg : (n+1)*inImg]
			for o := 0; o < p.K; o++ {
				// Z[taps, HW] = Woᵀ[taps, C] · x[C, HW]
				sgemm(true, false, taps, hw, p.C, 1, w[o*p.C*taps:], taps, xn, hw, 0, z[o*taps*hw:], hw)
			}
			gatherTaps(p, z, bias, y[n*outImg:(n+1)*outImg])
		}
	})
}

// conv2DBackwardDataOutputSide is Conv2DBackwardData lowered on the output
// side.
func conv2DBackwardDataOutputSide(p ConvParams, dy, w, dx []float32) {
	taps, hw := p.KH*p.KW, p.H*p.W
	inImg, outImg := p.C*hw, p.K*p.OutH()*p.OutW()
	parallelFor(p.N, func(lo, hi int) {
		buf := getBuf(p.K * taps * hw)
		defer putBuf(buf)
		s := *buf
		for n := lo; n < hi; n++ {
			spreadOutput(p, dy[n*outImg:(n+1)*outImg], s)
			dxn := dx[n*inImg : (n+1)*inImg]
			for o := 0; o < p.K; o++ {
				beta := float32(1)
				if o == 0 {
					beta = 0
				}
				// dx[C, HW] (+)= Wo[C, taps] · So[taps, HW]
				sgemm(false, false, p.C, hw, taps, 1, w[o*p.C*taps:], taps, s[o*taps*hw:], hw, beta, dxn, hw)
			}
		}
	})
}

// conv2DBackwardFilterOutputSide is Conv2DBackwardFilter lowered on the
// output side. The images are summed in order, each product split over the
// cores by rows of dw, so the result does not depend on scheduling.
func conv2DBackwardFilterOutputSide(p ConvParams, x, dy, dw []float32) {
	taps, hw := p.KH*p.KW, p.H*p.W
	inImg, outImg := p.C*hw, p.K*p.OutH()*p.OutW()
	lowered := p.K * taps * hw
	buf := getBuf(p.N * lowered)
	defer putBuf(buf)
	s := *buf
	parallelFor(p.N, func(lo, hi int) {
		for n := lo; n < hi; n++ {
			spreadOutput(p, dy[n*outImg:(n+1)*outImg], s[n*lowered:])
		}
	})
	for n := 0; n < p.N; n++ {
		beta := float32(1)
		if n == 0 {
			beta = 0
		}
		for o := 0; o < p.K; o++ {
			// dWo[C, taps] (+)= x[C, HW] · Soᵀ[HW, taps]
			sgemm(false, true, p.C, taps, hw, 1, x[n*inImg:], hw, s[n*lowered+o*taps*hw:], hw, beta, dw[o*p.C*taps:], taps)
		}
	}
}
