package fid

import (
	"fmt"
	"image"
	"image/color"
	"path/filepath"
	"testing"
)

// BenchmarkFeatures measures pool3 feature extraction (2048 dims) of 299×299
// images, all workers, in images per second; bench/fid_features.py is the
// PyTorch counterpart. It uses the parity test's synthetic weights, so it
// needs /usr/bin/python3 with torch.
func BenchmarkFeatures(b *testing.B) {
	sd, err := LoadStateDict(filepath.Join(parityData(b), "weights.pth"))
	if err != nil {
		b.Fatal(err)
	}
	m, err := New(sd, 2048)
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{1, 8} {
		imgs := make(Images, n)
		for i := range imgs {
			img := image.NewNRGBA(image.Rect(0, 0, InputSize, InputSize))
			for p := range img.Pix {
				img.Pix[p] = uint8(p*7 + i)
			}
			img.Set(0, 0, color.White)
			imgs[i] = img
		}
		b.Run(fmt.Sprintf("batch=%d", n), func(b *testing.B) {
			for b.Loop() {
				if _, err := m.Extract(imgs, 0, nil); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "images/s")
		})
	}
}
