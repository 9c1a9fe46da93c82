package data

import (
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/colorize-dev/colorize/internal/config"
)

// openmojiDir finds shared/data/openmoji128 in a folder above the package
// (the developers' layout has it beside the repository).
func openmojiDir(t testing.TB) string {
	p, ok := findOpenmoji()
	if !ok {
		t.Skip("shared/data/openmoji128 not found above the package; skipping the test on real data")
	}
	return p
}

func findOpenmoji() (string, bool) {
	dir, _ := filepath.Abs(".")
	for {
		p := filepath.Join(dir, "shared", "data", "openmoji128")
		if st, err := os.Stat(filepath.Join(p, "color")); err == nil && st.IsDir() {
			return p, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}

// fixtureColor draws a w×h picture that has something everywhere: a smooth
// gradient plus colored rectangles whose layout depends on k, on white.
func fixtureColor(k, w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.NRGBA{uint8(255 * x / w), uint8(255 * y / h), uint8(40 * k % 256), 255})
		}
	}
	g := newRNG(99, uint64(k))
	for r := 0; r < 6; r++ {
		x0, y0 := g.intn(w-8), g.intn(h-8)
		x1, y1 := x0+4+g.intn(w-x0-4), y0+4+g.intn(h-y0-4)
		c := color.NRGBA{uint8(g.intn(256)), uint8(g.intn(256)), uint8(g.intn(256)), 255}
		for y := y0; y < y1; y++ {
			for x := x0; x < x1; x++ {
				img.Set(x, y, c)
			}
		}
	}
	return img
}

// lumaGray is the 8-bit luma of img, the same weighting as imageio.Gray, so
// that a paired fixture's line art is a pixelwise linear function of its
// color image: any misalignment of the two shows.
func lumaGray(img *image.NRGBA) *image.Gray {
	g := image.NewGray(img.Bounds())
	for i := 0; i < len(g.Pix); i++ {
		r, gg, b := float64(img.Pix[4*i]), float64(img.Pix[4*i+1]), float64(img.Pix[4*i+2])
		g.Pix[i] = uint8(math.Round(0.299*r + 0.587*gg + 0.114*b))
	}
	return g
}

func writePNG(t testing.TB, path string, img image.Image) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// pairedFixture writes n paired examples (line = luma of color) of w×h
// pixels named img00.png … under dir/line and dir/color.
func pairedFixture(t testing.TB, dir string, n, w, h int) {
	for k := 0; k < n; k++ {
		c := fixtureColor(k, w, h)
		name := "img" + string(rune('0'+k/10)) + string(rune('0'+k%10)) + ".png"
		writePNG(t, filepath.Join(dir, "color", name), c)
		writePNG(t, filepath.Join(dir, "line", name), lumaGray(c))
	}
}

// testConfig is the default configuration on dir at size, with no
// validation set unless valFraction says so.
func testConfig(dir string, size int, valFraction float64) config.Config {
	cfg := config.Default()
	cfg.Data.Dir = dir
	cfg.Data.Size = size
	cfg.Data.ValFraction = valFraction
	return cfg
}
