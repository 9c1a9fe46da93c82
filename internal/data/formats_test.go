package data

import (
	"bytes"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
)

// TestEveryFormatLoads opens a color-only folder holding one image of every
// format and color model and checks that none is skipped and that each
// comes out as its picture: a red square on white (transparent background
// for the images with alpha). The CMYK JPEG and WebP files are imageio's
// fixtures, made by internal/imageio/testdata/make_fixtures.py with PIL.
func TestEveryFormatLoads(t *testing.T) {
	dir := t.TempDir()
	r := image.Rect(0, 0, 40, 40)
	red := color.NRGBA{255, 0, 0, 255}
	square := func(img interface{ Set(int, int, color.Color) }, bg color.Color) {
		for y := 0; y < 40; y++ {
			for x := 0; x < 40; x++ {
				c := bg
				if x >= 10 && x < 30 && y >= 10 && y < 30 {
					c = red
				}
				img.Set(x, y, c)
			}
		}
	}
	nrgba := image.NewNRGBA(r)
	square(nrgba, color.White)
	clear := image.NewNRGBA(r)
	square(clear, color.NRGBA{0, 0, 0, 0})
	rgba64 := image.NewRGBA64(r)
	square(rgba64, color.White)
	gray16 := image.NewGray16(r)
	square(gray16, color.White)
	pal := image.NewPaletted(r, color.Palette{color.White, red})
	square(pal, color.White)
	palAlpha := image.NewPaletted(r, color.Palette{color.NRGBA{0, 0, 0, 0}, red})
	square(palAlpha, color.NRGBA{0, 0, 0, 0})

	files := map[string]func(*bytes.Buffer) error{
		"rgb.png":      func(b *bytes.Buffer) error { return png.Encode(b, nrgba) },
		"alpha.png":    func(b *bytes.Buffer) error { return png.Encode(b, clear) },
		"deep.png":     func(b *bytes.Buffer) error { return png.Encode(b, rgba64) },
		"gray16.png":   func(b *bytes.Buffer) error { return png.Encode(b, gray16) },
		"palette.png":  func(b *bytes.Buffer) error { return png.Encode(b, pal) },
		"palalpha.png": func(b *bytes.Buffer) error { return png.Encode(b, palAlpha) },
		"photo.jpg":    func(b *bytes.Buffer) error { return jpeg.Encode(b, nrgba, &jpeg.Options{Quality: 95}) },
		"anim.gif":     func(b *bytes.Buffer) error { return gif.Encode(b, palAlpha, nil) },
		"win.bmp":      func(b *bytes.Buffer) error { return bmp.Encode(b, nrgba) },
		"scan.tiff":    func(b *bytes.Buffer) error { return tiff.Encode(b, clear, &tiff.Options{Compression: tiff.Deflate}) },
	}
	for name, enc := range files {
		var b bytes.Buffer
		if err := enc(&b); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"cmyk.jpg", "alpha.webp", "lossless.webp"} {
		raw, err := os.ReadFile(filepath.Join("..", "imageio", "testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, "fixture-"+f), raw, 0o644)
	}
	cfg := testConfig(dir, 40, 0)
	d, err := Open(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Skipped) != 0 || d.TrainLen() != len(files)+3 {
		t.Fatalf("skipped %q, %d examples loaded", d.Skipped, d.TrainLen())
	}
	for _, e := range d.train {
		if strings.HasPrefix(e.item.Name, "fixture-") {
			continue // other pictures; imageio checks their colors
		}
		raw, err := d.raw(e)
		if err != nil {
			t.Fatal(err)
		}
		n := 40 * 40
		at := func(c, x, y int) int { return int(raw.Color.Pix[c*n+y*40+x]) }
		wantCenter := [3]int{255, 0, 0}
		if e.item.Name == "gray16.png" {
			l := (299*255 + 500) / 1000 // red as gray
			wantCenter = [3]int{l, l, l}
		}
		for c := 0; c < 3; c++ {
			tol := 0
			if e.item.Name == "photo.jpg" {
				tol = 16 // 4:2:0 chroma: the white corner shares a 16×16 block with the red square
			}
			if d := at(c, 20, 20) - wantCenter[c]; d > tol || d < -tol {
				t.Errorf("%s: center channel %d = %d, want %d", e.item.Name, c, at(c, 20, 20), wantCenter[c])
			}
			if d := at(c, 2, 2) - 255; d > tol || d < -tol {
				t.Errorf("%s: corner channel %d = %d, want white", e.item.Name, c, at(c, 2, 2))
			}
		}
	}
}
