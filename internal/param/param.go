// Package param holds a network's trainable tensors and batch-norm running
// statistics by name, and binds them into gorgonia graphs.
//
// One Store backs every graph built for a network (the discriminator step,
// the generator step, evaluation): each graph gets its own nodes, bound with
// WithValue to the Store's tensors, so an optimizer step made through one
// graph is seen by all of them.
//
// Names are dotted paths ("level3.conv.weight") equal to the PyTorch twin's
// state_dict keys (pyref/models.py), so checkpoints load in PyTorch as is.
package param

import (
	"fmt"
	"math/rand"
	"sort"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/colorize-dev/colorize/internal/nn"
)

// Store is a named set of float32 parameters and batch-norm states.
type Store struct {
	order []string
	vals  map[string]*tensor.Dense
	bn    map[string]*nn.BatchNormState
	bnOrd []string
}

// NewStore returns an empty store.
func NewStore() *Store {
	return &Store{vals: map[string]*tensor.Dense{}, bn: map[string]*nn.BatchNormState{}}
}

// Add registers a parameter filled by init (which may be nil for zeros).
func (s *Store) Add(name string, shape []int, init func([]float32)) {
	if _, dup := s.vals[name]; dup {
		panic("param: duplicate parameter " + name)
	}
	t := tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(shape...))
	if init != nil {
		init(t.Data().([]float32))
	}
	s.vals[name] = t
	s.order = append(s.order, name)
}

// AddBatchNorm registers a c-channel batch-norm layer under prefix: its scale
// prefix.weight ~ N(1, 0.02), shift prefix.bias = 0 (pix2pix's init), and its
// running statistics.
func (s *Store) AddBatchNorm(prefix string, c int, rng *rand.Rand) {
	s.Add(prefix+".weight", []int{c}, Normal(rng, 1, 0.02))
	s.Add(prefix+".bias", []int{c}, nil)
	s.bn[prefix] = nn.NewBatchNormState(c, 0.1, 1e-5)
	s.bnOrd = append(s.bnOrd, prefix)
}

// Init says how a parameter of a Spec starts.
type Init int

const (
	// Zeros fills the parameter with zeros (biases).
	Zeros Init = iota
	// Weight draws N(0, 0.02²), pix2pix's convolution initialization.
	Weight
	// BatchNorm makes the spec a batch-norm layer of Shape[0] channels under
	// Name, as AddBatchNorm adds it.
	BatchNorm
)

// Spec is one entry of a network's parameter list: enough to allocate and
// initialize it, or to know its shapes without allocating anything.
type Spec struct {
	Name  string
	Shape []int
	Init  Init
}

// NewStoreFrom allocates specs in order, drawing their initial values from
// rng in that order.
func NewStoreFrom(specs []Spec, rng *rand.Rand) *Store {
	s := NewStore()
	for _, sp := range specs {
		switch sp.Init {
		case Weight:
			s.Add(sp.Name, sp.Shape, Normal(rng, 0, 0.02))
		case BatchNorm:
			s.AddBatchNorm(sp.Name, sp.Shape[0], rng)
		default:
			s.Add(sp.Name, sp.Shape, nil)
		}
	}
	return s
}

// StateShapes is the shape of every entry that State returns for a store
// built from specs, found without allocating the store.
func StateShapes(specs []Spec) map[string][]int {
	out := map[string][]int{}
	for _, sp := range specs {
		if sp.Init != BatchNorm {
			out[sp.Name] = sp.Shape
			continue
		}
		for _, suffix := range []string{".weight", ".bias", ".running_mean", ".running_var"} {
			out[sp.Name+suffix] = sp.Shape[:1]
		}
	}
	return out
}

// Normal returns an initializer drawing N(mean, std²) from rng.
func Normal(rng *rand.Rand, mean, std float64) func([]float32) {
	return func(x []float32) {
		for i := range x {
			x[i] = float32(mean + std*rng.NormFloat64())
		}
	}
}

// Names lists the parameters in registration order.
func (s *Store) Names() []string { return append([]string(nil), s.order...) }

