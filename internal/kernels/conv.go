package kernels

import (
	"fmt"

	"github.com/colorize-dev/colorize/internal/blas"
)

// ConvParams describes a 2-D convolution (cross-correlation, as in PyTorch's
// Conv2d) of an N×C×H×W input with a K×C×KH×KW filter. Padding is given per
// side so that the asymmetric "same" paddings of TensorFlow-style models can
// be expressed; padded positions read as zero. Dilation and groups are not
// supported.
type ConvParams struct {
	N, C, H, W       int // input batch, channels, height, width
	K                int // output channels
	KH, KW           int // kernel height and width
	StrideH, StrideW int
	PadT, PadB       int // zero rows added above and below the input
	PadL, PadR       int // zero columns added left and right of the input
}

// Conv2DParams is a shorthand for the common case: square kernel k×k, equal
// stride and equal padding on every side.
func Conv2DParams(n, c, h, w, k, kernel, stride, pad int) ConvParams {
	return ConvParams{N: n, C: c, H: h, W: w, K: k, KH: kernel, KW: kernel,
		StrideH: stride, StrideW: stride, PadT: pad, PadB: pad, PadL: pad, PadR: pad}
}

// OutH is the output height ⌊(H + PadT + PadB − KH) / StrideH⌋ + 1.
func (p ConvParams) OutH() int { return (p.H+p.PadT+p.PadB-p.KH)/p.StrideH + 1 }

// OutW is the output width ⌊(W + PadL + PadR − KW) / StrideW⌋ + 1.
func (p ConvParams) OutW() int { return (p.W+p.PadL+p.PadR-p.KW)/p.StrideW + 1 }

// InSize is the number of elements of the input, N·C·H·W.
func (p ConvParams) InSize() int { return p.N * p.C * p.H * p.W }

// OutSize is the number of elements of the output, N·K·OutH·OutW.
func (p ConvParams) OutSize() int { return p.N * p.K * p.OutH() * p.OutW() }

// WeightSize is the number of elements of the filter, K·C·KH·KW.
func (p ConvParams) WeightSize() int { return p.K * p.C * p.KH * p.KW }

// FLOPs is the multiply-add count of one forward pass times two; the two
// backward passes cost the same each.
func (p ConvParams) FLOPs() float64 {
	return 2 * float64(p.N) * float64(p.K) * float64(p.OutH()*p.OutW()) * float64(p.C*p.KH*p.KW)
}

// Validate reports whether the parameters describe a convolution with a
// non-empty output.
func (p ConvParams) Validate() error {
	switch {
	case p.N <= 0 || p.C <= 0 || p.H <= 0 || p.W <= 0 || p.K <= 0:
		return fmt.Errorf("conv: non-positive size in %+v", p)
	case p.KH <= 0 || p.KW <= 0 || p.StrideH <= 0 || p.StrideW <= 0:
		return fmt.Errorf("conv: non-positive kernel or stride in %+v", p)
	case p.PadT < 0 || p.PadB < 0 || p.PadL < 0 || p.PadR < 0:
		return fmt.Errorf("conv: negative padding in %+v", p)
	case p.H+p.PadT+p.PadB < p.KH || p.W+p.PadL+p.PadR < p.KW:
		return fmt.Errorf("conv: kernel %d×%d larger than padded input in %+v", p.KH, p.KW, p)
	}
	return nil
}

// direct reports whether the im2col matrix of an image is the image itself
// (1×1 kernel, stride 1, no padding), so no lowering is needed.
func (p ConvParams) direct() bool {
	return p.KH == 1 && p.KW == 1 && p.StrideH == 1 && p.StrideW == 1 &&
		p.PadT == 0 && p.PadB == 0 && p.PadL == 0 && p.PadR == 0
}

func (p ConvParams) mustValid(x, xLen int, what string) {
	if err := p.Validate(); err != nil {
		panic(err)
	}
	if x < xLen {
		panic(fmt.Sprintf("conv: %s has %d elements, want %d for %+v", what, x, xLen, p))
	}
}

