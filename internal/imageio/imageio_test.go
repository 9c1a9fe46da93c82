package imageio

import (
	"bytes"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
)

// quad is the color of quadrant q (0 top-left, 1 top-right, 2 bottom-left,
// 3 bottom-right) of the fixture pictures.
var quad = [4][3]uint8{{255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {255, 255, 255}}

func quadrant(x, y int) int { return x/8 + 2*(y/8) }

// checkQuads compares a decoded 16×16 picture with the quadrant colors at
// the center pixel of each quadrant... and every pixel, within tol.
func checkQuads(t *testing.T, name string, p *Planes, want [4][3]uint8, tol int) {
	t.Helper()
	if p.W != 16 || p.H != 16 || p.C != 3 {
		t.Fatalf("%s: got %dx%dx%d, want 3x16x16", name, p.C, p.H, p.W)
	}
	worst := 0
	for y := 0; y < 16; y++ {
		for x := 0; x < 16; x++ {
			// JPEG blurs across quadrant edges; judge interior pixels there.
			if tol > 0 && (x%8 == 0 || x%8 == 7 || y%8 == 0 || y%8 == 7) {
				continue
			}
			for c := 0; c < 3; c++ {
				d := int(p.Pix[(c*16+y)*16+x]) - int(want[quadrant(x, y)][c])
				worst = max(worst, max(d, -d))
			}
		}
	}
	if worst > tol {
		t.Errorf("%s: largest channel error %d > %d", name, worst, tol)
	}
}

type draw interface{ Set(x, y int, c color.Color) }

func fill(img draw, col func(q int) color.Color) {
	for y := 0; y < 16; y++ {
		for x := 0; x < 16; x++ {
			img.Set(x, y, col(quadrant(x, y)))
		}
	}
}

func rgb(q int) color.Color { c := quad[q]; return color.NRGBA{c[0], c[1], c[2], 255} }

func decodeBytes(t *testing.T, b []byte) (image.Image, string) {
	t.Helper()
	img, format, err := DecodeReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return img, format
}

func TestFormatsDecodeToSameColors(t *testing.T) {
	r := image.Rect(0, 0, 16, 16)
	nrgba := image.NewNRGBA(r)
	fill(nrgba, rgb)
	rgba64 := image.NewRGBA64(r)
	fill(rgba64, rgb)
	pal := image.NewPaletted(r, color.Palette{rgb(0), rgb(1), rgb(2), rgb(3)})
	fill(pal, rgb)

	enc := map[string]func(*bytes.Buffer) error{
		"png":       func(b *bytes.Buffer) error { return png.Encode(b, nrgba) },
		"png16":     func(b *bytes.Buffer) error { return png.Encode(b, rgba64) },
		"png-palet": func(b *bytes.Buffer) error { return png.Encode(b, pal) },
		"gif":       func(b *bytes.Buffer) error { return gif.Encode(b, pal, nil) },
		"bmp":       func(b *bytes.Buffer) error { return bmp.Encode(b, nrgba) },
		"tiff":      func(b *bytes.Buffer) error { return tiff.Encode(b, nrgba, nil) },
		"tiff16":    func(b *bytes.Buffer) error { return tiff.Encode(b, rgba64, &tiff.Options{Compression: tiff.Deflate}) },
		"jpeg":      func(b *bytes.Buffer) error { return jpeg.Encode(b, nrgba, &jpeg.Options{Quality: 95}) },
	}
	wantFormat := map[string]string{"png": "png", "png16": "png", "png-palet": "png", "gif": "gif", "bmp": "bmp", "tiff": "tiff", "tiff16": "tiff", "jpeg": "jpeg"}
	for name, e := range enc {
		var b bytes.Buffer
		if err := e(&b); err != nil {
			t.Fatalf("%s: encode: %v", name, err)
		}
		img, format := decodeBytes(t, b.Bytes())
		if format != wantFormat[name] {
			t.Errorf("%s: format %q", name, format)
		}
		tol := 0
		if name == "jpeg" {
			tol = 12 // lossy, and chroma subsampled at the quadrant edges
		}
		checkQuads(t, name, RGB(img), quad, tol)
	}
}

// The CMYK JPEG and the WebP files are made by testdata/make_fixtures.py
// (PIL with libwebp; Go has no encoder for either).
func TestFixtureFilesCMYKJPEGAndWebP(t *testing.T) {
	half := quad
	half[3] = [3]uint8{128, 128, 128} // black at alpha 128/255 over white: 255·(1−128/255) ≈ 127.
	cases := []struct {
		file, format string
		want         [4][3]uint8
		tol          int
	}{
		{"cmyk.jpg", "jpeg", quad, 12},
		{"lossless.webp", "webp", quad, 0},
		{"alpha.webp", "webp", half, 1},
		{"lossy.webp", "webp", quad, 24}, // lossy VP8, 4:2:0 chroma on saturated primaries
	}
	for _, c := range cases {
		img, format, err := Decode(filepath.Join("testdata", c.file))
		if err != nil {
			t.Fatal(err)
		}
		if format != c.format {
			t.Errorf("%s: format %q, want %q", c.file, format, c.format)
		}
		if c.file == "cmyk.jpg" {
			if _, ok := img.(*image.CMYK); !ok {
				t.Errorf("cmyk.jpg decoded as %T, want *image.CMYK", img)
			}
		}
		checkQuads(t, c.file, RGB(img), c.want, c.tol)
	}
}

func TestTransparencyCompositedOnWhite(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 3, 1))
	img.Set(0, 0, color.NRGBA{200, 10, 10, 0})   // fully transparent: white
	img.Set(1, 0, color.NRGBA{0, 0, 0, 255})     // opaque black
	img.Set(2, 0, color.NRGBA{255, 0, 100, 102}) // 40% red-ish over white
	want := [][3]float64{{255, 255, 255}, {0, 0, 0}, {255, 0.4*0 + 0.6*255, 0.4*100 + 0.6*255}}
	// The same pixels through every path: the NRGBA fast path, the
	// premultiplied RGBA fast path and the generic one (an RGBA64 image).
	rgba := image.NewRGBA(img.Bounds())
	rgba64 := image.NewRGBA64(img.Bounds())
	for x := 0; x < 3; x++ {
		rgba.Set(x, 0, img.At(x, 0))
		rgba64.Set(x, 0, img.At(x, 0))
	}
	for _, src := range []image.Image{img, rgba, rgba64} {
		p := RGB(src)
		for x := 0; x < 3; x++ {
			for c := 0; c < 3; c++ {
				if d := math.Abs(float64(p.Pix[c*3+x]) - want[x][c]); d > 1 {
					t.Errorf("%T pixel %d channel %d = %d, want %.1f", src, x, c, p.Pix[c*3+x], want[x][c])
				}
			}
		}
		g := Gray(src)
		if g.Pix[0] != 255 || g.Pix[1] != 0 {
			t.Errorf("%T gray = %v, want 255 (transparent) and 0 (black)", src, g.Pix[:2])
		}
	}
}

