// Package kernels computes the dense float32 building blocks of the colorize
// networks: 2-D convolution and transposed convolution (forward, backward
// with respect to the input and to the filter), batch normalisation,
// pointwise activations, channel concatenation, dropout masks and pooling.
//
// Conventions, shared by every function in the package:
//
//   - Tensors are float32 slices holding contiguous row-major NCHW data:
//     element (n, c, h, w) of an N×C×H×W tensor is at ((n·C+c)·H+h)·W+w.
//   - Shapes travel in small parameter structs (ConvParams, ConvTParams,
//     PoolParams) or as explicit (n, c, hw) triples; functions panic when a
//     slice is shorter than its shape says, since that is a programming error.
//   - Output slices are supplied by the caller and are overwritten, never
//     accumulated into, unless a doc comment says otherwise.
//   - Convolution weights follow PyTorch: Conv2d is [Cout, Cin, kH, kW];
//     ConvTranspose2d is [Cin, Cout, kH, kW] with output size
//     (H−1)·stride − padBefore − padAfter + kH.
//   - Matrix products go through internal/blas (internal/gemm, with
//     OpenBLAS for thin products under -tags openblas). On colorize's
//     kernel, forward convolutions and filter gradients pack the lowered
//     matrix, or its transpose, straight from a padded copy of the input
//     into the product's panels (loweredB, loweredBT, convpack.go);
//     elsewhere, and for the input gradient, they lower to im2col/col2im. Either way there is one product per
//     image, images in parallel on at most runtime.GOMAXPROCS goroutines,
//     or, for small output planes, one product for the whole batch.
//     Products are parallelised by goroutines, each calling a
//     single-threaded Sgemm (see sgemm in gemm.go), never by OpenBLAS's
//     own spinning thread pool.
//   - Reductions (batch-norm statistics and parameter gradients) accumulate
//     in float64.
//
// The package knows nothing about gorgonia; internal/nn wraps these kernels
// as differentiable graph operations.
package kernels
