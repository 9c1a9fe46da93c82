package fid

import (
	"math"
	"math/rand/v2"
	"testing"
)

func sameStorage(a, b []float32) bool { return &a[:1][0] == &b[:1][0] }

// TestWorkspaceReusesWhatScopesReturn: a scope's buffers come back for the
// next request, the best-fitting one first, and a buffer lent outside a
// scope stays lent until put.
func TestWorkspaceReusesWhatScopesReturn(t *testing.T) {
	ws := new(workspace)
	out := ws.get(100) // outside any scope: survives it
	end := ws.scope()
	small, large := ws.get(10), ws.get(1000)
	early := ws.get(50)
	ws.put(early) // returned early: the scope's end must not return it twice
	end()
	if len(ws.free) != 3 {
		t.Fatalf("%d free buffers after the scope, want 3 (small, large, early)", len(ws.free))
	}
	if b := ws.get(20); !sameStorage(b, early) || len(b) != 20 {
		t.Errorf("a request for 20 got a buffer of cap %d, want the 50 one (best fit)", cap(b))
	}
	if b := ws.get(500); !sameStorage(b, large) {
		t.Errorf("a request for 500 did not get the 1000 buffer")
	}
	if b := ws.get(5); !sameStorage(b, small) {
		t.Errorf("a request for 5 did not get the 10 buffer")
	}
	if b := ws.get(100); sameStorage(b, out) {
		t.Errorf("a buffer still lent was lent again")
	}
}

// TestPointwiseGroupMatchesItsConvolutions: the merged product gives each
// member's own convolution, bias and ReLU, and the pooled member (pool after
// the convolution) the pool-first branch of the network, to float32 rounding.
func TestPointwiseGroupMatchesItsConvolutions(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	randConv := func(cin, cout int) *conv {
		c := &conv{cin: cin, cout: cout, kh: 1, kw: 1, stride: 1, w: make([]float32, cout*cin), b: make([]float32, cout)}
		for i := range c.w {
			c.w[i] = float32(rng.NormFloat64()) / 4
		}
		for i := range c.b {
			c.b[i] = float32(rng.NormFloat64()) / 2
		}
		return c
	}
	members := []*conv{randConv(24, 8), randConv(24, 5), randConv(24, 7)}
	g := newPointwise(2, members...)
	x := newAct(24, 3, 9, 6)
	for i := range x.d {
		x.d[i] = float32(rng.NormFloat64())
	}
	ws := new(workspace)
	dst := make([]float32, 7*x.n*x.h*x.w)
	got := g.forward(ws, x, nil, nil, dst)
	if !sameStorage(got[2].d, dst) {
		t.Fatal("the pooled member was not written to its destination")
	}
	for i, c := range members {
		in := x
		if i == 2 {
			in = newAct(x.c, x.n, x.h, x.w)
			avgPool3Into(ws, x, in.d)
		}
		want := c.apply(ws, in)
		if got[i].c != c.cout || len(got[i].d) != len(want.d) {
			t.Fatalf("member %d: %d channels, %d values; want %d, %d", i, got[i].c, len(got[i].d), c.cout, len(want.d))
		}
		for j := range want.d {
			if d := math.Abs(float64(got[i].d[j] - want.d[j])); d > 1e-5*(1+math.Abs(float64(want.d[j]))) {
				t.Fatalf("member %d value %d: %g, want %g", i, j, got[i].d[j], want.d[j])
			}
		}
	}
}
