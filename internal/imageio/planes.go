package imageio

import (
	"fmt"
	"image"
)

// Planes is a planar 8-bit picture: C planes of H×W samples, channel-major.
type Planes struct {
	C, H, W int
	Pix     []uint8
}

// NewPlanes allocates a zeroed picture.
func NewPlanes(c, h, w int) *Planes {
	return &Planes{C: c, H: h, W: w, Pix: make([]uint8, c*h*w)}
}

// Plane returns channel c's H×W samples.
func (p *Planes) Plane(c int) []uint8 { return p.Pix[c*p.H*p.W : (c+1)*p.H*p.W] }

// Crop returns a copy of the w×h window whose top-left corner is (x0, y0).
func (p *Planes) Crop(x0, y0, w, h int) *Planes {
	if x0 < 0 || y0 < 0 || x0+w > p.W || y0+h > p.H {
		panic(fmt.Sprintf("imageio: crop %dx%d+%d+%d outside %dx%d", w, h, x0, y0, p.W, p.H))
	}
	out := NewPlanes(p.C, h, w)
	for c := 0; c < p.C; c++ {
		for y := 0; y < h; y++ {
			src := p.Pix[(c*p.H+y0+y)*p.W+x0:]
			copy(out.Pix[(c*h+y)*w:(c*h+y+1)*w], src[:w])
		}
	}
	return out
}

// Image converts the picture to an image.Image: *image.Gray for one plane,
// *image.RGBA for three, and for four planes an *image.NRGBA whose alpha is
// plane 3 (a hint image).
func (p *Planes) Image() image.Image {
	n := p.H * p.W
	r := image.Rect(0, 0, p.W, p.H)
	switch p.C {
	case 1:
		img := image.NewGray(r)
		copy(img.Pix, p.Pix)
		return img
	case 3:
		img := image.NewRGBA(r)
		for i := 0; i < n; i++ {
			img.Pix[4*i], img.Pix[4*i+1], img.Pix[4*i+2], img.Pix[4*i+3] = p.Pix[i], p.Pix[n+i], p.Pix[2*n+i], 255
		}
		return img
	case 4:
		img := image.NewNRGBA(r)
		for i := 0; i < n; i++ {
			img.Pix[4*i], img.Pix[4*i+1], img.Pix[4*i+2], img.Pix[4*i+3] = p.Pix[i], p.Pix[n+i], p.Pix[2*n+i], p.Pix[3*n+i]
		}
		return img
	}
	panic(fmt.Sprintf("imageio: cannot convert %d planes to an image", p.C))
}
