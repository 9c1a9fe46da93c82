package kernels

import "github.com/colorize-dev/colorize/internal/gemm"

// loweredB is the lowered (im2col) matrix of a convolution's input as a
// gemm.BPacker: row c·KH·KW + kh·KW + kw, column n·OutH·OutW + oy·OutW + ox
// holds input pixel (n, c, oy·StrideH − PadT + kh, ox·StrideW − PadL + kw),
// or 0 in the padding. The product packs it block by block straight from
// the input, so the matrix itself (KH·KW times the input, 25 MB for one
// image of Inception's stem) is never written and read back.
//
// It reads a prepared copy of the input (newLoweredB) in which no tap falls
// outside the planes and every run of output columns within one output row
// reads consecutive values: the planes padded with zeros and, for a
// horizontal stride s > 1, each row split into s column phases (columns
// w ≡ φ mod s, then the next phase). A panel's row is then a few plain
// copies, done 64 bytes at a time (copyRuns).
type loweredB struct {
	p                     ConvParams // of the original input
	x                     []float32  // the prepared input
	chanStride, imgStride int        // of a plane (n, c) in x
	rowLen, phaseLen      int        // of a prepared row, of one of its phases
	col0                  int        // column 0 of the packer is column col0 of the matrix (a band's offset)
}

// lowRun is a run of a panel's columns within one output row: the columns
// from at read, for tap (0, 0), the prepared input from offset src on.
type lowRun struct{ at, src int }

// newLoweredB returns the lowered matrix of convolution p of x, and the
// prepared copy of x it reads, for the caller to hand back with putBuf once
// the product is done (nil when x itself serves: no padding, stride 1).
// Image n's channel c is the H×W plane at x[n·C·H·W + c·H·W] (N×C×H×W) or,
// channelMajor, at x[c·N·H·W + n·H·W] (C×N×H×W).
func newLoweredB(p ConvParams, x []float32, channelMajor bool) (*loweredB, *[]float32) {
	s := p.StrideW
	hp, wp := p.H+p.PadT+p.PadB, p.W+p.PadL+p.PadR
	wq := (wp + s - 1) / s // phase width
	plane := hp * s * wq
	l := &loweredB{p: p, x: x, rowLen: s * wq, phaseLen: wq, chanStride: plane, imgStride: p.C * plane}
	if channelMajor {
		l.chanStride, l.imgStride = p.N*plane, plane
	}
	if s == 1 && plane == p.H*p.W {
		return l, nil // no padding, stride 1: x is its own prepared copy
	}
	buf := getBuf(p.N * p.C * plane)
	xp := *buf
	// Plane q keeps its place: planes are consecutive in both layouts. With
	// one image this copy is the only serial part of a convolution (16.5 ms
	// of a 512² inference), so outside a parallel region the planes are
	// split over the threads a product may use.
	nt := 1
	if p.N*p.C*p.H*p.W >= col2imSplitMin {
		nt = min(gemmThreads(), p.N*p.C)
	}
	parallelForWorkers(p.N*p.C, nt, func(_, lo, hi int) {
		for q := lo; q < hi; q++ {
			preparePlane(p, l, x[q*p.H*p.W:(q+1)*p.H*p.W], xp[q*plane:(q+1)*plane])
		}
	})
	l.x = xp
	return l, buf
}