// mustForward panics unless x, w, bias (or nil) and y are large enough for
// a forward pass with p.
func (p ConvParams) mustForward(x, w, bias, y []float32) {
	p.mustValid(len(x), p.InSize(), "input")
	p.mustValid(len(w), p.WeightSize(), "weight")
	p.mustValid(len(y), p.OutSize(), "output")
	if bias != nil && len(bias) < p.K {
		panic(fmt.Sprintf("conv: bias has %d elements, want %d", len(bias), p.K))
	}
}

// Conv2DForward computes y = conv(x, w) + bias for every image of the batch.
// x is N×C×H×W, w is K×C×KH×KW, bias is K values or nil, and y (N×K×OutH×OutW)
// is overwritten.
func Conv2DForward(p ConvParams, x, w, bias, y []float32) {
	p.mustForward(x, w, bias, y)
	switch {
	case p.outputSide():
		conv2DForwardOutputSide(p, x, w, bias, y)
		return
	case lowerDirect && !p.direct():
		conv2DForwardLowered(p, x, w, bias, y)
		return
	case p.batched():
		conv2DForwardBatched(p, x, w, bias, y)
		return
	}
	inImg, outImg := p.C*p.H*p.W, p.K*p.OutH()*p.OutW()
	rows, cols := p.C*p.KH*p.KW, p.OutH()*p.OutW()
	eachImage(p, func(n int, col []float32) {
		xn := x[n*inImg : (n+1)*inImg]
		yn := y[n*outImg : (n+1)*outImg]
		c := xn
		if col != nil {
			im2col(p, xn, col)
			c = col
		}
		// y[K, OHW] = w[K, CKK] · col[CKK, OHW]
		sgemm(false, false, p.K, cols, rows, 1, w, rows, c, cols, 0, yn, cols)
		if bias != nil {
			for k := 0; k < p.K; k++ {
				addScalar(yn[k*cols:(k+1)*cols], bias[k])
			}
		}
	})
}

// eachImage runs f for every image of the batch, the images split over
// parallel workers, each worker with its own im2col matrix (nil when the
// convolution needs no lowering).
func eachImage(p ConvParams, f func(n int, col []float32)) {
	rows, cols := p.C*p.KH*p.KW, p.OutH()*p.OutW()
	parallelFor(p.N, func(lo, hi int) {
		var col []float32
		if !p.direct() {
			buf := getBuf(rows * cols)
			defer putBuf(buf)
			col = *buf
		}
		for n := lo; n < hi; n++ {
			f(n, col)
		}
	})
}

// Conv2DBackwardData computes dx, the gradient of the loss with respect to
// the input, from dy (N×K×OutH×OutW) and w; dx (N×C×H×W) is overwritten.
func Conv2DBackwardData(p ConvParams, dy, w, dx []float32) {
	p.mustValid(len(dy), p.OutSize(), "output gradient")
	p.mustValid(len(w), p.WeightSize(), "weight")
	p.mustValid(len(dx), p.InSize(), "input gradient")
	switch {
	case p.outputSide():
		conv2DBackwardDataOutputSide(p, dy, w, dx)
		return
	case p.batched():
		conv2DBackwardDataBatched(p, dy, w, dx)
		return
	}
	inImg, outImg := p.C*p.H*p.W, p.K*p.OutH()*p.OutW()
	rows, cols := p.C*p.KH*p.KW, p.OutH()*p.OutW()
	if !p.direct() && col2imBand(p) < p.OutH() {
		conv2DBackwardDataBlocked(p, dy, w, dx)
		return
	}
	eachImage(p, func(n int, col []float32) {
		dyn := dy[n*outImg : (n+1)*outImg]
		dxn := dx[n*inImg : (n+1)*inImg]
		c := dxn
		if col != nil {
			c = col
		}
		// dcol[CKK, OHW] = wᵀ[CKK, K] · dy[K, OHW]
		sgemm(true, false, rows, cols, p.K, 1, w, rows, dyn, cols, 0, c, cols)
		if col != nil {
			col2im(p, col, dxn)
		}
	})
}

// col2imBlockMax is the largest column matrix (values) that backward data
// computes whole; larger ones (67 MB for the outer decoder layers of a 512²
// U-Net) are computed a band of output rows at a time, each band added into
// dx while it is still in cache instead of written to memory and read back,
// and the scratch is 4 MB instead of the whole matrix. Tests lower it.
var col2imBlockMax = 1 << 20

