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
// The G graph holds the generator's forward pass (batch norm in training
// mode, folding in the running statistics) and taps its output with
// nn.Tap: the tap runs the D graph on the detached fake images and D's Adam
// update, and only then does the G graph's discriminator pass read D's
// weights. The generator's forward pass runs once per step, as in pix2pix.
package gan
