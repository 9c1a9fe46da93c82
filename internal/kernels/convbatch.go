package kernels

// batchedMaxCols is the largest output plane (OutH·OutW) for which a
// convolution lowers the whole batch into one matrix and makes one Sgemm
// call instead of one per image. In the U-Net's inner levels a plane has 1 to
// 64 positions, so a per-image product is nearly a matrix-vector product that
// streams the whole filter (up to 33 MB) from memory once per image; one
// product over [CKK, N·OHW] streams it once per batch. Tests set it to 0 and
// to a large value to check both paths against the reference.
var batchedMaxCols = 256

func (p ConvParams) batched() bool {
	return p.N > 1 && p.OutH()*p.OutW() <= batchedMaxCols
}

// lowerBatch im2cols every image into col [CKK, N·OHW] (image n in columns
// n·OHW …).
func lowerBatch(p ConvParams, x, col []float32) {
	rows, cols := p.C*p.KH*p.KW, p.OutH()*p.OutW()
	inImg, ld := p.C*p.H*p.W, p.N*cols
	parallelFor(p.N, func(lo, hi int) {
		for n := lo; n < hi; n++ {
			src := x[n*inImg : (n+1)*inImg]
			if !p.direct() {
				im2colLD(p, src, col[n*cols:], ld)
				continue
			}
			for r := 0; r < rows; r++ {
				copy(col[r*ld+n*cols:r*ld+(n+1)*cols], src[r*cols:(r+1)*cols])
			}
		}
	})
}

// gatherBatch copies t [N, K, OHW] into m [K, N·OHW]; scatterBatch is its inverse.
func gatherBatch(n, k, cols int, t, m []float32) {
	for i := 0; i < n; i++ {
		for c := 0; c < k; c++ {
			copy(m[c*n*cols+i*cols:c*n*cols+(i+1)*cols], t[(i*k+c)*cols:(i*k+c+1)*cols])
		}
	}
}

func scatterBatch(n, k, cols int, m, t []float32) {
	for i := 0; i < n; i++ {
		for c := 0; c < k; c++ {
			copy(t[(i*k+c)*cols:(i*k+c+1)*cols], m[c*n*cols+i*cols:c*n*cols+(i+1)*cols])
		}
	}
}

// conv2DForwardBatched is Conv2DForward with one Sgemm for the batch.
func conv2DForwardBatched(p ConvParams, x, w, bias, y []float32) {
	rows, cols := p.C*p.KH*p.KW, p.OutH()*p.OutW()
	ld := p.N * cols
	colBuf, outBuf := getBuf(rows*ld), getBuf(p.K*ld)
	defer putBuf(colBuf)
	defer putBuf(outBuf)
	lowerBatch(p, x, *colBuf)
	// Y[K, N·OHW] = w[K, CKK] · col[CKK, N·OHW]
	sgemm(false, false, p.K, ld, rows, 1, w, rows, *colBuf, ld, 0, *outBuf, ld)
	scatterBatch(p.N, p.K, cols, *outBuf, y)
	if bias != nil {
		for n := 0; n < p.N; n++ {
			for k := 0; k < p.K; k++ {
				addScalar(y[(n*p.K+k)*cols:(n*p.K+k+1)*cols], bias[k])
			}
		}
	}
}

// conv2DBackwardDataBatched is Conv2DBackwardData with one Sgemm.
func conv2DBackwardDataBatched(p ConvParams, dy, w, dx []float32) {
	rows, cols := p.C*p.KH*p.KW, p.OutH()*p.OutW()
	ld := p.N * cols
	dyBuf, colBuf := getBuf(p.K*ld), getBuf(rows*ld)
	defer putBuf(dyBuf)
	defer putBuf(colBuf)
	gatherBatch(p.N, p.K, cols, dy, *dyBuf)
	// dcol[CKK, N·OHW] = wᵀ[CKK, K] · dY[K, N·OHW]
	sgemm(true, false, rows, ld, p.K, 1, w, rows, *dyBuf, ld, 0, *colBuf, ld)
	inImg := p.C * p.H * p.W
	dcol := *colBuf
	parallelFor(p.N, func(lo, hi int) {
		for n := lo; n < hi; n++ {
			dxn := dx[n*inImg : (n+1)*inImg]
			if !p.direct() {
				col2imLD(p, dcol[n*cols:], dxn, ld)
				continue
			}
			for r := 0; r < rows; r++ {
				copy(dxn[r*cols:(r+1)*cols], dcol[r*ld+n*cols:r*ld+(n+1)*cols])
			}
		}
	})
}

// conv2DBackwardFilterBatched is Conv2DBackwardFilter with one Sgemm, whose
// inner dimension runs over the whole batch.
func conv2DBackwardFilterBatched(p ConvParams, x, dy, dw []float32) {
	rows, cols := p.C*p.KH*p.KW, p.OutH()*p.OutW()
	ld := p.N * cols
	if packsLoweredT(p) {
		dyBuf := getBuf(p.K * ld)
		defer putBuf(dyBuf)
		gatherBatch(p.N, p.K, cols, dy, *dyBuf)
		b, padded := newLoweredB(p, x, false)
		// dw[K, CKK] = dY[K, N·OHW] · colᵀ[N·OHW, CKK]
		sgemmLoweredT(gemmThreads(), *dyBuf, b, p.K, rows, ld, 0, dw[:p.WeightSize()])
		if padded != nil {
			putBuf(padded)
		}
		return
	}
	dyBuf, colBuf := getBuf(p.K*ld), getBuf(rows*ld)
	defer putBuf(dyBuf)
	defer putBuf(colBuf)
	gatherBatch(p.N, p.K, cols, dy, *dyBuf)
	lowerBatch(p, x, *colBuf)
	// dw[K, CKK] = dY[K, N·OHW] · colᵀ[N·OHW, CKK]
	sgemm(false, true, p.K, rows, ld, 1, *dyBuf, ld, *colBuf, ld, 0, dw[:p.WeightSize()], rows)
}
