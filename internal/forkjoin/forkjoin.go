// Package forkjoin runs the parallel sections of colorize's kernels on
// helper goroutines that stay awake between sections.
//
// A parallel section started with go statements waits for an idle
// processor to be woken: on the development VM that took 110–260 µs per
// section (the vCPU halts when its thread parks, and waking it goes through
// the hypervisor), against 3 µs for a helper that is still spinning. A
// 512² inference runs a few hundred sections, each of 0.1–20 ms, so a
// second core that joins every one of them late costs a fifth of its
// time. Helpers here spin for Spin after each task before they park, as
// OpenMP's threads do (PyTorch's among them), and yield to other
// goroutines while they spin.
package forkjoin

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Spin is how long a helper keeps looking for work after its last task
// before it parks: longer than the gaps between the kernels of one pass,
// short enough that an idle program stops using the cores at once.
const Spin = 2 * time.Millisecond

// yieldEvery is how long a spinning helper or waiting caller runs before it
// lets other goroutines (a data loader, the garbage collector) have its
// processor for a moment.
const yieldEvery = 50 * time.Microsecond

// task is one call f(i) handed to a helper.
type task struct {
	f    func(int)
	i    int
	done atomic.Bool
	wake chan struct{} // closed when done, for a caller that stopped spinning
}

type helper struct {
	busy   atomic.Bool // claimed by a Run
	slot   atomic.Pointer[task]
	parked atomic.Bool
	wake   chan struct{}
}

var (
	startOnce sync.Once
	helpers   []*helper
)

func start() {
	n := runtime.GOMAXPROCS(0) - 1
	helpers = make([]*helper, n)
	for i := range helpers {
		h := &helper{wake: make(chan struct{}, 1)}
		helpers[i] = h
		go h.loop()
	}
}

// Run calls f(0), …, f(n−1) concurrently and returns when all have
// returned: f(0) on the calling goroutine, the others on idle helpers or,
// when none is free (a nested section, or more calls than processors), on
// new goroutines. Results must not depend on which goroutine ran a call.
func Run(n int, f func(i int)) {
	if n <= 1 {
		if n == 1 {
			f(0)
		}
		return
	}
	startOnce.Do(start)
	tasks := make([]task, n-1)
	claimed := make([]*helper, 0, n-1)
	var spawned sync.WaitGroup
	next := 0
	for _, h := range helpers {
		if next == len(tasks) {
			break
		}
		if !h.busy.CompareAndSwap(false, true) {
			continue
		}
		t := &tasks[next]
		t.f, t.i, t.wake = f, next+1, make(chan struct{})
		next++
		claimed = append(claimed, h)
		h.give(t)
	}
	for ; next < len(tasks); next++ {
		i := next + 1
		spawned.Add(1)
		go func() {
			defer spawned.Done()
			f(i)
		}()
	}
	f(0)
	for k := range claimed {
		tasks[k].wait()
		claimed[k].busy.Store(false)
	}
	spawned.Wait()
}

// give hands t to the helper, waking it if it parked.
func (h *helper) give(t *task) {
	h.slot.Store(t)
	if h.parked.Load() {
		select {
		case h.wake <- struct{}{}:
		default:
		}
	}
}

func (h *helper) loop() {
	for {
		for s := newSpinner(); s.more(); {
			if h.slot.Load() != nil {
				t := h.slot.Swap(nil)
				t.f(t.i)
				t.done.Store(true)
				close(t.wake)
				s = newSpinner()
			}
		}
		// Park. A task given between the flag and the check is seen by the
		// check; one given after it finds the flag set and sends a wake.
		h.parked.Store(true)
		if h.slot.Load() == nil {
			<-h.wake
		}
		h.parked.Store(false)
	}
}

// wait returns once the task is done: spinning for up to Spin, then
// blocked.
func (t *task) wait() {
	for s := newSpinner(); !t.done.Load(); {
		if !s.more() {
			<-t.wake
			return
		}
	}
}

// spinner paces a spin loop: more reports whether Spin has not yet passed
// since the spinner was made, and lets other goroutines run every
// yieldEvery. It reads the clock on one call in 32 (the clock costs 50 ns,
// a check of an atomic a few).
type spinner struct {
	start, lastYield time.Time
	calls            int
}

func newSpinner() spinner {
	now := time.Now()
	return spinner{start: now, lastYield: now}
}

func (s *spinner) more() bool {
	if s.calls++; s.calls%32 != 0 {
		return true
	}
	now := time.Now()
	if now.Sub(s.start) > Spin {
		return false
	}
	if now.Sub(s.lastYield) > yieldEvery {
		runtime.Gosched()
		s.lastYield = now
	}
	return true
}
