package unet

import (
	"fmt"
	"math/rand"
	"testing"
)

// BenchmarkInfer times one inference of the pix2pix 256² generator (depth 8,
// ngf 64) at 256² to 2048², batch 1, batch norm on running statistics.
// Compare with bench/infer_torch.py (bench/run.sh and bench/scaling.sh print
// the ratio).
func BenchmarkInfer(b *testing.B) {
	for _, side := range []int{256, 512, 1024, 2048} {
		b.Run(fmt.Sprint(side), func(b *testing.B) {
			gen, err := New(Config{Depth: 8, NGF: 64, InChannels: 5, OutChannels: 3, Dropout: 0.5}, rand.New(rand.NewSource(1)))
			if err != nil {
				b.Fatal(err)
			}
			r, err := NewRunner(gen, 1, side, side, false)
			if err != nil {
				b.Fatal(err)
			}
			defer r.Close()
			in := make([]float32, 5*side*side)
			rng := rand.New(rand.NewSource(2))
			for i := range in {
				in[i] = rng.Float32()*2 - 1
			}
			if _, err := r.Run(in, 0); err != nil { // warm-up
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := r.Run(in, 0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
