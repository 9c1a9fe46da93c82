package gemm

import (
	"math/rand"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// BenchmarkPortable compares the portable Go micro-kernel with gonum's
// Sgemm on one 512×900×1024 product (run it with GOMAXPROCS=1: gonum is
// parallel). With gonum's SSE assembly (amd64) gonum is the faster; with
// -tags noasm, as gonum runs on other architectures, the Go kernel is.
// internal/blas chooses by this.
func BenchmarkPortable(b *testing.B) {
	rng := rand.New(rand.NewSource(1))
	p := problem{m: 512, n: 900, k: 1024, alpha: 1}
	o := p.operands(rng, uniform)
	gflop := 2 * float64(p.m*p.n*p.k) / 1e9
	b.Run("go", func(b *testing.B) {
		saved := useAsm
		useAsm = false
		defer func() { useAsm = saved }()
		for i := 0; i < b.N; i++ {
			Sgemm(false, false, p.m, p.n, p.k, 1, o.a, o.lda, o.b, o.ldb, 0, o.c, o.ldc)
		}
		b.ReportMetric(gflop*float64(b.N)/b.Elapsed().Seconds(), "GFLOP/s")
	})
	b.Run("gonum", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			gonum.Implementation{}.Sgemm(blas.NoTrans, blas.NoTrans, p.m, p.n, p.k, 1, o.a, o.lda, o.b, o.ldb, 0, o.c, o.ldc)
		}
		b.ReportMetric(gflop*float64(b.N)/b.Elapsed().Seconds(), "GFLOP/s")
	})
}
