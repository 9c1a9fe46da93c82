package fid

import (
	"fmt"
	"math"

	"github.com/colorize-dev/colorize/internal/kernels"
)

// bnEps is the BatchNorm epsilon of torchvision's BasicConv2d, which
// pytorch-fid's network inherits.
const bnEps = 1e-3

// blockOf maps a feature dimension to the last of pytorch-fid's four blocks
// the network must run (its InceptionV3.BLOCK_INDEX_BY_DIM).
var blockOf = map[int]int{64: 0, 192: 1, 768: 2, 2048: 3}

// act is the activation of a batch of n images, stored channel-major:
// C×N×H×W, row-major, so that a channel range (what Inception's blocks
// concatenate) is one contiguous slice and a convolution of the whole batch
// is one matrix product (kernels.Conv2DForwardCNHW).
type act struct {
	c, n, h, w int
	d          []float32
}

func newAct(c, n, h, w int) act { return act{c, n, h, w, make([]float32, c*n*h*w)} }

// ch returns the slice holding channels [c0, c0+k) of every image.
func (a act) ch(c0, k int) []float32 { return a.d[c0*a.n*a.h*a.w : (c0+k)*a.n*a.h*a.w] }

// planes is the number of H×W planes, C·N; pooling treats each alone.
func (a act) planes() int { return a.c * a.n }

// conv is torchvision's BasicConv2d (convolution without bias, BatchNorm,
// ReLU) with the BatchNorm folded into the filter and a bias:
// w' = w·γ/√(var+ε), b' = β − mean·γ/√(var+ε).
type conv struct {
	cin, cout, kh, kw, stride, padH, padW int
	w, b                                  []float32
}

func (c *conv) params(x act) kernels.ConvParams {
	return kernels.ConvParams{N: x.n, C: c.cin, H: x.h, W: x.w, K: c.cout, KH: c.kh, KW: c.kw,
		StrideH: c.stride, StrideW: c.stride, PadT: c.padH, PadB: c.padH, PadL: c.padW, PadR: c.padW}
}

// into writes relu(conv(x)) into out, which must hold cout×N×OutH×OutW values.
func (c *conv) into(x act, out []float32) (h, w int) {
	if x.c != c.cin {
		panic(fmt.Sprintf("fid: conv expects %d channels, got %d", c.cin, x.c))
	}
	p := c.params(x)
	kernels.Conv2DForwardCNHW(p, x.d, c.w, nil, out)
	kernels.AddBiasReLU(out, c.b, x.n*p.OutH()*p.OutW()) // one pass instead of two
	return p.OutH(), p.OutW()
}

// apply returns relu(conv(x)) in an activation lent by ws.
func (c *conv) apply(ws *workspace, x act) act {
	p := c.params(x)
	y := ws.act(c.cout, x.n, p.OutH(), p.OutW())
	c.into(x, y.d)
	return y
}

// pointwise is the 1×1 convolutions of one block that read the block's
// input, run as one matrix product whose rows are the members' output
// channels one after the other: the input is packed for the GEMM once
// instead of once per branch, and the product is taller. A block's
// average-pool branch joins it as a pooled member: a 1×1 convolution and
// the 3×3 average pool commute (the pool is the same linear map on every
// channel, the convolution the same on every pixel, and a mean of constants
// is the constant, so the bias passes through), so pooling the member's
// cout outputs instead of the cin inputs gives the same values up to float32
// rounding with a fraction of the pooling work (192 instead of 768 planes
// in Mixed_6b…6e).
type pointwise struct {
	cin, cout int
	w, b      []float32 // cout×cin, cout
	ends      []int     // member i's channels are [ends[i-1], ends[i])
	pooled    int       // the member average-pooled before its bias, or -1
}

// newPointwise merges 1×1 convolutions of cin inputs; pooled is the index
// of the average-pooled member, or -1. An unbuilt member (a missing tensor)
// leaves an unbuilt group: the builder holds the error.
func newPointwise(pooled int, members ...*conv) *pointwise {
	g := &pointwise{cin: members[0].cin, pooled: pooled}
	for _, c := range members {
		if c.kh != 1 || c.kw != 1 || c.stride != 1 || c.cin != g.cin {
			panic(fmt.Sprintf("fid: pointwise member %d×%d/%d of %d inputs in a group of %d", c.kh, c.kw, c.stride, c.cin, g.cin))
		}
		g.w = append(g.w, c.w...)
		g.b = append(g.b, c.b...)
		g.cout += c.cout
		g.ends = append(g.ends, g.cout)
	}
	return g
}

