package kernels

import (
	"math/bits"
	"runtime"
	"sync"

	"github.com/colorize-dev/colorize/internal/blas"
	"github.com/colorize-dev/colorize/internal/forkjoin"
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
	forkjoin.Run(nw, func(i int) { f(i, i*n/nw, (i+1)*n/nw) })
}

// bufPools recycle scratch buffers (im2col matrices, partial sums) between
// calls; a training step asks for the same few dozen sizes over and over.
// Pool k holds buffers of capacity exactly 1<<k, so a request is always met
// by a buffer of its own size class rather than one too small for it.
//
// Classes from largeClass up (1 MB and more: column matrices, padded
// inputs) are plain free lists instead of sync.Pools. A sync.Pool keeps a
// buffer per P plus the previous collection's, so each large class held two
// to three buffers where a step needs one at a time: 264 MB of the 1.4 GB a
// 128² batch-16 training step held, more than its activations' slab.
//
// Like a sync.Pool, a large class that went unused from one garbage
// collection to the next is emptied, so that a server that once colorized a
// huge image does not keep its scratch.
var (
	bufPools  [48]sync.Pool
	largeMu   sync.Mutex
	largeFree [48][]*[]float32
	largeUsed [48]bool // taken from since the last collection
)

const largeClass = 18 // 1<<18 float32s = 1 MB

// gcSentinel's finalizer runs once per garbage collection and re-arms
// itself.
type gcSentinel struct{ _ [32]byte } // not a tiny allocation, whose finalizer may never run

func init() { runtime.SetFinalizer(&gcSentinel{}, dropIdleLarge) }

func dropIdleLarge(s *gcSentinel) {
	largeMu.Lock()
	for k := range largeFree {
		if !largeUsed[k] {
			clear(largeFree[k])
			largeFree[k] = nil
		}
		largeUsed[k] = false
	}
	largeMu.Unlock()
	runtime.SetFinalizer(s, dropIdleLarge)
}

// getBuf returns a scratch slice of length n with unspecified contents.
func getBuf(n int) *[]float32 {
	k := bits.Len(uint(n - 1)) // smallest k with 1<<k >= n (0 for n <= 1)
	if n <= 1 {
		k = 0
	}
	if k >= largeClass {
		largeMu.Lock()
		largeUsed[k] = true
		fl := largeFree[k]
		var v *[]float32
		if len(fl) > 0 {
			v = fl[len(fl)-1]
			fl[len(fl)-1] = nil
			largeFree[k] = fl[:len(fl)-1]
		}
		largeMu.Unlock()
		if v != nil {
			*v = (*v)[:n]
			return v
		}
	} else if v, ok := bufPools[k].Get().(*[]float32); ok {
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
	k := bits.Len(uint(c)) - 1
	if k >= largeClass {
		largeMu.Lock()
		largeFree[k] = append(largeFree[k], b)
		largeMu.Unlock()
		return
	}
	bufPools[k].Put(b)
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

// sum64 returns Σ x[i] accumulated in float64. Four partial sums keep four
// additions in flight: one running sum waits out the adder's latency at
// every element, 1.8× slower on 4096 values.
func sum64(x []float32) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		v := x[i : i+4 : i+4]
		s0 += float64(v[0])
		s1 += float64(v[1])
		s2 += float64(v[2])
		s3 += float64(v[3])
	}
	for ; i < len(x); i++ {
		s0 += float64(x[i])
	}
	return (s0 + s1) + (s2 + s3)
}

// sumSq64 returns Σ (x[i] − mean)² accumulated in float64, as sum64 does.
func sumSq64(x []float32, mean float64) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		v := x[i : i+4 : i+4]
		d0, d1, d2, d3 := float64(v[0])-mean, float64(v[1])-mean, float64(v[2])-mean, float64(v[3])-mean
		s0 += d0 * d0
		s1 += d1 * d1
		s2 += d2 * d2
		s3 += d3 * d3
	}
	for ; i < len(x); i++ {
		d := float64(x[i]) - mean
		s0 += d * d
	}
	return (s0 + s1) + (s2 + s3)
}

// dotCentered64 returns Σ dy[i] and Σ dy[i]·(x[i] − mean) in float64, with
// two partial sums each.
func dotCentered64(dy, x []float32, mean float64) (sdy, sdyx float64) {
	x = x[:len(dy)]
	var a0, a1, b0, b1 float64
	i := 0
	for ; i+2 <= len(dy); i += 2 {
		d0, d1 := float64(dy[i]), float64(dy[i+1])
		a0 += d0
		a1 += d1
		b0 += d0 * (float64(x[i]) - mean)
		b1 += d1 * (float64(x[i+1]) - mean)
	}
	for ; i < len(dy); i++ {
		d := float64(dy[i])
		a0 += d
		b0 += d * (float64(x[i]) - mean)
	}
	return a0 + a1, b0 + b1
}
