// Package nn provides the gorgonia operations the colorize networks are
// built from: Conv2d, ConvTranspose2d, AddBias, BatchNorm, LeakyReLU, ReLU,
// Tanh, Dropout, ConcatChannels and StopGradient. Each is a gorgonia Op whose
// forward and backward passes call internal/kernels, and each implements
// gorgonia's SDOp, so G.Grad differentiates graphs built from them
// symbolically and a TapeMachine runs the result.
//
// Conventions:
//
//   - Values are float32 *tensor.Dense in contiguous row-major NCHW layout;
//     other dtypes are rejected with an error. Parameter vectors (bias,
//     gamma, beta) are 1-D of length C.
//   - Shapes must be fully known when the graph is built; operations check
//     them then and again when they run.
//   - Weights follow PyTorch: Conv2d [Cout, Cin, kH, kW], ConvTranspose2d
//     [Cin, Cout, kH, kW].
//   - Gradients are built from other operations of this package (a
//     convolution's input gradient is a transposed convolution, and so on),
//     so the gradient graph is differentiable again.
//   - Operations with state (BatchNorm, which updates running statistics,
//     and Dropout, which draws a mask) hash a process-unique id, so that
//     gorgonia never merges two of them into one node. Pure operations hash
//     their parameters and may be merged, which is harmless.
//   - Every operation allocates its output on each run; nothing aliases an
//     input.
//
// Gradients are only computed where needed when the graph says so: an
// operand wrapped in StopGradient is treated as a constant, and Conv2d
// skips building the input-gradient convolution for such an operand (use it
// for data images and for detached generator outputs fed to the
// discriminator).
//
// gorgonia v0.9.18 defects this package works around are demonstrated in
// gorgonia_defects_test.go.
package nn
