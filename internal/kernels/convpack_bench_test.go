package kernels

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/colorize-dev/colorize/internal/gemm"
)

// BenchmarkLowering times lowering one B block of Inception-like
// convolutions (batch 8, channel-major): packing it straight from the input
// (loweredB) against im2col followed by packing the stored matrix, as the
// product would do for each block.
func BenchmarkLowering(b *testing.B) {
	rng := rand.New(rand.NewSource(1))
	for _, p := range []ConvParams{
		{N: 8, C: 160, H: 17, W: 17, K: 160, KH: 1, KW: 7, StrideH: 1, StrideW: 1, PadL: 3, PadR: 3},
		{N: 8, C: 160, H: 17, W: 17, K: 160, KH: 7, KW: 1, StrideH: 1, StrideW: 1, PadT: 3, PadB: 3},
		Conv2DParams(8, 64, 35, 35, 96, 3, 1, 1),
		Conv2DParams(8, 448, 8, 8, 384, 3, 1, 1),
	} {
		x := randSlice(rng, p.InSize())
		rows, cols := p.C*p.KH*p.KW, p.N*p.OutH()*p.OutW()
		kb, nb := min(rows, 256), min(cols, 4080)
		dst := make([]float32, (nb+15)/16*16*kb)
		name := fmt.Sprintf("%dx%d/%dx%dx%d", p.KH, p.KW, p.C, p.H, p.W)
		b.Run(name+"/direct", func(b *testing.B) {
			for b.Loop() {
				l, padded := newLoweredB(p, x, true)
				for p0 := 0; p0 < rows; p0 += kb {
					for j0 := 0; j0 < cols; j0 += nb {
						l.PackB(min(kb, rows-p0), min(nb, cols-j0), p0, j0, dst)
					}
				}
				if padded != nil {
					putBuf(padded)
				}
			}
		})
		b.Run(name+"/im2col", func(b *testing.B) {
			col := make([]float32, rows*cols)
			st := gemm.StoredPacker(col, cols)
			for b.Loop() {
				for n := 0; n < p.N; n++ {
					im2colStrided(p, x[n*p.H*p.W:], p.N*p.H*p.W, col[n*p.OutH()*p.OutW():], cols)
				}
				for p0 := 0; p0 < rows; p0 += kb {
					for j0 := 0; j0 < cols; j0 += nb {
						st.PackB(min(kb, rows-p0), min(nb, cols-j0), p0, j0, dst)
					}
				}
			}
		})
	}
}