// forward computes every member's relu(conv(x)) (the pooled member's
// relu(avgpool(conv(x)))) and returns them in member order. Member i's
// output goes into dst[i] when that is not nil (a block's concatenated
// output), else into buffers lent by ws.
func (g *pointwise) forward(ws *workspace, x act, dst ...[]float32) []act {
	if x.c != g.cin {
		panic(fmt.Sprintf("fid: pointwise group expects %d channels, got %d", g.cin, x.c))
	}
	plane := x.n * x.h * x.w
	y := ws.act(g.cout, x.n, x.h, x.w)
	kernels.Conv2DForwardCNHW(kernels.ConvParams{N: x.n, C: g.cin, H: x.h, W: x.w, K: g.cout, KH: 1, KW: 1,
		StrideH: 1, StrideW: 1}, x.d, g.w, nil, y.d)
	outs := make([]act, len(g.ends))
	lo := 0
	for i, hi := range g.ends {
		k := hi - lo
		o := act{k, x.n, x.h, x.w, y.ch(lo, k)}
		var to []float32 // the member's destination, if the caller gave one
		if i < len(dst) {
			to = dst[i]
		}
		switch {
		case i == g.pooled:
			if to == nil {
				to = ws.get(len(o.d))
			}
			avgPool3Into(ws, o, to)
			o.d = to
		case to != nil:
			copy(to, o.d)
			o.d = to
		}
		kernels.AddBiasReLU(o.d, g.b[lo:hi], plane)
		outs[i] = o
		lo = hi
	}
	return outs
}

// builder reads BasicConv2d layers from a state dict, keeping the first
// error so that the network can be declared without error checks per layer.
type builder struct {
	sd  map[string]Tensor
	err error
}

func (b *builder) tensor(name string, shape ...int) []float32 {
	t, ok := b.sd[name]
	if !ok {
		if b.err == nil {
			b.err = fmt.Errorf("missing tensor %s (a pytorch-fid Inception state dict has keys like Mixed_5b.branch1x1.conv.weight)", name)
		}
		return nil
	}
	if !equalShape(t.Shape, shape) {
		if b.err == nil {
			b.err = fmt.Errorf("tensor %s has shape %v, want %v", name, t.Shape, shape)
		}
		return nil
	}
	return t.Data
}

// conv reads prefix.conv.weight and prefix.bn.{weight,bias,running_mean,
// running_var} and folds them.
func (b *builder) conv(prefix string, cin, cout, kh, kw, stride, padH, padW int) *conv {
	w := b.tensor(prefix+".conv.weight", cout, cin, kh, kw)
	gamma := b.tensor(prefix+".bn.weight", cout)
	beta := b.tensor(prefix+".bn.bias", cout)
	mean := b.tensor(prefix+".bn.running_mean", cout)
	variance := b.tensor(prefix+".bn.running_var", cout)
	c := &conv{cin: cin, cout: cout, kh: kh, kw: kw, stride: stride, padH: padH, padW: padW}
	if b.err != nil {
		return c
	}
	c.w = make([]float32, len(w))
	c.b = make([]float32, cout)
	per := cin * kh * kw
	for k := 0; k < cout; k++ {
		if variance[k] < 0 {
			b.err = fmt.Errorf("tensor %s.bn.running_var[%d] = %g is negative", prefix, k, variance[k])
			return c
		}
		s := float64(gamma[k]) / sqrt(float64(variance[k])+bnEps)
		for i := k * per; i < (k+1)*per; i++ {
			c.w[i] = float32(float64(w[i]) * s)
		}
		c.b[k] = float32(float64(beta[k]) - float64(mean[k])*s)
	}
	return c
}

// square is a k×k convolution with equal padding on every side.
func (b *builder) square(prefix string, cin, cout, k, stride, pad int) *conv {
	return b.conv(prefix, cin, cout, k, k, stride, pad, pad)
}

func equalShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// maxPool returns the k×k max pool of x in an activation lent by ws.
func maxPool(ws *workspace, x act, k, stride, pad int) act {
	p := kernels.Pool2DParams(1, x.planes(), x.h, x.w, k, stride, pad)
	y := ws.act(x.c, x.n, p.OutH(), p.OutW())
	if k == 3 && stride == 2 && pad == 0 {
		maxPool3s2(ws, x, y)
		return y
	}
	kernels.MaxPool2D(p, x.d, y.d)
	return y
}

// maxPool3s2 is the 3×3, stride 2, unpadded max pool of the stem and the
// grid reductions, computed separably: the maxima of each row's windows,
// then of three rows. The first maximum in row-major order wins ties, as in
// kernels.MaxPool2D and NaNs are passed over as there, so the result is
// the same bit for bit; AVX2 (pool_amd64.s) takes 8 maxima at a time in the
// same order.
func maxPool3s2(ws *workspace, x, y act) {
	oh, ow := y.h, y.w
	rows := ws.get(x.h * ow)
	defer ws.put(rows)
	for c := 0; c < x.planes(); c++ {
		src, dst := x.d[c*x.h*x.w:(c+1)*x.h*x.w], y.d[c*oh*ow:(c+1)*oh*ow]
		for i := 0; i < x.h; i++ {
			r, o := src[i*x.w:(i+1)*x.w], rows[i*ow:(i+1)*ow]
			for j := maxWindows3s2Vec(r, o); j < len(o); j++ {
				m := float32(math.Inf(-1))
				for _, v := range r[2*j : 2*j+3] {
					if v > m {
						m = v
					}
				}
				o[j] = m
			}
		}
		for i := 0; i < oh; i++ {
			a, b, d := rows[2*i*ow:(2*i+1)*ow], rows[(2*i+1)*ow:(2*i+2)*ow], rows[(2*i+2)*ow:(2*i+3)*ow]
			o := dst[i*ow : (i+1)*ow]
			for j := max3Vec(a, b, d, o); j < len(o); j++ {
				m := float32(math.Inf(-1))
				for _, v := range [3]float32{a[j], b[j], d[j]} {
					if v > m {
						m = v
					}
				}
				o[j] = m
			}
		}
	}
}

// avgPool3 is the 3×3, stride 1, padding 1 average pool of pytorch-fid's
// patched blocks: TensorFlow's pool, which leaves the padded zeros out of
// the mean (count_include_pad=False, kernels.AvgPool2D's countIncludePad
// false). It is computed separably (row sums of 3, then column sums of 3),
// which is several times faster than the general pooling kernel.
// Its output, x's size, goes into out.
func avgPool3Into(ws *workspace, x act, out []float32) {
	h, w := x.h, x.w
	rows := ws.get(h * w)
	defer ws.put(rows)
	for c := 0; c < x.planes(); c++ {
		src, dst := x.d[c*h*w:(c+1)*h*w], out[c*h*w:(c+1)*h*w]
		for i := 0; i < h; i++ {
			r, o := src[i*w:(i+1)*w], rows[i*w:(i+1)*w]
			for j := range r {
				s := r[j]
				if j > 0 {
					s += r[j-1]
				}
				if j+1 < w {
					s += r[j+1]
				}
				o[j] = s
			}
		}
		for i := 0; i < h; i++ {
			i0, i1 := max(i-1, 0), min(i+1, h-1)
			nh := float32(i1 - i0 + 1)
			for j := 0; j < w; j++ {
				var s float32
				for k := i0; k <= i1; k++ {
					s += rows[k*w+j]
				}
				nw := float32(min(j+1, w-1) - max(j-1, 0) + 1)
				dst[i*w+j] = s / (nh * nw)
			}
		}
	}
}

// blockA is pytorch-fid's FIDInceptionA (Mixed_5b, 5c, 5d).
type blockA struct {
	b5b, b3b, b3c *conv
	pw            *pointwise // branch1x1, branch5x5_1, branch3x3dbl_1, branch_pool (pooled)
}

func newBlockA(b *builder, name string, cin, poolFeatures int) *blockA {
	return &blockA{
		b5b: b.square(name+".branch5x5_2", 48, 64, 5, 1, 2),
		b3b: b.square(name+".branch3x3dbl_2", 64, 96, 3, 1, 1),
		b3c: b.square(name+".branch3x3dbl_3", 96, 96, 3, 1, 1),
		pw: newPointwise(3,
			b.square(name+".branch1x1", cin, 64, 1, 1, 0),
			b.square(name+".branch5x5_1", cin, 48, 1, 1, 0),
			b.square(name+".branch3x3dbl_1", cin, 64, 1, 1, 0),
			b.square(name+".branch_pool", cin, poolFeatures, 1, 1, 0)),
	}
}

