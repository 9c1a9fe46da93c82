package forkjoin

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestRunCallsEveryIndexOnce: every index runs exactly once and Run returns
// only after all have, whether helpers are spinning, parked (a pause longer
// than Spin), busy in a nested section, or fewer than the calls, and with
// several goroutines starting sections at once.
func TestRunCallsEveryIndexOnce(t *testing.T) {
	check := func(n int, nested bool) {
		t.Helper()
		counts := make([]atomic.Int32, n)
		var inner atomic.Int32
		Run(n, func(i int) {
			counts[i].Add(1)
			if nested {
				Run(3, func(int) { inner.Add(1) })
			}
			time.Sleep(time.Duration(i%3) * 100 * time.Microsecond)
		})
		for i := range counts {
			if c := counts[i].Load(); c != 1 {
				t.Fatalf("Run(%d): index %d ran %d times", n, i, c)
			}
		}
		if nested && inner.Load() != int32(3*n) {
			t.Fatalf("Run(%d) nested: %d inner calls, want %d", n, inner.Load(), 3*n)
		}
	}
	for _, n := range []int{0, 1, 2, 3, 17} {
		check(n, false)
		check(n, true)
	}
	time.Sleep(3 * Spin) // the helpers park
	check(2, false)
	check(5, true)

	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := 0; r < 50; r++ {
				check(2+r%4, r%5 == 0)
			}
		}()
	}
	wg.Wait()
}

// TestRunWritesAreVisible: what the calls write is visible to the caller
// when Run returns (the race detector checks the ordering).
func TestRunWritesAreVisible(t *testing.T) {
	out := make([]int, 64)
	for r := 0; r < 200; r++ {
		Run(4, func(i int) {
			for j := i * 16; j < (i+1)*16; j++ {
				out[j] = r + j
			}
		})
		for j, v := range out {
			if v != r+j {
				t.Fatalf("round %d: out[%d] = %d, want %d", r, j, v, r+j)
			}
		}
	}
}
