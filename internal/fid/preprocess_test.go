package fid

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"
)

// TestResizeTorch compares the bilinear resize with F.interpolate
// (align_corners=False) for down-, up- and identity sizes.
func TestResizeTorch(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	dir := t.TempDir()
	sizes := [][4]int{{320, 300, 299, 299}, {37, 91, 299, 299}, {299, 299, 299, 299}, {5, 7, 12, 3}, {1, 1, 4, 4}}
	inputs := make([][]float32, len(sizes))
	var args []string
	for k, sz := range sizes {
		h, w, oh, ow := sz[0], sz[1], sz[2], sz[3]
		x := make([]float32, 2*h*w)
		a := Array{Shape: []int{2, h, w}, Data: make([]float64, len(x))}
		for i := range x {
			x[i] = rng.Float32()
			a.Data[i] = float64(x[i])
		}
		inputs[k] = x
		in := filepath.Join(dir, fmt.Sprintf("in%d.npy", k))
		saveArray(t, in, a)
		args = append(args, in, fmt.Sprint(oh), fmt.Sprint(ow), filepath.Join(dir, fmt.Sprintf("out%d.npy", k)))
	}
	runPy(t, "ref.py", append([]string{"resize"}, args...)...)
	for k, sz := range sizes {
		h, w, oh, ow := sz[0], sz[1], sz[2], sz[3]
		want := readNPYFile(t, filepath.Join(dir, fmt.Sprintf("out%d.npy", k)))
		got := resizeBilinear(inputs[k], 2, h, w, oh, ow)
		var maxErr float64
		for i := range got {
			maxErr = math.Max(maxErr, math.Abs(float64(got[i])-want.Data[i]))
		}
		if maxErr > 1e-6 {
			t.Errorf("%d×%d → %d×%d: max |Δ| %g from PyTorch", h, w, oh, ow, maxErr)
		}
	}
}

// TestImageToCHW checks the RGB conversion of the image types PNG and JPEG
// decoding produce.
func TestImageToCHW(t *testing.T) {
	nrgba := image.NewNRGBA(image.Rect(10, 20, 12, 21)) // non-zero origin
	nrgba.SetNRGBA(10, 20, color.NRGBA{255, 0, 51, 10})
	nrgba.SetNRGBA(11, 20, color.NRGBA{1, 2, 3, 255})
	gray := image.NewGray(image.Rect(0, 0, 1, 1))
	gray.SetGray(0, 0, color.Gray{102})
	rgba := image.NewRGBA(image.Rect(0, 0, 1, 1))
	rgba.SetRGBA(0, 0, color.RGBA{100, 50, 0, 200}) // premultiplied
	g16 := image.NewGray16(image.Rect(0, 0, 1, 1))
	g16.SetGray16(0, 0, color.Gray16{0xff00})
	cases := []struct {
		img  image.Image
		want [][3]uint8
	}{
		{nrgba, [][3]uint8{{255, 0, 51}, {1, 2, 3}}}, // alpha dropped, not composited
		{gray, [][3]uint8{{102, 102, 102}}},
		{rgba, [][3]uint8{{127, 63, 0}}}, // un-premultiplied: 100·255/200
		{g16, [][3]uint8{{255, 255, 255}}},
	}
	for _, c := range cases {
		x, h, w := ImageToCHW(c.img)
		if h*w != len(c.want) {
			t.Fatalf("%T: %d×%d pixels, want %d", c.img, h, w, len(c.want))
		}
		for i, px := range c.want {
			for ch := 0; ch < 3; ch++ {
				if got, want := x[ch*h*w+i], float32(px[ch])/255; math.Abs(float64(got-want)) > 1e-7 {
					t.Errorf("%T pixel %d channel %d: %g, want %g", c.img, i, ch, got, want)
				}
			}
		}
	}
}