func (m *blockA) forward(ws *workspace, x act) act {
	poolC := m.pw.ends[3] - m.pw.ends[2] // branch_pool's channels: 32 or 64
	y := ws.act(224+poolC, x.n, x.h, x.w)
	defer ws.scope()()
	o := m.pw.forward(ws, x, y.ch(0, 64), nil, nil, y.ch(224, poolC))
	m.b5b.into(o[1], y.ch(64, 64))
	m.b3c.into(m.b3b.apply(ws, o[2]), y.ch(128, 96))
	return y
}

// blockB is torchvision's InceptionB (Mixed_6a), unpatched.
type blockB struct{ b3, bd1, bd2, bd3 *conv }

func newBlockB(b *builder, name string, cin int) *blockB {
	return &blockB{
		b3:  b.square(name+".branch3x3", cin, 384, 3, 2, 0),
		bd1: b.square(name+".branch3x3dbl_1", cin, 64, 1, 1, 0),
		bd2: b.square(name+".branch3x3dbl_2", 64, 96, 3, 1, 1),
		bd3: b.square(name+".branch3x3dbl_3", 96, 96, 3, 2, 0),
	}
}

func (m *blockB) forward(ws *workspace, x act) act {
	oh, ow := (x.h-3)/2+1, (x.w-3)/2+1
	y := ws.act(384+96+x.c, x.n, oh, ow)
	defer ws.scope()()
	m.b3.into(x, y.ch(0, 384))
	m.bd3.into(m.bd2.apply(ws, m.bd1.apply(ws, x)), y.ch(384, 96))
	maxPool3s2(ws, x, act{x.c, x.n, oh, ow, y.ch(480, x.c)})
	return y
}

// blockC is pytorch-fid's FIDInceptionC (Mixed_6b … 6e).
type blockC struct {
	b7b, b7c *conv
	bd       [4]*conv   // branch7x7dbl_2 … _5
	pw       *pointwise // branch1x1, branch7x7_1, branch7x7dbl_1, branch_pool (pooled)
}

func newBlockC(b *builder, name string, cin, c7 int) *blockC {
	return &blockC{
		b7b: b.conv(name+".branch7x7_2", c7, c7, 1, 7, 1, 0, 3),
		b7c: b.conv(name+".branch7x7_3", c7, 192, 7, 1, 1, 3, 0),
		bd: [4]*conv{
			b.conv(name+".branch7x7dbl_2", c7, c7, 7, 1, 1, 3, 0),
			b.conv(name+".branch7x7dbl_3", c7, c7, 1, 7, 1, 0, 3),
			b.conv(name+".branch7x7dbl_4", c7, c7, 7, 1, 1, 3, 0),
			b.conv(name+".branch7x7dbl_5", c7, 192, 1, 7, 1, 0, 3),
		},
		pw: newPointwise(3,
			b.square(name+".branch1x1", cin, 192, 1, 1, 0),
			b.square(name+".branch7x7_1", cin, c7, 1, 1, 0),
			b.square(name+".branch7x7dbl_1", cin, c7, 1, 1, 0),
			b.square(name+".branch_pool", cin, 192, 1, 1, 0)),
	}
}

func (m *blockC) forward(ws *workspace, x act) act {
	y := ws.act(768, x.n, x.h, x.w)
	defer ws.scope()()
	o := m.pw.forward(ws, x, y.ch(0, 192), nil, nil, y.ch(576, 192))
	m.b7c.into(m.b7b.apply(ws, o[1]), y.ch(192, 192))
	t := o[2]
	for _, c := range m.bd[:3] {
		t = c.apply(ws, t)
	}
	m.bd[3].into(t, y.ch(384, 192))
	return y
}

// blockD is torchvision's InceptionD (Mixed_7a), unpatched.
type blockD struct {
	b3b, b7b, b7c, b7d *conv
	pw                 *pointwise // branch3x3_1, branch7x7x3_1
}

