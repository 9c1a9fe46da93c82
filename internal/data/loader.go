package data

import (
	"fmt"

	"github.com/colorize-dev/colorize/internal/modelio"
	"github.com/colorize-dev/colorize/internal/parallel"
)

// Loader streams augmented training batches, assembled ahead of time by
// data.workers goroutines with at most data.prefetch finished batches
// waiting.
//
// The stream is a pure function of the seed: epoch e visits the training
// examples in a permutation drawn from (seed, e); batch i of epoch e holds
// positions i·B … i·B+B−1 of that permutation (the last partial batch of an
// epoch is dropped); and the example at position p gets its crop, flip and
// hints from a generator seeded by (seed, e, p). Nothing depends on the
// number of workers, on timing or on earlier batches, so a trainer that
// restarts at step s calls Start(s / BatchesPerEpoch(), s % BatchesPerEpoch())
// (or StartStep(s)) and receives bit-identical batches.
//
// A Loader's methods are called from one goroutine (the training loop).
type Loader struct {
	d     *Dataset
	seed  int64
	batch int

	stream *parallel.Stream[result]
}

type result struct {
	b   *modelio.Batch
	err error
}

// Train returns a loader of batches of the given size. It fails when the
// training set holds fewer examples than one batch.
func (d *Dataset) Train(seed int64, batch int) (*Loader, error) {
	if batch < 1 {
		return nil, fmt.Errorf("batch size %d < 1", batch)
	}
	if batch > len(d.train) {
		return nil, fmt.Errorf("batch size %d is larger than the %d training examples", batch, len(d.train))
	}
	return &Loader{d: d, seed: seed, batch: batch}, nil
}

// BatchesPerEpoch is the number of full batches in one pass over the
// training examples.
func (l *Loader) BatchesPerEpoch() int { return len(l.d.train) / l.batch }

// StartStep starts the stream at the given global batch number (counting
// from 0 across epochs).
func (l *Loader) StartStep(step int) {
	per := l.BatchesPerEpoch()
	l.Start(step/per, step%per)
}

// Start (re)starts the background workers so that the next call to Next
// returns batch index of epoch epoch. Batches prepared for the old position
// are discarded.
func (l *Loader) Start(epoch, index int) {
	l.Close()
	per := l.BatchesPerEpoch()
	cfg := l.d.cfg.Data
	l.stream = parallel.NewStream(epoch*per+index, cfg.Workers, cfg.Prefetch, func(k int) result {
		b, err := l.d.TrainBatch(l.seed, l.batch, k/per, k%per)
		return result{b, err}
	})
}

// Next returns the next batch, waiting for it if the workers are behind.
// The first call without Start starts at epoch 0, batch 0.
func (l *Loader) Next() (*modelio.Batch, error) {
	if l.stream == nil {
		l.Start(0, 0)
	}
	r := l.stream.Next()
	return r.b, r.err
}

// Close stops the background workers. The loader can be started again with
// Start; a Next without Start begins again at epoch 0, batch 0.
func (l *Loader) Close() {
	if l.stream != nil {
		l.stream.Close()
		l.stream = nil
	}
}

// perm is the visiting order of the training examples in an epoch.
func (d *Dataset) perm(seed int64, epoch int) []int {
	g := newRNG(tagPerm, uint64(seed), uint64(epoch))
	p := make([]int, len(d.train))
	for i := range p {
		p[i] = i
	}
	for i := len(p) - 1; i > 0; i-- {
		j := g.intn(i + 1)
		p[i], p[j] = p[j], p[i]
	}
	return p
}

// TrainBatch computes batch index of epoch epoch directly, without the
// background workers; Loader.Next returns exactly this batch.
func (d *Dataset) TrainBatch(seed int64, batch, epoch, index int) (*modelio.Batch, error) {
	if batch < 1 || batch > len(d.train) {
		return nil, fmt.Errorf("batch size %d not in [1, %d]", batch, len(d.train))
	}
	if epoch < 0 || index < 0 || index >= len(d.train)/batch {
		return nil, fmt.Errorf("batch %d of epoch %d is outside the %d batches of an epoch", index, epoch, len(d.train)/batch)
	}
	size := d.cfg.Data.Size
	p := d.perm(seed, epoch)
	b := modelio.NewBatch(batch, size, size)
	b.Epoch, b.Index = epoch, index
	for j := 0; j < batch; j++ {
		pos := index*batch + j
		e := d.train[p[pos]]
		r, err := d.raw(e)
		if err != nil {
			return nil, fmt.Errorf("training batch %d of epoch %d: %w", index, epoch, err)
		}
		g := newRNG(tagSample, uint64(seed), uint64(epoch), uint64(pos))
		line, hint, color := b.Example(j)
		render(r, randomView(r, g, d.cfg.Data.CropScale, d.cfg.Data.Flip), size, line, color)
		sampleHints(g, d.cfg.Hints, line, color, size, hint)
		b.Names[j] = e.item.Name
	}
	return b, nil
}
