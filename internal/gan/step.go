package gan

import (
	"fmt"
	"math"
	"math/rand"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/colorize-dev/colorize/internal/loss"
	"github.com/colorize-dev/colorize/internal/nn"
	"github.com/colorize-dev/colorize/internal/optim"
	"github.com/colorize-dev/colorize/internal/unet"
)

// ModelConfig describes both networks.
type ModelConfig struct {
	Gen  unet.Config
	Disc DiscConfig
}

// NewModelConfig returns the networks for 5 input and 3 output channels.
func NewModelConfig(depth, ngf, ndf, dLayers int, dropout float64) ModelConfig {
	return ModelConfig{
		Gen:  unet.Config{Depth: depth, NGF: ngf, InChannels: 5, OutChannels: 3, Dropout: dropout},
		Disc: DiscConfig{InChannels: 8, NDF: ndf, Layers: dLayers},
	}
}

// Model is a generator and its discriminator.
type Model struct {
	Cfg  ModelConfig
	Gen  *unet.Generator
	Disc *Discriminator
}

// NewModel initializes both networks from seed (generator first).
func NewModel(cfg ModelConfig, seed int64) (*Model, error) {
	rng := rand.New(rand.NewSource(seed))
	g, err := unet.New(cfg.Gen, rng)
	if err != nil {
		return nil, err
	}
	d, err := NewDiscriminator(cfg.Disc, rng)
	if err != nil {
		return nil, err
	}
	return &Model{Cfg: cfg, Gen: g, Disc: d}, nil
}

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
	Batch  int
}

// Trainer runs training steps on fixed-size batches.
type Trainer struct {
	M              *Model
	Cfg            TrainConfig
	OptG, OptD     *optim.Adam
	n, h, w        int
	dVM, gVM       G.VM
	in, real       *tensor.Dense // inputs shared by both graphs
	dParams        G.Nodes
	gParams        G.Nodes
	dGrads, gGrads G.Nodes // the parameters' gradient nodes
	lossD, dr, dfk *G.Node
	adv, rec, l1   *G.Node
	fake           *G.Node
	// arena holds the activations of both graphs, which run one after the
	// other: the step's memory is that of the larger graph, not of both.
	// Parameter gradients keep their own tensors (Adam and Grads read them
	// after the other graph has run).
	arena  *nn.Arena
	closed bool
}

// NewTrainer builds the step graphs for batches of n images of h×w.
func NewTrainer(m *Model, cfg TrainConfig, n, h, w int) (*Trainer, error) {
	t := &Trainer{
		M: m, Cfg: cfg, n: n, h: h, w: w,
		OptG: optim.NewAdam(cfg.LR, cfg.Beta1, cfg.Beta2),
		OptD: optim.NewAdam(cfg.LR, cfg.Beta1, cfg.Beta2),
		in:   tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(n, 5, h, w)),
		real: tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(n, 3, h, w)),
	}
	if err := t.buildD(); err != nil {
		return nil, fmt.Errorf("discriminator step graph: %w", err)
	}
	if err := t.buildG(); err != nil {
		return nil, fmt.Errorf("generator step graph: %w", err)
	}
	t.arena = nn.NewArena()
	t.arena.Share(t.lossD.Graph(), t.dGrads...)
	t.arena.Share(t.adv.Graph(), t.gGrads...)
	return t, nil
}

func (t *Trainer) inputs(g *G.ExprGraph) (in, real *G.Node) {
	in = G.NewTensor(g, tensor.Float32, 4, G.WithShape(t.n, 5, t.h, t.w), G.WithValue(t.in), G.WithName("input"))
	real = G.NewTensor(g, tensor.Float32, 4, G.WithShape(t.n, 3, t.h, t.w), G.WithValue(t.real), G.WithName("real"))
	return in, real
}

