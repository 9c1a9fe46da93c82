package kernels

import (
	"fmt"
	"math"
	"math/rand"
	"testing"
)

// TestSgemmSplit checks the banded product against a float64 reference for
// every transpose combination, splits by rows and by columns, padded leading
// dimensions and a non-zero beta.
func TestSgemmSplit(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	for _, sz := range [][3]int{{97, 64, 70}, {40, 131, 90}, {300, 7, 200}} {
		m, n, k := sz[0], sz[1], sz[2]
		for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
			for _, nt := range []int{1, 2, 3} {
				t.Run(fmt.Sprintf("%dx%dx%d/tA=%v,tB=%v/nt=%d", m, n, k, tr[0], tr[1], nt), func(t *testing.T) {
					ar, ac := m, k
					if tr[0] {
						ar, ac = k, m
					}
					br, bc := k, n
					if tr[1] {
						br, bc = n, k
					}
					lda, ldb, ldc := ac+3, bc+1, n+2
					a := randSlice(rng, ar*lda)
					b := randSlice(rng, br*ldb)
					c := randSlice(rng, m*ldc)
					at := func(i, l int) float64 { // op(A)[i, l]
						if tr[0] {
							return float64(a[l*lda+i])
						}
						return float64(a[i*lda+l])
					}
					bt := func(l, j int) float64 {
						if tr[1] {
							return float64(b[j*ldb+l])
						}
						return float64(b[l*ldb+j])
					}
					want := make([]float64, len(c))
					for i := range c {
						want[i] = float64(c[i])
					}
					const alpha, beta = 0.75, 0.5
					for i := 0; i < m; i++ {
						for j := 0; j < n; j++ {
							var s float64
							for l := 0; l < k; l++ {
								s += at(i, l) * bt(l, j)
							}
							want[i*ldc+j] = alpha*s + beta*want[i*ldc+j]
						}
					}
					sgemmSplit(nt, tr[0], tr[1], m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
					for i := 0; i < m; i++ {
						for j := 0; j < ldc; j++ {
							got, w := float64(c[i*ldc+j]), want[i*ldc+j]
							if j >= n { // padding must be untouched
								if got != w {
									t.Fatalf("padding (%d,%d) changed: %g -> %g", i, j, w, got)
								}
								continue
							}
							if math.Abs(got-w) > 1e-4*(1+math.Abs(w)) {
								t.Fatalf("C[%d,%d] = %g, want %g", i, j, got, w)
							}
						}
					}
				})
			}
		}
	}
}
