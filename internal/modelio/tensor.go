package modelio

import (
	"fmt"
	"image"
	"math"

	"github.com/colorize-dev/colorize/internal/imageio"
)

// LineTensor converts a sketch of any format, color model or transparency to
// the generator's line input [1,h,w] in [-1, 1]: composited on white, gray
// (imageio.Gray), resized to w×h and rounded to bytes, then scaled, which is
// the path training and validation images take. A square sketch asked for at
// the training size gets exactly the validation treatment; other shapes are
// stretched to w×h.
func LineTensor(img image.Image, w, h int) []float32 {
	return planesTensor(imageio.Resize(imageio.Gray(img), w, h))
}

// ColorTensor converts an image to [3,h,w] in [-1, 1] the same way (RGB
// composited on white, resized to w×h).
func ColorTensor(img image.Image, w, h int) []float32 {
	return planesTensor(imageio.Resize(imageio.RGB(img), w, h))
}

// HintTensor converts a hint image to the hint input [4,h,w]: pixels with
// alpha ≥ 1/2 are hints (mask 1) whose straight RGB, in [-1, 1], fills
// channels 0–2; elsewhere all four channels are 0. It is resized to w×h by
// nearest-neighbour sampling.
func HintTensor(img image.Image, w, h int) []float32 {
	p := imageio.ResizeNearest(imageio.Hint(img), w, h)
	out := make([]float32, 4*w*h)
	n := w * h
	for i := 0; i < n; i++ {
		if p.Pix[3*n+i] == 0 {
			continue
		}
		for c := 0; c < 3; c++ {
			out[c*n+i] = float32(p.Pix[c*n+i])*Scale + Bias
		}
		out[3*n+i] = 1
	}
	return out
}

func planesTensor(p *imageio.Planes) []float32 {
	out := make([]float32, len(p.Pix))
	for i, v := range p.Pix {
		out[i] = float32(v)*Scale + Bias
	}
	return out
}

// ToByte maps [-1, 1] to 0…255, rounding and clamping.
func ToByte(v float32) uint8 {
	f := math.Round((float64(v) + 1) * 127.5)
	return uint8(math.Min(255, math.Max(0, f)))
}

// TensorPlanes converts one [c,h,w] tensor in [-1, 1] to bytes. For c = 4 (a
// hint tensor) channel 3 is the mask in {0, 1} and becomes 0 or 255, and the
// colors where the mask is 0 become 0.
func TensorPlanes(t []float32, c, h, w int) (*imageio.Planes, error) {
	if len(t) != c*h*w {
		return nil, fmt.Errorf("tensor has %d values, want %d×%d×%d", len(t), c, h, w)
	}
	p := imageio.NewPlanes(c, h, w)
	n := h * w
	for i, v := range t {
		p.Pix[i] = ToByte(v)
	}
	if c == 4 { // a hint: the mask becomes 0/255 and colors off the mask 0
		for i := 0; i < n; i++ {
			if t[3*n+i] >= 0.5 {
				p.Pix[3*n+i] = 255
				continue
			}
			p.Pix[i], p.Pix[n+i], p.Pix[2*n+i], p.Pix[3*n+i] = 0, 0, 0, 0
		}
	}
	return p, nil
}

// TensorImage converts one [c,h,w] tensor in [-1, 1] to an image for PNG
// output: gray for c = 1, RGB for c = 3, RGBA with alpha = mask for c = 4.
func TensorImage(t []float32, c, h, w int) (image.Image, error) {
	if c != 1 && c != 3 && c != 4 {
		return nil, fmt.Errorf("tensor with %d channels is not an image (want 1, 3 or 4)", c)
	}
	p, err := TensorPlanes(t, c, h, w)
	if err != nil {
		return nil, err
	}
	return p.Image(), nil
}
