package gemm

import (
	"fmt"
	"math/rand"
	"testing"
)

// benchShapes are the products that take most of a training step's
// multiply-adds (BenchmarkTrainStep: 85 GFLOP a step), plus two
// small-n shapes.
var benchShapes = []struct {
	m, n, k int
	ta, tb  bool
}{
	{4096, 900, 512, true, false},
	{512, 900, 4096, false, false},
	{512, 4096, 900, false, true},
	{2048, 1024, 256, true, false},
	{1024, 1024, 128, true, false},
	{256, 1024, 2048, false, false},
	{128, 1024, 1024, false, false},
	{256, 2048, 1024, false, true},
	{64, 4096, 128, false, false},
	{8192, 64, 512, true, false},
	{512, 16, 8192, false, false},
}

// BenchmarkSgemm reports GFLOP/s of Sgemm on one goroutine for each shape
// (mxnxk, T for a transposed operand).
func BenchmarkSgemm(b *testing.B) {
	rng := rand.New(rand.NewSource(1))
	for _, s := range benchShapes {
		p := problem{ta: s.ta, tb: s.tb, m: s.m, n: s.n, k: s.k, alpha: 1, beta: 0}
		o := p.operands(rng, uniform)
		b.Run(shapeName(s.m, s.n, s.k, s.ta, s.tb), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				Sgemm(p.ta, p.tb, p.m, p.n, p.k, 1, o.a, o.lda, o.b, o.ldb, 0, o.c, o.ldc)
			}
			b.ReportMetric(2*float64(p.m*p.n*p.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

func shapeName(m, n, k int, ta, tb bool) string {
	t := func(b bool) string {
		if b {
			return "T"
		}
		return ""
	}
	return fmt.Sprintf("%dx%dx%d_A%sB%s", m, n, k, t(ta), t(tb))
}
