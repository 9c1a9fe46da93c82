package gemm

import (
	"fmt"
	"testing"
)

// BenchmarkPack reports how fast the packing routines copy a 256×1024 block
// (GB/s of float32 read).
func BenchmarkPack(b *testing.B) {
	const kb, nb, ld = 256, 1020, 1024
	src := make([]float32, ld*ld)
	dst := make([]float32, roundUp(nb, nr)*kb+roundUp(nb, mr)*kb)
	for _, trans := range []bool{false, true} {
		b.Run(fmt.Sprintf("B/trans=%v", trans), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				packB(trans, kb, nb, src, ld, 0, 0, dst)
			}
			b.ReportMetric(4*float64(kb*nb)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
		})
		b.Run(fmt.Sprintf("A/trans=%v", trans), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				packA(trans, nb, kb, src, ld, 0, 0, dst)
			}
			b.ReportMetric(4*float64(kb*nb)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
		})
	}
}

// BenchmarkKernelL1 runs the micro-kernel Sgemm uses on one A panel and as
// many B panels as it takes at once (k = 256), all staying in the L1 cache:
// its speed with no memory traffic.
func BenchmarkKernelL1(b *testing.B) {
	const k = 256
	a := make([]float32, k*mr)
	bp := make([]float32, 2*k*nr)
	c := make([]float32, mr*2*nr)
	cols := nr
	if useAVX512 {
		cols = 2 * nr
	}
	for i := 0; i < b.N; i++ {
		if useAVX512 {
			kernelPairs(1, k, a, bp, c, 2*nr, 1, 0)
		} else {
			kernel(k, a, bp, c, nr, 1, 0)
		}
	}
	b.ReportMetric(2*k*mr*float64(cols)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}
