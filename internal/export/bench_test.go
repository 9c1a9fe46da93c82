package export

import (
	"fmt"
	"math/rand"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/colorize-dev/colorize/internal/config"
	"github.com/colorize-dev/colorize/internal/ortnode"
	"github.com/colorize-dev/colorize/internal/unet"
)

// BenchmarkONNXRuntime times one inference of the pix2pix 256² generator
// (depth 8, ngf 64, batch 1, the model of internal/unet BenchmarkInfer) in
// colorize and, exported, in ONNX Runtime (onnxruntime-node, CPU, graph
// optimizations "all", as many intra-op threads as GOMAXPROCS), in the same
// run. Three interleaved rounds (ONNX Runtime first in odd rounds, colorize
// first in even ones, so a slow drift of the machine's load falls on both)
// each time b.N inferences of both after a warm-up; ONNX Runtime runs in one
// session per round. It reports the median inference of all rounds of each
// (s/infer-colorize, s/infer-ort), the median round's ratio (colorize/ort,
// as BENCHMARKS.md's ratios: below 1 means colorize is faster) and ONNX
// Runtime's session creation time (load and optimize the model).
//
//	go test -tags openblas -run '^$' -bench BenchmarkONNXRuntime -benchtime 5x ./internal/export
func BenchmarkONNXRuntime(b *testing.B) {
	rt := ortnode.Require(b)
	gen, err := unet.New(unet.Config{Depth: 8, NGF: 64, InChannels: 5, OutChannels: 3, Dropout: 0.5}, rand.New(rand.NewSource(1)))
	if err != nil {
		b.Fatal(err)
	}
	cfg := config.Default()
	cfg.Model.Depth, cfg.Model.NGF = 8, 64
	path := writeModel(b, gen, Info{Version: "bench", Config: cfg}, DefaultOpset)
	for _, side := range []int{256, 512} {
		b.Run(fmt.Sprint(side), func(b *testing.B) {
			rng := rand.New(rand.NewSource(2))
			in := withHints(rng, sketches(rng, 1, side, side), 1, side, side)
			r, err := unet.NewRunner(gen, 1, side, side, false)
			if err != nil {
				b.Fatal(err)
			}
			defer r.Close()
			if _, err := r.Run(in, 0); err != nil { // warm-up
				b.Fatal(err)
			}
			colorize := func() []float64 {
				times := make([]float64, b.N)
				for i := range b.N {
					start := time.Now()
					if _, err := r.Run(in, 0); err != nil {
						b.Fatal(err)
					}
					times[i] = time.Since(start).Seconds()
				}
				return times
			}
			var loadMs float64
			ort := func() []float64 {
				res, err := rt.Run(ortnode.Job{
					Model: path, Levels: []string{"all"}, Threads: runtime.GOMAXPROCS(0), Repeat: b.N + 1,
					Inputs: []ortnode.Input{{Data: in, Dims: []int{1, 5, side, side}}},
				})
				if err != nil {
					b.Fatal(err)
				}
				loadMs = res.Sessions[0].LoadMs
				times := res.Sessions[0].Outputs[0].Ms[1:] // without the warm-up
				for i := range times {
					times[i] /= 1000
				}
				return times
			}
			b.ResetTimer()
			var all [2][]float64
			var ratios []float64
			for round := 1; round <= 3; round++ {
				var g, o []float64
				if round%2 == 1 {
					o = ort()
					g = colorize()
				} else {
					g = colorize()
					o = ort()
				}
				all[0], all[1] = append(all[0], g...), append(all[1], o...)
				ratios = append(ratios, median(g)/median(o))
			}
			b.StopTimer()
			b.ReportMetric(median(all[0]), "s/infer-colorize")
			b.ReportMetric(median(all[1]), "s/infer-ort")
			b.ReportMetric(median(ratios), "colorize/ort")
			b.ReportMetric(loadMs/1000, "s-ort-load")
		})
	}
}

func median(x []float64) float64 {
	x = slices.Clone(x)
	slices.Sort(x)
	m := x[len(x)/2]
	if len(x)%2 == 0 {
		m = (x[len(x)/2-1] + m) / 2
	}
	return m
}
