// Package config holds every run-time knob of colorize in one struct, with its
// defaults in one place (Default), and loads it from a YAML file, COLORIZE_*
// environment variables and command-line flags, in increasing precedence.
//
// Keys are dotted paths of the YAML structure (`train.lr`); the environment
// variable for a key is COLORIZE_ followed by the key in upper case with dots
// replaced by underscores (COLORIZE_TRAIN_LR).
package config

// Config is the complete configuration of a run.
type Config struct {
	Seed  int64       `mapstructure:"seed"`
	Data  DataConfig  `mapstructure:"data"`
	Hints HintConfig  `mapstructure:"hints"`
	XDoG  XDoGConfig  `mapstructure:"xdog"`
	Model ModelConfig `mapstructure:"model"`
	Train TrainConfig `mapstructure:"train"`
	Eval  EvalConfig  `mapstructure:"eval"`
	Serve ServeConfig `mapstructure:"serve"`
	// Limits bound what colorize accepts from outside.
	Limits LimitsConfig `mapstructure:"limits"`
}

// DataConfig says where the training images are and how they are loaded.
type DataConfig struct {
	// Dir is a folder with line/ and color/ (optionally hint/) subfolders, or a
	// folder of color images from which line art is synthesized.
	Dir string `mapstructure:"dir"`
	// Size is the square training resolution; it must be a multiple of 2^model.depth.
	Size int `mapstructure:"size"`
	// ValFraction is the share of drawing groups held out for validation.
	ValFraction float64 `mapstructure:"val_fraction"`
	// SplitFile, if set, names a file listing validation file names, one per line.
	SplitFile string `mapstructure:"split_file"`
	// MaxVal caps the number of validation images measured during training (0 = all).
	MaxVal int `mapstructure:"max_val"`
	// Workers is the number of background decoding/augmentation goroutines.
	Workers int `mapstructure:"workers"`
	// Prefetch is the number of batches prepared ahead of the training loop.
	Prefetch int `mapstructure:"prefetch"`
	// Cache keeps decoded images in memory.
	Cache bool `mapstructure:"cache"`
	// Flip enables random horizontal flips during training.
	Flip bool `mapstructure:"flip"`
	// LineArt says where line art comes from: "auto" (a paired folder's
	// line/ drawings, XDoG for a color-only folder) or "xdog" (always
	// synthesised from the color images, drawings ignored).
	LineArt string `mapstructure:"line_art"`
	// CropScale is the smallest side of the random crop, as a share of the image side (1 = no crop).
	CropScale float64 `mapstructure:"crop_scale"`
}

// HintConfig controls how color hints are sampled from the original image.
type HintConfig struct {
	// MinCount and MaxCount bound the number of hint patches per image.
	MinCount int `mapstructure:"min_count"`
	MaxCount int `mapstructure:"max_count"`
	// Patch is the side of a square hint patch in pixels at the training size.
	Patch int `mapstructure:"patch"`
	// NoneProb is the probability that a training sample gets no hints at all.
	NoneProb float64 `mapstructure:"none_prob"`
}

// XDoGConfig parameterises line-art synthesis from color images (extended
// difference of Gaussians, Winnemöller et al. 2012).
type XDoGConfig struct {
	Sigma float64 `mapstructure:"sigma"`
	K     float64 `mapstructure:"k"`
	P     float64 `mapstructure:"p"`
	Eps   float64 `mapstructure:"eps"`
	Phi   float64 `mapstructure:"phi"`
}

// ModelConfig describes the generator and discriminator.
type ModelConfig struct {
	// Depth is the number of U-Net down-sampling levels (7 for 128², 8 for 256²).
	Depth int `mapstructure:"depth"`
	// NGF and NDF are the base widths of the generator and discriminator.
	NGF int `mapstructure:"ngf"`
	NDF int `mapstructure:"ndf"`
	// DLayers is the PatchGAN n_layers (3 gives the 70×70 receptive field).
	DLayers int `mapstructure:"d_layers"`
	// Dropout is the dropout probability in the ngf·8 decoder blocks below
	// the innermost (two at depth 7, three at depth 8; see internal/unet).
	Dropout float64 `mapstructure:"dropout"`
	// InferDropout keeps dropout active at inference (pix2pix's test-time noise).
	InferDropout bool `mapstructure:"infer_dropout"`
}

