// Package gemm computes single-precision matrix products,
// C = alpha·op(A)·op(B) + beta·C, in Go and Go assembly, with no C library.
//
// Matrices are row-major, as in gonum's blas32: element (i, j) of a matrix
// with leading dimension ld is at i·ld+j; op(X) is X or its transpose.
//
// The product follows the BLIS layout. op(B) is copied in blocks of kc rows
// by nc columns into panels nr = 16 columns wide, op(A) in blocks of mc rows
// into panels mr = 6 rows tall, both laid out in the order the micro-kernel
// reads them, and a micro-kernel computes one mr×nr tile of C from one panel
// of each, keeping the 96 sums in registers. The kc×nr panel of B stays in
// the L1 cache while the panels of the A block, held in L2, stream past it;
// the B block is reused for every A block. Partial panels at the edges are
// padded with zeros and their tiles computed into a scratch tile.
//
// On amd64 CPUs with AVX2 and FMA (golang.org/x/sys/cpu) the micro-kernel is
// written in assembly (kernel_amd64.s); elsewhere a portable Go micro-kernel
// with the same packed layout is used. Where the CPU also has AVX-512, a
// second assembly kernel computes 6×32 tiles from two B panels at once with
// 512-bit registers (twice the AVX2 kernel's speed on a CPU whose FMA units
// are 512 bits wide, such as AMD's Zen 5), and the AVX2 kernel takes the
// panels left over; each sum gets the same fused multiply-adds in the same
// order on both, so the bits do not depend on which runs. Kernel names the
// kernels in use.
//
// SgemmPackedB takes B as a BPacker that writes B's blocks in the packed
// layout itself: a convolution's lowered matrix, packed straight from the
// image, is never stored whole (internal/kernels).
//
// Sgemm is single-threaded and allocates nothing once its pool of packing
// workspaces is warm; callers that want several cores split C into bands
// (see internal/kernels). Each element's sum runs over blocks of the inner
// dimension that depend only on k, so with alpha 1 and beta 0 or 1 the bits
// of C depend on the shape and the kernel alone (the assembly fuses its
// multiply-adds, the Go kernel on amd64 does not), not on the call or on
// how C is split into bands.
package gemm
