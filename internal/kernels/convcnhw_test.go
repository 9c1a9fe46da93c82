package kernels

import (
	"fmt"
	"math/rand"
	"testing"
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
		Conv2DParams(3, 2, 40, 36, 3, 3, 1, 1), // 1440 outputs per image: lowered one image at a time
		Conv2DParams(2, 3, 70, 70, 4, 3, 2, 0), // strided and large: the column-phase lowering
	}
	for _, p := range cases {
		t.Run(fmt.Sprintf("%+v", p), func(t *testing.T) {
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