// preparePlane writes the prepared copy of one input plane src into dst:
// padded with zeros and, for a stride s > 1, each row split into its s
// column phases.
func preparePlane(p ConvParams, l *loweredB, src, dst []float32) {
	s, wq := p.StrideW, l.phaseLen
	clear(dst[:p.PadT*l.rowLen])
	clear(dst[(p.PadT+p.H)*l.rowLen:])
	for i := 0; i < p.H; i++ {
		row := dst[(p.PadT+i)*l.rowLen : (p.PadT+i+1)*l.rowLen]
		in := src[i*p.W : (i+1)*p.W]
		if s == 1 {
			clear(row[:p.PadL])
			copy(row[p.PadL:], in)
			clear(row[p.PadL+p.W:])
			continue
		}
		if s == 2 {
			// Padded column t·2 + φ is input column 2t + φ − PadL: the
			// even input columns make up one phase, from the phase's
			// column ⌊PadL/2⌋ on, and the odd ones the other.
			pe, po := p.PadL%2, (p.PadL+1)%2
			clear(row)
			deinterleave2(in, row[pe*wq+p.PadL/2:][:(p.W+1)/2], row[po*wq+(p.PadL+1)/2:][:p.W/2])
			continue
		}
		for phase := 0; phase < s; phase++ {
			// Padded column t·s + phase is input column t·s + phase − PadL,
			// inside the row for t in [t0, t1).
			out := row[phase*wq : (phase+1)*wq]
			t0 := min(wq, max(0, (p.PadL-phase+s-1)/s))
			t1 := max(t0, min(wq, (p.W+p.PadL-phase+s-1)/s))
			clear(out[:t0])
			iw := t0*s + phase - p.PadL
			for t := t0; t < t1; t++ {
				out[t] = in[iw]
				iw += s
			}
			clear(out[t1:])
		}
	}
}

// deinterleave2Go is deinterleave2 in Go.
func deinterleave2Go(src, even, odd []float32) {
	for i := range odd {
		even[i], odd[i] = src[2*i], src[2*i+1]
	}
	if len(even) > len(odd) {
		even[len(odd)] = src[2*len(odd)]
	}
}

// PackB implements gemm.BPacker.
func (l *loweredB) PackB(kb, nb, p0, j0 int, dst []float32) {
	const pw = gemm.PanelWidth
	p := l.p
	s, ow, ohw := p.StrideW, p.OutW(), p.OutH()*p.OutW()

	// Each row's offset into the prepared input for tap (0, 0).
	// offMax[r] is the largest of offs[:r+1]: the taps' offsets do not
	// grow with r (tap (0, 1) is a phase further than tap (0, 2)).
	var offsBuf, offMaxBuf [256]int
	offs, offMax := offsBuf[:0], offMaxBuf[:0]
	if kb > len(offsBuf) {
		offs, offMax = make([]int, 0, kb), make([]int, 0, kb)
	}
	taps := p.KH * p.KW
	c, tap := p0/taps, p0%taps
	kh, kw := tap/p.KW, tap%p.KW
	for r := 0; r < kb; r++ {
		offs = append(offs, c*l.chanStride+kh*l.rowLen+(kw%s)*l.phaseLen+kw/s)
		top := offs[r]
		if r > 0 {
			top = max(top, offMax[r-1])
		}
		offMax = append(offMax, top)
		if kw++; kw == p.KW {
			kw = 0
			if kh++; kh == p.KH {
				kh, c = 0, c+1
			}
		}
	}

	// Panels are packed a group at a time, a row of every panel of the
	// group before the next row: each row of the prepared input is then
	// read front to back for the whole group (8 panels: 512 bytes of an
	// output row), where a panel at a time read 64 bytes from each of kb
	// rows and left the next 64 to be fetched again.
	panels := (nb + pw - 1) / pw
	end := panels * kb * pw // what the packed block fills of dst
	var runs [packGroup * pw]lowRun
	var lens [packGroup * pw]int // each run's exact length
	for q0 := 0; q0 < panels; q0 += packGroup {
		q1 := min(q0+packGroup, panels)
		// The group's columns, cut at output rows and at panels.
		ns, maxSrc := 0, 0
		for q := q0; q < q1; q++ {
			lo, hi := l.col0+j0+q*pw, l.col0+j0+min(nb, (q+1)*pw)
			for j := lo; j < hi; {
				n, r := j/ohw, j%ohw
				oy, ox := r/ow, r%ow
				k := min(ow-ox, hi-j)
				runs[ns] = lowRun{at: (q-q0)*kb*pw + j - lo, src: n*l.imgStride + oy*p.StrideH*l.rowLen + ox}
				lens[ns] = k
				maxSrc = max(maxSrc, runs[ns].src)
				ns++
				j += k
			}
		}
		// Every run is copied 16 values long from its start: what spills
		// past it is overwritten by the panel's next run, or by the
		// panel's next row, written later. The last row of a panel would
		// spill into the next panel's first row, written already, so it
		// is copied exactly, as are the rows from the first whose copy
		// could read past x.
		group := dst[q0*kb*pw : end]
		fast := kb - 1
		for fast > 0 && offMax[fast-1]+maxSrc+pw > len(l.x) {
			fast--
		}
		copyRuns(offs[:fast], runs[:ns], l.x, group)
		for r := fast; r < kb; r++ {
			for i, u := range runs[:ns] {
				copy(group[r*pw+u.at:r*pw+u.at+lens[i]], l.x[offs[r]+u.src:])
			}
		}
		for q := q0; q < q1; q++ {
			if width := nb - q*pw; width < pw {
				panel := dst[q*kb*pw : (q+1)*kb*pw]
				for r := 0; r < kb; r++ {
					clear(panel[r*pw+width : r*pw+pw])
				}
			}
		}
	}
}

