// Package data turns a folder of images into the (line art, color hints,
// original) triples the colorization GAN trains on, as float32 NCHW batches.
//
// # Data layout
//
// A data folder (data.dir) is either
//
//   - paired: line/ and color/ subfolders whose files match by name stem
//     (line/a.png goes with color/a.jpg), optionally hint/ with RGBA hint
//     images (alpha ≥ 1/2 marks a hint pixel); or
//   - color only: color images directly in the folder (or in color/ without
//     line/); their line art is synthesised with XDoG (internal/lineart).
//
// Any format and color model internal/imageio reads is accepted (PNG, JPEG
// including CMYK, GIF, BMP, TIFF, WebP; gray, 16-bit, paletted, RGBA), with
// transparency composited on white. An optional index.csv with columns file
// and base_file (openmoji's) puts files into groups, for instance the
// skin-tone variants of one drawing: a group is never split between training
// and validation. Unreadable files are skipped with a warning naming them;
// files without a partner are listed.
//
// # Tensors
//
// Every value is float32 in [-1, 1] (the mask excepted), NCHW:
//
//   - line art y [N,1,H,W]: 1 is white paper, −1 black ink;
//   - hints z [N,4,H,W]: channels 0–2 are the hint color in RGB where the
//     mask is set and exactly 0 elsewhere, channel 3 is the mask in {0, 1};
//   - original x [N,3,H,W] in RGB.
//
// Batch.Input concatenates y and z into the generator input [N,5,H,W].
//
// # Geometry and augmentation
//
// Each example is decoded once and stored (cached in memory with data.cache,
// up to 4 GiB, about 4 bytes per pixel: openmoji128 takes 280 MiB)
// at its "storage resolution": resized so the shorter side is data.size,
// aspect kept; line art is brought to the same pixel grid, synthesised line
// art is computed there. Training takes a random square crop with side
// uniform in [data.crop_scale·size, size] at a uniform position, resamples it
// to size×size (bilinear), and mirrors it with probability 1/2 (data.flip);
// line art and original go through the identical window and filter, so they
// stay aligned. Validation and `colorize prepare` use the centered square
// without resampling.
//
// # Color hints
//
// A simulated user places hints: with probability hints.none_prob none at
// all, otherwise a number of squares uniform in [hints.min_count,
// hints.max_count], each hints.patch pixels wide, placed at random where the
// whole square is off the lines and not paper-white (inside a colored
// region), and filled with the original's mean color over the square. The defaults (1 to 16 squares of 5×5 pixels at
// 128², none for 10% of the samples) mimic a user dotting a few strokes of a
// pen that is about 4% of the picture wide, while the hint-free tenth keeps
// the generator able to color a bare sketch. Validation hints are drawn from a
// generator seeded by the file name alone (or read from hint/ files), so they
// are the same on every run and every seed. Training always samples fresh
// hints; hint/ files serve validation only.
//
// # Line art synthesis
//
// For color-only folders, line art is XDoG (Winnemöller et al. 2012) of the
// luma I in [0, 1], computed at the storage resolution:
// S = (1+p)·G_σ(I) − p·G_{kσ}(I), and the pixel is white where S ≥ ε and
// 1 + tanh(φ·(S − ε)) otherwise. The defaults xdog.sigma 0.8, xdog.k 1.6,
// xdog.p 5, xdog.eps 0, xdog.phi 100 were chosen by a grid search that
// scored the synthesised line art against openmoji128's drawn line art
// (F1 of the dark pixels with one pixel of tolerance: 0.99 on a 60-image
// sample, against 0.82 for p 20, ε 0.7, φ 10 and 0.84 for a plain luma
// threshold). With ε = 0 flat areas of any tone stay white and only dark
// outlines and edges into dark areas become lines, which suits outlined clip
// art; boundaries between two light colors are not drawn. Raising xdog.eps
// above 0 draws more tone boundaries but also darkens every flat area whose
// luma is below ε (the formula's S equals I there), so tune it on a
// `colorize prepare` contact sheet of your own images.
//
// # Split and determinism
//
// A group is validation when a 64-bit hash of its name, mapped to [0, 1), is
// below data.val_fraction; data.split_file (names, one per line) overrides
// this. The split depends on nothing else, so it is stable across runs, seeds
// and machines, and adding files never moves old ones.
//
// Training batches are a pure function of (seed, epoch, position in the
// epoch): see Loader. A trainer resuming at global step s calls
// Loader.StartStep(s) and gets bit-identical batches to an uninterrupted run,
// whatever data.workers and data.prefetch are.
//
// The random generator is splitmix64, written out in this package so that the
// streams cannot change with the Go release.
package data
