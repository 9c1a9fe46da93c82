package kernels

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	"github.com/colorize-dev/colorize/internal/gemm"
)

// toCNHW reorders an N×C×HW batch into C×N×HW.
func toCNHW(n, c, hw int, x []float32) []float32 {
	y := make([]float32, len(x))
	for i := 0; i < n; i++ {
		for j := 0; j < c; j++ {
			copy(y[(j*n+i)*hw:(j*n+i+1)*hw], x[(i*c+j)*hw:(i*c+j+1)*hw])
		}
	}
	return y
}

// TestConv2DForwardCNHWMatchesReference checks the channel-major batch
// convolution against the definition on every path: 1×1 (no lowering), a
// small map lowered for the whole batch (square, 1×7, 7×1, strided,
// asymmetric padding, a batch of one) and a large map lowered per image.
func TestConv2DForwardCNHWMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	cases := []ConvParams{
		Conv2DParams(3, 5, 8, 8, 7, 1, 1, 0),
		Conv2DParams(4, 3, 9, 9, 5, 3, 1, 1),
		{N: 3, C: 4, H: 17, W: 17, K: 6, KH: 1, KW: 7, StrideH: 1, StrideW: 1, PadL: 3, PadR: 3},
		{N: 3, C: 4, H: 17, W: 17, K: 6, KH: 7, KW: 1, StrideH: 1, StrideW: 1, PadT: 3, PadB: 3},
		Conv2DParams(2, 3, 17, 17, 4, 3, 2, 0),
		{N: 2, C: 2, H: 10, W: 9, K: 3, KH: 3, KW: 2, StrideH: 2, StrideW: 1, PadT: 1, PadB: 0, PadL: 0, PadR: 1},
		Conv2DParams(1, 3, 6, 6, 4, 3, 1, 1),
		Conv2DParams(3, 2, 40, 36, 3, 3, 1, 1),  // 1440 outputs per image: lowered one image at a time
		Conv2DParams(2, 3, 70, 70, 4, 3, 2, 0),  // strided and large: the column-phase lowering
		Conv2DParams(2, 8, 32, 32, 40, 3, 1, 1), // a product split into bands of columns
		Conv2DParams(2, 16, 8, 8, 160, 3, 1, 1), // … and into bands of rows
	}
	for _, p := range cases {
		eachLoweredB(t, fmt.Sprintf("%+v", p), func(t *testing.T) {
			x, w, b := randSlice(rng, p.InSize()), randSlice(rng, p.WeightSize()), randSlice(rng, p.K)
			ref := refConv(p, x, w)
			ohw := p.OutH() * p.OutW()
			for i := range ref {
				ref[i] += float64(b[(i/ohw)%p.K])
			}
			want := make([]float64, len(ref)) // ref, reordered to K×N×OHW
			for n := 0; n < p.N; n++ {
				for k := 0; k < p.K; k++ {
					copy(want[(k*p.N+n)*ohw:(k*p.N+n+1)*ohw], ref[(n*p.K+k)*ohw:(n*p.K+k+1)*ohw])
				}
			}
			y := randSlice(rng, p.OutSize()) // garbage must be overwritten
			Conv2DForwardCNHW(p, toCNHW(p.N, p.C, p.H*p.W, x), w, b, y)
			assertClose(t, "forward", y, want, 1e-5, 1e-5)
		})
	}
}

// eachLoweredB runs f with the lowered matrix packed straight into the
// GEMM's panels (where the CPU has colorize's kernel) and stored by im2col.
func eachLoweredB(t *testing.T, name string, f func(t *testing.T)) {
	saved := lowerDirect
	defer func() { lowerDirect = saved }()
	for _, direct := range []bool{false, true} {
		if direct && !gemm.Accelerated() {
			continue
		}
		lowerDirect = direct
		t.Run(fmt.Sprintf("%s/direct=%v", name, direct), f)
	}
}

// TestLoweredBPacksTheIm2colMatrix: every block the packer writes holds,
// bit for bit, the panels of the stored im2col matrix, in both layouts, for
// padded, strided and asymmetric convolutions, blocks that start mid-row or
// mid-panel, a band's column offset and partial last panels.
func TestLoweredBPacksTheIm2colMatrix(t *testing.T) {
	saved := useRunsAsm
	defer func() { useRunsAsm = saved }()
	for _, asm := range []bool{false, true} {
		if asm && !saved {
			continue
		}
		useRunsAsm = asm
		t.Run(fmt.Sprintf("asm=%v", asm), testLoweredBPacksTheIm2colMatrix)
	}
}

