package forkjoin

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

// BenchmarkStartLatency measures how long after a parallel section starts
// its second call begins running, for a section started with a go
// statement and one started with Run, after a gap of busy work on the
// calling goroutine (0, 20 µs, 1 ms) or of sleep longer than Spin (the
// helpers park). It reports µs-to-start per section; the calls themselves
// each busy-wait 200 µs. On the development VM a go statement's goroutine
// started 140–170 µs late, a spinning helper's call 5–19 µs late, a parked
// one's 182 µs (BENCHMARKS.md, session 7).
func BenchmarkStartLatency(b *testing.B) {
	busy := func(d time.Duration) {
		for t := time.Now(); time.Since(t) < d; {
		}
	}
	gaps := []struct {
		name  string
		sleep bool
		d     time.Duration
	}{{"gap=0", false, 0}, {"gap=20µs", false, 20 * time.Microsecond}, {"gap=1ms", false, time.Millisecond}, {"gap=sleep3ms", true, 3 * Spin / 2}}
	for _, how := range []string{"go", "forkjoin"} {
		for _, g := range gaps {
			b.Run(fmt.Sprintf("%s/%s", how, g.name), func(b *testing.B) {
				var late time.Duration
				for i := 0; i < b.N; i++ {
					if g.sleep {
						time.Sleep(g.d)
					} else {
						busy(g.d)
					}
					t0 := time.Now()
					var started time.Time
					second := func() { started = time.Now(); busy(200 * time.Microsecond) }
					if how == "go" {
						var wg sync.WaitGroup
						wg.Add(1)
						go func() { defer wg.Done(); second() }()
						busy(200 * time.Microsecond)
						wg.Wait()
					} else {
						Run(2, func(i int) {
							if i == 1 {
								second()
								return
							}
							busy(200 * time.Microsecond)
						})
					}
					late += started.Sub(t0)
				}
				b.ReportMetric(float64(late.Microseconds())/float64(b.N), "µs-to-start")
			})
		}
	}
}