// packGroup is the number of panels loweredB.PackB packs together, a row
// at a time: a team's unit of B (see internal/gemm).
const packGroup = 8

// copyRunsGo is copyRuns in Go.
func copyRunsGo(offs []int, runs []lowRun, x, dst []float32) {
	const pw = gemm.PanelWidth
	for r, o := range offs {
		for _, u := range runs {
			copy(dst[r*pw+u.at:r*pw+u.at+pw], x[o+u.src:o+u.src+pw])
		}
	}
}

// lowerDirect says whether convolutions run on gemm with the lowered matrix
// packed straight from the input: where colorize's own kernel is in use
// (AVX2 and FMA); elsewhere the BLAS multiplies a stored im2col matrix.
// Tests switch it to cover both paths.
var lowerDirect = gemm.Accelerated()

// sgemmLowered computes C[K, cols] = w[K, rows] · B for a lowered matrix B
// of cols columns on up to nt goroutines: a team product, or with useTeams
// off bands (eachBand), a band of columns packing only its own columns.
func sgemmLowered(nt int, w []float32, b *loweredB, k, cols, rows int, c []float32) {
	countFlops(k, cols, rows)
	if nt > 1 && useTeams {
		gemm.SgemmPackedBTeam(nt, false, k, cols, rows, 1, w, rows, b, 0, c, cols)
		return
	}
	eachBand(nt, k, cols, rows, func(i0, i1, j0, j1 int) {
		band := *b
		band.col0 += j0
		gemm.SgemmPackedB(false, i1-i0, j1-j0, rows, 1, w[i0*rows:], rows, &band, 0, c[i0*cols+j0:], cols)
	})
}

// conv2DForwardLowered is Conv2DForward with the lowered matrix packed
// straight from x: one product per image or, for small output planes
// (batched), one for the batch, whose [K, N·OHW] result is then scattered.
func conv2DForwardLowered(p ConvParams, x, w, bias, y []float32) {
	rows, cols := p.C*p.KH*p.KW, p.OutH()*p.OutW()
	if p.batched() {
		ld := p.N * cols
		out := getBuf(p.K * ld)
		defer putBuf(out)
		b, padded := newLoweredB(p, x, false)
		sgemmLowered(gemmThreads(), w, b, p.K, ld, rows, *out)
		if padded != nil {
			putBuf(padded)
		}
		scatterBatch(p.N, p.K, cols, *out, y)
	} else {
		inImg, outImg := p.C*p.H*p.W, p.K*cols
		one := p
		one.N = 1
		parallelFor(p.N, func(lo, hi int) {
			for n := lo; n < hi; n++ {
				b, padded := newLoweredB(one, x[n*inImg:(n+1)*inImg], false)
				sgemmLowered(gemmThreads(), w, b, p.K, cols, rows, y[n*outImg:(n+1)*outImg])
				if padded != nil {
					putBuf(padded)
				}
			}
		})
	}
	if bias != nil {
		for i := 0; i < p.N*p.K; i++ {
			addScalar(y[i*cols:(i+1)*cols], bias[i%p.K])
		}
	}
}

