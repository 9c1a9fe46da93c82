package gemm

import (
	"math/rand"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

func BenchmarkFallback(b *testing.B) {
	rng := rand.New(rand.NewSource(1))
	p := problem{m: 512, n: 900, k: 1024, alpha: 1}
	o := p.operands(rng, uniform)
	gf := 2 * float64(p.m*p.n*p.k) / 1e9
	b.Run("go", func(b *testing.B) {
		useAsm = false
		defer func() { useAsm = true }()
		for i := 0; i < b.N; i++ {
			Sgemm(false, false, p.m, p.n, p.k, 1, o.a, o.lda, o.b, o.ldb, 0, o.c, o.ldc)
		}
		b.ReportMetric(gf*float64(b.N)/b.Elapsed().Seconds(), "GFLOP/s")
	})
	b.Run("gonum", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			gonum.Implementation{}.Sgemm(blas.NoTrans, blas.NoTrans, p.m, p.n, p.k, 1, o.a, o.lda, o.b, o.ldb, 0, o.c, o.ldc)
		}
		b.ReportMetric(gf*float64(b.N)/b.Elapsed().Seconds(), "GFLOP/s")
	})
}
