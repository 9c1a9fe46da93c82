// Package model is colorize's pair of networks, the U-Net generator
// (internal/unet) and the PatchGAN discriminator (internal/patchgan), built
// from the model section of the configuration for the channel layout of
// internal/modelio. Checkpoints store the generator's tensors under
// unet.ParamPrefix and the discriminator's under patchgan.ParamPrefix.
package model

import (
	"math/rand"

	"github.com/colorize-dev/colorize/internal/config"
	"github.com/colorize-dev/colorize/internal/modelio"
	"github.com/colorize-dev/colorize/internal/param"
	"github.com/colorize-dev/colorize/internal/patchgan"
	"github.com/colorize-dev/colorize/internal/unet"
)

// Model is a generator and its discriminator.
type Model struct {
	Cfg  config.ModelConfig
	Gen  *unet.Generator
	Disc *patchgan.Discriminator
}

// GenConfig is the generator that cfg describes.
func GenConfig(cfg config.ModelConfig) unet.Config {
	return unet.Config{Depth: cfg.Depth, NGF: cfg.NGF, InChannels: modelio.InChannels, OutChannels: modelio.OutChannels, Dropout: cfg.Dropout}
}

// DiscConfig is the discriminator that cfg describes.
func DiscConfig(cfg config.ModelConfig) patchgan.Config {
	return patchgan.Config{InChannels: modelio.DiscChannels, NDF: cfg.NDF, Layers: cfg.DLayers}
}

// New initializes both networks from seed, the generator's weights drawn
// first.
func New(cfg config.ModelConfig, seed int64) (*Model, error) {
	rng := rand.New(rand.NewSource(seed))
	g, err := unet.New(GenConfig(cfg), rng)
	if err != nil {
		return nil, err
	}
	d, err := patchgan.New(DiscConfig(cfg), rng)
	if err != nil {
		return nil, err
	}
	return &Model{Cfg: cfg, Gen: g, Disc: d}, nil
}

// StateShapes is the shape of every tensor a checkpoint of the model that
// cfg describes holds, by checkpoint name ("G.level1.conv.weight"), found
// without allocating the networks.
func StateShapes(cfg config.ModelConfig) map[string][]int {
	out := map[string][]int{}
	for name, shape := range param.StateShapes(GenConfig(cfg).Params()) {
		out[unet.ParamPrefix+name] = shape
	}
	for name, shape := range param.StateShapes(DiscConfig(cfg).Params()) {
		out[patchgan.ParamPrefix+name] = shape
	}
	return out
}
