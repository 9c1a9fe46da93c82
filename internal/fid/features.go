package fid

import (
	"context"
	"fmt"
	"image"
	"runtime"
	"sync"

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
	m.forward(prepare(x, h, w), [][]float32{feat})
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

// extractBatch is the most images Extract runs through the network at
// once. On the 8×8 and 17×17 maps of Inception's last blocks, eight images
// side by side give the matrix products panels long enough for the GEMM's
// micro-kernel; more gains little and costs memory (about 60 MB of
// activations per image in the stem).
const extractBatch = 8

// Extract computes the features of every image of src, in order, one row
// per image. Images are loaded and run in batches of up to eight, the
// batches concurrently on workers goroutines (runtime.GOMAXPROCS when
// workers ≤ 0) of a parallel pool whose items call BLAS (single-threaded
// BLAS for the duration). Each image's features are those Feature gives it
// alone, up to float32 rounding (a GEMM may sum in another order for
// another batch). progress, when not nil, is called after each batch with
// the number of images done so far (from one goroutine at a time). The
// first error, or ctx's cancellation, stops the extraction.
func (m *Model) Extract(ctx context.Context, src Source, workers int, progress func(done int)) ([][]float32, error) {
	n := src.Len()
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	// Batches of at most extractBatch, as many as a whole number of rounds
	// of the workers needs and as equal as can be, so that no worker idles
	// through a round (24 images on 2 workers: 4 batches of 6, not 8, 8, 8).
	rounds := max(1, (n+workers*extractBatch-1)/(workers*extractBatch))
	size := max(1, (n+workers*rounds-1)/(workers*rounds))
	feats := make([][]float32, n)
	var mu sync.Mutex
	done := 0
	batches := (n + size - 1) / size
	err := parallel.Each(ctx, batches, parallel.Options{Workers: workers, CallsBLAS: true}, func(b int) error {
		lo, hi := b*size, min(n, (b+1)*size)
		x := newAct(3, hi-lo, InputSize, InputSize)
		plane := InputSize * InputSize
		for i := lo; i < hi; i++ {
			img, err := src.Image(i)
			if err != nil {
				return fmt.Errorf("image %d: %w", i, err)
			}
			chw, h, w := ImageToCHW(img)
			if h <= 0 || w <= 0 {
				return fmt.Errorf("image %d: empty (%d×%d)", i, w, h)
			}
			one := prepare(chw, h, w)
			for c := 0; c < 3; c++ {
				copy(x.d[(c*x.n+i-lo)*plane:], one.d[c*plane:(c+1)*plane])
			}
			feats[i] = make([]float32, m.dims)
		}
		m.forward(x, feats[lo:hi])
		if progress != nil {
			mu.Lock()
			done += hi - lo
			progress(done)
			mu.Unlock()
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return feats, nil
}