// Tensor returns the named parameter.
func (s *Store) Tensor(name string) *tensor.Dense {
	t, ok := s.vals[name]
	if !ok {
		panic("param: unknown parameter " + name)
	}
	return t
}

// BatchNorm returns the running statistics of the layer under prefix.
func (s *Store) BatchNorm(prefix string) *nn.BatchNormState {
	st, ok := s.bn[prefix]
	if !ok {
		panic("param: unknown batch norm " + prefix)
	}
	return st
}

// BatchNormNames lists the batch-norm layers in registration order.
func (s *Store) BatchNormNames() []string { return append([]string(nil), s.bnOrd...) }

// Count is the number of scalar parameters.
func (s *Store) Count() int {
	n := 0
	for _, t := range s.vals {
		n += t.Shape().TotalSize()
	}
	return n
}

// State returns every tensor of the store — parameters, and the running
// statistics as prefix.running_mean / prefix.running_var — as flat slices
// (shared, not copied) keyed by name, with shapes.
func (s *Store) State() map[string]Array {
	out := map[string]Array{}
	for name, t := range s.vals {
		out[name] = Array{Shape: t.Shape().Clone(), Data: t.Data().([]float32)}
	}
	for prefix, st := range s.bn {
		c := len(st.RunningMean)
		out[prefix+".running_mean"] = Array{Shape: []int{c}, Data: st.RunningMean}
		out[prefix+".running_var"] = Array{Shape: []int{c}, Data: st.RunningVar}
	}
	return out
}

// Array is a flat float32 array with its shape.
type Array struct {
	Shape []int
	Data  []float32
}

// Load copies values into the store. Every entry of State must be present
// with the same shape; extra entries are an error too, so a checkpoint of a
// different architecture is refused rather than half-loaded.
func (s *Store) Load(vals map[string]Array) error {
	want := s.State()
	var missing, extra []string
	for name := range want {
		if _, ok := vals[name]; !ok {
			missing = append(missing, name)
		}
	}
	for name := range vals {
		if _, ok := want[name]; !ok {
			extra = append(extra, name)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 || len(extra) > 0 {
		return fmt.Errorf("parameters do not match the model: missing %s; unexpected %s", list(missing), list(extra))
	}
	for name, w := range want {
		v := vals[name]
		if !sameShape(w.Shape, v.Shape) {
			return fmt.Errorf("parameter %s has shape %v, the model needs %v", name, v.Shape, w.Shape)
		}
	}
	for name, w := range want {
		copy(w.Data, vals[name].Data)
	}
	return nil
}

func list(xs []string) string {
	if len(xs) == 0 {
		return "none"
	}
	if len(xs) > 5 {
		return fmt.Sprintf("%v and %d more", xs[:5], len(xs)-5)
	}
	return fmt.Sprint(xs)
}

func sameShape(a, b []int) bool {
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

// Binding is a Store bound into one graph.
type Binding struct {
	Store *Store
	g     *G.ExprGraph
	nodes map[string]*G.Node
	list  G.Nodes
	// Prefix is prepended to node names, so that two networks in one graph
	// ("G.", "D.") have unique names, as optim.Adam requires.
	Prefix string
}

// Bind prepares to create nodes for s in g.
func (s *Store) Bind(g *G.ExprGraph, prefix string) *Binding {
	return &Binding{Store: s, g: g, nodes: map[string]*G.Node{}, Prefix: prefix}
}

// Node returns the graph node of the named parameter, creating it on first
// use with the store's tensor as its value.
func (b *Binding) Node(name string) *G.Node {
	if n, ok := b.nodes[name]; ok {
		return n
	}
	t := b.Store.Tensor(name)
	n := G.NewTensor(b.g, tensor.Float32, t.Dims(), G.WithShape(t.Shape()...), G.WithValue(t), G.WithName(b.Prefix+name))
	b.nodes[name] = n
	b.list = append(b.list, n)
	return n
}

// Nodes lists the nodes created so far, in creation order.
func (b *Binding) Nodes() G.Nodes { return append(G.Nodes(nil), b.list...) }
