package gan

import (
	"errors"
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/colorize-dev/colorize/internal/loss"
	"github.com/colorize-dev/colorize/internal/model"
	"github.com/colorize-dev/colorize/internal/modelio"
	"github.com/colorize-dev/colorize/internal/nn"
	"github.com/colorize-dev/colorize/internal/optim"
	"github.com/colorize-dev/colorize/internal/patchgan"
	"github.com/colorize-dev/colorize/internal/unet"
)

// TrainConfig holds the optimisation settings of a step.
type TrainConfig struct {
	Loss          loss.Kind
	DetachWeights bool
	Lambda        float64
	LR            float64
	Beta1, Beta2  float64
}

// Losses are the values of one step.
type Losses struct {
	D      float64 // discriminator loss
	GAdv   float64 // generator adversarial term
	GRec   float64 // reconstruction term (l1 or compensated_l1), before λ
	L1     float64 // plain L1 of the batch, whatever the training loss
	DReal  float64 // mean sigmoid(D(real))
	DFake  float64 // mean sigmoid(D(fake)) in the D step
	GTotal float64 // GAdv + λ·GRec
	Nonfin bool    // some loss was NaN or ±Inf
}

// Trainer runs training steps on fixed-size batches; Step states their
// order.
type Trainer struct {
	M   *model.Model
	Cfg TrainConfig
	// OptG and OptD update the networks. Load checkpointed state into them
	// rather than replacing them: the discriminator's step holds OptD.
	OptG, OptD *optim.Adam
	d          *discStep
	gVM        G.VM
	gRun       *G.ExprGraph // the part of the generator's graph gVM runs
	gParams    G.Nodes
	gGrads     G.Nodes // the parameters' gradient nodes
	adv, rec   *G.Node
	l1, fake   *G.Node
	tap        *G.Node // runs the discriminator's step (discStep.step)
	closed     bool
}

// discStep is the discriminator's graph and update, run by the generator
// graph's tap (step 2 of Trainer.Step). It must not refer back to the Trainer: gorgonia's machines
// carry finalizers, and a reference cycle through one (generator machine →
// tap → trainer → machine) is never collected.
type discStep struct {
	in, real, fake *tensor.Dense // input data: in and real feed both graphs
	vm             G.VM
	run            *G.ExprGraph // the part of the graph vm runs
	params, grads  G.Nodes
	loss, dr, dfk  *G.Node
	opt            *optim.Adam
	// arena holds the activations of both graphs: the discriminator's run
	// borrows from it and hands its tensors back before the generator's
	// backward pass takes them. Parameter gradients keep their own tensors
	// (Adam and Grads read them after the other graph has run).
	arena *nn.Arena
	// losses are those of the step in progress; nonfinite reports that they
	// were not finite, so that the discriminator was not updated and the
	// generator's run was stopped.
	losses    Losses
	nonfinite bool
}

// returnEarly hands each activation back to the arena after its last
// reader (nn.Arena.ReturnEarly); tests turn it off to compare.
var returnEarly = true

// errDNonfinite stops the generator's run after a non-finite discriminator
// loss.
var errDNonfinite = errors.New("discriminator loss is not finite")

// NewTrainer builds the step graphs for batches of n images of h×w.
func NewTrainer(m *model.Model, cfg TrainConfig, n, h, w int) (*Trainer, error) {
	t := &Trainer{
		M: m, Cfg: cfg,
		OptG: optim.NewAdam(cfg.LR, cfg.Beta1, cfg.Beta2),
		OptD: optim.NewAdam(cfg.LR, cfg.Beta1, cfg.Beta2),
	}
	d := &discStep{
		in:    tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(n, modelio.InChannels, h, w)),
		real:  tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(n, modelio.OutChannels, h, w)),
		fake:  tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(n, modelio.OutChannels, h, w)),
		opt:   t.OptD,
		arena: nn.NewArena(),
	}
	if err := d.build(m.Disc); err != nil {
		return nil, fmt.Errorf("discriminator step graph: %w", err)
	}
	t.d = d
	if err := t.buildG(); err != nil {
		d.vm.Close()
		return nil, fmt.Errorf("generator step graph: %w", err)
	}
	d.arena.Share(d.loss.Graph(), d.grads...)
	d.arena.Share(t.adv.Graph(), t.gGrads...)
	if returnEarly {
		d.arena.ReturnEarly(d.run, d.loss, d.dr, d.dfk)
		d.arena.ReturnEarly(t.gRun, t.adv, t.rec, t.l1, t.fake)
		if err := d.arena.Layout(t.gRun, map[*G.Node]*G.ExprGraph{t.tap: d.run}); err != nil {
			t.Close()
			return nil, err
		}
	}
	return t, nil
}