// TrainConfig holds the optimisation settings.
type TrainConfig struct {
	// Loss is the reconstruction loss: "l1" or "compensated_l1".
	Loss string `mapstructure:"loss"`
	// DetachWeights treats the compensated loss's channel weights as constants.
	DetachWeights bool    `mapstructure:"detach_weights"`
	Lambda        float64 `mapstructure:"lambda"`
	Batch         int     `mapstructure:"batch"`
	Steps         int     `mapstructure:"steps"`
	LR            float64 `mapstructure:"lr"`
	Beta1         float64 `mapstructure:"beta1"`
	Beta2         float64 `mapstructure:"beta2"`
	// ValEvery, SampleEvery and CheckpointEvery are intervals in steps.
	ValEvery        int `mapstructure:"val_every"`
	SampleEvery     int `mapstructure:"sample_every"`
	CheckpointEvery int `mapstructure:"checkpoint_every"`
	// KeepLast is how many recent checkpoints are kept besides the best one.
	KeepLast int `mapstructure:"keep_last"`
	// Out is the run folder.
	Out string `mapstructure:"out"`
}

// EvalConfig holds evaluation settings.
type EvalConfig struct {
	// Inception is the path of pytorch-fid's weights file.
	Inception string `mapstructure:"inception"`
	// Dims is the FID feature dimension: 64, 192, 768 or 2048.
	Dims int `mapstructure:"dims"`
	// Batch is the number of validation images per generator run in
	// `colorize eval --checkpoint`.
	Batch int `mapstructure:"batch"`
}

// ServeConfig configures `colorize serve`, the local web app. The bearer
// token is deliberately not a key: keys are stored in every checkpoint and
// run folder (it comes from --token or COLORIZE_SERVE_TOKEN).
type ServeConfig struct {
	// Addr is the listening address; anything but loopback needs --allow-remote.
	Addr string `mapstructure:"addr"`
	// Runs is the folder whose runs and checkpoints are offered and shown.
	Runs string `mapstructure:"runs"`
	// Checkpoint is the default model (a file or a run folder); empty means
	// the best checkpoint of the newest run under Runs.
	Checkpoint string `mapstructure:"checkpoint"`
	// MaxUpload bounds a request body, in MiB.
	MaxUpload int `mapstructure:"max_upload"`
	// Workers is the number of inferences run at once.
	Workers int `mapstructure:"workers"`
	// Queue is the number of requests that may wait for a worker; more get 503.
	Queue int `mapstructure:"queue"`
	// Models is the number of loaded models kept in memory (at least Workers).
	Models int `mapstructure:"models"`
	// MaxSide caps the longer side the generator sees, as infer --max-side (0 = none).
	MaxSide int `mapstructure:"max_side"`
	// ReadTimeout, WriteTimeout and IdleTimeout are the server's timeouts in
	// seconds: reading a request, the whole exchange (queueing included),
	// and an idle keep-alive connection.
	ReadTimeout  float64 `mapstructure:"read_timeout"`
	WriteTimeout float64 `mapstructure:"write_timeout"`
	IdleTimeout  float64 `mapstructure:"idle_timeout"`
}

// LimitsConfig bounds the resources one input may claim.
type LimitsConfig struct {
	// MaxPixels is the largest image (width × height) accepted, checked from
	// the file's header before it is decoded.
	MaxPixels int `mapstructure:"max_pixels"`
}

// Values of data.line_art.
const (
	LineArtAuto = "auto"
	LineArtXDoG = "xdog"
)

// Default returns the configuration used when a key is not set anywhere.
// The training defaults are the paper's (Adam lr 1e-4, β1 0.9, β2 0.99, λ 100,
// batch 4, compensated L1) at 128² with the pix2pix networks.
func Default() Config {
	return Config{
		Seed: 1,
		Data: DataConfig{
			Size: 128, ValFraction: 0.05, LineArt: LineArtAuto, Workers: 2, Prefetch: 4, Cache: true,
			Flip: true, CropScale: 0.85,
		},
		Hints: HintConfig{MinCount: 1, MaxCount: 16, Patch: 5, NoneProb: 0.1},
		// Tuned on openmoji128 against its drawn line art (internal/lineart).
		XDoG:  XDoGConfig{Sigma: 0.8, K: 1.6, P: 5, Eps: 0, Phi: 100},
		Model: ModelConfig{Depth: 7, NGF: 64, NDF: 64, DLayers: 3, Dropout: 0.5},
		Train: TrainConfig{
			Loss: "compensated_l1", Lambda: 100, Batch: 4, Steps: 10000,
			LR: 1e-4, Beta1: 0.9, Beta2: 0.99,
			ValEvery: 500, SampleEvery: 500, CheckpointEvery: 1000, KeepLast: 3,
			Out: "runs/colorize",
		},
		Eval: EvalConfig{Dims: 2048, Batch: 16},
		Serve: ServeConfig{
			Addr: "127.0.0.1:7860", Runs: "runs", MaxUpload: 32, Workers: 1, Queue: 16, Models: 2,
			MaxSide: 1024, ReadTimeout: 60, WriteTimeout: 300, IdleTimeout: 120,
		},
		Limits: LimitsConfig{MaxPixels: 64_000_000},
	}
}
