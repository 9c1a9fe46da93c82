package gan

import (
	"fmt"
	"math/rand"

	G "gorgonia.org/gorgonia"

	"github.com/colorize-dev/colorize/internal/nn"
	"github.com/colorize-dev/colorize/internal/param"
)

// DiscConfig describes a PatchGAN discriminator.
type DiscConfig struct {
	InChannels int // generator input ⊕ image: 5 + 3
	NDF        int // width of the first layer
	Layers     int // pix2pix's n_layers; 3 gives 70×70 patches
}

// Discriminator is the conditional PatchGAN of pix2pix: Layers stride-2 4×4
// convolutions, one stride-1 4×4 convolution to ndf·min(2^Layers, 8)
// channels, and a final stride-1 4×4 convolution to one logit per patch.
// Batch norm follows every convolution but the first and last; LeakyReLU 0.2
// every one but the last. Only the first and last convolutions have a bias.
type Discriminator struct {
	Cfg    DiscConfig
	Params *param.Store
}

// NewDiscriminator creates a discriminator with pix2pix's initialization.
func NewDiscriminator(cfg DiscConfig, rng *rand.Rand) (*Discriminator, error) {
	if cfg.InChannels < 1 || cfg.NDF < 1 || cfg.Layers < 1 {
		return nil, fmt.Errorf("patchgan: bad config %+v", cfg)
	}
	s := param.NewStore()
	ch := cfg.channels()
	for j := 0; j < cfg.Layers+2; j++ {
		s.Add(fmt.Sprintf("layer%d.weight", j), []int{ch[j+1], ch[j], 4, 4}, param.Normal(rng, 0, 0.02))
		if j == 0 || j == cfg.Layers+1 {
			s.Add(fmt.Sprintf("layer%d.bias", j), []int{ch[j+1]}, nil)
		} else {
			s.AddBatchNorm(fmt.Sprintf("bn%d", j), ch[j+1], rng)
		}
	}
	return &Discriminator{Cfg: cfg, Params: s}, nil
}

func (c DiscConfig) channels() []int {
	ch := []int{c.InChannels}
	for j := 0; j <= c.Layers; j++ {
		ch = append(ch, c.NDF*min(1<<j, 8))
	}
	return append(ch, 1)
}

// Build adds D(x) to b's graph; x is [N, InChannels, H, W] and the result the
// patch logits [N, 1, h, w].
func (d *Discriminator) Build(b *param.Binding, x *G.Node, bn nn.BNMode) (*G.Node, error) {
	h := x
	var err error
	for j := 0; j < d.Cfg.Layers+2; j++ {
		stride := 1
		if j < d.Cfg.Layers {
			stride = 2
		}
		if h, err = nn.Conv2d(h, b.Node(fmt.Sprintf("layer%d.weight", j)), stride, 1); err != nil {
			return nil, fmt.Errorf("patchgan layer %d: %w", j, err)
		}
		if j == 0 || j == d.Cfg.Layers+1 {
			if h, err = nn.AddBias(h, b.Node(fmt.Sprintf("layer%d.bias", j))); err != nil {
				return nil, err
			}
		} else {
			p := fmt.Sprintf("bn%d", j)
			if h, err = nn.BatchNorm(h, b.Node(p+".weight"), b.Node(p+".bias"), b.Store.BatchNorm(p), bn); err != nil {
				return nil, err
			}
		}
		if j <= d.Cfg.Layers {
			if h, err = nn.LeakyReLU(h, 0.2); err != nil {
				return nil, err
			}
		}
	}
	return h, nil
}
