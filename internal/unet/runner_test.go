package unet

import (
	"math/rand"
	"slices"
	"testing"
)

// TestRunnerArena runs a generator through a runner whose activations are
// laid out in an arena and through one with private buffers: the same bits
// on two different inputs, every node in its slot, and an arena a fraction
// of what the private buffers hold.
func TestRunnerArena(t *testing.T) {
	gen, err := New(Config{Depth: 5, NGF: 8, InChannels: 5, OutChannels: 3, Dropout: 0.5}, rand.New(rand.NewSource(1)))
	if err != nil {
		t.Fatal(err)
	}
	build := func(arena bool) *Runner {
		defer func(old bool) { runnerArena = old }(runnerArena)
		runnerArena = arena
		r, err := NewRunner(gen, 2, 64, 64, true)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	laid, private := build(true), build(false)
	defer laid.Close()
	defer private.Close()
	rng := rand.New(rand.NewSource(2))
	for run := 0; run < 2; run++ {
		in := make([]float32, 2*5*64*64)
		for i := range in {
			in[i] = rng.Float32()*2 - 1
		}
		want, err := private.Run(in, uint64(run))
		if err != nil {
			t.Fatal(err)
		}
		got, err := laid.Run(in, uint64(run))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("run %d: output differs from the private-buffer runner", run)
		}
		if s := laid.arena.Strays(); s != 0 {
			t.Errorf("run %d: %d nodes strayed from their slots", run, s)
		}
	}
	var all int
	for _, n := range private.out.Graph().AllNodes() {
		if n.Op() != nil && n.Shape().TotalSize() > 0 {
			all += 4 * n.Shape().TotalSize()
		}
	}
	t.Logf("arena %d bytes; the graph's computed values %d", laid.arena.Bytes(), all)
	if laid.arena.Bytes() > all/2 {
		t.Errorf("arena holds %d bytes, over half the %d of every computed value", laid.arena.Bytes(), all)
	}
}
