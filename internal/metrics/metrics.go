// Package metrics computes per-image quality measures between a generated
// image and its original: PSNR and SSIM.
//
// Images are float32 C×H×W, row-major. SSIM follows Wang et al. (2004) as
// scikit-image (gaussian_weights=True, sigma 1.5, use_sample_covariance=False)
// and pytorch-msssim compute it: an 11×11 Gaussian window with σ = 1.5,
// K1 = 0.01, K2 = 0.03, the map averaged over the positions where the window
// fits entirely inside the image, then over channels.
package metrics

import (
	"fmt"
	"math"
)

// PSNR is the peak signal-to-noise ratio in dB, 10·log10(R² / MSE), for
// values spanning dataRange (1 for [0, 1], 2 for [−1, 1]). Identical images
// give +Inf.
func PSNR(a, b []float32, dataRange float64) float64 {
	var se float64
	for i := range a {
		d := float64(a[i]) - float64(b[i])
		se += d * d
	}
	mse := se / float64(len(a))
	if mse == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(dataRange*dataRange/mse)
}

const (
	ssimWin   = 11
	ssimSigma = 1.5
	ssimK1    = 0.01
	ssimK2    = 0.03
)

// gaussWindow returns the normalised 1-D Gaussian of the SSIM window.
func gaussWindow() []float64 {
	w := make([]float64, ssimWin)
	s := 0.0
	for i := range w {
		x := float64(i - ssimWin/2)
		w[i] = math.Exp(-x * x / (2 * ssimSigma * ssimSigma))
		s += w[i]
	}
	for i := range w {
		w[i] /= s
	}
	return w
}

// SSIM is the mean structural similarity of two c×h×w images with values in
// [0, 1]. Both sides must be at least 11 pixels.
func SSIM(a, b []float32, c, h, w int) (float64, error) {
	if len(a) != c*h*w || len(b) != c*h*w {
		return 0, fmt.Errorf("ssim: images have %d and %d values, want %d×%d×%d", len(a), len(b), c, h, w)
	}
	if h < ssimWin || w < ssimWin {
		return 0, fmt.Errorf("ssim: image %d×%d is smaller than the %d×%d window", h, w, ssimWin, ssimWin)
	}
	g := gaussWindow()
	c1 := (ssimK1 * 1) * (ssimK1 * 1)
	c2 := (ssimK2 * 1) * (ssimK2 * 1)
	oh, ow := h-ssimWin+1, w-ssimWin+1
	// Five planes filtered separably: x, y, x², y², xy.
	planes := make([][]float64, 5)
	tmp := make([][]float64, 5)
	for k := range planes {
		planes[k] = make([]float64, oh*ow)
		tmp[k] = make([]float64, h*ow)
	}
	total := 0.0
	for ch := 0; ch < c; ch++ {
		x := a[ch*h*w : (ch+1)*h*w]
		y := b[ch*h*w : (ch+1)*h*w]
		// Horizontal pass.
		for r := 0; r < h; r++ {
			for j := 0; j < ow; j++ {
				var s0, s1, s2, s3, s4 float64
				for k, gk := range g {
					xv, yv := float64(x[r*w+j+k]), float64(y[r*w+j+k])
					s0 += gk * xv
					s1 += gk * yv
					s2 += gk * xv * xv
					s3 += gk * yv * yv
					s4 += gk * xv * yv
				}
				o := r*ow + j
				tmp[0][o], tmp[1][o], tmp[2][o], tmp[3][o], tmp[4][o] = s0, s1, s2, s3, s4
			}
		}
		// Vertical pass.
		for p := range planes {
			for r := 0; r < oh; r++ {
				for j := 0; j < ow; j++ {
					var s float64
					for k, gk := range g {
						s += gk * tmp[p][(r+k)*ow+j]
					}
					planes[p][r*ow+j] = s
				}
			}
		}
		sum := 0.0
		for i := 0; i < oh*ow; i++ {
			mx, my := planes[0][i], planes[1][i]
			vx := planes[2][i] - mx*mx
			vy := planes[3][i] - my*my
			cxy := planes[4][i] - mx*my
			sum += ((2*mx*my + c1) * (2*cxy + c2)) / ((mx*mx + my*my + c1) * (vx + vy + c2))
		}
		total += sum / float64(oh*ow)
	}
	return total / float64(c), nil
}