// col2imMinBandCols is the fewest columns a band's product has: a thinner
// product repacks its tall wᵀ (up to 8192×1024 in the U-Net) for too few
// columns, and the inner levels' column matrices are small enough whole.
// Tests lower it.
var col2imMinBandCols = 1024

// col2imBand is the number of output rows per band of backward data's
// column matrix; OutH or more means the matrix is computed whole.
func col2imBand(p ConvParams) int {
	rows, ow := p.C*p.KH*p.KW, p.OutW()
	band := max(1, col2imBlockMax/(rows*ow), (col2imMinBandCols+ow-1)/ow)
	if rows*p.OutH()*ow <= col2imBlockMax {
		return p.OutH()
	}
	return band
}

// conv2DBackwardDataBlocked is Conv2DBackwardData one band of output rows
// at a time: dcol[CKK, band] = wᵀ · dy[K, band], then its col2im.
func conv2DBackwardDataBlocked(p ConvParams, dy, w, dx []float32) {
	inImg, outImg := p.C*p.H*p.W, p.K*p.OutH()*p.OutW()
	rows, oh, ow := p.C*p.KH*p.KW, p.OutH(), p.OutW()
	band := col2imBand(p)
	parallelFor(p.N, func(lo, hi int) {
		buf := getBuf(rows * band * ow)
		defer putBuf(buf)
		for n := lo; n < hi; n++ {
			dyn := dy[n*outImg : (n+1)*outImg]
			dxn := dx[n*inImg : (n+1)*inImg]
			// Each band zeroes the rows of dx it is the first to reach
			// (cleared… upto), in cache and on every thread of the col2im,
			// instead of one serial pass over dx first.
			cleared := 0
			for y0 := 0; y0 < oh; y0 += band {
				y1 := min(oh, y0+band)
				ld := (y1 - y0) * ow
				upto := min(p.H, (y1-1)*p.StrideH-p.PadT+p.KH)
				if y1 == oh {
					upto = p.H
				}
				upto = max(upto, cleared)
				sgemm(true, false, rows, ld, p.K, 1, w, rows, dyn[y0*ow:], oh*ow, 0, *buf, ld)
				col2imAdd(p, *buf, ld, dxn, y0, y1, cleared, upto)
				cleared = upto
			}
		}
	})
}

// Conv2DBackwardFilter computes dw, the gradient of the loss with respect to
// the filter, summed over the batch, from x and dy; dw (K×C×KH×KW) is
// overwritten.
func Conv2DBackwardFilter(p ConvParams, x, dy, dw []float32) {
	p.mustValid(len(x), p.InSize(), "input")
	p.mustValid(len(dy), p.OutSize(), "output gradient")
	p.mustValid(len(dw), p.WeightSize(), "weight gradient")
	switch {
	case p.outputSide():
		conv2DBackwardFilterOutputSide(p, x, dy, dw)
		return
	case p.batched():
		conv2DBackwardFilterBatched(p, x, dy, dw)
		return
	}
	inImg, outImg := p.C*p.H*p.W, p.K*p.OutH()*p.OutW()
	rows, cols := p.C*p.KH*p.KW, p.OutH()*p.OutW()
	wsz := p.WeightSize()
	dw = dw[:wsz]
	nw := workers(p.N)
	if packsLoweredT(p) {
		conv2DBackwardFilterLowered(p, x, dy, dw, nw)
		return
	}
	// Worker 0 accumulates into dw itself; the others into private partial
	// sums that are added at the end, so no locking is needed.
	partial := make([][]float32, nw)
	partial[0] = dw
	for i := 1; i < nw; i++ {
		partial[i] = *getBuf(wsz)
	}
	parallelForWorkers(p.N, nw, func(wk, lo, hi int) {
		acc := partial[wk][:wsz]
		var col []float32
		if !p.direct() {
			buf := getBuf(rows * cols)
			defer putBuf(buf)
			col = *buf
		}
		beta := float32(0)
		for n := lo; n < hi; n++ {
			xn := x[n*inImg : (n+1)*inImg]
			dyn := dy[n*outImg : (n+1)*outImg]
			c := xn
			if col != nil {
				im2col(p, xn, col)
				c = col
			}
			// dw[K, CKK] (+)= dy[K, OHW] · colᵀ[OHW, CKK]
			sgemm(false, true, p.K, rows, cols, 1, dyn, cols, c, cols, beta, acc, rows)
			beta = 1
		}
		if lo == hi {
			clear(acc)
		}
	})
	for i := 1; i < nw; i++ {
		addTo(dw, partial[i][:wsz])
		b := partial[i]
		putBuf(&b)
	}
}

