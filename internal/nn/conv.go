package nn

import (
	"fmt"
	"hash"
	"hash/fnv"

	"github.com/chewxy/hm"
	"github.com/colorize-dev/colorize/internal/kernels"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// ConvOpts are the stride and per-side padding of a convolution.
type ConvOpts struct {
	StrideH, StrideW       int
	PadT, PadB, PadL, PadR int
}

// Uniform returns ConvOpts with the same stride on both axes and the same
// padding on every side.
func Uniform(stride, pad int) ConvOpts {
	return ConvOpts{StrideH: stride, StrideW: stride, PadT: pad, PadB: pad, PadL: pad, PadR: pad}
}

// convGeom is everything about a convolution except the batch and channel
// counts, which are read from the operands: the kernel size, stride and
// padding, and the spatial size H×W of the convolution's input (which the
// output size does not determine when the stride does not divide evenly).
type convGeom struct {
	KH, KW, H, W int
	ConvOpts
}

// params builds the kernel parameters for batch n, input channels c and
// output channels k.
func (g convGeom) params(n, c, k int) kernels.ConvParams {
	return kernels.ConvParams{N: n, C: c, H: g.H, W: g.W, K: k, KH: g.KH, KW: g.KW,
		StrideH: g.StrideH, StrideW: g.StrideW, PadT: g.PadT, PadB: g.PadB, PadL: g.PadL, PadR: g.PadR}
}

// convPass names the three linear maps of a convolution y = conv(x, w).
// Each one's derivatives are two of the others, so the set is closed under
// differentiation.
type convPass int

const (
	passForward convPass = iota // (x, w) → y
	passData                    // (dy, w) → dx: also a transposed convolution's forward pass
	passFilter                  // (x, dy) → dw
)

func (p convPass) String() string {
	return [...]string{"Conv2d", "Conv2dBackwardData", "Conv2dBackwardFilter"}[p]
}

// convOp computes one pass of the convolution described by geom. Operand
// and result roles per pass: forward (x, w) → y; data (y-shaped, w) →
// x-shaped; filter (x, y-shaped) → w-shaped.
type convOp struct {
	pass convPass
	geom convGeom
	// skip[i] marks operand i as not needing a gradient (it is a
	// StopGradient output), so SymDiff builds nothing for it.
	skip [2]bool
	out  *outBuf
}

func (op *convOp) Arity() int { return 2 }
func (op *convOp) Type() hm.Type {
	return hm.NewFnType(t4, t4, t4)
}
func (op *convOp) ReturnsPtr() bool     { return false }
func (op *convOp) CallsExtern() bool    { return false }
func (op *convOp) OverwritesInput() int { return -1 }
func (op *convOp) WriteHash(h hash.Hash) {
	fmt.Fprintf(h, "%v%+v%v", op.pass, op.geom, op.skip)
}
func (op *convOp) Hashcode() uint32 {
	h := fnv.New32a()
	op.WriteHash(h)
	return h.Sum32()
}
func (op *convOp) String() string {
	g := op.geom
	return fmt.Sprintf("%v{k=%d×%d s=%d×%d p=%d,%d,%d,%d in=%d×%d}", op.pass, g.KH, g.KW, g.StrideH, g.StrideW, g.PadT, g.PadB, g.PadL, g.PadR, g.H, g.W)
}

// dims returns the kernel parameters for operand shapes a and b, checking
// that they agree with the geometry.
func (op *convOp) dims(a, b tensor.Shape) (kernels.ConvParams, error) {
	if len(a) != 4 || len(b) != 4 {
		return kernels.ConvParams{}, fmt.Errorf("%v: want 4-D operands, got %v and %v", op, a, b)
	}
	var p kernels.ConvParams
	g := op.geom
	switch op.pass {
	case passForward: // a = x [N,C,H,W], b = w [K,C,KH,KW]
		p = g.params(a[0], a[1], b[0])
		if b[1] != a[1] || b[2] != g.KH || b[3] != g.KW || a[2] != g.H || a[3] != g.W {
			return p, fmt.Errorf("%v: input %v does not fit weight %v", op, a, b)
		}
	case passData: // a = dy [N,K,OH,OW], b = w [K,C,KH,KW]
		p = g.params(a[0], b[1], b[0])
		if a[1] != b[0] || b[2] != g.KH || b[3] != g.KW || a[2] != p.OutH() || a[3] != p.OutW() {
			return p, fmt.Errorf("%v: gradient %v does not fit weight %v", op, a, b)
		}
	case passFilter: // a = x [N,C,H,W], b = dy [N,K,OH,OW]
		p = g.params(a[0], a[1], b[1])
		if a[0] != b[0] || a[2] != g.H || a[3] != g.W || b[2] != p.OutH() || b[3] != p.OutW() {
			return p, fmt.Errorf("%v: input %v does not fit output gradient %v", op, a, b)
		}
	}
	if err := p.Validate(); err != nil {
		return p, fmt.Errorf("%v: %w", op, err)
	}
	return p, nil
}

func (op *convOp) outShape(p kernels.ConvParams) tensor.Shape {
	switch op.pass {
	case passForward:
		return tensor.Shape{p.N, p.K, p.OutH(), p.OutW()}
	case passData:
		return tensor.Shape{p.N, p.C, p.H, p.W}
	default:
		return tensor.Shape{p.K, p.C, p.KH, p.KW}
	}
}

func (op *convOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	s, err := shapesOf(op.String(), ds...)
	if err != nil {
		return nil, err
	}
	if len(s) != 2 {
		return nil, fmt.Errorf("%v: want 2 operands, got %d", op, len(s))
	}
	p, err := op.dims(s[0], s[1])
	if err != nil {
		return nil, err
	}
	return op.outShape(p), nil
}

func (op *convOp) Do(vs ...G.Value) (G.Value, error) {
	defer op.out.consumed(vs)
	if len(vs) != 2 {
		return nil, fmt.Errorf("%v: want 2 operands, got %d", op, len(vs))
	}
	a, as, err := floats(vs[0], op.String())
	if err != nil {
		return nil, err
	}
	b, bs, err := floats(vs[1], op.String())
	if err != nil {
		return nil, err
	}
	p, err := op.dims(as, bs)
	if err != nil {
		return nil, err
	}
	out, o := op.out.dense(op.outShape(p)...)
	switch op.pass {
	case passForward:
		kernels.Conv2DForward(p, a, b, nil, o)
	case passData:
		kernels.Conv2DBackwardData(p, a, b, o)
	case passFilter:
		kernels.Conv2DBackwardFilter(p, a, b, o)
	}
	return out, nil
}

func (op *convOp) DiffWRT(int) []bool { return []bool{!op.skip[0], !op.skip[1]} }

// SymDiff expresses the two operand gradients of each pass by the others:
//
//	forward (x, w):  dx = data(g, w),   dw = filter(x, g)
//	data    (y, w):  dy = forward(g, w), dw = filter(g, y)
//	filter  (x, y):  dx = data(y, g),   dy = forward(x, g)
func (op *convOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	if len(in) != 2 {
		return nil, fmt.Errorf("%v: want 2 operands, got %d", op, len(in))
	}
	a, b := in[0], in[1]
	type spec struct {
		pass convPass
		x, y *G.Node
	}
	var specs [2]spec
	switch op.pass {
	case passForward:
		specs = [2]spec{{passData, grad, b}, {passFilter, a, grad}}
	case passData:
		specs = [2]spec{{passForward, grad, b}, {passFilter, grad, a}}
	case passFilter:
		specs = [2]spec{{passData, b, grad}, {passForward, a, grad}}
	}
	res := make(G.Nodes, 2)
	for i, s := range specs {
		if op.skip[i] {
			continue
		}
		n, err := G.ApplyOp(&convOp{pass: s.pass, geom: op.geom, out: new(outBuf)}, s.x, s.y)
		if err != nil {
			return nil, fmt.Errorf("%v gradient %d: %w", op, i, err)
		}
		res[i] = n
	}
	return res, nil
}

// Conv2d returns the cross-correlation of x [N, Cin, H, W] with w [Cout,
// Cin, kH, kW] (PyTorch Conv2d without bias), with the same stride and
// padding on both axes.
func Conv2d(x, w *G.Node, stride, pad int) (*G.Node, error) {
	return Conv2dOpts(x, w, Uniform(stride, pad))
}

// Conv2dOpts is Conv2d with per-axis strides and per-side padding.
func Conv2dOpts(x, w *G.Node, o ConvOpts) (*G.Node, error) {
	xs, err := nodeShape(x, 4, "Conv2d input")
	if err != nil {
		return nil, err
	}
	ws, err := nodeShape(w, 4, "Conv2d weight")
	if err != nil {
		return nil, err
	}
	op := &convOp{pass: passForward, geom: convGeom{KH: ws[2], KW: ws[3], H: xs[2], W: xs[3], ConvOpts: o},
		skip: [2]bool{isStopped(x), isStopped(w)}, out: new(outBuf)}
	if _, err := op.dims(xs, ws); err != nil {
		return nil, err
	}
	n, err := G.ApplyOp(op, x, w)
	if err != nil {
		return nil, fmt.Errorf("Conv2d: %w", err)
	}
	return n, nil
}

// ConvTranspose2d returns the transposed convolution of x [N, Cin, H, W]
// with w [Cin, Cout, kH, kW] (PyTorch ConvTranspose2d without bias or
// output_padding): the output is [N, Cout, (H−1)·stride − 2·pad + kH, …].
func ConvTranspose2d(x, w *G.Node, stride, pad int) (*G.Node, error) {
	return ConvTranspose2dOpts(x, w, Uniform(stride, pad))
}

// ConvTranspose2dOpts is ConvTranspose2d with per-axis strides and per-side
// padding.
func ConvTranspose2dOpts(x, w *G.Node, o ConvOpts) (*G.Node, error) {
	xs, err := nodeShape(x, 4, "ConvTranspose2d input")
	if err != nil {
		return nil, err
	}
	ws, err := nodeShape(w, 4, "ConvTranspose2d weight")
	if err != nil {
		return nil, err
	}
	if ws[0] != xs[1] {
		return nil, fmt.Errorf("ConvTranspose2d: weight %v wants %d input channels, input is %v", ws, ws[0], xs)
	}
	tp := kernels.ConvTParams{N: xs[0], Cin: xs[1], H: xs[2], W: xs[3], Cout: ws[1], KH: ws[2], KW: ws[3],
		StrideH: o.StrideH, StrideW: o.StrideW, PadT: o.PadT, PadB: o.PadB, PadL: o.PadL, PadR: o.PadR}
	if err := tp.Validate(); err != nil {
		return nil, fmt.Errorf("ConvTranspose2d: %w", err)
	}
	// The transposed convolution is the data pass of the convolution that
	// maps its output back to its input.
	op := &convOp{pass: passData, geom: convGeom{KH: ws[2], KW: ws[3], H: tp.OutH(), W: tp.OutW(), ConvOpts: o},
		skip: [2]bool{isStopped(x), isStopped(w)}, out: new(outBuf)}
	n, err := G.ApplyOp(op, x, w)
	if err != nil {
		return nil, fmt.Errorf("ConvTranspose2d: %w", err)
	}
	return n, nil
}