func TestGrayRoundTripsEightBitGray(t *testing.T) {
	img := image.NewGray(image.Rect(0, 0, 256, 1))
	for x := 0; x < 256; x++ {
		img.Pix[x] = uint8(x)
	}
	// Through the fast path and through the generic path (as Gray16 and as RGBA).
	g16 := image.NewGray16(img.Bounds())
	rgba := image.NewRGBA64(img.Bounds())
	for x := 0; x < 256; x++ {
		g16.Set(x, 0, img.At(x, 0))
		rgba.Set(x, 0, img.At(x, 0))
	}
	for _, src := range []image.Image{img, g16, rgba} {
		p := Gray(src)
		for x := 0; x < 256; x++ {
			if p.Pix[x] != uint8(x) {
				t.Fatalf("%T: gray %d read back as %d", src, x, p.Pix[x])
			}
		}
	}
}

func TestHintReadsMaskFromAlpha(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 3, 1))
	img.Set(0, 0, color.NRGBA{10, 20, 30, 255})
	img.Set(1, 0, color.NRGBA{10, 20, 30, 127}) // below one half: not a hint
	img.Set(2, 0, color.NRGBA{200, 100, 50, 128})
	p := Hint(img)
	want := []uint8{10, 0, 200, 20, 0, 100, 30, 0, 50, 255, 0, 255}
	if !bytes.Equal(p.Pix, want) {
		t.Fatalf("hint planes %v, want %v", p.Pix, want)
	}
	back := p.Image().(*image.NRGBA)
	if c := back.NRGBAAt(2, 0); c != (color.NRGBA{200, 100, 50, 255}) {
		t.Errorf("Image() pixel 2 = %v", c)
	}
}

func TestCorruptAndUnsupportedInputIsAnError(t *testing.T) {
	var good bytes.Buffer
	img := image.NewNRGBA(image.Rect(0, 0, 16, 16))
	fill(img, rgb)
	if err := png.Encode(&good, img); err != nil {
		t.Fatal(err)
	}
	var jp bytes.Buffer
	if err := jpeg.Encode(&jp, img, nil); err != nil {
		t.Fatal(err)
	}
	cases := map[string][]byte{
		"empty":          nil,
		"text":           []byte("hello, this is not an image\n"),
		"truncated png":  good.Bytes()[:good.Len()/2],
		"truncated jpeg": jp.Bytes()[:jp.Len()/2],
		"bad crc":        flip(good.Bytes(), 40),
	}
	for name, b := range cases {
		if _, _, err := DecodeReader(bytes.NewReader(b)); err == nil {
			t.Errorf("%s: decoded without error", name)
		}
	}
	if _, _, err := DecodeReader(strings.NewReader("plain text")); err != ErrUnsupported {
		t.Errorf("text: error %v, want ErrUnsupported", err)
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "x.png")
	if err := os.WriteFile(p, good.Bytes()[:30], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Decode(p); err == nil || !strings.Contains(err.Error(), p) {
		t.Errorf("Decode of a truncated file: error %v does not name the file", err)
	}
}

func flip(b []byte, i int) []byte {
	c := append([]byte(nil), b...)
	c[i] ^= 0xff
	return c
}

func TestDecodeConfigReaderReadsTheHeaderOnly(t *testing.T) {
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 300, 200))); err != nil {
		t.Fatal(err)
	}
	// The header is all it needs: the pixel data is cut off.
	cfg, format, err := DecodeConfigReader(bytes.NewReader(buf.Bytes()[:64]))
	if err != nil || cfg.Width != 300 || cfg.Height != 200 || format != "png" {
		t.Fatalf("%+v %q %v", cfg, format, err)
	}
	if _, _, err := DecodeConfigReader(strings.NewReader("hello, not an image")); err != ErrUnsupported {
		t.Fatalf("text: err = %v, want ErrUnsupported", err)
	}
}
