package fid

import "sync"

// workspace lends the float32 buffers of one forward pass and takes them
// back for the next. A fresh make([]float32) of a 40 MB activation costs a
// zeroing pass and a page fault per 4 KiB; a batch through Inception makes
// about a hundred of them, and every batch asks for the same sizes, so after
// the first batch every buffer is one used before. Buffers are not cleared:
// every layer overwrites its whole output.
type workspace struct {
	free   [][]float32 // returned buffers, any order
	scoped [][]float32 // buffers lent since the innermost open scope began
	depth  int         // open scopes
}

var workspaces = sync.Pool{New: func() any { return new(workspace) }}

// get lends a buffer of n values: the smallest free one that is large
// enough, else a new one. Inside a scope it is returned when the scope ends.
func (ws *workspace) get(n int) []float32 {
	best := -1
	for i, b := range ws.free {
		if cap(b) >= n && (best < 0 || cap(b) < cap(ws.free[best])) {
			best = i
		}
	}
	var b []float32
	if best >= 0 {
		b = ws.free[best][:n]
		last := len(ws.free) - 1
		ws.free[best], ws.free[last] = ws.free[last], nil
		ws.free = ws.free[:last]
	} else {
		b = make([]float32, n)
	}
	if ws.depth > 0 {
		ws.scoped = append(ws.scoped, b)
	}
	return b
}

// put takes back a buffer early; one lent inside an open scope is then no
// longer returned by the scope's end.
func (ws *workspace) put(b []float32) {
	for i := len(ws.scoped) - 1; i >= 0; i-- {
		if s := ws.scoped[i]; cap(s) > 0 && &s[:1][0] == &b[:1][0] {
			ws.scoped[i] = nil // a hole, so that open scopes' marks stay right
			break
		}
	}
	ws.free = append(ws.free, b[:cap(b)])
}

// act lends the storage of a C×N×H×W activation.
func (ws *workspace) act(c, n, h, w int) act { return act{c, n, h, w, ws.get(c * n * h * w)} }

// scope opens a scope and returns the function that ends it, taking back
// every buffer lent inside it; a block's intermediates live in one:
//
//	y := ws.act(...) // the block's output outlives the scope
//	defer ws.scope()()
func (ws *workspace) scope() func() {
	mark := len(ws.scoped)
	ws.depth++
	return func() {
		for _, b := range ws.scoped[mark:] {
			if b != nil {
				ws.free = append(ws.free, b[:cap(b)])
			}
		}
		clear(ws.scoped[mark:])
		ws.scoped = ws.scoped[:mark]
		ws.depth--
	}
}
