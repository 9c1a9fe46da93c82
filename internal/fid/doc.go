// Package fid computes the Fréchet Inception Distance (FID) and the Kernel
// Inception Distance (KID) between two sets of images, exactly as
// pytorch-fid (github.com/mseitzer/pytorch-fid) computes FID.
//
// The feature extractor is pytorch-fid's variant of Inception-v3 (its
// FIDInceptionA, C, E_1 and E_2 blocks: 3×3 average pools that leave padded
// zeros out of the mean, a max pool in the last block, BatchNorm ε = 1e-3),
// with the weights read from pytorch-fid's published file
// pt_inception-2015-12-05-6726825d.pth (a torch.save state dict; pth.go
// reads its archive and storages and runs its pickle on gopickle's
// unpickler, trusting no length in it). colorize never downloads that file;
// DefaultWeightsPath says where it is looked for and a *MissingWeightsError
// says where to get it.
//
// Conventions:
//
//   - Images are converted to RGB as PIL's convert("RGB") does, scaled to
//     [0, 1], resized to 299×299 bilinearly (align_corners=False, no
//     antialiasing, with PyTorch's CPU rounding) and mapped to
//     [−1, 1]. Tensors are float32 C×H×W, row-major.
//   - Features: dims 2048 is the final average pool ("pool3"); 64, 192 and
//     768 are the outputs of the first and second max pools and of Mixed_6e,
//     averaged over space, as pytorch-fid's get_activations does.
//   - The convolutions run on internal/kernels (im2col + internal/blas
//     Sgemm) in float32 with each BatchNorm folded into its convolution;
//     images are processed concurrently, one forward pass per image.
//   - Statistics (Stats) are float64: the mean and the N−1 covariance.
//     FrechetDistance uses pivoted Cholesky factors and a singular value
//     decomposition instead of a non-symmetric matrix square root, and is
//     exact for singular covariances (fewer images than dimensions).
//   - Statistics files use pytorch-fid's .npz layout (arrays mu and sigma,
//     float64, D ≤ MaxStatsDim), so a reference set computed by either tool
//     serves both. Readers of .npy, .npz and .pth check every claimed length
//     against the bytes present before allocating.
//   - KID is the unbiased MMD² with the kernel (x·y/D + 1)³ over random
//     subsets, reported as mean and standard deviation.
package fid
