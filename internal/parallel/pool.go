package parallel

import (
	"context"
	"runtime"
	"sync"

	"github.com/colorize-dev/colorize/internal/blas"
)

// Options configure Each.
type Options struct {
	// Workers is the number of goroutines (GOMAXPROCS when ≤ 0), capped at
	// the number of items.
	Workers int
	// CallsBLAS says that f multiplies matrices. With more than one worker
	// the BLAS then runs single-threaded for the duration (a BLAS parallel
	// region, see blas.BeginParallel): parallelism comes from the items, and
	// OpenBLAS's own threads would oversubscribe the cores and spin.
	CallsBLAS bool
	// Progress, when not nil, is called after each item with the number
	// done so far, from one goroutine at a time.
	Progress func(done int)
}

// Each runs f(i) for every i in [0, n), handing indices to the workers in
// increasing order. The first error, or ctx's cancellation, stops handing
// out new items; items already running finish, and that error is returned.
// f may tell the items apart, not the workers: results must not depend on
// which worker ran an item.
func Each(ctx context.Context, n int, o Options, f func(i int) error) error {
	workers := o.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = max(1, min(workers, n))
	if o.CallsBLAS && workers > 1 {
		blas.BeginParallel()
		defer blas.EndParallel()
	}
	var (
		mu       sync.Mutex
		next     int
		done     int
		firstErr error
		wg       sync.WaitGroup
	)
	// take returns the next index, or -1 when there is none or work stopped.
	take := func() int {
		mu.Lock()
		defer mu.Unlock()
		if firstErr == nil {
			if err := ctx.Err(); err != nil {
				firstErr = err
			}
		}
		if firstErr != nil || next >= n {
			return -1
		}
		next++
		return next - 1
	}
	finish := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			return
		}
		done++
		if o.Progress != nil {
			o.Progress(done)
		}
	}
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := take(); i >= 0; i = take() {
				finish(f(i))
			}
		}()
	}
	wg.Wait()
	return firstErr
}

// Stream computes f(k) for k = from, from+1, … on background workers, up to
// ahead results before the consumer, and hands them out in order: a
// prefetching, ordered map over an endless index.
type Stream[T any] struct {
	order  chan chan T
	cancel chan struct{}
	wg     sync.WaitGroup
}

// NewStream starts the workers; Close stops them.
func NewStream[T any](from, workers, ahead int, f func(k int) T) *Stream[T] {
	s := &Stream[T]{order: make(chan chan T, max(ahead, 0)), cancel: make(chan struct{})}
	type job struct {
		k   int
		out chan T
	}
	jobs := make(chan job)
	for w := 0; w < max(workers, 1); w++ {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			for j := range jobs {
				j.out <- f(j.k) // buffered: never blocks
			}
		}()
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer close(jobs)
		for k := from; ; k++ {
			out := make(chan T, 1)
			select {
			case jobs <- job{k, out}:
			case <-s.cancel:
				return
			}
			select {
			case s.order <- out:
			case <-s.cancel:
				return
			}
		}
	}()
	return s
}

// Next returns the next result, waiting for it if the workers are behind.
func (s *Stream[T]) Next() T { return <-<-s.order }

// Close stops the workers; results not yet taken are dropped.
func (s *Stream[T]) Close() {
	close(s.cancel)
	s.wg.Wait()
}
