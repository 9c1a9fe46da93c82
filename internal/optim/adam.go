// Package optim provides the Adam optimizer used to train colorize's
// networks, as a gorgonia Solver whose state can be checkpointed.
//
// gorgonia's own AdamSolver computes the same update but keeps its moment
// estimates and step count private, so a run could not be resumed exactly;
// it also allocates several temporaries per parameter per step. Adam here
// updates each parameter in one fused pass and exposes its state.
package optim

import (
	"fmt"
	"math"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/colorize-dev/colorize/internal/parallel"
)

// Adam implements Kingma & Ba's Adam with PyTorch's formulation:
//
//	m ← β1·m + (1−β1)·g
//	v ← β2·v + (1−β2)·g²
//	p ← p − lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + ε)
type Adam struct {
	LR, Beta1, Beta2, Eps float64
	// T is the number of steps taken.
	T int
	// M and V are the first and second moment estimates, by parameter name.
	M, V map[string][]float32
}

// NewAdam returns an Adam optimizer with ε = 1e-8 and empty state.
func NewAdam(lr, beta1, beta2 float64) *Adam {
	return &Adam{LR: lr, Beta1: beta1, Beta2: beta2, Eps: 1e-8, M: map[string][]float32{}, V: map[string][]float32{}}
}

// Step applies one update to every parameter in model, using the gradient
// gorgonia computed for it. Parameters are identified by their node name,
// which must be unique. It implements gorgonia's Solver interface.
func (a *Adam) Step(model []G.ValueGrad) error {
	a.T++
	bc1 := 1 - math.Pow(a.Beta1, float64(a.T))
	bc2 := 1 - math.Pow(a.Beta2, float64(a.T))
	stepSize := float32(a.LR / bc1)
	invSqrtBC2 := float32(1 / math.Sqrt(bc2))
	b1, b2 := float32(a.Beta1), float32(a.Beta2)
	eps := float32(a.Eps)
	for _, vg := range model {
		named, ok := vg.(G.Namer)
		if !ok {
			return fmt.Errorf("adam: parameter %v has no name", vg)
		}
		name := named.Name()
		grad, err := vg.Grad()
		if err != nil {
			return fmt.Errorf("adam: gradient of %s: %w", name, err)
		}
		p, err := float32s(vg.Value())
		if err != nil {
			return fmt.Errorf("adam: parameter %s: %w", name, err)
		}
		g, err := float32s(grad)
		if err != nil {
			return fmt.Errorf("adam: gradient of %s: %w", name, err)
		}
		if len(g) != len(p) {
			return fmt.Errorf("adam: gradient of %s has %d values for %d parameters", name, len(g), len(p))
		}
		m, v := a.M[name], a.V[name]
		if m == nil {
			m, v = make([]float32, len(p)), make([]float32, len(p))
			a.M[name], a.V[name] = m, v
		}
		if len(m) != len(p) {
			return fmt.Errorf("adam: state of %s has %d values for %d parameters", name, len(m), len(p))
		}
		// Elementwise, so splitting over cores cannot change the result.
		parallel.Chunks(len(p), 1<<15, func(lo, hi int) {
			adamUpdate(p[lo:hi], g[lo:hi], m[lo:hi], v[lo:hi], b1, b2, stepSize, invSqrtBC2, eps)
		})
	}
	return nil
}

// adamUpdate applies one Adam update to the parameters p in place. It is a
// plain function over equal-length slices (not a closure over the caller's
// variables) so that the compiler keeps the slices in registers and drops
// the bounds checks: 2-3x faster than the loop inside the closure.
func adamUpdate(p, g, m, v []float32, b1, b2, stepSize, invSqrtBC2, eps float32) {
	g, m, v = g[:len(p)], m[:len(p)], v[:len(p)]
	// The bulk in AVX2 where the CPU has it (the loop below is bound by its
	// square roots and divisions, eight at a time there), the tail here.
	d := adamVec(p, g, m, v, b1, b2, stepSize, invSqrtBC2, eps)
	p = p[d:]
	n := len(p)
	g, m, v = g[d:][:n], m[d:][:n], v[d:][:n]
	for i := range p {
		gi := g[i]
		mi := b1*m[i] + (1-b1)*gi
		vi := b2*v[i] + (1-b2)*gi*gi
		m[i], v[i] = mi, vi
		p[i] -= stepSize * mi / (float32(math.Sqrt(float64(vi)))*invSqrtBC2 + eps)
	}
}

func float32s(v G.Value) ([]float32, error) {
	d, ok := v.(*tensor.Dense)
	if !ok {
		return nil, fmt.Errorf("value is %T, want *tensor.Dense", v)
	}
	data, ok := d.Data().([]float32)
	if !ok {
		return nil, fmt.Errorf("dtype %v, want float32", d.Dtype())
	}
	return data, nil
}