func (t *Trainer) buildD() error {
	g := G.NewGraph()
	in, real := t.inputs(g)
	gb := t.M.Gen.Params.Bind(g, "G.")
	db := t.M.Disc.Params.Bind(g, "D.")
	fake, err := t.M.Gen.Build(gb, in, unet.Mode{BN: nn.BNTrain, Dropout: true})
	if err != nil {
		return err
	}
	if fake, err = nn.StopGradient(fake); err != nil {
		return err
	}
	// Conditioning inputs are data: no gradient flows into them.
	cond, err := nn.StopGradient(in)
	if err != nil {
		return err
	}
	realData, err := nn.StopGradient(real)
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
	lr, err := t.M.Disc.Build(db, realPair, nn.BNTrain)
	if err != nil {
		return err
	}
	lf, err := t.M.Disc.Build(db, fakePair, nn.BNTrain)
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
	t.lossD = G.Must(G.Mul(G.Must(G.Add(bceR, bceF)), G.NewConstant(float32(0.5), G.WithName("half"))))
	t.dr = G.Must(G.Mean(G.Must(G.Sigmoid(lr))))
	t.dfk = G.Must(G.Mean(G.Must(G.Sigmoid(lf))))
	t.dParams = db.Nodes()
	if t.dGrads, err = G.Grad(t.lossD, t.dParams...); err != nil {
		return err
	}
	t.dVM = G.NewTapeMachine(g)
	return nil
}

func (t *Trainer) buildG() error {
	g := G.NewGraph()
	in, real := t.inputs(g)
	gb := t.M.Gen.Params.Bind(g, "G.")
	db := t.M.Disc.Params.Bind(g, "D.")
	cond, err := nn.StopGradient(in)
	if err != nil {
		return err
	}
	fake, err := t.M.Gen.Build(gb, cond, unet.Mode{BN: nn.BNTrainNoUpdate, Dropout: true})
	if err != nil {
		return err
	}
	t.fake = fake
	pair, err := nn.ConcatChannels(cond, fake)
	if err != nil {
		return err
	}
	// D runs in training mode as in pix2pix (netD is never switched to eval).
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
	t.gVM = G.NewTapeMachine(g)
	return nil
}

// Step runs one D update then one G update on the batch: input [n,5,h,w]
// (line ⊕ hints) and real [n,3,h,w]. seed fixes the dropout units.
func (t *Trainer) Step(input, real []float32, seed uint64) (Losses, error) {
	if t.closed {
		return Losses{}, fmt.Errorf("trainer is closed")
	}
	if len(input) != len(t.in.Data().([]float32)) || len(real) != len(t.real.Data().([]float32)) {
		return Losses{}, fmt.Errorf("batch has %d/%d values, trainer expects %d/%d", len(input), len(real), len(t.in.Data().([]float32)), len(t.real.Data().([]float32)))
	}
	copy(t.in.Data().([]float32), input)
	copy(t.real.Data().([]float32), real)
	t.M.Gen.SetDropoutSeed(seed)

	var l Losses
	t.arena.Release()
	t.dVM.Reset()
	if err := t.dVM.RunAll(); err != nil {
		return l, fmt.Errorf("discriminator step: %w", err)
	}
	l.D, l.DReal, l.DFake = scalar(t.lossD), scalar(t.dr), scalar(t.dfk)
	if !finite(l.D) {
		l.Nonfin = true
		return l, nil
	}
	if err := t.OptD.Step(G.NodesToValueGrads(t.dParams)); err != nil {
		return l, err
	}
	t.arena.Release()
	t.gVM.Reset()
	if err := t.gVM.RunAll(); err != nil {
		return l, fmt.Errorf("generator step: %w", err)
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
	l.Batch = t.n
	return l, nil
}

// Fake returns the generator output of the last step (valid until the next).
func (t *Trainer) Fake() []float32 { return t.fake.Value().Data().([]float32) }

// Grads returns the gradient of every parameter computed by the last step,
// keyed "G.name" / "D.name" (for tests).
func (t *Trainer) Grads() (map[string][]float32, error) {
	out := map[string][]float32{}
	for _, n := range append(append(G.Nodes(nil), t.dParams...), t.gParams...) {
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
		t.dVM.Close()
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