func newBlockD(b *builder, name string, cin int) *blockD {
	return &blockD{
		b3b: b.square(name+".branch3x3_2", 192, 320, 3, 2, 0),
		b7b: b.conv(name+".branch7x7x3_2", 192, 192, 1, 7, 1, 0, 3),
		b7c: b.conv(name+".branch7x7x3_3", 192, 192, 7, 1, 1, 3, 0),
		b7d: b.square(name+".branch7x7x3_4", 192, 192, 3, 2, 0),
		pw: newPointwise(-1,
			b.square(name+".branch3x3_1", cin, 192, 1, 1, 0),
			b.square(name+".branch7x7x3_1", cin, 192, 1, 1, 0)),
	}
}

func (m *blockD) forward(ws *workspace, x act) act {
	oh, ow := (x.h-3)/2+1, (x.w-3)/2+1
	y := ws.act(320+192+x.c, x.n, oh, ow)
	defer ws.scope()()
	o := m.pw.forward(ws, x)
	m.b3b.into(o[0], y.ch(0, 320))
	m.b7d.into(m.b7c.apply(ws, m.b7b.apply(ws, o[1])), y.ch(320, 192))
	maxPool3s2(ws, x, act{x.c, x.n, oh, ow, y.ch(512, x.c)})
	return y
}

// blockE is pytorch-fid's FIDInceptionE_1 (Mixed_7b: average pool without
// the padded zeros) or, with maxPool, FIDInceptionE_2 (Mixed_7c: a 3×3 max
// pool, a quirk of the TensorFlow graph pytorch-fid reproduces). The max
// pool does not commute with the convolution, so there the pool branch is
// its own product.
type blockE struct {
	b3a, b3b, bd2, bda, bdb *conv
	pool                    *conv      // branch_pool, when max pooled
	pw                      *pointwise // branch1x1, branch3x3_1, branch3x3dbl_1 (, branch_pool, pooled)
}

func newBlockE(b *builder, name string, cin int, maxPool bool) *blockE {
	m := &blockE{
		b3a: b.conv(name+".branch3x3_2a", 384, 384, 1, 3, 1, 0, 1),
		b3b: b.conv(name+".branch3x3_2b", 384, 384, 3, 1, 1, 1, 0),
		bd2: b.square(name+".branch3x3dbl_2", 448, 384, 3, 1, 1),
		bda: b.conv(name+".branch3x3dbl_3a", 384, 384, 1, 3, 1, 0, 1),
		bdb: b.conv(name+".branch3x3dbl_3b", 384, 384, 3, 1, 1, 1, 0),
	}
	members := []*conv{
		b.square(name+".branch1x1", cin, 320, 1, 1, 0),
		b.square(name+".branch3x3_1", cin, 384, 1, 1, 0),
		b.square(name+".branch3x3dbl_1", cin, 448, 1, 1, 0),
	}
	pool := b.square(name+".branch_pool", cin, 192, 1, 1, 0)
	if maxPool {
		m.pool = pool
		m.pw = newPointwise(-1, members...)
	} else {
		m.pw = newPointwise(3, append(members, pool)...)
	}
	return m
}

func (m *blockE) forward(ws *workspace, x act) act {
	y := ws.act(2048, x.n, x.h, x.w)
	defer ws.scope()()
	o := m.pw.forward(ws, x, y.ch(0, 320), nil, nil, y.ch(1856, 192))
	m.b3a.into(o[1], y.ch(320, 384))
	m.b3b.into(o[1], y.ch(704, 384))
	t := m.bd2.apply(ws, o[2])
	m.bda.into(t, y.ch(1088, 384))
	m.bdb.into(t, y.ch(1472, 384))
	if m.pool != nil {
		m.pool.into(maxPool(ws, x, 3, 1, 1), y.ch(1856, 192))
	}
	return y
}

// Model is pytorch-fid's Inception-v3 feature extractor with loaded weights,
// cut after the block that produces the chosen feature dimension. It is
// safe for concurrent use: forward passes allocate their own activations.
type Model struct {
	dims, last int

	stem             [5]*conv // Conv2d_1a_3x3, 2a_3x3, 2b_3x3, 3b_1x1, 4a_3x3
	mixed5           [3]*blockA
	mixed6a          *blockB
	mixed6           [4]*blockC // 6b … 6e
	mixed7a          *blockD
	mixed7b, mixed7c *blockE
}

