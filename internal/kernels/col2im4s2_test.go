package kernels

import (
	"fmt"
	"math"
	"math/rand"
	"testing"
)

// TestFusedCol2imIsTheGeneralOne: for pix2pix's transposed convolution
// (4×4, stride 2, padding 1) at widths that leave every tail of the
// assembly's 8-column blocks, the fused rows give the general col2im's bits,
// with and without the assembly, whole and in bands of output rows.
func TestFusedCol2imIsTheGeneralOne(t *testing.T) {
	hasAsm := usePointwiseAsm
	defer func(f bool) { fuseCol2im, usePointwiseAsm = f, hasAsm }(fuseCol2im)
	rng := rand.New(rand.NewSource(12))
	for _, asm := range []bool{false, true} {
		if asm && !hasAsm {
			continue
		}
		for _, ow := range []int{1, 2, 3, 9, 10, 11, 17, 18, 26, 33} {
			p := Conv2DParams(1, 3, 2*ow, 2*ow, 2, 4, 2, 1)
			if !p.fusedCol2im4s2() {
				t.Fatalf("%+v does not take the fused path", p)
			}
			ld := p.OutH() * p.OutW()
			col := randSlice(rng, p.C*p.KH*p.KW*ld)
			for _, band := range [][2]int{{0, p.OutH()}, {0, 1}, {1, p.OutH()}} {
				base := randSlice(rng, p.InSize())
				want := append([]float32(nil), base...)
				got := append([]float32(nil), base...)
				fuseCol2im, usePointwiseAsm = false, asm
				col2imChannels(p, col, ld, want, band[0], band[1], 0, p.C)
				fuseCol2im = true
				col2imChannels(p, col, ld, got, band[0], band[1], 0, p.C)
				for i := range want {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("%s: x[%d] = %v, general col2im %v", fmt.Sprintf("asm=%v ow=%d rows %v", asm, ow, band), i, got[i], want[i])
					}
				}
			}
		}
	}
}
