// Package gan trains a conditional pix2pix GAN: the U-Net generator of
// internal/unet against the PatchGAN discriminator of internal/patchgan
// (the pair is internal/model), with the objective of the paper's equation 8,
//
//	D: minimise ½·(BCE(D(in, x), 1) + BCE(D(in, stopgrad(G(in))), 0))
//	G: minimise BCE(D(in, G(in)), 1) + λ·loss(G(in), x),  loss ∈ {l1, compensated_l1}
//
// where in = line art ⊕ hints (internal/modelio) and x the original, with
// one Adam per network. Trainer.Step states the order of a step.
package gan
