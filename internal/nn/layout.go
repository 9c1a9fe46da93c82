package nn

import (
	"fmt"
	"slices"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// slotAlign is the granularity of slab offsets in float32s: 64 bytes, a
// cache line and an AVX-512 register.
const slotAlign = 16

// Layout places the outputs the arena lends to the nodes of outer (and of
// the graphs that run nested inside it, each keyed by the Tap node whose
// function runs it) in one slab, so that the arena holds what a run keeps
// live at its fullest moment rather than a tensor per size that was ever
// live at once. Two outputs share memory when one is handed back before the
// other is lent.
//
// The order is the tape machine's (gorgonia compiles a graph in the reverse
// of G.Sort's order), simulated with the returns ReturnEarly planned; call
// Layout after Share and ReturnEarly on every graph involved, and run each
// nested graph inside its tap between Mark and ReleaseSince. Should a run
// stray from the simulated order, a node whose slot still overlaps a
// tensor in use gets a tensor of its own: the plan costs memory then, never
// correctness.
func (a *Arena) Layout(outer *G.ExprGraph, nested map[*G.Node]*G.ExprGraph) error {
	type interval struct {
		s        *slot
		b        *outBuf
		shape    tensor.Shape
		from, to int // clock at the take and at the return (-1: not yet)
		left     int // reads still to come before an early return
	}
	var (
		clock int
		ivs   []*interval
		open  = map[*outBuf]*interval{} // intervals that end at their last read
		stack []*interval               // open intervals in the order taken, for nested runs
	)
	closeIv := func(iv *interval) {
		iv.to = clock
		clock++
		delete(open, iv.b)
	}
	var simulate func(g *G.ExprGraph, depth int) error
	simulate = func(g *G.ExprGraph, depth int) error {
		if depth > len(nested) {
			return fmt.Errorf("arena layout: nested graphs run inside each other in a cycle")
		}
		order, err := G.Sort(g)
		if err != nil {
			return fmt.Errorf("arena layout: %w", err)
		}
		slices.Reverse(order)
		ran := map[uint32]bool{} // the machine runs one node of equal hashes
		for _, n := range order {
			ob, ours := n.Op().(outputBuffer)
			if !ours || ob.outputBuf() == nil {
				continue
			}
			if h := n.Hashcode(); ran[h] {
				continue
			} else {
				ran[h] = true
			}
			if inner := nested[n]; inner != nil {
				mark := len(stack)
				if err := simulate(inner, depth+1); err != nil {
					return err
				}
				for _, iv := range stack[mark:] { // ReleaseSince(mark)
					if iv.to < 0 {
						closeIv(iv)
					}
				}
				stack = stack[:mark]
			}
			b := ob.outputBuf()
			if b.arena == a {
				iv := &interval{b: b, shape: n.Shape().Clone(), from: clock, to: -1, left: b.readers}
				clock++
				ivs = append(ivs, iv)
				stack = append(stack, iv)
				if b.readers > 0 {
					open[b] = iv
				}
			}
			for it := g.From(n.ID()); it != nil && it.Next(); {
				c, ok := it.Node().(*G.Node)
				if !ok {
					continue
				}
				cb, ours := c.Op().(outputBuffer)
				if !ours || cb.outputBuf() == nil {
					continue
				}
				if iv := open[cb.outputBuf()]; iv != nil {
					if iv.left--; iv.left == 0 {
						closeIv(iv)
					}
				}
			}
		}
		return nil
	}
	if err := simulate(outer, 0); err != nil {
		return err
	}
	for _, iv := range ivs { // what Release returns
		if iv.to < 0 {
			iv.to = clock
		}
	}

	// Greedy by size: the largest first, each at the lowest offset where
	// it overlaps no placed interval live at the same time.
	bySize := slices.Clone(ivs)
	slices.SortStableFunc(bySize, func(p, q *interval) int { return q.shape.TotalSize() - p.shape.TotalSize() })
	var placed []*interval
	top := 0
	for _, iv := range bySize {
		size := roundUp(iv.shape.TotalSize(), slotAlign)
		var busy [][2]int
		for _, p := range placed {
			if p.from < iv.to && iv.from < p.to {
				busy = append(busy, [2]int{p.s.off, p.s.off + roundUp(p.s.size, slotAlign)})
			}
		}
		slices.SortFunc(busy, func(x, y [2]int) int { return x[0] - y[0] })
		off := 0
		for _, r := range busy {
			if off+size <= r[0] {
				break
			}
			off = max(off, r[1])
		}
		iv.s = &slot{off: off, size: iv.shape.TotalSize()}
		placed = append(placed, iv)
		top = max(top, off+size)
	}

	a.mu.Lock()
	defer a.mu.Unlock()
	a.slab = make([]float32, top)
	a.free = map[int][]*tensor.Dense{} // what earlier runs allocated is garbage now
	for _, iv := range ivs {
		s := iv.s
		s.d = tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(iv.shape...), tensor.WithBacking(a.slab[s.off:s.off+s.size:s.off+s.size]))
		iv.b.slot = s
	}
	for i, p := range ivs {
		for _, q := range ivs[i+1:] {
			if p.s.off < q.s.off+q.s.size && q.s.off < p.s.off+p.s.size {
				p.s.shares = append(p.s.shares, q.s)
				q.s.shares = append(q.s.shares, p.s)
			}
		}
	}
	return nil
}

func roundUp(n, k int) int { return (n + k - 1) / k * k }
