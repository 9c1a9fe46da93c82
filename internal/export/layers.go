package export

import (
	"fmt"
	"math"

	"github.com/colorize-dev/colorize/internal/unet"
)

// level is one U-Net level in inference form (see internal/unet): every
// batch norm is folded into the convolution before it, and dropout is gone.
//
//	down: [LeakyReLU 0.2 unless outermost] Conv 4×4/2 (+bias)
//	inner levels
//	up:   ReLU ConvTranspose 4×4/2 (+bias), then Tanh (outermost) or
//	      concat(level input, up) along the channels
type level struct {
	down, up conv
}

// conv is a 4×4 stride-2 (transposed) convolution with padding 1.
type conv struct {
	name   string    // the checkpoint's prefix, "level3.conv"
	weight []float32 // Conv [out, in, 4, 4]; ConvTranspose [in, out, 4, 4]
	shape  []int
	bias   []float32 // nil: no bias
}

// levels reads gen's layers, outermost (level 1) first, folding each batch
// norm (with its running statistics) into the convolution before it. It is
// the one place that knows the generator's parameter names (internal/unet,
// pyref/models.py); the generator's tensors are not modified.
func levels(gen *unet.Generator) ([]level, error) {
	st := gen.Params.State()
	get := func(name string) ([]float32, []int, error) {
		a, ok := st[name]
		if !ok {
			return nil, nil, fmt.Errorf("generator has no tensor %s", name)
		}
		return a.Data, a.Shape, nil
	}
	// withBN folds the batch norm prefix into c, whose output channels lie
	// along axis.
	withBN := func(c *conv, prefix string, axis int) error {
		var vals [4][]float32
		for i, suffix := range []string{".weight", ".bias", ".running_mean", ".running_var"} {
			v, shape, err := get(prefix + suffix)
			if err != nil {
				return err
			}
			if len(shape) != 1 || shape[0] != c.shape[axis] {
				return fmt.Errorf("%s%s has shape %v, want [%d]", prefix, suffix, shape, c.shape[axis])
			}
			vals[i] = v
		}
		eps := gen.Params.BatchNorm(prefix).Eps
		c.weight, c.bias = foldBN(c.weight, c.shape, axis, vals[0], vals[1], vals[2], vals[3], eps)
		return nil
	}
	blocks := gen.Cfg.Blocks() // the architecture as internal/unet decides it
	out := make([]level, len(blocks))
	for i, blk := range blocks {
		p := blk.Prefix()
		l := &out[i]
		var err error
		l.down.name, l.up.name = p+".conv", p+".convt"
		if l.down.weight, l.down.shape, err = get(p + ".conv.weight"); err != nil {
			return nil, err
		}
		if l.up.weight, l.up.shape, err = get(p + ".convt.weight"); err != nil {
			return nil, err
		}
		if len(l.down.shape) != 4 || len(l.up.shape) != 4 {
			return nil, fmt.Errorf("%s: convolution weights %v and %v are not 4-D", p, l.down.shape, l.up.shape)
		}
		if blk.DownNorm {
			if err := withBN(&l.down, p+".bn", 0); err != nil {
				return nil, err
			}
		}
		if !blk.UpNorm {
			if l.up.bias, _, err = get(p + ".convt.bias"); err != nil {
				return nil, err
			}
		} else if err := withBN(&l.up, p+".upbn", 1); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// foldBN returns the weight and bias of the convolution that computes
// BatchNorm(conv(x, w)) with the batch norm's running statistics: per output
// channel c, s = γ/√(var+ε), w' = s·w and b' = β − s·mean. axis is the
// output-channel axis of w (0 for Conv, 1 for ConvTranspose). It is exact
// up to float32 rounding (computed in float64); w is not modified.
func foldBN(w []float32, shape []int, axis int, gamma, beta, mean, variance []float32, eps float32) (wf, b []float32) {
	c := shape[axis]
	inner := 1 // elements per (…, channel) slice after axis
	for _, d := range shape[axis+1:] {
		inner *= d
	}
	scale := make([]float64, c)
	b = make([]float32, c)
	for j := range c {
		scale[j] = float64(gamma[j]) / math.Sqrt(float64(variance[j])+float64(eps))
		b[j] = float32(float64(beta[j]) - scale[j]*float64(mean[j]))
	}
	wf = make([]float32, len(w))
	for i, v := range w {
		wf[i] = float32(float64(v) * scale[(i/inner)%c])
	}
	return wf, b
}