// loweredBT is the transpose of a lowered matrix, colᵀ, as a gemm.BPacker:
// row n·OutH·OutW + oy·OutW + ox, column c·KH·KW + kh·KW + kw (plus tap0,
// a band's offset) holds input pixel (n, c, oy·StrideH − PadT + kh,
// ox·StrideW − PadL + kw). The filter gradient's product, dw = dy·colᵀ,
// packs it straight from the prepared input (newLoweredB), so the im2col
// matrix is never written and read back.
type loweredBT struct {
	*loweredB
	tap0 int
}

// PackB implements gemm.BPacker: each panel is 16 taps, and each run of a
// block's pixels within one output row is consecutive in the prepared
// input for every tap, so a panel is packed a run at a time by
// gemm.PackBTColumns.
func (t loweredBT) PackB(kb, nb, p0, j0 int, dst []float32) {
	const pw = gemm.PanelWidth
	l := t.loweredB
	p := l.p
	s, ow, ohw := p.StrideW, p.OutW(), p.OutH()*p.OutW()
	taps := p.KH * p.KW
	// The block's rows, cut into runs of pixels within one output row: the
	// same for every panel.
	var runsBuf [256]lowRun
	runs := runsBuf[:0]
	for r := 0; r < kb; {
		j := p0 + r
		n, rem := j/ohw, j%ohw
		oy, ox := rem/ow, rem%ow
		runs = append(runs, lowRun{at: r, src: n*l.imgStride + oy*p.StrideH*l.rowLen + ox})
		r += min(ow-ox, kb-r)
	}
	for q := 0; q*pw < nb; q++ {
		var offs [pw]int // each tap's offset for pixel (0, 0)
		width := min(pw, nb-q*pw)
		for c := range width {
			j := t.tap0 + j0 + q*pw + c
			ch, tap := j/taps, j%taps
			kh, kw := tap/p.KW, tap%p.KW
			offs[c] = ch*l.chanStride + kh*l.rowLen + (kw%s)*l.phaseLen + kw/s
		}
		panel := dst[q*kb*pw : (q+1)*kb*pw]
		for i, u := range runs {
			r, src := u.at, u.src
			k := kb - r // the run's pixels
			if i+1 < len(runs) {
				k = runs[i+1].at - r
			}
			out := panel[r*pw : (r+k)*pw]
			if width == pw {
				var o [pw]int
				for c, v := range offs {
					o[c] = v + src
				}
				gemm.PackBTColumns(k, l.x, &o, out)
			} else {
				for px := range k {
					row := out[px*pw : (px+1)*pw]
					for c := range width {
						row[c] = l.x[offs[c]+src+px]
					}
					clear(row[width:])
				}
			}
		}
	}
}

// sgemmLoweredT computes dw[K, rows] = dy[K, cols] · Bᵀ (+ beta·dw) for the
// lowered matrix B (rows × cols) on up to nt goroutines: a team product,
// or with useTeams off bands (eachBand), a band of taps packing only its
// own taps.
func sgemmLoweredT(nt int, dy []float32, b *loweredB, k, rows, cols int, beta float32, dw []float32) {
	countFlops(k, rows, cols)
	if nt > 1 && useTeams {
		gemm.SgemmPackedBTeam(nt, false, k, rows, cols, 1, dy, cols, loweredBT{loweredB: b}, beta, dw, rows)
		return
	}
	eachBand(nt, k, rows, cols, func(i0, i1, j0, j1 int) {
		gemm.SgemmPackedB(false, i1-i0, j1-j0, cols, 1, dy[i0*cols:], cols, loweredBT{loweredB: b, tap0: j0}, beta, dw[i0*rows+j0:], rows)
	})
}
