package gemm

import (
	"fmt"
	"math/rand"
	"os"
	"strconv"
	"strings"
	"testing"
)

// BenchmarkBlocking runs the products of one training step (each as often
// as the step does, single-threaded) with other block sizes, to tune kcMax,
// mcMax and ncMax. GEMM_BLOCKS="kc,mc,nc kc,mc,nc …" lists the
// configurations; the default compares the chosen one with a few others.
// Run the binary several times and compare best rounds: the configurations
// alternate within a run.
func BenchmarkBlocking(b *testing.B) {
	configs := [][3]int{{kcMax, mcMax, ncMax}, {192, 168, 4080}, {384, 120, 4080}, {256, 96, 4080}, {256, 240, 4080}, {256, 168, 2048}}
	if env := os.Getenv("GEMM_BLOCKS"); env != "" {
		configs = nil
		for _, f := range strings.Fields(env) {
			var c [3]int
			for i, v := range strings.Split(f, ",") {
				c[i], _ = strconv.Atoi(v)
			}
			configs = append(configs, c)
		}
	}
	rng := rand.New(rand.NewSource(1))
	var flops float64
	var ops []operands
	for _, s := range trainingShapes {
		p := problem{ta: s.ta, tb: s.tb, m: s.m, n: s.n, k: s.k, alpha: 1, beta: s.beta}
		var o operands
		if s.perStep > 0 {
			o = p.operands(rng, uniform)
			flops += 2 * float64(s.m*s.n*s.k*s.perStep)
		}
		ops = append(ops, o)
	}
	saved := [3]int{kcMax, mcMax, ncMax}
	defer func() { kcMax, mcMax, ncMax = saved[0], saved[1], saved[2] }()
	for _, c := range configs {
		b.Run(fmt.Sprintf("kc=%d,mc=%d,nc=%d", c[0], c[1], c[2]), func(b *testing.B) {
			kcMax, mcMax, ncMax = c[0], c[1], c[2]
			for i := 0; i < b.N; i++ {
				for j, s := range trainingShapes {
					o := ops[j]
					for r := 0; r < s.perStep; r++ {
						Sgemm(s.ta, s.tb, s.m, s.n, s.k, 1, o.a, o.lda, o.b, o.ldb, s.beta, o.c, o.ldc)
					}
				}
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
