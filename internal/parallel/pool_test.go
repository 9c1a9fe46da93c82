package parallel

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
)

func TestEachVisitsEveryItemOnceAndReportsProgress(t *testing.T) {
	for _, workers := range []int{0, 1, 3, 50} {
		const n = 37
		seen := make([]int32, n)
		last := 0
		err := Each(context.Background(), n, Options{Workers: workers, Progress: func(done int) {
			if done != last+1 {
				t.Errorf("progress %d after %d", done, last)
			}
			last = done
		}}, func(i int) error {
			atomic.AddInt32(&seen[i], 1)
			return nil
		})
		if err != nil || last != n {
			t.Fatalf("workers %d: err %v, progress ended at %d", workers, err, last)
		}
		for i, s := range seen {
			if s != 1 {
				t.Fatalf("workers %d: item %d ran %d times", workers, i, s)
			}
		}
	}
	if err := Each(context.Background(), 0, Options{}, func(int) error { t.Fatal("called"); return nil }); err != nil {
		t.Fatal(err)
	}
}

func TestEachStopsAtTheFirstErrorAndOnCancel(t *testing.T) {
	boom := errors.New("boom")
	var ran atomic.Int32
	err := Each(context.Background(), 1000, Options{Workers: 1}, func(i int) error {
		ran.Add(1)
		if i == 5 {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) || ran.Load() != 6 {
		t.Fatalf("err %v after %d items, want boom after 6", err, ran.Load())
	}
	ctx, cancel := context.WithCancel(context.Background())
	ran.Store(0)
	err = Each(ctx, 1000, Options{Workers: 2}, func(i int) error {
		if ran.Add(1) == 10 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) || ran.Load() > 12 {
		t.Fatalf("err %v after %d items, want Canceled after about 10", err, ran.Load())
	}
}

func TestStreamIsOrderedFromItsStart(t *testing.T) {
	s := NewStream(7, 3, 4, func(k int) int { return k * k })
	for k := 7; k < 40; k++ {
		if got := s.Next(); got != k*k {
			t.Fatalf("item %d = %d, want %d", k, got, k*k)
		}
	}
	s.Close()
}