// packsLoweredT says whether the filter gradient's product packs the
// transposed lowered matrix straight from the input (loweredBT) instead of
// multiplying a stored im2col matrix: where the forward pass does
// (lowerDirect), for a product that runs on internal/gemm.
func packsLoweredT(p ConvParams) bool {
	return lowerDirect && !p.direct() && blas.OnGemm(p.K, p.C*p.KH*p.KW)
}

// conv2DBackwardFilterLowered is Conv2DBackwardFilter with the lowered
// matrix packed straight from each image: the images split over nw
// workers, each adding into its own partial sum; one worker's products
// run on all the threads the BLAS may use.
func conv2DBackwardFilterLowered(p ConvParams, x, dy, dw []float32, nw int) {
	inImg, outImg := p.C*p.H*p.W, p.K*p.OutH()*p.OutW()
	rows, cols := p.C*p.KH*p.KW, p.OutH()*p.OutW()
	one := p
	one.N = 1
	partial := make([][]float32, nw)
	partial[0] = dw
	for i := 1; i < nw; i++ {
		partial[i] = *getBuf(len(dw))
	}
	parallelForWorkers(p.N, nw, func(wk, lo, hi int) {
		acc := partial[wk][:len(dw)]
		beta := float32(0)
		for n := lo; n < hi; n++ {
			b, padded := newLoweredB(one, x[n*inImg:(n+1)*inImg], false)
			// dw[K, CKK] (+)= dy[K, OHW] · colᵀ[OHW, CKK]
			sgemmLoweredT(gemmThreads(), dy[n*outImg:(n+1)*outImg], b, p.K, rows, cols, beta, acc)
			if padded != nil {
				putBuf(padded)
			}
			beta = 1
		}
		if lo == hi {
			clear(acc)
		}
	})
	for i := 1; i < nw; i++ {
		addTo(dw, partial[i][:len(dw)])
		b := partial[i]
		putBuf(&b)
	}
}

// ConvBackwardBias computes db[k] = Σ_{n,h,w} dy[n,k,h,w] for an N×K×HW
// gradient; db (K values) is overwritten.
func ConvBackwardBias(n, k, hw int, dy, db []float32) {
	if len(dy) < n*k*hw || len(db) < k {
		panic(fmt.Sprintf("conv bias grad: dy has %d, db %d elements for %d×%d×%d", len(dy), len(db), n, k, hw))
	}
	for c := 0; c < k; c++ {
		var s float64
		for i := 0; i < n; i++ {
			s += sum64(dy[(i*k+c)*hw : (i*k+c+1)*hw])
		}
		db[c] = float32(s)
	}
}

// validRange returns the range [lo, hi) of output positions o in [0, out)
// for which o·stride − pad + k falls inside [0, in).
func validRange(out, in, stride, pad, k int) (lo, hi int) {
	// need 0 ≤ o·stride + off < in with off = k − pad
	off := k - pad
	lo = 0
	if off < 0 {
		lo = (-off + stride - 1) / stride
	}
	hi = 0
	if in-off > 0 {
		hi = (in - off + stride - 1) / stride
	}
	if hi > out {
		hi = out
	}
	if lo > hi {
		lo = hi
	}
	return lo, hi
}

// im2col lowers one C×H×W image to the (C·KH·KW)×(OH·OW) matrix whose row
// (c·KH+kh)·KW+kw holds, for every output position, the input value the
// filter tap (c, kh, kw) multiplies.
func im2col(p ConvParams, x, col []float32) { im2colLD(p, x, col, p.OutH()*p.OutW()) }

