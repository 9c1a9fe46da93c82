package gan

import (
	"fmt"
	"math/rand"
	"runtime"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/colorize-dev/colorize/internal/config"
	"github.com/colorize-dev/colorize/internal/kernels"
	"github.com/colorize-dev/colorize/internal/loss"
	"github.com/colorize-dev/colorize/internal/model"
)

// BenchmarkTrainStep times one full D+G step of the paper's setting: 128²,
// U-Net depth 7, ngf 64, ndf 64, batch 4, compensated L1. Compare with
// bench/train_step_torch.py (see BENCHMARKS.md and bench/run.sh).
func BenchmarkTrainStep(b *testing.B) { benchStep(b, 128, 7, 4) }

// BenchmarkTrainStepGrid is the step at 64², 128² and 256² (U-Net depth 6,
// 7 and 8, as pix2pix sizes them; ngf and ndf 64) and batches 1, 4 and 16:
// how the cost grows (bench/scaling.sh sets it beside PyTorch).
func BenchmarkTrainStepGrid(b *testing.B) {
	for _, g := range []struct{ side, depth int }{{64, 6}, {128, 7}, {256, 8}} {
		for _, n := range []int{1, 4, 16} {
			b.Run(fmt.Sprintf("size=%d/batch=%d", g.side, n), func(b *testing.B) { benchStep(b, g.side, g.depth, n) })
		}
	}
}

// benchStep times training steps of n images of side² with a U-Net of the
// given depth and reports the median and fastest step and the peak RSS.
func benchStep(b *testing.B, side, depth, n int) {
	tr := benchTrainerFor(b, side, depth, n)
	rng := rand.New(rand.NewSource(1))
	input := randBatch(rng, n*5*side*side)
	real := randBatch(rng, n*3*side*side)
	if _, err := tr.Step(input, real, 0); err != nil { // warm-up: first-run allocations
		b.Fatal(err)
	}
	b.ResetTimer()
	flops := kernels.Flops()
	times := make([]float64, b.N)
	for i := 0; i < b.N; i++ {
		start := time.Now()
		if _, err := tr.Step(input, real, uint64(i+1)); err != nil {
			b.Fatal(err)
		}
		times[i] = time.Since(start).Seconds()
	}
	b.StopTimer()
	// The products' operations per step: at the micro-kernel's in-cache
	// speed, the least time a step can take (bench/run.sh).
	b.ReportMetric(float64(kernels.Flops()-flops)/1e9/float64(b.N), "GFLOP/step")
	// The median and the fastest step are less disturbed by other load on
	// the machine than the mean; bench/train_step_torch.py reports the same
	// two, and bench/run.sh compares like with like.
	slices.Sort(times)
	median := times[len(times)/2]
	if len(times)%2 == 0 {
		median = (times[len(times)/2-1] + median) / 2
	}
	b.ReportMetric(median, "s/step-median")
	b.ReportMetric(times[0], "s/step-min")
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.Sys)/(1<<20), "MiB-sys")
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		b.ReportMetric(float64(ru.Maxrss)/1024, "MiB-peak-rss") // Linux reports KiB
	}
}

// lastBench holds the trainer of the configuration benchmarked last. The
// testing package calls a benchmark function twice (b.N = 1, then more),
// and the second call reuses the first's trainer, so that peak RSS measures
// one trainer, as in training: a dropped trainer's memory is reclaimed only
// some collections later, after its machines' finalizers have run, and two
// trainers at once measured 7.0 GB at 256² batch 16 where one holds 4.7.
var lastBench struct {
	key [3]int
	tr  *Trainer
}

func benchTrainerFor(b *testing.B, side, depth, n int) *Trainer {
	key := [3]int{side, depth, n}
	if lastBench.tr != nil && lastBench.key == key {
		return lastBench.tr
	}
	if lastBench.tr != nil {
		lastBench.tr.Close()
		lastBench.tr = nil
		runtime.GC()
	}
	m, err := model.New(config.ModelConfig{Depth: depth, NGF: 64, NDF: 64, DLayers: 3, Dropout: 0.5}, 1)
	if err != nil {
		b.Fatal(err)
	}
	tr, err := NewTrainer(m, TrainConfig{Loss: loss.KindCompensatedL1, Lambda: 100, LR: 1e-4, Beta1: 0.9, Beta2: 0.99}, n, side, side)
	if err != nil {
		b.Fatal(err)
	}
	lastBench.key, lastBench.tr = key, tr
	return tr
}
