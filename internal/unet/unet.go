// Package unet builds the pix2pix U-Net generator as a gorgonia graph.
//
// The network is built recursively from one level type, as pix2pix does:
// level i (1 = outermost, Depth = innermost) halves the resolution with a
// 4×4 stride-2 convolution, runs the inner levels, doubles it back with a
// 4×4 stride-2 transposed convolution and concatenates its input as the skip
// connection. Level i has ngf·min(2^(i−1), 8) encoder channels.
//
//	down: [LeakyReLU 0.2 unless outermost] Conv [BatchNorm unless outer/innermost]
//	up:   ReLU ConvT(+bias only outermost) then Tanh (outermost) or BatchNorm
//	      [Dropout 0.5 at levels 5 … Depth−1], then concat(input, up)
//
// Dropout sits where pix2pix puts it: in the ngf·8 decoder blocks between the
// innermost block and level 4 — three blocks at depth 8 (pix2pix's 256² net),
// two at depth 7. Inputs are 5 channels (line art, hint RGB, hint mask);
// outputs 3 channels in [−1, 1].
package unet

import (
	"fmt"
	"math/rand"

	G "gorgonia.org/gorgonia"

	"github.com/colorize-dev/colorize/internal/nn"
	"github.com/colorize-dev/colorize/internal/param"
)

// Config describes a generator.
type Config struct {
	Depth       int     // number of levels; the input side must be a multiple of 2^Depth
	NGF         int     // width of the outermost level
	InChannels  int     // 5: line art, hint RGB, hint mask
	OutChannels int     // 3: RGB
	Dropout     float64 // dropout probability in the ngf·8 decoder blocks
}

// Generator is a U-Net's parameters and dropout randomness.
type Generator struct {
	Cfg    Config
	Params *param.Store
	masks  map[int]*nn.DropoutMask
}

// Mode says how a built graph normalises and regularises.
type Mode struct {
	BN      nn.BNMode
	Dropout bool // apply dropout (training, or pix2pix-style noisy inference)
}

// EncoderWidth is the number of encoder channels at level i.
func EncoderWidth(ngf, i int) int { return ngf * min(1<<(i-1), 8) }

// New creates a generator with pix2pix's initialization drawn from rng:
// convolution weights N(0, 0.02), batch-norm scales N(1, 0.02), zeros else.
func New(cfg Config, rng *rand.Rand) (*Generator, error) {
	if cfg.Depth < 5 {
		return nil, fmt.Errorf("unet: depth %d < 5", cfg.Depth)
	}
	if cfg.NGF < 1 || cfg.InChannels < 1 || cfg.OutChannels < 1 {
		return nil, fmt.Errorf("unet: bad config %+v", cfg)
	}
	s := param.NewStore()
	gen := &Generator{Cfg: cfg, Params: s, masks: map[int]*nn.DropoutMask{}}
	w := param.Normal(rng, 0, 0.02)
	for i := 1; i <= cfg.Depth; i++ {
		in, out := gen.levelIO(i)
		inner := EncoderWidth(cfg.NGF, i)
		p := fmt.Sprintf("level%d", i)
		s.Add(p+".conv.weight", []int{inner, in, 4, 4}, w)
		if i > 1 && i < cfg.Depth {
			s.AddBatchNorm(p+".bn", inner, rng)
		}
		upIn := 2 * inner
		if i == cfg.Depth {
			upIn = inner
		}
		s.Add(p+".convt.weight", []int{upIn, out, 4, 4}, w)
		if i == 1 {
			s.Add(p+".convt.bias", []int{out}, nil)
		} else {
			s.AddBatchNorm(p+".upbn", out, rng)
		}
		if gen.hasDropout(i) {
			gen.masks[i] = nn.NewDropoutMask(float32(cfg.Dropout), uint64(i))
		}
	}
	return gen, nil
}

// levelIO returns the channels level i receives and returns (before the skip concat).
func (gen *Generator) levelIO(i int) (in, out int) {
	if i == 1 {
		return gen.Cfg.InChannels, gen.Cfg.OutChannels
	}
	w := EncoderWidth(gen.Cfg.NGF, i-1)
	return w, w
}

func (gen *Generator) hasDropout(i int) bool {
	return gen.Cfg.Dropout > 0 && i >= 5 && i < gen.Cfg.Depth
}

// SetDropoutSeed fixes the dropout masks for the graphs run next; set it once
// per training step so every graph of that step drops the same units.
func (gen *Generator) SetDropoutSeed(seed uint64) {
	for _, m := range gen.masks {
		m.Seed = seed
	}
}

// Build adds the generator applied to x ([N, InChannels, H, W]) to b's graph
// and returns its output [N, OutChannels, H, W].
func (gen *Generator) Build(b *param.Binding, x *G.Node, mode Mode) (*G.Node, error) {
	side := 1 << gen.Cfg.Depth
	if s := x.Shape(); len(s) != 4 || s[1] != gen.Cfg.InChannels || s[2]%side != 0 || s[3]%side != 0 {
		return nil, fmt.Errorf("unet: input shape %v, want [N %d H W] with H and W multiples of %d", x.Shape(), gen.Cfg.InChannels, side)
	}
	return gen.level(b, 1, x, mode)
}

func (gen *Generator) level(b *param.Binding, i int, x *G.Node, mode Mode) (*G.Node, error) {
	p := fmt.Sprintf("level%d", i)
	var err error
	h := x
	if i > 1 {
		if h, err = nn.LeakyReLU(h, 0.2); err != nil {
			return nil, err
		}
	}
	if h, err = nn.Conv2d(h, b.Node(p+".conv.weight"), 2, 1); err != nil {
		return nil, fmt.Errorf("%s down: %w", p, err)
	}
	if i > 1 && i < gen.Cfg.Depth {
		if h, err = gen.batchNorm(b, p+".bn", h, mode); err != nil {
			return nil, err
		}
	}
	if i < gen.Cfg.Depth {
		if h, err = gen.level(b, i+1, h, mode); err != nil {
			return nil, err
		}
	}
	if h, err = nn.ReLU(h); err != nil {
		return nil, err
	}
	if h, err = nn.ConvTranspose2d(h, b.Node(p+".convt.weight"), 2, 1); err != nil {
		return nil, fmt.Errorf("%s up: %w", p, err)
	}
	if i == 1 {
		if h, err = nn.AddBias(h, b.Node(p+".convt.bias")); err != nil {
			return nil, err
		}
		return nn.Tanh(h)
	}
	if h, err = gen.batchNorm(b, p+".upbn", h, mode); err != nil {
		return nil, err
	}
	if m := gen.masks[i]; m != nil && mode.Dropout {
		if h, err = nn.Dropout(h, m); err != nil {
			return nil, err
		}
	}
	return nn.ConcatChannels(x, h)
}

func (gen *Generator) batchNorm(b *param.Binding, prefix string, h *G.Node, mode Mode) (*G.Node, error) {
	return nn.BatchNorm(h, b.Node(prefix+".weight"), b.Node(prefix+".bias"), b.Store.BatchNorm(prefix), mode.BN)
}