// New builds the network for dims (64, 192, 768 or 2048) from a state dict
// with the key names of pytorch-fid's weight file (torchvision Inception3
// names such as Conv2d_1a_3x3.conv.weight and Mixed_7c.branch_pool.bn.bias).
// Tensors of blocks the chosen dims does not need are not required; extra
// tensors (fc, num_batches_tracked) are ignored.
func New(sd map[string]Tensor, dims int) (*Model, error) {
	last, ok := blockOf[dims]
	if !ok {
		return nil, fmt.Errorf("inception: feature dims %d: want 64, 192, 768 or 2048", dims)
	}
	b := &builder{sd: sd}
	m := &Model{dims: dims, last: last}
	m.stem[0] = b.square("Conv2d_1a_3x3", 3, 32, 3, 2, 0)
	m.stem[1] = b.square("Conv2d_2a_3x3", 32, 32, 3, 1, 0)
	m.stem[2] = b.square("Conv2d_2b_3x3", 32, 64, 3, 1, 1)
	if last >= 1 {
		m.stem[3] = b.square("Conv2d_3b_1x1", 64, 80, 1, 1, 0)
		m.stem[4] = b.square("Conv2d_4a_3x3", 80, 192, 3, 1, 0)
	}
	if last >= 2 {
		m.mixed5 = [3]*blockA{
			newBlockA(b, "Mixed_5b", 192, 32),
			newBlockA(b, "Mixed_5c", 256, 64),
			newBlockA(b, "Mixed_5d", 288, 64),
		}
		m.mixed6a = newBlockB(b, "Mixed_6a", 288)
		m.mixed6 = [4]*blockC{
			newBlockC(b, "Mixed_6b", 768, 128),
			newBlockC(b, "Mixed_6c", 768, 160),
			newBlockC(b, "Mixed_6d", 768, 160),
			newBlockC(b, "Mixed_6e", 768, 192),
		}
	}
	if last >= 3 {
		m.mixed7a = newBlockD(b, "Mixed_7a", 768)
		m.mixed7b = newBlockE(b, "Mixed_7b", 1280, false)
		m.mixed7c = newBlockE(b, "Mixed_7c", 2048, true)
	}
	if b.err != nil {
		return nil, fmt.Errorf("inception: %w", b.err)
	}
	return m, nil
}

// Load reads pytorch-fid's weight file (or one with the same keys) and
// builds the network for dims. A missing file gives a *MissingWeightsError
// that says where the file is published.
func Load(path string, dims int) (*Model, error) {
	sd, err := LoadStateDict(path)
	if err != nil {
		return nil, err
	}
	m, err := New(sd, dims)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	return m, nil
}

// Dims is the length of the feature vectors the model returns.
func (m *Model) Dims() int { return m.dims }

// forward runs the blocks up to m.last on a batch of 3×299×299 inputs in
// [−1, 1] and writes the spatially averaged output of image i (pytorch-fid
// averages every block's output to 1×1, which the final block already is)
// into feats[i].
func (m *Model) forward(x act, feats [][]float32) {
	ws := workspaces.Get().(*workspace)
	defer workspaces.Put(ws)
	input := x
	// next makes y the current activation, handing the previous one's
	// buffer back unless it is the caller's input.
	next := func(y act) {
		if &x.d[0] != &input.d[0] {
			ws.put(x.d)
		}
		x = y
	}
	next(m.stem[0].apply(ws, x))
	next(m.stem[1].apply(ws, x))
	next(m.stem[2].apply(ws, x))
	next(maxPool(ws, x, 3, 2, 0))
	if m.last >= 1 {
		next(m.stem[3].apply(ws, x))
		next(m.stem[4].apply(ws, x))
		next(maxPool(ws, x, 3, 2, 0))
	}
	if m.last >= 2 {
		for _, blk := range m.mixed5 {
			next(blk.forward(ws, x))
		}
		next(m.mixed6a.forward(ws, x))
		for _, blk := range m.mixed6 {
			next(blk.forward(ws, x))
		}
	}
	if m.last >= 3 {
		next(m.mixed7a.forward(ws, x))
		next(m.mixed7b.forward(ws, x))
		next(m.mixed7c.forward(ws, x))
	}
	means := make([]float32, x.planes()) // channel c of image i at c·N+i
	kernels.GlobalAvgPool(1, x.planes(), x.h*x.w, x.d, means)
	ws.put(x.d)
	for i, f := range feats {
		for c := range f {
			f[c] = means[c*x.n+i]
		}
	}
}
