package fid

import (
	"context"
	"fmt"
	"image"

	"github.com/colorize-dev/colorize/internal/parallel"
)

// FeatureCHW returns the features of one RGB image given as a 3×H×W float32
// tensor in [0, 1] (row-major): resized to 299×299, scaled to [−1, 1], run
// through the network and averaged over space.
func (m *Model) FeatureCHW(x []float32, h, w int) ([]float32, error) {
	if h <= 0 || w <= 0 || len(x) != 3*h*w {
		return nil, fmt.Errorf("inception: input of %d values is not 3×%d×%d", len(x), h, w)
	}
	feat := make([]float32, m.dims)
	m.forward(prepare(x, h, w), feat)
	return feat, nil
}

// Feature returns the features of one image (converted to RGB as pytorch-fid
// does, see ImageToCHW).
func (m *Model) Feature(img image.Image) ([]float32, error) {
	x, h, w := ImageToCHW(img)
	return m.FeatureCHW(x, h, w)
}

// Source hands images to Extract: Len of them, the i-th from Image.
type Source interface {
	Len() int
	Image(i int) (image.Image, error)
}

// Images is a Source over images already in memory.
type Images []image.Image

// Len is the number of images.
func (s Images) Len() int { return len(s) }

// Image returns the i-th image.
func (s Images) Image(i int) (image.Image, error) { return s[i], nil }

// Extract computes the features of every image of src, in order, one row
// per image. Images are loaded and run concurrently on workers goroutines
// (runtime.GOMAXPROCS when workers ≤ 0) of a parallel pool whose items call
// BLAS (single-threaded BLAS for the duration), each image a forward pass of
// its own, so results do not depend on the worker count (up to float32
// rounding: a multithreaded BLAS may sum in another order). progress, when
// not nil, is called after each image with the number done so far (from
// one goroutine at a time). The first error, or ctx's cancellation, stops
// the extraction.
func (m *Model) Extract(ctx context.Context, src Source, workers int, progress func(done int)) ([][]float32, error) {
	feats := make([][]float32, src.Len())
	err := parallel.Each(ctx, src.Len(), parallel.Options{Workers: workers, CallsBLAS: true, Progress: progress}, func(i int) error {
		img, err := src.Image(i)
		if err == nil {
			feats[i], err = m.Feature(img)
		}
		if err != nil {
			return fmt.Errorf("image %d: %w", i, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return feats, nil
}