// im2colLD is im2col writing row r of the matrix at col[r·ld:], so that the
// images of a batch can be lowered side by side into one wider matrix.
//
// With a horizontal stride s > 1 every tap reads every s-th input column, a
// strided gather per element. Each channel is first split into its s column
// phases (phase r holds columns r, r+s, …), after which every row of the
// matrix is one contiguous copy from a phase: 1.6–1.9× faster for the
// stride-2 layers of pix2pix's networks with outputs 32 or more wide.
// Narrow outputs (the U-Net's innermost levels) gather directly: there the
// split costs more than it saves.
func im2colLD(p ConvParams, x, col []float32, ld int) { im2colStrided(p, x, p.H*p.W, col, ld) }

// im2colStrided is im2colLD for an image whose channel c starts at x[c·cs:]
// (cs = H·W for a C×H×W image; larger for one image of a channel-major
// batch, see Conv2DForwardCNHW).
func im2colStrided(p ConvParams, x []float32, cs int, col []float32, ld int) {
	oh, ow, s := p.OutH(), p.OutW(), p.StrideW
	split := usePhases(ow, s)
	pw := p.W
	var phases []float32
	if split {
		pw = phaseWidth(p.W, s)
		buf := getBuf(s * p.H * pw)
		defer putBuf(buf)
		phases = *buf
	}
	row := 0
	for c := 0; c < p.C; c++ {
		src := x[c*cs : c*cs+p.H*p.W]
		if split {
			splitPhases(src, p.H, p.W, s, phases)
			src = phases
		}
		for kh := 0; kh < p.KH; kh++ {
			hlo, hhi := validRange(oh, p.H, p.StrideH, p.PadT, kh)
			for kw := 0; kw < p.KW; kw++ {
				dst := col[row*ld : row*ld+oh*ow]
				row++
				wlo, whi := validRange(ow, p.W, s, p.PadL, kw)
				clear(dst[:hlo*ow])
				clear(dst[hhi*ow:])
				if !split {
					iw := wlo*s - p.PadL + kw
					for y := hlo; y < hhi; y++ {
						d := dst[y*ow : (y+1)*ow]
						zeroSmall(d[:wlo])
						zeroSmall(d[whi:])
						ih := y*p.StrideH - p.PadT + kh
						sr := src[ih*p.W+iw:]
						if s == 1 {
							copySmall(d[wlo:whi], sr)
							continue
						}
						for o, j := wlo, 0; o < whi; o, j = o+1, j+s {
							d[o] = sr[j]
						}
					}
					continue
				}
				plane, q := tapPhase(src, p.H*pw, kw-p.PadL, s)
				for y := hlo; y < hhi; y++ {
					d := dst[y*ow : (y+1)*ow]
					zeroSmall(d[:wlo])
					zeroSmall(d[whi:])
					ih := y*p.StrideH - p.PadT + kh
					copySmall(d[wlo:whi], plane[ih*pw+wlo+q:])
				}
			}
		}
	}
}

// usePhases reports whether im2colLD splits the input into column phases:
// for strides above 1 and outputs at least 8 wide.
func usePhases(outW, stride int) bool { return stride > 1 && outW >= 8 }

// phaseWidth is the width of the widest column phase of a w-wide row.
func phaseWidth(w, s int) int { return (w + s - 1) / s }

// splitPhases writes the s column phases of the h×w plane x into ph: phase r
// is the h×phaseWidth(w, s) plane at ph[r·h·pw:] holding x[i][j·s+r] at [i][j].
func splitPhases(x []float32, h, w, s int, ph []float32) {
	pw := phaseWidth(w, s)
	for r := 0; r < s; r++ {
		dst := ph[r*h*pw : (r+1)*h*pw]
		for i := 0; i < h; i++ {
			xr, d := x[i*w+r:(i+1)*w], dst[i*pw:(i+1)*pw]
			for j := 0; j*s < len(xr); j++ {
				d[j] = xr[j*s]
			}
		}
	}
}

// tapPhase returns the phase plane a kernel column at offset off (kw − PadL)
// reads with stride s, and the shift q such that output column o reads
// phase column o+q.
func tapPhase(phases []float32, planeSize, off, s int) (plane []float32, q int) {
	r := ((off % s) + s) % s
	return phases[r*planeSize:], (off - r) / s
}

