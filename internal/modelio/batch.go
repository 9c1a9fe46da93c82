package modelio

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

// NewBatch allocates a zeroed batch of n examples of h×w.
func NewBatch(n, h, w int) *Batch {
	hw := h * w
	return &Batch{
		Line: make([]float32, n*LineChannels*hw), Hint: make([]float32, n*HintChannels*hw), Color: make([]float32, n*OutChannels*hw),
		N: n, H: h, W: w, Names: make([]string, n),
	}
}

// Input returns the generator input [N,InChannels,H,W]: each example's line channel
// followed by its four hint channels. It writes into dst when dst has room,
// so a training loop can reuse one buffer.
func (b *Batch) Input(dst []float32) []float32 {
	hw := b.H * b.W
	need := b.N * InChannels * hw
	if cap(dst) < need {
		dst = make([]float32, need)
	}
	dst = dst[:need]
	for i := 0; i < b.N; i++ {
		line, hint, _ := b.Example(i)
		copy(dst[i*InChannels*hw:], line)
		copy(dst[(i*InChannels+LineChannels)*hw:], hint)
	}
	return dst
}

// Example returns example i's line, hint and color slices.
func (b *Batch) Example(i int) (line, hint, color []float32) {
	hw := b.H * b.W
	return b.Line[i*LineChannels*hw : (i+1)*LineChannels*hw],
		b.Hint[i*HintChannels*hw : (i+1)*HintChannels*hw],
		b.Color[i*OutChannels*hw : (i+1)*OutChannels*hw]
}
