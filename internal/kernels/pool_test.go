package kernels

import (
	"fmt"
	"math"
	"math/rand"
	"testing"
)

func refPool(p PoolParams, x []float32, max, includePad bool) []float64 {
	oh, ow := p.OutH(), p.OutW()
	y := make([]float64, p.N*p.C*oh*ow)
	for nc := 0; nc < p.N*p.C; nc++ {
		for i := 0; i < oh; i++ {
			for j := 0; j < ow; j++ {
				best, sum, cnt, full := math.Inf(-1), 0.0, 0, 0
				for a := 0; a < p.KH; a++ {
					for b := 0; b < p.KW; b++ {
						h, w := i*p.StrideH-p.PadT+a, j*p.StrideW-p.PadL+b
						if h < p.H+p.PadB && w < p.W+p.PadR {
							full++
						}
						if h < 0 || h >= p.H || w < 0 || w >= p.W {
							continue
						}
						v := float64(x[(nc*p.H+h)*p.W+w])
						best = math.Max(best, v)
						sum += v
						cnt++
					}
				}
				switch {
				case max:
					y[(nc*oh+i)*ow+j] = best
				case includePad:
					y[(nc*oh+i)*ow+j] = sum / float64(full)
				default:
					y[(nc*oh+i)*ow+j] = sum / float64(cnt)
				}
			}
		}
	}
	return y
}

func TestPoolingMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	for _, p := range []PoolParams{
		Pool2DParams(2, 3, 9, 9, 3, 2, 0), // Inception max pool
		Pool2DParams(2, 3, 7, 8, 3, 1, 1), // Inception avg pool
		Pool2DParams(1, 2, 6, 5, 2, 2, 1),
		{N: 1, C: 2, H: 5, W: 6, KH: 3, KW: 2, StrideH: 2, StrideW: 1, PadT: 1, PadB: 0, PadL: 0, PadR: 1},
	} {
		t.Run(fmt.Sprintf("%+v", p), func(t *testing.T) {
			x := randSlice(rng, p.N*p.C*p.H*p.W)
			y := make([]float32, p.N*p.C*p.OutH()*p.OutW())
			MaxPool2D(p, x, y)
			assertClose(t, "max", y, refPool(p, x, true, false), 0, 0)
			AvgPool2D(p, x, y, false)
			assertClose(t, "avg exclude pad", y, refPool(p, x, false, false), 1e-6, 1e-6)
			AvgPool2D(p, x, y, true)
			assertClose(t, "avg include pad", y, refPool(p, x, false, true), 1e-6, 1e-6)
		})
	}
	x := randSlice(rng, 2*3*10)
	y := make([]float32, 6)
	GlobalAvgPool(2, 3, 10, x, y)
	want := make([]float64, 6)
	for i, v := range x {
		want[i/10] += float64(v) / 10
	}
	assertClose(t, "global avg", y, want, 1e-6, 1e-6)
}
