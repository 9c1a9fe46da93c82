package kernels

// cnhwBatchMaxCols is the largest per-image output (OutH·OutW) that
// Conv2DForwardCNHW lowers for the whole batch at once; larger images are
// lowered and multiplied one at a time, which already gives the GEMM long
// panels and keeps the lowered matrix small.
const cnhwBatchMaxCols = 1024

// Conv2DForwardCNHW is Conv2DForward for a batch stored channel-major:
// x is C×N×H×W (channel c of image n is the plane at x[(c·N+n)·H·W:]) and y,
// overwritten, is K×N×OutH×OutW. In this layout a channel concatenation is
// a contiguous slice and the whole batch is one matrix product: a 1×1
// convolution multiplies x itself, and a small-map convolution lowers every
// image side by side, so the GEMM's panels are N times longer than an
// image's (the inner levels of Inception are 8×8 and 17×17).
func Conv2DForwardCNHW(p ConvParams, x, w, bias, y []float32) {
	p.mustForward(x, w, bias, y)
	rows, ohw := p.C*p.KH*p.KW, p.OutH()*p.OutW()
	cols := p.N * ohw
	switch {
	case p.direct():
		// Y[K, N·HW] = w[K, C] · x[C, N·HW]
		sgemm(false, false, p.K, cols, rows, 1, w, rows, x, cols, 0, y, cols)
	case lowerDirect:
		// The whole batch as one product, B packed from x.
		b, padded := newLoweredB(p, x, true)
		sgemmLowered(gemmThreads(), w, b, p.K, cols, rows, y)
		if padded != nil {
			putBuf(padded)
		}
	case ohw <= cnhwBatchMaxCols:
		buf := getBuf(rows * cols)
		defer putBuf(buf)
		for n := 0; n < p.N; n++ {
			im2colStrided(p, x[n*p.H*p.W:], p.N*p.H*p.W, (*buf)[n*ohw:], cols)
		}
		sgemm(false, false, p.K, cols, rows, 1, w, rows, *buf, cols, 0, y, cols)
	default:
		buf := getBuf(rows * ohw)
		defer putBuf(buf)
		for n := 0; n < p.N; n++ {
			im2colStrided(p, x[n*p.H*p.W:], p.N*p.H*p.W, *buf, ohw)
			// Image n's columns of Y[K, N·OHW], with the row stride of the batch.
			sgemm(false, false, p.K, ohw, rows, 1, w, rows, *buf, ohw, 0, y[n*ohw:], cols)
		}
	}
	if bias != nil {
		for k := 0; k < p.K; k++ {
			addScalar(y[k*cols:(k+1)*cols], bias[k])
		}
	}
}
