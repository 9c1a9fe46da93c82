package fid

import (
	"fmt"
	"image"
	"runtime"
	"sync"

	"github.com/colorize-dev/colorize/internal/blas"
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
// (runtime.GOMAXPROCS when workers ≤ 0), each image a forward pass of its
// own, so results do not depend on the worker count (up to float32
// rounding: a multithreaded BLAS may sum in another order). With more than one
// worker the BLAS is set to one thread for the duration (blas.SetThreads;
// OpenBLAS's own threads would oversubscribe the cores) and restored after,
// a process-wide setting. progress, when not nil,
// is called after each image with the number done so far (from one
// goroutine at a time). The first error stops the extraction.
func (m *Model) Extract(src Source, workers int, progress func(done int)) ([][]float32, error) {
	n := src.Len()
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = max(1, min(workers, n))
	if workers > 1 {
		// Parallelism comes from the images: a multithreaded BLAS on top
		// would oversubscribe the cores (and OpenBLAS threads spin).
		prev := blas.Threads()
		blas.SetThreads(1)
		defer blas.SetThreads(prev)
	}
	feats := make([][]float32, n)
	next := make(chan int)
	var (
		mu       sync.Mutex
		done     int
		firstErr error
		wg       sync.WaitGroup
	)
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		mu.Unlock()
	}
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				img, err := src.Image(i)
				if err == nil {
					feats[i], err = m.Feature(img)
				}
				if err != nil {
					fail(fmt.Errorf("image %d: %w", i, err))
					continue
				}
				mu.Lock()
				done++
				if progress != nil {
					progress(done)
				}
				mu.Unlock()
			}
		}()
	}
	for i := 0; i < n; i++ {
		mu.Lock()
		stop := firstErr != nil
		mu.Unlock()
		if stop {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	return feats, nil
}
