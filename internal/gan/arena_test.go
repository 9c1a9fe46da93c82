package gan

import (
	"math/rand"
	"slices"
	"testing"
)

// TestReturnEarlyKeepsTheStep runs three steps with activations handed back
// to the arena after their last reader, laid out in one slab, and three
// with every activation held for the whole step, from the same model:
// losses, generated images and every parameter gradient must agree bit for
// bit (a tensor handed back while something still read it would be
// overwritten by a later node), every node must find its slot free (the
// simulated order is the machine's), and the arena must hold less.
func TestReturnEarlyKeepsTheStep(t *testing.T) {
	type result struct {
		losses []Losses
		fake   []float32
		grads  map[string][]float32
		bytes  int
		strays int
	}
	run := func(early bool) result {
		defer func(old bool) { returnEarly = old }(returnEarly)
		returnEarly = early
		tr := smallTrainer(t)
		defer tr.Close()
		rng := rand.New(rand.NewSource(5))
		var r result
		for step := 0; step < 3; step++ {
			l, err := tr.Step(randBatch(rng, 2*5*32*32), randBatch(rng, 2*3*32*32), uint64(step))
			if err != nil {
				t.Fatal(err)
			}
			r.losses = append(r.losses, l)
		}
		r.fake = slices.Clone(tr.Fake())
		var err error
		if r.grads, err = tr.Grads(); err != nil {
			t.Fatal(err)
		}
		r.bytes, r.strays = tr.d.arena.Bytes(), tr.d.arena.Strays()
		return r
	}
	held, early := run(false), run(true)
	for i := range held.losses {
		if held.losses[i] != early.losses[i] {
			t.Errorf("step %d: losses %+v with early returns, %+v without", i, early.losses[i], held.losses[i])
		}
	}
	if !sameFloats(early.fake, held.fake) {
		t.Error("generated images differ")
	}
	for name, g := range held.grads {
		if !sameFloats(early.grads[name], g) {
			t.Errorf("gradient of %s differs", name)
		}
	}
	t.Logf("arena: %d bytes with early returns in a slab, %d without", early.bytes, held.bytes)
	if early.strays != 0 {
		t.Errorf("%d nodes of the last step strayed from the slab's plan", early.strays)
	}
	if early.bytes >= held.bytes*3/5 {
		t.Errorf("arena holds %d bytes with early returns, %d without: want under three fifths", early.bytes, held.bytes)
	}
}

func sameFloats(a, b []float32) bool {
	return slices.Equal(a, b) // no NaN is expected here; a NaN fails the test
}
