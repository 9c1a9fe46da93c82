package lineart

import (
	"math"

	"github.com/colorize-dev/colorize/internal/imageio"
)

// Params are the XDoG parameters (Winnemöller et al. 2012, eq. 7 with the
// soft threshold of eq. 5): Sigma is the inner Gaussian's standard deviation
// in pixels, K the ratio of the outer to the inner one, P the sharpening
// strength, Eps the threshold and Phi the steepness of the soft threshold.
type Params struct {
	Sigma, K, P, Eps, Phi float64
}

// XDoG extracts line art from a picture: the luma of its planes (one gray or
// three RGB planes), scaled to [0, 1], goes through
//
//	S = (1+P)·G_σ(I) − P·G_{Kσ}(I)
//	T = 1                          if S ≥ Eps
//	T = 1 + tanh(Phi·(S − Eps))    otherwise
//
// and T, clamped to [0, 1], is returned as an 8-bit gray picture: white paper,
// dark lines.
func XDoG(src *imageio.Planes, prm Params) *imageio.Planes {
	w, h := src.W, src.H
	n := w * h
	lum := make([]float64, n)
	if src.C >= 3 {
		r, g, b := src.Plane(0), src.Plane(1), src.Plane(2)
		for i := range lum {
			lum[i] = (0.299*float64(r[i]) + 0.587*float64(g[i]) + 0.114*float64(b[i])) / 255
		}
	} else {
		for i, v := range src.Plane(0) {
			lum[i] = float64(v) / 255
		}
	}
	g1 := Blur(lum, w, h, prm.Sigma)
	g2 := Blur(lum, w, h, prm.K*prm.Sigma)
	out := imageio.NewPlanes(1, h, w)
	for i := range lum {
		s := (1+prm.P)*g1[i] - prm.P*g2[i]
		t := 1.0
		if s < prm.Eps {
			t = 1 + math.Tanh(prm.Phi*(s-prm.Eps))
		}
		out.Pix[i] = uint8(math.Round(255 * math.Min(1, math.Max(0, t))))
	}
	return out
}

// Blur convolves a w×h plane with a normalised Gaussian of standard deviation
// sigma pixels, truncated at 3σ, replicating the border.
func Blur(in []float64, w, h int, sigma float64) []float64 {
	r := int(math.Ceil(3 * sigma))
	k := make([]float64, 2*r+1)
	var sum float64
	for i := -r; i <= r; i++ {
		k[i+r] = math.Exp(-float64(i*i) / (2 * sigma * sigma))
		sum += k[i+r]
	}
	for i := range k {
		k[i] /= sum
	}
	clamp := func(v, n int) int { return min(n-1, max(0, v)) }
	tmp := make([]float64, w*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var s float64
			for i := -r; i <= r; i++ {
				s += k[i+r] * in[y*w+clamp(x+i, w)]
			}
			tmp[y*w+x] = s
		}
	}
	out := make([]float64, w*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var s float64
			for i := -r; i <= r; i++ {
				s += k[i+r] * tmp[clamp(y+i, h)*w+x]
			}
			out[y*w+x] = s
		}
	}
	return out
}
