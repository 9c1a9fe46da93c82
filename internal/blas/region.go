package blas

import "sync"

// OpenBLAS runs each call on its own thread pool. When colorize already
// runs several Sgemm calls at once on its own goroutines (one image each),
// those pools and the goroutines fight for the same cores, and OpenBLAS's
// idle threads spin: a training step measured 3.06 s that way and 2.20 s with
// one OpenBLAS thread per call. Kernels therefore bracket their parallel
// regions with BeginParallel/EndParallel, which drop OpenBLAS to one thread
// while any region is open; sequential calls (batch 1 inference) keep every
// thread.

var (
	regionMu    sync.Mutex
	regionDepth int
	savedThread int
)

// BeginParallel marks the start of a region in which several goroutines call
// Sgemm at once.
func BeginParallel() {
	regionMu.Lock()
	defer regionMu.Unlock()
	if regionDepth == 0 {
		savedThread = Threads()
		if savedThread != 1 {
			SetThreads(1)
		}
	}
	regionDepth++
}

// EndParallel ends a region started by BeginParallel.
func EndParallel() {
	regionMu.Lock()
	defer regionMu.Unlock()
	regionDepth--
	if regionDepth == 0 && savedThread != 1 {
		SetThreads(savedThread)
	}
}
