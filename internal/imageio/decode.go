package imageio

import (
	"bufio"
	"errors"
	"fmt"
	"image"
	"image/color"
	"io"
	"os"

	// Registered decoders: every format colorize reads.
	_ "image/gif"
	_ "image/jpeg"
	_ "image/png"

	_ "golang.org/x/image/bmp"
	_ "golang.org/x/image/tiff"
	_ "golang.org/x/image/webp"
)

// ErrUnsupported is wrapped by decoding errors for content that is not an image
// in a supported format.
var ErrUnsupported = errors.New("not an image in a supported format (PNG, JPEG, GIF, BMP, TIFF, WebP)")

// Decode reads the image file at path and returns it with its format name
// ("png", "jpeg", "gif", "bmp", "tiff" or "webp").
func Decode(path string) (image.Image, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, "", err
	}
	defer f.Close()
	img, format, err := DecodeReader(f)
	if err != nil {
		return nil, "", fmt.Errorf("decode %s: %w", path, err)
	}
	return img, format, nil
}

// DecodeReader decodes one image from r, recognising the format by content.
// Decoder panics on malformed input are turned into errors.
func DecodeReader(r io.Reader) (img image.Image, format string, err error) {
	defer func() {
		if p := recover(); p != nil {
			img, format, err = nil, "", fmt.Errorf("corrupt image (decoder panicked: %v)", p)
		}
	}()
	img, format, err = image.Decode(bufio.NewReader(r))
	if errors.Is(err, image.ErrFormat) {
		return nil, "", ErrUnsupported
	}
	if err != nil {
		return nil, "", err
	}
	b := img.Bounds()
	if b.Dx() <= 0 || b.Dy() <= 0 {
		return nil, "", fmt.Errorf("empty %s image (%dx%d)", format, b.Dx(), b.Dy())
	}
	return img, format, nil
}

// DecodeConfig reads only the header of the image file at path.
func DecodeConfig(path string) (image.Config, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return image.Config{}, "", err
	}
	defer f.Close()
	cfg, format, err := DecodeConfigReader(f)
	if err != nil {
		return image.Config{}, "", fmt.Errorf("decode %s: %w", path, err)
	}
	return cfg, format, nil
}

// DecodeConfigReader reads only the header of one image from r: its size
// and color model, so a size limit can be checked before decoding.
// Content that is not an image in a supported format gives ErrUnsupported.
func DecodeConfigReader(r io.Reader) (cfg image.Config, format string, err error) {
	defer func() {
		if p := recover(); p != nil {
			cfg, format, err = image.Config{}, "", fmt.Errorf("corrupt image header (decoder panicked: %v)", p)
		}
	}()
	cfg, format, err = image.DecodeConfig(bufio.NewReader(r))
	if errors.Is(err, image.ErrFormat) {
		return image.Config{}, "", ErrUnsupported
	}
	return cfg, format, err
}

// to8 rounds a 16-bit sample to 8 bits.
func to8(v uint32) uint8 { return uint8((v*255 + 32767) / 65535) }

// onWhite returns the 16-bit RGB of c composited on white. RGBA() is
// premultiplied, so the white shows through with weight 1−a.
func onWhite(c color.Color) (r, g, b uint32) {
	r, g, b, a := c.RGBA()
	return r + 0xffff - a, g + 0xffff - a, b + 0xffff - a
}

// luma16 is Go's color.GrayModel weighting of 16-bit RGB, rounded.
func luma16(r, g, b uint32) uint32 {
	return (19595*r + 38470*g + 7471*b + 1<<15) >> 16
}

// RGB returns img composited on white as a 3-plane picture.
func RGB(img image.Image) *Planes {
	bd := img.Bounds()
	w, h := bd.Dx(), bd.Dy()
	p := NewPlanes(3, h, w)
	n := w * h
	switch src := img.(type) {
	case *image.Gray:
		for y := 0; y < h; y++ {
			row := src.Pix[y*src.Stride : y*src.Stride+w]
			copy(p.Pix[y*w:], row)
			copy(p.Pix[n+y*w:], row)
			copy(p.Pix[2*n+y*w:], row)
		}
		return p
	case *image.NRGBA:
		for y := 0; y < h; y++ {
			row := src.Pix[y*src.Stride:]
			for x := 0; x < w; x++ {
				s := row[4*x : 4*x+4]
				a := uint32(s[3])
				for c := 0; c < 3; c++ {
					// a·v + (255−a)·255, divided by 255 with rounding.
					v := (uint32(s[c])*a + (255-a)*255 + 127) / 255
					p.Pix[c*n+y*w+x] = uint8(v)
				}
			}
		}
		return p
	case *image.RGBA:
		for y := 0; y < h; y++ {
			row := src.Pix[y*src.Stride:]
			for x := 0; x < w; x++ {
				s := row[4*x : 4*x+4]
				a := s[3]
				for c := 0; c < 3; c++ {
					p.Pix[c*n+y*w+x] = s[c] + (255 - a)
				}
			}
		}
		return p
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			r, g, b := onWhite(img.At(bd.Min.X+x, bd.Min.Y+y))
			i := y*w + x
			p.Pix[i], p.Pix[n+i], p.Pix[2*n+i] = to8(r), to8(g), to8(b)
		}
	}
	return p
}

// Gray returns the luma of img composited on white as a 1-plane picture.
func Gray(img image.Image) *Planes {
	bd := img.Bounds()
	w, h := bd.Dx(), bd.Dy()
	p := NewPlanes(1, h, w)
	if src, ok := img.(*image.Gray); ok {
		for y := 0; y < h; y++ {
			copy(p.Pix[y*w:], src.Pix[y*src.Stride:y*src.Stride+w])
		}
		return p
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			r, g, b := onWhite(img.At(bd.Min.X+x, bd.Min.Y+y))
			p.Pix[y*w+x] = to8(luma16(r, g, b))
		}
	}
	return p
}

// Hint reads a hint image: plane 3 is the mask, 255 where the pixel's alpha is
// at least one half and 0 elsewhere; planes 0–2 hold the pixel's straight
// (non premultiplied) RGB where the mask is set and 0 elsewhere.
func Hint(img image.Image) *Planes {
	bd := img.Bounds()
	w, h := bd.Dx(), bd.Dy()
	p := NewPlanes(4, h, w)
	n := w * h
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.NRGBA64Model.Convert(img.At(bd.Min.X+x, bd.Min.Y+y)).(color.NRGBA64)
			if c.A < 0x8000 {
				continue
			}
			i := y*w + x
			p.Pix[i] = to8(uint32(c.R))
			p.Pix[n+i] = to8(uint32(c.G))
			p.Pix[2*n+i] = to8(uint32(c.B))
			p.Pix[3*n+i] = 255
		}
	}
	return p
}
