// Package patchgan builds pix2pix's conditional PatchGAN discriminator as a
// gorgonia graph.
//
// The network is Layers stride-2 4×4 convolutions, one stride-1 4×4
// convolution to ndf·min(2^Layers, 8) channels, and a final stride-1 4×4
// convolution to one logit per patch. Batch norm follows every convolution
// but the first and last; LeakyReLU 0.2 every one but the last. Only the
// first and last convolutions have a bias. Layers 3 gives 70×70 patches.
package patchgan

import (
	"fmt"
	"math/rand"

	G "gorgonia.org/gorgonia"

	"github.com/colorize-dev/colorize/internal/nn"
	"github.com/colorize-dev/colorize/internal/param"
)

// ParamPrefix names the discriminator's parameters in graphs and
// checkpoints ("D.layer0.weight"), as the PyTorch twin in pyref/models.py does.
const ParamPrefix = "D."

// Config describes a PatchGAN discriminator.
type Config struct {
	InChannels int // modelio.DiscChannels: generator input ⊕ image
	NDF        int // width of the first layer
	Layers     int // pix2pix's n_layers; 3 gives 70×70 patches
}

// Layer is one convolution of the discriminator and what follows it. Every
// per-layer condition of the architecture is decided here, once, and both
// the parameters and the graph follow it.
type Layer struct {
	Index   int // 0 = first
	In, Out int
	Stride  int
	Norm    bool // batch norm (else a bias)
	Leaky   bool // LeakyReLU 0.2 after it
}

// Weight is the name of the layer's convolution weight.
func (l Layer) Weight() string { return fmt.Sprintf("layer%d.weight", l.Index) }

// Bias is the name of the layer's bias (layers without batch norm).
func (l Layer) Bias() string { return fmt.Sprintf("layer%d.bias", l.Index) }

// BN is the name prefix of the layer's batch norm (layers with Norm).
func (l Layer) BN() string { return fmt.Sprintf("bn%d", l.Index) }

// Convs lists the convolutions, first to last.
func (c Config) Convs() []Layer {
	ch := []int{c.InChannels}
	for j := 0; j <= c.Layers; j++ {
		ch = append(ch, c.NDF*min(1<<j, 8))
	}
	ch = append(ch, 1)
	last := c.Layers + 1
	ls := make([]Layer, last+1)
	for j := range ls {
		ls[j] = Layer{Index: j, In: ch[j], Out: ch[j+1], Stride: 1, Norm: j != 0 && j != last, Leaky: j != last}
		if j < c.Layers {
			ls[j].Stride = 2
		}
	}
	return ls
}

// Params lists the discriminator's parameters in the order New initializes
// them: per layer, the convolution weight, then its batch norm or bias.
func (c Config) Params() []param.Spec {
	var ps []param.Spec
	for _, l := range c.Convs() {
		ps = append(ps, param.Spec{Name: l.Weight(), Shape: []int{l.Out, l.In, 4, 4}, Init: param.Weight})
		if l.Norm {
			ps = append(ps, param.Spec{Name: l.BN(), Shape: []int{l.Out}, Init: param.BatchNorm})
		} else {
			ps = append(ps, param.Spec{Name: l.Bias(), Shape: []int{l.Out}, Init: param.Zeros})
		}
	}
	return ps
}

// Discriminator is a PatchGAN's parameters.
type Discriminator struct {
	Cfg    Config
	Params *param.Store
}

// New creates a discriminator with pix2pix's initialization drawn from rng.
func New(cfg Config, rng *rand.Rand) (*Discriminator, error) {
	if cfg.InChannels < 1 || cfg.NDF < 1 || cfg.Layers < 1 {
		return nil, fmt.Errorf("patchgan: bad config %+v", cfg)
	}
	return &Discriminator{Cfg: cfg, Params: param.NewStoreFrom(cfg.Params(), rng)}, nil
}

// Build adds D(x) to b's graph; x is [N, InChannels, H, W] and the result the
// patch logits [N, 1, h, w].
func (d *Discriminator) Build(b *param.Binding, x *G.Node, bn nn.BNMode) (*G.Node, error) {
	h := x
	var err error
	for _, l := range d.Cfg.Convs() {
		if h, err = nn.Conv2d(h, b.Node(l.Weight()), l.Stride, 1); err != nil {
			return nil, fmt.Errorf("patchgan layer %d: %w", l.Index, err)
		}
		if l.Norm {
			p := l.BN()
			if h, err = nn.BatchNorm(h, b.Node(p+".weight"), b.Node(p+".bias"), b.Store.BatchNorm(p), bn); err != nil {
				return nil, err
			}
		} else if h, err = nn.AddBias(h, b.Node(l.Bias())); err != nil {
			return nil, err
		}
		if l.Leaky {
			if h, err = nn.LeakyReLU(h, 0.2); err != nil {
				return nil, err
			}
		}
	}
	return h, nil
}
