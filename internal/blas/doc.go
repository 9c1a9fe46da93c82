// Package blas selects the single-precision matrix product (Sgemm) that
// every kernel in colorize calls, and reports which one is in use.
//
// The default build needs no C library (`go build ./...`): Sgemm is
// internal/gemm, colorize's own, with its AVX2+FMA assembly micro-kernel (and
// its AVX-512 one, where the CPU has AVX-512) on amd64 CPUs that have those
// instructions and its portable Go kernel on
// other architectures; on amd64 CPUs without AVX2 it is gonum's Sgemm,
// whose SSE assembly beats the portable kernel there. Building with the tag
// `openblas` (and CGO_LDFLAGS=-lopenblas) links OpenBLAS through
// gonum.org/v1/netlib: products of at least 32 rows and 8 columns still run
// on internal/gemm, which is as fast on the training step's shapes (faster
// where the CPU's FMA units are 512 bits wide), and the
// thin ones on OpenBLAS (see BENCHMARKS.md).
//
// internal/gemm is single-threaded per call; Threads tells internal/kernels
// how many bands to split a product into, and BeginParallel/EndParallel
// drop it (and OpenBLAS's own thread count) to one inside regions where
// several goroutines already run products at once.
//
// Matrices are row-major, as in gonum's blas32.
package blas
