package fid

import (
	"context"
	"image"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/colorize-dev/colorize/internal/kernels"
)

// benchModel loads the parity test's synthetic weights (the speed does not
// depend on the values), so the benchmarks need /usr/bin/python3 with torch.
func benchModel(b *testing.B) *Model {
	sd, err := LoadStateDict(filepath.Join(parityData(b), "weights.pth"))
	if err != nil {
		b.Fatal(err)
	}
	m, err := New(sd, 2048)
	if err != nil {
		b.Fatal(err)
	}
	return m
}

func benchImage(seed int) image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, InputSize, InputSize))
	for p := range img.Pix {
		img.Pix[p] = uint8(p*7 + seed)
	}
	return img
}

// BenchmarkFeatures measures pool3 feature extraction (2048 dims) of 299×299
// images as Extract runs it on a folder: one op is one image, and the b.N
// images go through one Extract call on all workers, so ns/op is the
// steady-state time per image. bench/fid_features.py is the PyTorch
// counterpart (its sec_per_image).
func BenchmarkFeatures(b *testing.B) {
	m := benchModel(b)
	imgs := make(Images, b.N)
	for i := range imgs {
		imgs[i] = benchImage(i % 8)
	}
	// A warm-up batch per worker, as bench/fid_features.py runs one before
	// timing: the first pass of a process faults in its activations.
	warm := make(Images, runtime.GOMAXPROCS(0)*extractBatch)
	for i := range warm {
		warm[i] = benchImage(i % 8)
	}
	if _, err := m.Extract(context.Background(), warm, 0, nil); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	flops := kernels.Flops()
	if _, err := m.Extract(context.Background(), imgs, 0, nil); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "images/s")
	b.ReportMetric(float64(kernels.Flops()-flops)/1e9/float64(b.N), "GFLOP/image")
}

// BenchmarkFeaturesLatency is one image alone: a single forward pass, with
// the BLAS free to use its own threads.
func BenchmarkFeaturesLatency(b *testing.B) {
	m := benchModel(b)
	img := Images{benchImage(0)}
	for b.Loop() {
		if _, err := m.Extract(context.Background(), img, 0, nil); err != nil {
			b.Fatal(err)
		}
	}
}