// dataNode returns an input node on g holding one of the step's data tensors.
func dataNode(g *G.ExprGraph, name string, v *tensor.Dense) *G.Node {
	return G.NewTensor(g, tensor.Float32, 4, G.WithShape(v.Shape()...), G.WithValue(v), G.WithName(name))
}

func (d *discStep) build(disc *patchgan.Discriminator) error {
	g := G.NewGraph()
	db := disc.Params.Bind(g, patchgan.ParamPrefix)
	// Conditioning inputs, real and fake images are all data here: no
	// gradient flows into them.
	cond, err := nn.StopGradient(dataNode(g, "input", d.in))
	if err != nil {
		return err
	}
	realData, err := nn.StopGradient(dataNode(g, "real", d.real))
	if err != nil {
		return err
	}
	fake, err := nn.StopGradient(dataNode(g, "fake", d.fake))
	if err != nil {
		return err
	}
	realPair, err := nn.ConcatChannels(cond, realData)
	if err != nil {
		return err
	}
	fakePair, err := nn.ConcatChannels(cond, fake)
	if err != nil {
		return err
	}
	lr, err := disc.Build(db, realPair, nn.BNTrain)
	if err != nil {
		return err
	}
	lf, err := disc.Build(db, fakePair, nn.BNTrain)
	if err != nil {
		return err
	}
	bceR, err := loss.BCEWithLogits(lr, 1)
	if err != nil {
		return err
	}
	bceF, err := loss.BCEWithLogits(lf, 0)
	if err != nil {
		return err
	}
	d.loss = G.Must(G.Mul(G.Must(G.Add(bceR, bceF)), G.NewConstant(float32(0.5), G.WithName("half"))))
	d.dr = G.Must(G.Mean(G.Must(G.Sigmoid(lr))))
	d.dfk = G.Must(G.Mean(G.Must(G.Sigmoid(lf))))
	d.params = db.Nodes()
	if d.grads, err = G.Grad(d.loss, d.params...); err != nil {
		return err
	}
	d.run = g.ExactSubgraphRoots(append(G.Nodes{d.loss, d.dr, d.dfk}, d.grads...)...)
	d.vm = G.NewTapeMachine(d.run)
	return nil
}

// step is the generator graph's tap on the fake images: it runs the
// discriminator's graph on them and updates the discriminator.
func (d *discStep) step(fake *tensor.Dense) error {
	copy(d.fake.Float32s(), fake.Float32s())
	mark := d.arena.Mark()
	defer d.arena.ReleaseSince(mark)
	d.vm.Reset()
	if err := d.vm.RunAll(); err != nil {
		return fmt.Errorf("discriminator step: %w", err)
	}
	l := &d.losses
	l.D, l.DReal, l.DFake = scalar(d.loss), scalar(d.dr), scalar(d.dfk)
	if !finite(l.D) {
		d.nonfinite = true
		return errDNonfinite
	}
	return d.opt.Step(G.NodesToValueGrads(d.params))
}

func (t *Trainer) buildG() error {
	g := G.NewGraph()
	in, real := dataNode(g, "input", t.d.in), dataNode(g, "real", t.d.real)
	gb := t.M.Gen.Params.Bind(g, unet.ParamPrefix)
	db := t.M.Disc.Params.Bind(g, patchgan.ParamPrefix)
	cond, err := nn.StopGradient(in)
	if err != nil {
		return err
	}
	fake, err := t.M.Gen.Build(gb, cond, unet.Mode{BN: nn.BNTrain, Dropout: true})
	if err != nil {
		return err
	}
	t.fake = fake
	if t.tap, err = nn.Tap(fake, "discriminator step", t.d.step); err != nil {
		return err
	}
	pair, err := nn.ConcatChannels(cond, t.tap)
	if err != nil {
		return err
	}
	// Everything from here on runs after the discriminator's update (step 3
	// of Trainer.Step). D runs in training mode as in pix2pix (netD is never
	// switched to eval).
	logits, err := t.M.Disc.Build(db, pair, nn.BNTrain)
	if err != nil {
		return err
	}
	if t.adv, err = loss.BCEWithLogits(logits, 1); err != nil {
		return err
	}
	target, err := nn.StopGradient(real)
	if err != nil {
		return err
	}
	switch t.Cfg.Loss {
	case loss.KindL1:
		t.rec, err = loss.L1(fake, target)
		t.l1 = t.rec
	case loss.KindCompensatedL1:
		if t.rec, err = loss.CompensatedL1(fake, target, loss.CompensatedOptions{DetachWeights: t.Cfg.DetachWeights}); err == nil {
			var fakeC, targetC *G.Node
			if fakeC, err = nn.StopGradient(fake); err == nil {
				if targetC, err = nn.StopGradient(real); err == nil {
					t.l1, err = loss.L1(fakeC, targetC)
				}
			}
		}
	default:
		err = fmt.Errorf("unknown loss %v", t.Cfg.Loss)
	}
	if err != nil {
		return err
	}
	total := G.Must(G.Add(t.adv, G.Must(G.Mul(t.rec, G.NewConstant(float32(t.Cfg.Lambda), G.WithName("lambda"))))))
	t.gParams = gb.Nodes()
	if t.gGrads, err = G.Grad(total, t.gParams...); err != nil {
		return err
	}
	// G.Grad also builds gradients nobody asked for (the discriminator's
	// weight gradients, about 5% of the step's work): the machine runs only
	// what the generator's update and the reported losses need.
	roots := append(G.Nodes{t.adv, t.rec, t.l1, t.fake}, t.gGrads...)
	t.gRun = g.ExactSubgraphRoots(roots...)
	t.gVM = G.NewTapeMachine(t.gRun)
	return nil
}

