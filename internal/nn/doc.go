// Package nn provides the gorgonia operations the colorize networks are
// built from: Conv2d, ConvTranspose2d, AddBias, BatchNorm, LeakyReLU, ReLU,
// Tanh, Dropout, ConcatChannels, StopGradient and Tap. Each is a gorgonia Op whose
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
//   - Every node keeps its output tensor from one run of its machine to the
//     next and overwrites it in place (the first run allocates it), so a
//     training step allocates almost nothing in steady state. A node's value
//     is therefore valid only until the next run of its graph: copy what
//     must outlive it. Nothing aliases an input. Two machines must not run
//     the same graph at once (gorgonia binds values to the shared nodes
//     anyway).
//
// Unneeded gradients: gorgonia's SymDiff cannot tell which operand
// gradients a G.Grad call will use, so every differentiable operand of an
// op on the path gets a gradient node, and the TapeMachine runs every node
// of the graph. An operand computed only from StopGradient outputs and
// constants (for example ConcatChannels of two StopGradient outputs) is a
// constant instead: Conv2d and ConvTranspose2d then build no input-gradient
// convolution for it. Input nodes themselves are never treated as
// constants, so wrap data images and detached generator outputs fed to the
// discriminator in StopGradient; a first-layer input gradient costs as much
// as the layer's forward pass. (G.Grad with respect to a node behind a
// StopGradient fails with gorgonia's "Non Differentiable WRTs" error.)
// Gradients of inputs that are not asked for (a discriminator's weights in
// the generator's update, say) are built all the same; run a machine on
// g.ExactSubgraphRoots(outputs...) to leave them out.
//
// gorgonia v0.9.18 defects this package works around are demonstrated in
// gorgonia_defects_test.go.
package nn
