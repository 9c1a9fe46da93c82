package imageio

import (
	"fmt"
	"math"
)

// Window is a rectangle of a source picture in pixel units: it covers
// [X, X+W) × [Y, Y+H), where pixel (i, j) covers [i, i+1) × [j, j+1).
type Window struct{ X, Y, W, H float64 }

// Full is the window covering all of p.
func (p *Planes) Full() Window { return Window{0, 0, float64(p.W), float64(p.H)} }

// taps holds, for each output sample along one axis, n source indices and
// their weights (summing to 1).
type taps struct {
	n   int
	idx []int32
	w   []float32
}

// axisTaps maps outLen output samples onto [off, off+span) of an axis of
// inLen source samples with a triangle filter. The support is one source
// pixel when enlarging (bilinear) and widens with the shrink factor, so that
// every source pixel contributes when shrinking. Indices outside the source
// are clamped to the border. flip reverses the output order.
func axisTaps(inLen, outLen int, off, span float64, flip bool) taps {
	scale := span / float64(outLen)
	support := math.Max(1, scale)
	maxTaps := int(math.Ceil(2*support)) + 1
	idx := make([][]int32, outLen)
	wts := make([][]float32, outLen)
	ws := make([]float64, maxTaps)
	n := 1
	for i := 0; i < outLen; i++ {
		o := i
		if flip {
			o = outLen - 1 - i
		}
		center := off + (float64(i)+0.5)*scale - 0.5 // source coordinate of sample centers
		first := int(math.Floor(center-support)) + 1
		var sum float64
		for k := range ws {
			ws[k] = 0
			if d := math.Abs(float64(first+k)-center) / support; d < 1 {
				ws[k] = 1 - d
				sum += ws[k]
			}
		}
		// Keep only the taps with weight: when enlarging that is two, and
		// one for an exact copy, which keeps the inner loops short.
		for k, wk := range ws {
			if wk == 0 {
				continue
			}
			j := min(max(first+k, 0), inLen-1)
			idx[o] = append(idx[o], int32(j))
			wts[o] = append(wts[o], float32(wk/sum))
		}
		n = max(n, len(idx[o]))
	}
	t := taps{n: n, idx: make([]int32, outLen*n), w: make([]float32, outLen*n)}
	for o := 0; o < outLen; o++ {
		copy(t.idx[o*n:], idx[o])
		copy(t.w[o*n:], wts[o])
		for k := len(idx[o]); k < n; k++ { // padding: weight 0 on a valid index
			t.idx[o*n+k] = idx[o][0]
		}
	}
	return t
}

// Resample writes the window win of src, resampled to w×h and optionally
// mirrored left-right, into dst as float32 planes (channel-major, like src),
// mapping each resampled value v (in 0–255) to v·scale + bias.
// dst must hold src.C·h·w values.
func Resample(src *Planes, win Window, w, h int, flip bool, scale, bias float32, dst []float32) {
	if len(dst) < src.C*h*w {
		panic(fmt.Sprintf("imageio: Resample dst has %d values, want %d", len(dst), src.C*h*w))
	}
	tx := axisTaps(src.W, w, win.X, win.W, flip)
	ty := axisTaps(src.H, h, win.Y, win.H, false)
	// Only the source rows that the vertical taps touch need the horizontal pass.
	y0, y1 := int32(src.H), int32(-1)
	for _, j := range ty.idx {
		y0, y1 = min(y0, j), max(y1, j)
	}
	rows := int(y1 - y0 + 1)
	tmp := make([]float32, rows*w)
	for c := 0; c < src.C; c++ {
		plane := src.Pix[c*src.H*src.W : (c+1)*src.H*src.W]
		for r := 0; r < rows; r++ {
			row := plane[(int(y0)+r)*src.W : (int(y0)+r+1)*src.W]
			out := tmp[r*w : (r+1)*w]
			if tx.n == 2 { // enlarging, the augmentation's case
				idx, wt := tx.idx[:2*w], tx.w[:2*w]
				for x := range out {
					out[x] = wt[2*x]*float32(row[idx[2*x]]) + wt[2*x+1]*float32(row[idx[2*x+1]])
				}
				continue
			}
			for x := 0; x < w; x++ {
				var s float32
				for k := 0; k < tx.n; k++ {
					s += tx.w[x*tx.n+k] * float32(row[tx.idx[x*tx.n+k]])
				}
				out[x] = s
			}
		}
		dplane := dst[c*h*w : (c+1)*h*w]
		for y := 0; y < h; y++ {
			out := dplane[y*w : (y+1)*w]
			for x := range out {
				out[x] = 0
			}
			for k := 0; k < ty.n; k++ {
				wk := ty.w[y*ty.n+k]
				if wk == 0 {
					continue
				}
				in := tmp[(int(ty.idx[y*ty.n+k])-int(y0))*w:]
				for x := range out {
					out[x] += wk * in[x]
				}
			}
			for x := range out {
				out[x] = out[x]*scale + bias
			}
		}
	}
}

// Resize returns src resampled to w×h, rounded back to bytes.
func Resize(src *Planes, w, h int) *Planes {
	if w == src.W && h == src.H {
		out := NewPlanes(src.C, h, w)
		copy(out.Pix, src.Pix)
		return out
	}
	f := make([]float32, src.C*h*w)
	Resample(src, src.Full(), w, h, false, 1, 0, f)
	out := NewPlanes(src.C, h, w)
	for i, v := range f {
		out.Pix[i] = uint8(min(255, max(0, math.Round(float64(v)))))
	}
	return out
}

// ResizeNearest returns src resized to w×h by nearest-neighbour sampling,
// which keeps masks binary and hint colors exact.
func ResizeNearest(src *Planes, w, h int) *Planes {
	out := NewPlanes(src.C, h, w)
	for c := 0; c < src.C; c++ {
		for y := 0; y < h; y++ {
			sy := min(src.H-1, int((float64(y)+0.5)*float64(src.H)/float64(h)))
			for x := 0; x < w; x++ {
				sx := min(src.W-1, int((float64(x)+0.5)*float64(src.W)/float64(w)))
				out.Pix[(c*h+y)*w+x] = src.Pix[(c*src.H+sy)*src.W+sx]
			}
		}
	}
	return out
}

// ShortSide returns the size of a w×h picture scaled so that its shorter side
// is size, keeping the aspect ratio (the longer side is rounded).
func ShortSide(w, h, size int) (int, int) {
	if w <= h {
		return size, max(size, int(math.Round(float64(h)*float64(size)/float64(w))))
	}
	return max(size, int(math.Round(float64(w)*float64(size)/float64(h)))), size
}