// copySmall and zeroSmall are copy and clear for rows that are often only
// a few elements long (the U-Net's innermost levels), where a call to
// memmove costs more than the loop. Both are small enough to be inlined: a
// call per row cost as much as the copying.
func copySmall(dst, src []float32) {
	if len(dst) > 8 {
		copy(dst, src)
		return
	}
	src = src[:len(dst)]
	for i := range dst {
		dst[i] = src[i]
	}
}

func zeroSmall(d []float32) {
	for i := range d {
		d[i] = 0
	}
}

// col2im is the adjoint of im2col: it scatters the (C·KH·KW)×(OH·OW) matrix
// col back onto the C×H×W image x, summing overlapping taps. x is
// overwritten.
func col2im(p ConvParams, col, x []float32) { col2imLD(p, col, x, p.OutH()*p.OutW()) }

// col2imLD is col2im reading row r of the matrix at col[r·ld:]. (Splitting
// into column phases as im2colLD does made it slower: its cost is reading
// col, not scattering.)
func col2imLD(p ConvParams, col, x []float32, ld int) {
	col2imAdd(p, col, ld, x, 0, p.OutH(), 0, p.H)
}

// col2imAdd adds the columns of output rows y0..y1−1, held in col from
// column 0 on (leading dimension ld), into x, after zeroing rows r0..r1−1
// of every channel of x. Channels are independent; outside a parallel
// region (a batch of one) they are split over the threads a product may
// use.
func col2imAdd(p ConvParams, col []float32, ld int, x []float32, y0, y1, r0, r1 int) {
	nt := 1
	if p.C*p.H*p.W >= col2imSplitMin {
		nt = min(gemmThreads(), p.C)
	}
	parallelForWorkers(p.C, nt, func(_, lo, hi int) {
		if r0 < r1 {
			for c := lo; c < hi; c++ {
				clear(x[c*p.H*p.W+r0*p.W : c*p.H*p.W+r1*p.W])
			}
		}
		col2imChannels(p, col, ld, x, y0, y1, lo, hi)
	})
}

// col2imSplitMin is the smallest image (C·H·W values) whose col2im is split
// over threads.
const col2imSplitMin = 1 << 16

// col2imChannels is col2imAdd for channels lo..hi−1.
func col2imChannels(p ConvParams, col []float32, ld int, x []float32, y0, y1, lo, hi int) {
	ow := p.OutW()
	row := lo * p.KH * p.KW
	fused := fuseCol2im && p.fusedCol2im4s2()
	for c := lo; c < hi; c++ {
		xc := x[c*p.H*p.W : (c+1)*p.H*p.W]
		if fused {
			for kh := 0; kh < p.KH; kh++ {
				tap := func(kw int) []float32 { return col[(row+kw)*ld:] }
				s0, s1, s2, s3 := tap(0), tap(1), tap(2), tap(3)
				row += 4
				for y := y0; y < y1; y++ {
					ih := y*p.StrideH - p.PadT + kh
					if ih < 0 || ih >= p.H {
						continue
					}
					o := (y - y0) * ow
					col2imRow4s2(xc[ih*p.W:(ih+1)*p.W], s0[o:o+ow], s1[o:o+ow], s2[o:o+ow], s3[o:o+ow])
				}
			}
			continue
		}
		for kh := 0; kh < p.KH; kh++ {
			for kw := 0; kw < p.KW; kw++ {
				src := col[row*ld : row*ld+(y1-y0)*ow]
				row++
				wlo, whi := validRange(ow, p.W, p.StrideW, p.PadL, kw)
				for y := y0; y < y1; y++ {
					ih := y*p.StrideH - p.PadT + kh
					if ih < 0 || ih >= p.H {
						continue
					}
					s := src[(y-y0)*ow : (y-y0+1)*ow]
					d := xc[ih*p.W : (ih+1)*p.W]
					iw := wlo*p.StrideW - p.PadL + kw
					if p.StrideW == 1 {
						addTo(d[iw:iw+whi-wlo], s[wlo:whi])
						continue
					}
					for o := wlo; o < whi; o++ {
						d[iw] += s[o]
						iw += p.StrideW
					}
				}
			}
		}
	}
}
