// Package gan trains a conditional pix2pix GAN: the U-Net generator of
// internal/unet against the PatchGAN discriminator of this package, with the
// objective of the paper's equation 8,
//
//	D: minimise ½·(BCE(D(in, x), 1) + BCE(D(in, stopgrad(G(in))), 0))
//	G: minimise BCE(D(in, G(in)), 1) + λ·loss(G(in), x),  loss ∈ {l1, compensated_l1}
//
// where in = line art ⊕ hints (5 channels) and x the original. Each step
// updates D, then G against the updated D, with one Adam per network — the
// order of pix2pix.
//
// gorgonia loses gradients when Grad is called twice on one graph whose costs
// share nodes, so the two updates are two graphs over the same weight tensors.
// The D graph also holds the generator's forward pass (batch norm in training
// mode, folding in the running statistics); the G graph repeats it with the
// same dropout units and without touching the running statistics. That costs
// one extra generator forward pass per step.
package gan
