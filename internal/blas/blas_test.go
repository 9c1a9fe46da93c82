package blas

import (
	"math"
	"math/rand"
	"testing"
)

// naive is the reference triple loop for row-major C = op(A)·op(B).
func naive(transA, transB bool, m, n, k int, a, b []float32) []float64 {
	c := make([]float64, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for p := 0; p < k; p++ {
				av := a[i*k+p]
				if transA {
					av = a[p*m+i]
				}
				bv := b[p*n+j]
				if transB {
					bv = b[j*k+p]
				}
				s += float64(av) * float64(bv)
			}
			c[i*n+j] = s
		}
	}
	return c
}

func TestSgemmMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	m, n, k := 7, 5, 9
	for _, tc := range []struct{ ta, tb bool }{{false, false}, {true, false}, {false, true}, {true, true}} {
		a := make([]float32, m*k)
		b := make([]float32, k*n)
		for i := range a {
			a[i] = rng.Float32()*2 - 1
		}
		for i := range b {
			b[i] = rng.Float32()*2 - 1
		}
		lda, ldb := k, n
		if tc.ta {
			lda = m
		}
		if tc.tb {
			ldb = k
		}
		c := make([]float32, m*n)
		Sgemm(tc.ta, tc.tb, m, n, k, 1, a, lda, b, ldb, 0, c, n)
		want := naive(tc.ta, tc.tb, m, n, k, a, b)
		for i := range c {
			if math.Abs(float64(c[i])-want[i]) > 1e-5 {
				t.Fatalf("%s trans=%v/%v: c[%d]=%v want %v", Name(), tc.ta, tc.tb, i, c[i], want[i])
			}
		}
	}
}

func BenchmarkSgemm512(b *testing.B) {
	const n = 512
	x := make([]float32, n*n)
	for i := range x {
		x[i] = float32(i%7) * 0.1
	}
	y := make([]float32, n*n)
	b.SetBytes(0)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		Sgemm(false, false, n, n, n, 1, x, n, x, n, 0, y, n)
	}
	b.ReportMetric(2*n*n*n*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}
