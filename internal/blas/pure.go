//go:build !openblas

package blas

// SetThreads has no effect in the pure-Go build: gonum's sgemm is single-threaded
// per call; colorize parallelises around it.
func SetThreads(n int) {}

// Threads reports 1 in the pure-Go build.
func Threads() int { return 1 }

// Describe returns Name.
func Describe() string { return name }
