package fid

import (
	"image"
	"image/color"
)

// InputSize is the side of the square images the network sees.
const InputSize = 299

// ImageToCHW converts an image to RGB float32 in [0, 1], 3×H×W row-major,
// as PIL's convert("RGB") followed by torchvision's ToTensor does:
// grayscale is replicated, alpha is dropped (not composited), 16-bit
// channels keep their high byte.
func ImageToCHW(img image.Image) (x []float32, h, w int) {
	b := img.Bounds()
	h, w = b.Dy(), b.Dx()
	x = make([]float32, 3*h*w)
	r, g, bl := x[:h*w], x[h*w:2*h*w], x[2*h*w:]
	const s = 1.0 / 255
	for y := 0; y < h; y++ {
		for xx := 0; xx < w; xx++ {
			i := y*w + xx
			switch im := img.(type) {
			case *image.NRGBA:
				o := im.PixOffset(b.Min.X+xx, b.Min.Y+y)
				r[i], g[i], bl[i] = float32(im.Pix[o])*s, float32(im.Pix[o+1])*s, float32(im.Pix[o+2])*s
			case *image.Gray:
				v := float32(im.Pix[im.PixOffset(b.Min.X+xx, b.Min.Y+y)]) * s
				r[i], g[i], bl[i] = v, v, v
			default:
				c := color.NRGBAModel.Convert(img.At(b.Min.X+xx, b.Min.Y+y)).(color.NRGBA)
				r[i], g[i], bl[i] = float32(c.R)*s, float32(c.G)*s, float32(c.B)*s
			}
		}
	}
	return x, h, w
}

// resizeBilinear resizes a C×H×W tensor to C×oh×ow like PyTorch's
// F.interpolate(mode="bilinear", align_corners=False, antialias=False) on
// the CPU: source coordinate (dst+½)·in/out − ½ clamped at 0, neighbours
// i0 and min(i0+1, in−1), interpolation in float32.
func resizeBilinear(x []float32, c, h, w, oh, ow int) []float32 {
	y := make([]float32, c*oh*ow)
	if h == oh && w == ow {
		copy(y, x)
		return y
	}
	h0, h1, hl := bilinearTaps(h, oh)
	w0, w1, wl := bilinearTaps(w, ow)
	for ch := 0; ch < c; ch++ {
		src := x[ch*h*w : (ch+1)*h*w]
		dst := y[ch*oh*ow : (ch+1)*oh*ow]
		for i := 0; i < oh; i++ {
			r0, r1 := src[h0[i]*w:(h0[i]+1)*w], src[h1[i]*w:(h1[i]+1)*w]
			b1 := hl[i]
			b0 := 1 - b1
			for j := 0; j < ow; j++ {
				a1 := wl[j]
				a0 := 1 - a1
				dst[i*ow+j] = b0*(a0*r0[w0[j]]+a1*r0[w1[j]]) + b1*(a0*r1[w0[j]]+a1*r1[w1[j]])
			}
		}
	}
	return y
}

// bilinearTaps returns, for each output index, the two input indices and
// the weight of the second one, with PyTorch's CPU rounding (checked against
// torch 1.13): the scale in/out is a float32, the source coordinate
// scale·(dst+½)−½ and its distance to the lower neighbour are evaluated in
// float64, and only the weight is rounded to float32.
func bilinearTaps(in, out int) (i0, i1 []int, l1 []float32) {
	i0, i1, l1 = make([]int, out), make([]int, out), make([]float32, out)
	scale := float64(float32(in) / float32(out))
	for d := 0; d < out; d++ {
		src := max(scale*(float64(d)+0.5)-0.5, 0)
		k := min(int(src), in-1)
		i0[d] = k
		i1[d] = k
		if k < in-1 {
			i1[d] = k + 1
		}
		l1[d] = float32(min(max(src-float64(k), 0), 1))
	}
	return i0, i1, l1
}

// prepare turns an RGB C×H×W image in [0, 1] into the network input:
// resized to 299×299 and scaled to [−1, 1] (2x − 1).
func prepare(x []float32, h, w int) act {
	in := resizeBilinear(x, 3, h, w, InputSize, InputSize)
	for i, v := range in {
		in[i] = 2*v - 1
	}
	return act{3, 1, InputSize, InputSize, in}
}
