package gemm

import (
	"fmt"
	"math"
	"math/rand"
	"testing"
)

// TestTeamIsBitIdentical: a product computed by a team of 2 to 4
// goroutines gives the bits of one Sgemm call, for stored and packed B,
// every transpose, alpha 1 and not, beta 0, 1 and other, odd sizes, and
// blocks shrunk so that every dimension spans several blocks (several
// steps, several A blocks, a partial last unit of panels), with blocks of B
// thin and wide.
func TestTeamIsBitIdentical(t *testing.T) {
	defer func(kc, mc, nc int) { kcMax, mcMax, ncMax = kc, mc, nc }(kcMax, mcMax, ncMax)
	for _, blocks := range [][3]int{{256, 168, 4080}, {64, 30, 400}} {
		kcMax, mcMax, ncMax = blocks[0], blocks[1], blocks[2]
		eachKernel(t, func(t *testing.T) {
			rng := rand.New(rand.NewSource(11))
			for _, tr := range transposes {
				for _, p := range []problem{
					{m: 203, n: 1190, k: 300, alpha: 1, beta: 0},
					{m: 97, n: 913, k: 129, alpha: 1, beta: 1, pad: 3},
					{m: 64, n: 2049, k: 80, alpha: 0.5, beta: -2},
					{m: 500, n: 40, k: 600, alpha: 1, beta: 0}, // B thin in every step
				} {
					p.ta, p.tb = tr[0], tr[1]
					o := p.operands(rng, uniform)
					want := append([]float32(nil), o.c...)
					Sgemm(p.ta, p.tb, p.m, p.n, p.k, p.alpha, o.a, o.lda, o.b, o.ldb, p.beta, want, o.ldc)
					for nt := 2; nt <= 4; nt++ {
						got := append([]float32(nil), o.c...)
						SgemmTeam(nt, p.ta, p.tb, p.m, p.n, p.k, p.alpha, o.a, o.lda, o.b, o.ldb, p.beta, got, o.ldc)
						sameBits(t, fmt.Sprintf("%v blocks %v team of %d", p, blocks, nt), got, want)
						if p.tb {
							continue // a packer supplies B untransposed
						}
						got = append(got[:0], o.c...)
						SgemmPackedBTeam(nt, p.ta, p.m, p.n, p.k, p.alpha, o.a, o.lda, StoredPacker(o.b, o.ldb), p.beta, got, o.ldc)
						sameBits(t, fmt.Sprintf("%v blocks %v packed-B team of %d", p, blocks, nt), got, want)
					}
				}
			}
		})
	}
}

func sameBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s: C[%d] = %v, Sgemm gives %v", what, i, got[i], want[i])
		}
	}
}
