package unet

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/colorize-dev/colorize/internal/nn"
)

// Runner evaluates a generator on batches of a fixed shape, in inference
// mode: batch norm with the running statistics, and dropout only if asked
// (pix2pix's test-time noise). It shares the generator's weights, so it sees
// training updates without being rebuilt.
type Runner struct {
	gen     *Generator
	n, h, w int
	in      *tensor.Dense
	out     *G.Node
	vm      G.VM
	arena   *nn.Arena // the activations, each handed back after its last reader
}

// runnerArena lends the runner's activations from a laid-out arena (tests
// turn it off to compare with private buffers).
var runnerArena = true

// NewRunner builds the inference graph for n inputs of h×w.
func NewRunner(gen *Generator, n, h, w int, dropout bool) (*Runner, error) {
	g := G.NewGraph()
	r := &Runner{gen: gen, n: n, h: h, w: w, in: tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(n, gen.Cfg.InChannels, h, w))}
	x := G.NewTensor(g, tensor.Float32, 4, G.WithShape(r.in.Shape()...), G.WithValue(r.in), G.WithName("input"))
	out, err := gen.Build(gen.Params.Bind(g, ParamPrefix), x, Mode{BN: nn.BNEval, Dropout: dropout})
	if err != nil {
		return nil, err
	}
	r.out = out
	if runnerArena {
		// Without a backward pass an activation is dead once the next
		// layers (or the skip connection's concatenation) have read it: the
		// slab holds what is live at once, 2.0 GB at 2048² against 5.5 GB
		// with a buffer per node.
		r.arena = nn.NewArena()
		r.arena.Share(g)
		r.arena.ReturnEarly(g, out)
		if err := r.arena.Layout(g, nil); err != nil {
			return nil, err
		}
	}
	r.vm = G.NewTapeMachine(g)
	return r, nil
}

// Shape returns the batch shape the runner takes: n, h, w.
func (r *Runner) Shape() (n, h, w int) { return r.n, r.h, r.w }

// Run computes G(input) for input [n, InChannels, h, w] and returns the
// output [n, OutChannels, h, w] (owned by the runner until the next call).
// seed selects the dropout units when dropout is on.
func (r *Runner) Run(input []float32, seed uint64) ([]float32, error) {
	dst := r.in.Data().([]float32)
	if len(input) != len(dst) {
		return nil, fmt.Errorf("unet runner: input has %d values, want %d", len(input), len(dst))
	}
	copy(dst, input)
	r.gen.SetDropoutSeed(seed)
	if r.arena != nil {
		r.arena.Release()
	}
	r.vm.Reset()
	if err := r.vm.RunAll(); err != nil {
		return nil, fmt.Errorf("unet forward: %w", err)
	}
	return r.out.Value().Data().([]float32), nil
}

// Close releases the runner's machine.
func (r *Runner) Close() { r.vm.Close() }
