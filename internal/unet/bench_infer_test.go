package unet

import (
	"fmt"
	"math/rand"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/colorize-dev/colorize/internal/kernels"
)

// BenchmarkInfer times one inference of the pix2pix 256² generator (depth 8,
// ngf 64) at 256² to 2048², batch 1, batch norm on running statistics.
// Compare with bench/infer_torch.py (bench/run.sh and bench/scaling.sh print
// the ratio).
func BenchmarkInfer(b *testing.B) {
	for _, side := range []int{256, 512, 1024, 2048} {
		b.Run(fmt.Sprint(side), func(b *testing.B) {
			r := benchRunnerFor(b, side)
			in := make([]float32, 5*side*side)
			rng := rand.New(rand.NewSource(2))
			for i := range in {
				in[i] = rng.Float32()*2 - 1
			}
			if _, err := r.Run(in, 0); err != nil { // warm-up
				b.Fatal(err)
			}
			b.ResetTimer()
			flops := kernels.Flops()
			passes := make([]float64, 0, b.N)
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				if _, err := r.Run(in, 0); err != nil {
					b.Fatal(err)
				}
				passes = append(passes, time.Since(t0).Seconds())
			}
			b.StopTimer()
			// The products' operations per pass: at the micro-kernel's
			// in-cache speed, the least time a pass can take.
			b.ReportMetric(float64(kernels.Flops()-flops)/1e9/float64(b.N), "GFLOP/infer")
			// The median pass, as bench/infer_torch.py reports PyTorch's.
			slices.Sort(passes)
			b.ReportMetric(passes[len(passes)/2], "s/infer-median")
			b.ReportMetric(passes[0], "s/infer-min")
			// Peak RSS means one size's cost only when one size runs in the
			// process, as bench/scaling.sh runs them.
			var ru syscall.Rusage
			if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
				b.ReportMetric(float64(ru.Maxrss)/1024, "MiB-peak-rss") // Linux reports KiB
			}
		})
	}
}

// lastRunner holds the runner of the size benchmarked last: the testing
// package calls a benchmark function twice (b.N = 1, then more), and the
// second call reuses the first's runner so that peak RSS measures one, as a
// user's inference has (two at once measured 3.3 GB at 2048² where one
// holds 2.0).
var lastRunner struct {
	side int
	r    *Runner
}

func benchRunnerFor(b *testing.B, side int) *Runner {
	if lastRunner.r != nil && lastRunner.side == side {
		return lastRunner.r
	}
	if lastRunner.r != nil {
		lastRunner.r.Close()
		lastRunner.r = nil
	}
	gen, err := New(Config{Depth: 8, NGF: 64, InChannels: 5, OutChannels: 3, Dropout: 0.5}, rand.New(rand.NewSource(1)))
	if err != nil {
		b.Fatal(err)
	}
	r, err := NewRunner(gen, 1, side, side, false)
	if err != nil {
		b.Fatal(err)
	}
	lastRunner.side, lastRunner.r = side, r
	return r
}
