package kernels

import (
	"math/bits"
	"runtime"
	"sync"

	"github.com/colorize-dev/colorize/internal/blas"
)

// workers is how many goroutines share n independent items: at most
// runtime.GOMAXPROCS, at least 1.
func workers(n int) int {
	w := runtime.GOMAXPROCS(0)
	if n < w {
		w = n
	}
	if w < 1 {
		w = 1
	}
	return w
}

// parallelFor splits [0, n) into contiguous chunks, one per worker, and runs
// f on each; it returns when all are done.
func parallelFor(n int, f func(lo, hi int)) {
	parallelForWorkers(n, workers(n), func(_, lo, hi int) { f(lo, hi) })
}

// parallelForWorkers is parallelFor with an explicit worker count; f also
// receives its worker index in [0, nw).
func parallelForWorkers(n, nw int, f func(worker, lo, hi int)) {
	if nw <= 1 || n <= 1 {
		f(0, 0, n)
		return
	}
	blas.BeginParallel()
	defer blas.EndParallel()
	var wg sync.WaitGroup
	for i := 0; i < nw; i++ {
		lo, hi := i*n/nw, (i+1)*n/nw
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(i, lo, hi)
		}()
	}
	wg.Wait()
}

// bufPools recycle scratch buffers (im2col matrices, partial sums) between
// calls; a training step asks for the same few dozen sizes over and over.
// Pool k holds buffers of capacity exactly 1<<k, so a request is always met
// by a buffer of its own size class rather than one too small for it.
var bufPools [48]sync.Pool

// getBuf returns a scratch slice of length n with unspecified contents.
func getBuf(n int) *[]float32 {
	k := bits.Len(uint(n - 1)) // smallest k with 1<<k >= n (0 for n <= 1)
	if n <= 1 {
		k = 0
	}
	if v, ok := bufPools[k].Get().(*[]float32); ok {
		*v = (*v)[:n]
		return v
	}
	b := make([]float32, n, 1<<k)
	return &b
}

// putBuf hands a buffer obtained from getBuf back to the pool.
func putBuf(b *[]float32) {
	c := cap(*b)
	if c == 0 || c&(c-1) != 0 {
		return // not from getBuf
	}
	bufPools[bits.Len(uint(c))-1].Put(b)
}

// addTo computes dst[i] += src[i].
func addTo(dst, src []float32) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] += v
	}
}

// addScalar computes dst[i] += v.
func addScalar(dst []float32, v float32) {
	for i := range dst {
		dst[i] += v
	}
}

// sum64 returns Σ x[i] accumulated in float64.
func sum64(x []float32) float64 {
	var s float64
	for _, v := range x {
		s += float64(v)
	}
	return s
}
