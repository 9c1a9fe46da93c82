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
// two at depth 7. Inputs are the 5 channels of internal/modelio (line art,
// hint RGB, hint mask); outputs 3 channels in [−1, 1]. Config.Blocks is the
// architecture as data: each level's widths and which layers it has.
package unet

import (
	"fmt"
	"math/rand"

	G "gorgonia.org/gorgonia"

	"github.com/colorize-dev/colorize/internal/nn"
	"github.com/colorize-dev/colorize/internal/param"
)

// ParamPrefix names the generator's parameters in graphs and checkpoints
// ("G.level1.conv.weight"), as the PyTorch twin in pyref/models.py does.
const ParamPrefix = "G."

// Config describes a generator.
type Config struct {
	Depth       int     // number of levels; the input side must be a multiple of 2^Depth
	NGF         int     // width of the outermost level
	InChannels  int     // modelio.InChannels: line art, hint RGB, hint mask
	OutChannels int     // modelio.OutChannels: RGB
	Dropout     float64 // dropout probability in the ngf·8 decoder blocks
}

// Block is one level of the U-Net: its encoder step down and, after the
// inner levels have run, its decoder step up. Every per-level condition of
// the architecture is decided here, once, and both the parameters and the
// graph follow it.
type Block struct {
	Level int // 1 = outermost, Depth = innermost
	// In is the channel count the level receives, Inner its encoder width,
	// UpIn what its decoder receives (the inner level's output ⊕ skip, or
	// Inner at the innermost level) and Out what the decoder returns before
	// the skip concatenation.
	In, Inner, UpIn, Out int
	Outermost, Innermost bool
	DownNorm             bool // batch norm after the encoder convolution
	UpNorm               bool // batch norm after the decoder convolution (else bias and tanh)
	Dropout              bool // dropout after the decoder's batch norm
}

// Prefix is the parameter-name prefix of the level's tensors ("level3").
func (b Block) Prefix() string { return fmt.Sprintf("level%d", b.Level) }

// Blocks lists the levels, outermost first.
func (c Config) Blocks() []Block {
	bs := make([]Block, c.Depth)
	for i := 1; i <= c.Depth; i++ {
		b := Block{Level: i, Inner: EncoderWidth(c.NGF, i), Outermost: i == 1, Innermost: i == c.Depth}
		b.In, b.Out = c.InChannels, c.OutChannels
		if !b.Outermost {
			b.In = EncoderWidth(c.NGF, i-1)
			b.Out = b.In
		}
		b.UpIn = 2 * b.Inner
		if b.Innermost {
			b.UpIn = b.Inner
		}
		b.DownNorm = !b.Outermost && !b.Innermost
		b.UpNorm = !b.Outermost
		// pix2pix's ngf·8 decoder blocks below the innermost, above level 4.
		b.Dropout = c.Dropout > 0 && i >= 5 && !b.Innermost
		bs[i-1] = b
	}
	return bs
}

// Params lists the generator's parameters in the order New initializes
// them: per level, the encoder convolution, its batch norm, the decoder
// transposed convolution and its batch norm or bias.
func (c Config) Params() []param.Spec {
	var ps []param.Spec
	for _, b := range c.Blocks() {
		p := b.Prefix()
		ps = append(ps, param.Spec{Name: p + ".conv.weight", Shape: []int{b.Inner, b.In, 4, 4}, Init: param.Weight})
		if b.DownNorm {
			ps = append(ps, param.Spec{Name: p + ".bn", Shape: []int{b.Inner}, Init: param.BatchNorm})
		}
		ps = append(ps, param.Spec{Name: p + ".convt.weight", Shape: []int{b.UpIn, b.Out, 4, 4}, Init: param.Weight})
		if b.UpNorm {
			ps = append(ps, param.Spec{Name: p + ".upbn", Shape: []int{b.Out}, Init: param.BatchNorm})
		} else {
			ps = append(ps, param.Spec{Name: p + ".convt.bias", Shape: []int{b.Out}, Init: param.Zeros})
		}
	}
	return ps
}

// Generator is a U-Net's parameters and dropout randomness.
type Generator struct {
	Cfg    Config
	Params *param.Store
	blocks []Block
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
	gen := &Generator{Cfg: cfg, Params: param.NewStoreFrom(cfg.Params(), rng), blocks: cfg.Blocks(), masks: map[int]*nn.DropoutMask{}}
	for _, b := range gen.blocks {
		if b.Dropout {
			gen.masks[b.Level] = nn.NewDropoutMask(float32(cfg.Dropout), uint64(b.Level))
		}
	}
	return gen, nil
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
	return gen.level(b, 0, x, mode)
}

// level builds block gen.blocks[k] and, inside it, the levels below.
func (gen *Generator) level(b *param.Binding, k int, x *G.Node, mode Mode) (*G.Node, error) {
	blk := gen.blocks[k]
	p := blk.Prefix()
	var err error
	h := x
	if !blk.Outermost {
		if h, err = nn.LeakyReLU(h, 0.2); err != nil {
			return nil, err
		}
	}
	if h, err = nn.Conv2d(h, b.Node(p+".conv.weight"), 2, 1); err != nil {
		return nil, fmt.Errorf("%s down: %w", p, err)
	}
	if blk.DownNorm {
		if h, err = batchNorm(b, p+".bn", h, mode); err != nil {
			return nil, err
		}
	}
	if !blk.Innermost {
		if h, err = gen.level(b, k+1, h, mode); err != nil {
			return nil, err
		}
	}
	if h, err = nn.ReLU(h); err != nil {
		return nil, err
	}
	if h, err = nn.ConvTranspose2d(h, b.Node(p+".convt.weight"), 2, 1); err != nil {
		return nil, fmt.Errorf("%s up: %w", p, err)
	}
	if !blk.UpNorm {
		if h, err = nn.AddBias(h, b.Node(p+".convt.bias")); err != nil {
			return nil, err
		}
		return nn.Tanh(h)
	}
	if h, err = batchNorm(b, p+".upbn", h, mode); err != nil {
		return nil, err
	}
	if blk.Dropout && mode.Dropout {
		if h, err = nn.Dropout(h, gen.masks[blk.Level]); err != nil {
			return nil, err
		}
	}
	return nn.ConcatChannels(x, h)
}

func batchNorm(b *param.Binding, prefix string, h *G.Node, mode Mode) (*G.Node, error) {
	return nn.BatchNorm(h, b.Node(prefix+".weight"), b.Node(prefix+".bias"), b.Store.BatchNorm(prefix), mode.BN)
}
