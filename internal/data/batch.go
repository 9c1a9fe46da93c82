package data

// Batch is N examples in NCHW float32 layout, ready for the networks.
type Batch struct {
	Line    []float32 // [N,1,H,W] line art in [-1, 1], 1 = paper
	Hint    []float32 // [N,4,H,W] hint RGB in [-1, 1] where the mask is 1, else 0; channel 3 = mask in {0, 1}
	Color   []float32 // [N,3,H,W] the original in [-1, 1]
	N, H, W int
	// Names are the examples' Item.Name, in batch order.
	Names []string
	// Epoch and Index place a training batch in the stream (the Index-th
	// batch of epoch Epoch); both are -1 for validation batches.
	Epoch, Index int
}

func newBatch(n, size int) *Batch {
	hw := size * size
	return &Batch{
		Line: make([]float32, n*hw), Hint: make([]float32, n*4*hw), Color: make([]float32, n*3*hw),
		N: n, H: size, W: size, Names: make([]string, n),
	}
}

// Input returns the generator input [N,5,H,W]: each example's line channel
// followed by its four hint channels. It writes into dst when dst has room,
// so a training loop can reuse one buffer.
func (b *Batch) Input(dst []float32) []float32 {
	hw := b.H * b.W
	need := b.N * 5 * hw
	if cap(dst) < need {
		dst = make([]float32, need)
	}
	dst = dst[:need]
	for i := 0; i < b.N; i++ {
		copy(dst[i*5*hw:], b.Line[i*hw:(i+1)*hw])
		copy(dst[(i*5+1)*hw:], b.Hint[i*4*hw:(i+1)*4*hw])
	}
	return dst
}

// slot returns example i's line, hint and color slices.
func (b *Batch) slot(i int) (line, hint, color []float32) {
	hw := b.H * b.W
	return b.Line[i*hw : (i+1)*hw], b.Hint[i*4*hw : (i+1)*4*hw], b.Color[i*3*hw : (i+1)*3*hw]
}
