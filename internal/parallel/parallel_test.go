package parallel

import (
	"sync/atomic"
	"testing"
)

func TestChunksCoverEveryIndexOnce(t *testing.T) {
	for _, n := range []int{0, 1, 7, 1000, 100003} {
		seen := make([]int32, n)
		var calls atomic.Int32
		Chunks(n, 100, func(lo, hi int) {
			calls.Add(1)
			for i := lo; i < hi; i++ {
				atomic.AddInt32(&seen[i], 1)
			}
		})
		for i, s := range seen {
			if s != 1 {
				t.Fatalf("n=%d: index %d visited %d times", n, i, s)
			}
		}
		if n < 200 && calls.Load() != 1 {
			t.Errorf("n=%d split into %d chunks below the minimum size", n, calls.Load())
		}
	}
}
