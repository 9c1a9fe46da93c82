package imageio

import (
	"bytes"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/colorize-dev/colorize/internal/fuzzguard"
	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
)

// FuzzDecode feeds arbitrary bytes to the decode path every reader uses.
// It must never panic or hang, and with a pixel budget of 2^20 pixels an
// input may allocate no more than fuzzguard's bound.
func FuzzDecode(f *testing.F) {
	img := image.NewNRGBA(image.Rect(0, 0, 7, 5))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 37)
	}
	for _, enc := range []func(*bytes.Buffer) error{
		func(b *bytes.Buffer) error { return png.Encode(b, img) },
		func(b *bytes.Buffer) error { return jpeg.Encode(b, img, nil) },
		func(b *bytes.Buffer) error { return bmp.Encode(b, img) },
		func(b *bytes.Buffer) error { return tiff.Encode(b, img, &tiff.Options{Compression: tiff.Deflate}) },
		func(b *bytes.Buffer) error {
			p := image.NewPaletted(img.Rect, color.Palette{color.Black, color.White})
			return gif.Encode(b, p, nil)
		},
	} {
		var b bytes.Buffer
		if err := enc(&b); err != nil {
			f.Fatal(err)
		}
		f.Add(b.Bytes())
	}
	f.Add(pngDeclaring(50000, 50000))
	f.Add(pngDeclaring(1000, 1000))
	files, _ := filepath.Glob("testdata/*")
	for _, p := range files {
		if data, err := os.ReadFile(p); err == nil && len(data) < 1<<20 {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		prev := MaxPixels()
		SetMaxPixels(1 << 20)
		defer SetMaxPixels(prev)
		var img image.Image
		var err error
		fuzzguard.Check(t, len(data), func() { img, _, err = DecodeReader(bytes.NewReader(data)) })
		if err == nil {
			if b := img.Bounds(); b.Dx()*b.Dy() > 1<<20 {
				t.Fatalf("decoded %v beyond the budget", b)
			}
			RGB(img) // the conversions every reader applies next
			Hint(img)
		}
	})
}
