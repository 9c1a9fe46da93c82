// Package loss computes the training losses of colorize: the paper's color
// channel compensating L1 loss, plain L1, and the adversarial binary
// cross-entropy of the PatchGAN discriminator.
//
// Source: Bumsik Kim and Seongjin Lee, "Color Channel Compensating L1 Loss
// Algorithm" (equations numbered as in the paper). For a ground truth t and a
// generator output f, both NCHW with C color channels (RGB: C = 3), and the
// n = N·H·W values of channel c over the batch:
//
//	l_c    = (1/n) · Σ_i |t_c,i − f_c,i|                      (3)
//	S      = Σ_c l_c,   w_c = l_c / S                           (4)
//	l_comp = Σ_c w_c · l_c  = Σ_c l_c² / S                      (5)
//
// Plain L1 is the mean of |t − f| over all N·C·H·W values, which equals
// S / C: l_comp ≥ S / C, with equality when every l_c is the same.
//
// # Gradients
//
// With d_i = f_i − t_i and sign(0) = 0 (the subgradient of |·| at 0 used
// throughout), ∂l_c/∂f_i = sign(d_i)/n for an element i of channel c, so
//
//	∂l_comp/∂f_i = g_c · sign(d_i) / n
//
// where g_c = ∂l_comp/∂l_c depends on how the weights are treated:
//
//   - differentiated through (the default, equation 5 written as one graph):
//     g_c = 2·l_c/S − Σ_k l_k²/S² = 2·w_c − Σ_k w_k². Note g_c < 0 when
//     w_c < Σ_k w_k² / 2: with badly unbalanced errors (say w = 0.8, 0.1,
//     0.1) the loss falls when a well-fitted channel gets worse, because that
//     raises S and lowers the weight of the worst channel.
//   - CompensatedOptions.DetachWeights (a stop-gradient on w_c): g_c = w_c.
//
// When every error is zero (S = 0) the loss is 0 and g_c = 0: the weights
// are defined as 0 rather than 0/0, so neither value nor gradient is NaN.
// Plain L1 has ∂L/∂f_i = sign(d_i) / (N·C·H·W).
//
// The adversarial loss is the binary cross-entropy of logits x with a
// constant label y ∈ [0, 1], averaged over all M elements of the patch map
// and batch, in the overflow-free form
//
//	BCE(x, y) = (1/M) Σ_i softplus(x_i) − x_i·y,
//	softplus(x) = max(x, 0) + log1p(exp(−|x|)),
//	∂BCE/∂x_i = (σ(x_i) − y) / M.
//
// # Conventions
//
// The graph builders (L1, CompensatedL1, BCEWithLogits) add one fused
// gorgonia Op for the value and one for the gradient; both accept Float32
// and Float64 nodes. The value is accumulated in float64 whatever the node
// type. The gradient flows to the prediction (or logits) only: the target is
// ground truth and is treated as a constant. The Ops support symbolic
// differentiation (G.Grad with a TapeMachine), not the LispMachine, and no
// second derivatives. Inputs must be dense; views are copied first.
//
// Cost per training step on a [4,3,128,128] float32 batch: the value is one
// read pass over prediction and target, the gradient one more read pass
// (the per-channel sums) and one read-and-write pass, sign bits copied
// without branches (see kernels.go and bench_test.go).
//
// The …Ref functions compute the same quantities in float64 on plain
// []float32 or []float64 slices with explicit shapes. The tests use them as
// references and evaluation code uses them to report errors on images.
package loss