func testLoweredBPacksTheIm2colMatrix(t *testing.T) {
	rng := rand.New(rand.NewSource(9))
	const pw = gemm.PanelWidth
	for _, p := range []ConvParams{
		Conv2DParams(3, 4, 8, 8, 1, 3, 1, 1),
		{N: 2, C: 3, H: 17, W: 17, K: 1, KH: 1, KW: 7, StrideH: 1, StrideW: 1, PadL: 3, PadR: 3},
		{N: 2, C: 3, H: 17, W: 17, K: 1, KH: 7, KW: 1, StrideH: 1, StrideW: 1, PadT: 3, PadB: 3},
		Conv2DParams(2, 2, 19, 21, 1, 4, 2, 1),
		{N: 2, C: 2, H: 10, W: 9, K: 1, KH: 3, KW: 2, StrideH: 2, StrideW: 3, PadT: 1, PadL: 2, PadR: 1},
		Conv2DParams(1, 2, 5, 40, 1, 3, 1, 0),
		Conv2DParams(2, 3, 20, 20, 1, 3, 2, 0), // strided without padding: phases only
		Conv2DParams(1, 1, 4, 4, 1, 1, 1, 0),   // 1×1: the input itself
		// Large enough (≥ col2imSplitMin values) for the prepared copy
		// to be split over threads.
		Conv2DParams(1, 16, 66, 66, 1, 4, 2, 1),
		{N: 2, C: 5, H: 90, W: 91, K: 1, KH: 5, KW: 5, StrideH: 3, StrideW: 3, PadT: 2, PadB: 1, PadL: 4, PadR: 2},
	} {
		for _, channelMajor := range []bool{false, true} {
			x := randSlice(rng, p.InSize())
			rows, ohw := p.C*p.KH*p.KW, p.OutH()*p.OutW()
			cols := p.N * ohw
			col := make([]float32, rows*cols) // the stored matrix, rows × N·OHW
			l, _ := newLoweredB(p, x, channelMajor)
			chanStride, imgStride := p.H*p.W, p.C*p.H*p.W
			if channelMajor {
				chanStride, imgStride = p.N*p.H*p.W, p.H*p.W
			}
			for n := 0; n < p.N; n++ {
				im2colStrided(p, x[n*imgStride:], chanStride, col[n*ohw:], cols)
			}
			for trial := 0; trial < 20; trial++ {
				p0, j0 := rng.Intn(rows), rng.Intn(cols)
				kb, nb := 1+rng.Intn(rows-p0), 1+rng.Intn(cols-j0)
				band := *l
				band.col0 = rng.Intn(j0 + 1) // the band starts col0 in; the block j0-col0 into it
				panels := (nb + pw - 1) / pw
				got := randSlice(rng, panels*kb*pw+pw) // garbage must be overwritten
				guard := append([]float32(nil), got[panels*kb*pw:]...)
				band.PackB(kb, nb, p0, j0-band.col0, got[:panels*kb*pw])
				for i, g := range got[panels*kb*pw:] {
					if math.Float32bits(g) != math.Float32bits(guard[i]) {
						t.Fatalf("%+v channelMajor=%v block (%d,%d)+(%d,%d): wrote %d values past the block", p, channelMajor, p0, j0, kb, nb, i+1)
					}
				}
				for q := 0; q < panels; q++ {
					for r := 0; r < kb; r++ {
						for jj := 0; jj < pw; jj++ {
							want := float32(0)
							if j := q*pw + jj; j < nb {
								want = col[(p0+r)*cols+j0+j]
							}
							if g := got[q*kb*pw+r*pw+jj]; math.Float32bits(g) != math.Float32bits(want) {
								t.Fatalf("%+v channelMajor=%v block (%d,%d)+(%d,%d): panel %d row %d column %d is %v, im2col %v",
									p, channelMajor, p0, j0, kb, nb, q, r, jj, g, want)
							}
						}
					}
				}
			}
		}
	}
}
