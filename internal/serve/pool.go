package serve

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"sync"
	"time"

	"github.com/colorize-dev/colorize/internal/atomicfile"
	"github.com/colorize-dev/colorize/internal/infer"
	"github.com/colorize-dev/colorize/internal/runs"
)

// errBusy is returned by admit when Workers+Queue requests are in already.
var errBusy = errors.New("the server is busy")

// job is one admitted colorize request, waiting for or held by a worker.
type job struct {
	ctx    context.Context
	model  runs.Checkpoint
	sketch []byte // the uploaded files, not decoded yet
	hint   []byte
	points []infer.Point
	// width and height are the sketch's size by its header.
	width, height int
	// maxSide is passed on as infer.Request.MaxSide.
	maxSide int
	done    chan result // buffered: a worker never waits for the handler
	// release gives the job's admission slot back. The worker calls it,
	// not the handler: a job whose client gave up still occupies the queue
	// until a worker drops it, so the queue can never hold more jobs than
	// it has room for.
	release func()
}

type result struct {
	png []byte
	// took is the worker's time: decoding, the model and encoding.
	took time.Duration
	err  error
}

// pool runs jobs on a fixed number of workers behind a bounded queue.
type pool struct {
	slots   chan struct{} // one per admitted request (Workers + Queue)
	jobs    chan *job
	models  *modelCache
	wg      sync.WaitGroup
	closing sync.Once
	workers int

	mu   sync.Mutex
	mean time.Duration // moving average of a job's time, for Retry-After
}

func newPool(workers, queue int, models *modelCache) *pool {
	p := &pool{
		slots: make(chan struct{}, workers+queue), jobs: make(chan *job, workers+queue),
		models: models, workers: workers,
	}
	for range workers {
		p.wg.Add(1)
		go p.work()
	}
	return p
}

// admit reserves room for one request, or fails at once with errBusy.
// Release is called once the request is answered without a job, or by the
// worker once its job is done or dropped.
func (p *pool) admit() (release func(), err error) {
	select {
	case p.slots <- struct{}{}:
		var once sync.Once
		return func() { once.Do(func() { <-p.slots }) }, nil
	default:
		return nil, errBusy
	}
}

// submit hands an admitted job to the workers. It never waits: a slot is
// held from admission until the job leaves a worker, so the channel has
// room for every admitted job.
func (p *pool) submit(j *job) { p.jobs <- j }

// retryAfter estimates in whole seconds when a slot will be free.
func (p *pool) retryAfter() int {
	p.mu.Lock()
	mean := p.mean
	p.mu.Unlock()
	s := int(mean.Seconds()*float64(cap(p.slots))/float64(p.workers)) + 1
	return min(max(s, 1), 60)
}

func (p *pool) work() {
	defer p.wg.Done()
	for j := range p.jobs {
		if err := j.ctx.Err(); err != nil {
			j.done <- result{err: err} // the client left or timed out while queued
			j.release()
			continue
		}
		start := time.Now()
		png, err := p.run(j)
		took := time.Since(start)
		if err == nil {
			p.mu.Lock()
			if p.mean == 0 {
				p.mean = took
			} else {
				p.mean = (7*p.mean + took) / 8
			}
			p.mu.Unlock()
		}
		j.done <- result{png: png, took: took, err: err}
		j.release()
	}
}

func (p *pool) run(j *job) ([]byte, error) {
	req, err := decodeRequest(j)
	if err != nil {
		return nil, err
	}
	c, release, err := p.models.get(j.model)
	if err != nil {
		return nil, err
	}
	defer release()
	img, err := c.Colorize(req)
	if err != nil {
		return nil, fmt.Errorf("colorize: %w", err)
	}
	return atomicfile.EncodePNG(img) // the bytes colorize infer writes
}

// close stops taking jobs and waits for the workers to finish theirs; no
// submit may follow.
func (p *pool) close() {
	p.closing.Do(func() {
		close(p.jobs)
		p.wg.Wait()
		p.models.close()
	})
}

// modelCache keeps at most max loaded models, each used by one worker at a
// time. A checkpoint rewritten on disk (best.safetensors while training) is
// a new key, so it is loaded afresh and the old one is closed.
type modelCache struct {
	max  int
	open func(string) (*infer.Colorizer, error)

	mu      sync.Mutex
	entries []*loadedModel // least recently used first
}

type loadedModel struct {
	key  modelKey
	c    *infer.Colorizer // nil while loading
	busy bool
}

type modelKey struct {
	path string
	mod  time.Time
	size int64
}

func newModelCache(max int, open func(string) (*infer.Colorizer, error)) *modelCache {
	return &modelCache{max: max, open: open}
}

func keyOf(c runs.Checkpoint) modelKey { return modelKey{c.Path, c.ModTime, c.Size} }

// get returns a loaded model for c, reserved for the caller until release.
func (mc *modelCache) get(c runs.Checkpoint) (*infer.Colorizer, func(), error) {
	key := keyOf(c)
	mc.mu.Lock()
	var e *loadedModel
	for i, x := range mc.entries {
		if x.key == key && !x.busy && x.c != nil {
			e = x
			mc.entries = append(append(mc.entries[:i:i], mc.entries[i+1:]...), e) // most recent last
			break
		}
	}
	if e != nil {
		e.busy = true
		mc.mu.Unlock()
		return e.c, mc.releaser(e), nil
	}
	// Make room: older versions of this file first, then the least recently
	// used idle model.
	for mc.evictIdle(func(x *loadedModel) bool { return x.key.path == key.path && x.key != key }) {
	}
	for len(mc.entries) >= mc.max {
		if !mc.evictIdle(func(*loadedModel) bool { return true }) {
			mc.mu.Unlock()
			return nil, nil, errors.New("every loaded model is in use") // only if Models < Workers
		}
	}
	e = &loadedModel{key: key, busy: true}
	mc.entries = append(mc.entries, e)
	mc.mu.Unlock()

	col, err := mc.open(c.Path)
	mc.mu.Lock()
	defer mc.mu.Unlock()
	if errors.Is(err, fs.ErrNotExist) {
		mc.remove(e)
		return nil, nil, fail(http.StatusNotFound, "model %s: its checkpoint %s is gone (pruned by training?); GET /api/models lists the current ones", c.ID, c.Path)
	}
	if err != nil {
		mc.remove(e)
		return nil, nil, fmt.Errorf("load model %s: %w", c.ID, err)
	}
	e.c = col
	return col, mc.releaser(e), nil
}

func (mc *modelCache) releaser(e *loadedModel) func() {
	return func() {
		mc.mu.Lock()
		e.busy = false
		mc.mu.Unlock()
	}
}

// evictIdle closes the least recently used idle model matching match and
// reports whether there was one. mc.mu is held.
func (mc *modelCache) evictIdle(match func(*loadedModel) bool) bool {
	for _, x := range mc.entries {
		if !x.busy && x.c != nil && match(x) {
			x.c.Close()
			mc.remove(x)
			return true
		}
	}
	return false
}

func (mc *modelCache) remove(e *loadedModel) {
	for i, x := range mc.entries {
		if x == e {
			mc.entries = append(mc.entries[:i], mc.entries[i+1:]...)
			return
		}
	}
}

// loaded returns the number of models in memory.
func (mc *modelCache) loaded() int {
	mc.mu.Lock()
	defer mc.mu.Unlock()
	return len(mc.entries)
}

func (mc *modelCache) close() {
	mc.mu.Lock()
	defer mc.mu.Unlock()
	for _, x := range mc.entries {
		if x.c != nil {
			x.c.Close()
		}
	}
	mc.entries = nil
}