// Step runs one training step on the batch: input [n,modelio.InChannels,h,w]
// (line ⊕ hints) and real [n,modelio.OutChannels,h,w]; seed fixes the
// dropout units. A step is pix2pix's, in this order:
//
//  1. G forward: the generator's graph computes fake = G(input), once.
//  2. D update: a tap on fake runs the discriminator's graph on the real
//     pair and the detached fake pair, and the discriminator's Adam step.
//  3. G update: the generator's graph goes on with the updated
//     discriminator's verdict on (input, fake) plus λ·loss(fake, real),
//     back-propagates, and the generator's Adam step runs.
//
// gorgonia loses gradients when Grad is called twice on one graph, so D's
// update (2) is a graph of its own over the shared weight tensors, taking
// fake as data.
func (t *Trainer) Step(input, real []float32, seed uint64) (Losses, error) {
	if t.closed {
		return Losses{}, fmt.Errorf("trainer is closed")
	}
	d := t.d
	if len(input) != len(d.in.Float32s()) || len(real) != len(d.real.Float32s()) {
		return Losses{}, fmt.Errorf("batch has %d/%d values, trainer expects %d/%d", len(input), len(real), len(d.in.Float32s()), len(d.real.Float32s()))
	}
	copy(d.in.Float32s(), input)
	copy(d.real.Float32s(), real)
	t.M.Gen.SetDropoutSeed(seed)

	d.losses, d.nonfinite = Losses{}, false
	d.arena.Release()
	t.gVM.Reset()
	err := t.gVM.RunAll() // runs the discriminator's step on the way
	l := d.losses
	if d.nonfinite {
		l.Nonfin = true
		return l, nil
	}
	if err != nil {
		return l, fmt.Errorf("training step: %w", err)
	}
	l.GAdv, l.GRec, l.L1 = scalar(t.adv), scalar(t.rec), scalar(t.l1)
	l.GTotal = l.GAdv + t.Cfg.Lambda*l.GRec
	if !finite(l.GTotal) {
		l.Nonfin = true
		return l, nil
	}
	if err := t.OptG.Step(G.NodesToValueGrads(t.gParams)); err != nil {
		return l, err
	}
	return l, nil
}

// Fake returns the generator output of the last step (valid until the next).
func (t *Trainer) Fake() []float32 { return t.fake.Value().Data().([]float32) }

// Grads returns the gradient of every parameter computed by the last step,
// keyed by unet.ParamPrefix or patchgan.ParamPrefix and the name (for tests).
func (t *Trainer) Grads() (map[string][]float32, error) {
	out := map[string][]float32{}
	for _, n := range append(append(G.Nodes(nil), t.d.params...), t.gParams...) {
		g, err := n.Grad()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", n.Name(), err)
		}
		out[n.Name()] = append([]float32(nil), g.Data().([]float32)...)
	}
	return out, nil
}

// Close releases the graphs' machines.
func (t *Trainer) Close() {
	if !t.closed {
		t.d.vm.Close()
		t.gVM.Close()
		t.closed = true
	}
}

func scalar(n *G.Node) float64 {
	switch v := n.Value().Data().(type) {
	case float32:
		return float64(v)
	case float64:
		return v
	case []float32:
		return float64(v[0])
	case []float64:
		return v[0]
	}
	return math.NaN()
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
