package metrics

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/colorize-dev/colorize/internal/loss"
)

// Scorer accumulates the pixel measures of generated RGB images against
// their originals over a set: plain L1 (the mean absolute error over every
// value), compensated L1 (equations 3–5 with the channel errors pooled over
// the set) and, when Images is set, the per-image means of PSNR and SSIM.
// Values are the networks' [−1, 1] (internal/modelio). Training's
// validation, `colorize eval --checkpoint` and `colorize eval --real --fake`
// all score through it, so their numbers agree.
type Scorer struct {
	// Images adds PSNR and SSIM, which cost far more than the L1s.
	Images bool
	// PerImage keeps every image's own measures (Score.PerImage), for
	// paired comparisons between models on the same images.
	PerImage bool

	n      int        // images
	values int        // values summed into abs
	abs    float64    // Σ|f − r| over every value
	chans  [3]float64 // Σ|f − r| per channel
	psnr   float64
	ssim   float64
	each   []ImageScore
}

// ImageScore is one image's measures: L1, its own compensated L1, and with
// Scorer.Images PSNR and SSIM.
type ImageScore struct {
	L1     float64 `json:"l1"`
	CompL1 float64 `json:"compensated_l1"`
	PSNR   DB      `json:"psnr,omitempty"`
	SSIM   float64 `json:"ssim,omitempty"`
}

// Score is what a Scorer measured.
type Score struct {
	N      int     `json:"images"`
	L1     float64 `json:"l1"`
	CompL1 float64 `json:"compensated_l1"`
	PSNR   DB      `json:"psnr"` // 0 unless Scorer.Images
	SSIM   float64 `json:"ssim"` // 0 unless Scorer.Images
	// PerImage holds each image's measures in the order added (Scorer.PerImage).
	PerImage []ImageScore `json:"per_image,omitempty"`
}

// DB is a PSNR in decibels. Identical images have an infinite PSNR, which
// JSON cannot hold: it is written as null and read back as +Inf.
type DB float64

// MarshalJSON writes the value, or null when it is not finite.
func (d DB) MarshalJSON() ([]byte, error) {
	if math.IsInf(float64(d), 0) || math.IsNaN(float64(d)) {
		return []byte("null"), nil
	}
	return json.Marshal(float64(d))
}

// UnmarshalJSON reads a number, or null as +Inf.
func (d *DB) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*d = DB(math.Inf(1))
		return nil
	}
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	*d = DB(f)
	return nil
}

// Add scores a batch of n images: fake and real are [n, 3, h, w].
func (s *Scorer) Add(fake, real []float32, n, h, w int) error {
	hw := h * w
	if len(fake) != n*3*hw || len(real) != n*3*hw {
		return fmt.Errorf("scorer: %d generated and %d original values, want %d×3×%d×%d", len(fake), len(real), n, h, w)
	}
	for i := 0; i < n; i++ {
		f, r := fake[i*3*hw:(i+1)*3*hw], real[i*3*hw:(i+1)*3*hw]
		var img ImageScore
		var own [3]float64
		for c := 0; c < 3; c++ {
			var sum float64
			for j := c * hw; j < (c+1)*hw; j++ {
				sum += math.Abs(float64(r[j]) - float64(f[j]))
			}
			s.chans[c] += sum
			s.abs += sum
			own[c] = sum / float64(hw)
			img.L1 += sum
		}
		img.L1 /= float64(3 * hw)
		img.CompL1 = loss.Compensate(own[:])
		if s.Images {
			img.PSNR = DB(PSNR(f, r, 2)) // values span [−1, 1]
			v, err := SSIM(toUnit(f), toUnit(r), 3, h, w)
			if err != nil {
				return err
			}
			img.SSIM = v
			s.psnr += float64(img.PSNR)
			s.ssim += v
		}
		if s.PerImage {
			s.each = append(s.each, img)
		}
		s.n++
		s.values += 3 * hw
	}
	return nil
}

// Score returns the measures over everything added so far.
func (s *Scorer) Score() Score {
	if s.n == 0 {
		return Score{}
	}
	perChannel := s.values / 3
	l := make([]float64, 3)
	for c := range l {
		l[c] = s.chans[c] / float64(perChannel)
	}
	sc := Score{N: s.n, L1: s.abs / float64(s.values), CompL1: loss.Compensate(l)}
	if s.Images {
		sc.PSNR = DB(s.psnr / float64(s.n))
		sc.SSIM = s.ssim / float64(s.n)
	}
	sc.PerImage = s.each
	return sc
}

// toUnit maps [−1, 1] to [0, 1], SSIM's range.
func toUnit(x []float32) []float32 {
	out := make([]float32, len(x))
	for i, v := range x {
		out[i] = (v + 1) / 2
	}
	return out
}
