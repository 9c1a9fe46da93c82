package fid

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/colorize-dev/colorize/internal/kernels"
)

// TestAvgPool3 checks the separable pool against the general kernel with
// count_include_pad=False.
func TestAvgPool3(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	for _, sz := range [][3]int{{1, 1, 1}, {2, 1, 3}, {3, 2, 1}, {4, 8, 8}, {2, 35, 17}} {
		x := newAct(sz[0], 1, sz[1], sz[2])
		for i := range x.d {
			x.d[i] = rng.Float32()*4 - 2
		}
		want := make([]float32, len(x.d))
		kernels.AvgPool2D(kernels.Pool2DParams(1, x.c, x.h, x.w, 3, 1, 1), x.d, want, false)
		got := make([]float32, len(x.d))
		avgPool3Into(new(workspace), x, got)
		for i := range want {
			if math.Abs(float64(got[i]-want[i])) > 1e-6 {
				t.Fatalf("%v: element %d = %g, kernels.AvgPool2D %g", sz, i, got[i], want[i])
			}
		}
	}
}

func BenchmarkAvgPool3(b *testing.B) {
	for _, sz := range [][3]int{{288, 35, 35}, {768, 17, 17}, {1280, 8, 8}} {
		x := newAct(sz[0], 1, sz[1], sz[2])
		y := make([]float32, len(x.d))
		ws := new(workspace)
		b.Run(fmt.Sprintf("%dx%dx%d", sz[0], sz[1], sz[2]), func(b *testing.B) {
			for b.Loop() {
				avgPool3Into(ws, x, y)
			}
		})
	}
}

func BenchmarkAvgPoolKernels(b *testing.B) {
	for _, sz := range [][3]int{{288, 35, 35}, {768, 17, 17}, {1280, 8, 8}} {
		x := newAct(sz[0], 1, sz[1], sz[2])
		y := make([]float32, len(x.d))
		b.Run(fmt.Sprintf("%dx%dx%d", sz[0], sz[1], sz[2]), func(b *testing.B) {
			for b.Loop() {
				kernels.AvgPool2D(kernels.Pool2DParams(1, x.c, x.h, x.w, 3, 1, 1), x.d, y, false)
			}
		})
	}
}
