package gemm_test

import (
	"fmt"
	"math/rand"
	"runtime"
	"sync"
	"testing"
	"time"

	gblas "gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"

	"github.com/colorize-dev/colorize/internal/gemm"
)

// sgemmFunc has the signature of gemm.Sgemm.
type sgemmFunc func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)

// impl is one Sgemm under comparison. With bands, n threads are n bands of
// C computed by single-threaded calls on n goroutines, as internal/kernels
// runs a product; otherwise one call uses n threads of its own.
// setThreads, when not nil, sets how many threads one call may use.
type impl struct {
	name       string
	sgemm      sgemmFunc
	bands      bool
	setThreads func(n int) (restore func())
}

// threads prepares the implementation for nt threads and returns the
// function that undoes it.
func (im impl) threads(nt int) func() {
	if im.setThreads == nil {
		return func() {}
	}
	if im.bands {
		return im.setThreads(1)
	}
	return im.setThreads(nt)
}

// impls are compared in this build; compare_openblas_test.go adds OpenBLAS.
var impls = []impl{
	{name: "gemm", sgemm: gemm.Sgemm, bands: true},
	{name: "gonum", sgemm: gonumSgemm, setThreads: func(n int) func() {
		prev := runtime.GOMAXPROCS(n) // gonum runs GOMAXPROCS goroutines
		return func() { runtime.GOMAXPROCS(prev) }
	}},
}

func gonumSgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	tr := func(t bool) gblas.Transpose {
		if t {
			return gblas.Trans
		}
		return gblas.NoTrans
	}
	gonum.Implementation{}.Sgemm(tr(transA), tr(transB), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// run computes the product with nt threads.
func (im impl) run(nt int, transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if nt == 1 || !im.bands {
		im.sgemm(transA, transB, m, n, k, 1, a, lda, b, ldb, beta, c, ldc)
		return
	}
	// Bands of rows of C (columns when C is wider than tall), as
	// internal/kernels' sgemmSplit cuts them.
	var wg sync.WaitGroup
	byRows := m >= n
	size := n
	if byRows {
		size = m
	}
	for i := 0; i < nt; i++ {
		lo, hi := i*size/nt, (i+1)*size/nt
		wg.Add(1)
		go func() {
			defer wg.Done()
			if byRows {
				aOff := lo * lda
				if transA {
					aOff = lo
				}
				im.sgemm(transA, transB, hi-lo, n, k, 1, a[aOff:], lda, b, ldb, beta, c[lo*ldc:], ldc)
				return
			}
			bOff := lo
			if transB {
				bOff = lo * ldb
			}
			im.sgemm(transA, transB, m, hi-lo, k, 1, a, lda, b[bOff:], ldb, beta, c[lo:], ldc)
		}()
	}
	wg.Wait()
}

// operands are random matrices for one shape.
type operands struct {
	a, b, c       []float32
	lda, ldb, ldc int
}

func newOperands(rng *rand.Rand, s gemm.StepShape) operands {
	lda, ldb := s.K, s.N
	if s.TA {
		lda = s.M
	}
	if s.TB {
		ldb = s.K
	}
	o := operands{a: make([]float32, s.M*s.K), b: make([]float32, s.K*s.N), c: make([]float32, s.M*s.N), lda: lda, ldb: ldb, ldc: s.N}
	for _, x := range [][]float32{o.a, o.b, o.c} {
		for i := range x {
			x[i] = rng.Float32()*2 - 1
		}
	}
	return o
}

func shapeName(s gemm.StepShape) string {
	t := map[bool]string{false: "N", true: "T"}
	return fmt.Sprintf("%dx%dx%d_%s%s_b%g", s.M, s.N, s.K, t[s.TA], t[s.TB], s.Beta)
}

// BenchmarkTrainingStepGEMM runs every product of one training step, each
// as often as the step does, with every implementation, and reports each
// one's GFLOP/s over the whole set ("gemm-GFLOP/s", …) and internal/gemm's
// time over OpenBLAS's ("gemm/openblas"), with 1 and 2 threads. The
// implementations take turns product by product, in an order that rotates,
// so that a change in the machine's load falls on all of them alike.
func BenchmarkTrainingStepGEMM(b *testing.B) {
	rng := rand.New(rand.NewSource(1))
	var shapes []gemm.StepShape
	var ops []operands
	var flops float64
	for _, s := range gemm.StepShapes() {
		if s.PerStep == 0 {
			continue
		}
		shapes = append(shapes, s)
		ops = append(ops, newOperands(rng, s))
		flops += 2 * float64(s.M) * float64(s.N) * float64(s.K) * float64(s.PerStep)
	}
	for _, nt := range []int{1, 2} {
		b.Run(fmt.Sprintf("threads=%d", nt), func(b *testing.B) {
			elapsed := make([]time.Duration, len(impls))
			turn := 0
			for i := 0; i < b.N; i++ {
				for j, s := range shapes {
					o := ops[j]
					for r := 0; r < s.PerStep; r++ {
						turn++
						for q := range impls {
							x := (q + turn) % len(impls)
							im := impls[x]
							restore := im.threads(nt)
							start := time.Now()
							im.run(nt, s.TA, s.TB, s.M, s.N, s.K, o.a, o.lda, o.b, o.ldb, s.Beta, o.c, o.ldc)
							elapsed[x] += time.Since(start)
							restore()
						}
					}
				}
			}
			for x, im := range impls {
				b.ReportMetric(flops*float64(b.N)/elapsed[x].Seconds()/1e9, im.name+"-GFLOP/s")
				if im.name == "openblas" {
					b.ReportMetric(elapsed[0].Seconds()/elapsed[x].Seconds(), "gemm/openblas")
				}
			}
		})
	}
}

// BenchmarkShapes reports GFLOP/s for each product shape of a training step
// and of inference (mxnxk, N/T for op, b for beta), per implementation and
// thread count, alternating implementations within each shape.
func BenchmarkShapes(b *testing.B) {
	rng := rand.New(rand.NewSource(2))
	for _, s := range gemm.StepShapes() {
		var o *operands // made by the first sub-benchmark that runs
		flops := 2 * float64(s.M) * float64(s.N) * float64(s.K)
		for _, nt := range []int{1, 2} {
			for _, im := range impls {
				b.Run(fmt.Sprintf("%s/threads=%d/%s", shapeName(s), nt, im.name), func(b *testing.B) {
					if o == nil {
						x := newOperands(rng, s)
						o = &x
					}
					defer im.threads(nt)()
					for i := 0; i < b.N; i++ {
						im.run(nt, s.TA, s.TB, s.M, s.N, s.K, o.a, o.lda, o.b, o.ldb, s.Beta, o.c, o.ldc)
					}
					b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				})
			}
		}
	}
}
