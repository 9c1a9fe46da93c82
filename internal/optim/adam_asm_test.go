package optim

import (
	"math"
	"math/rand"
	"testing"
)

// TestAdamAsmMatchesGo: the AVX2 update gives the Go loop's bits for
// parameters, both moments and every length from 0 to 40 (the 8-wide bulk
// and every tail), over several steps whose bias corrections differ, with
// zero, tiny and huge gradients among ordinary ones.
func TestAdamAsmMatchesGo(t *testing.T) {
	if !useAdamAsm {
		t.Skip("no AVX2 on this CPU: only the Go loop runs")
	}
	rng := rand.New(rand.NewSource(7))
	special := []float32{0, float32(math.Copysign(0, -1)), 1e-30, -1e-30, 1e20, -1e20, math.SmallestNonzeroFloat32}
	for n := 0; n <= 40; n++ {
		p := make([]float32, n)
		for i := range p {
			p[i] = float32(rng.NormFloat64())
		}
		pa := append([]float32(nil), p...)
		m, v, ma, va := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
		for step := 1; step <= 4; step++ {
			g := make([]float32, n)
			for i := range g {
				if rng.Intn(4) == 0 {
					g[i] = special[rng.Intn(len(special))]
				} else {
					g[i] = float32(rng.NormFloat64() * 0.1)
				}
			}
			stepSize := float32(1e-4 / (1 - math.Pow(0.9, float64(step))))
			inv := float32(1 / math.Sqrt(1-math.Pow(0.99, float64(step))))
			useAdamAsm = false
			adamUpdate(p, g, m, v, 0.9, 0.99, stepSize, inv, 1e-8)
			useAdamAsm = true
			adamUpdate(pa, g, ma, va, 0.9, 0.99, stepSize, inv, 1e-8)
			for i := range p {
				for _, c := range []struct {
					what      string
					got, want float32
				}{{"parameter", pa[i], p[i]}, {"first moment", ma[i], m[i]}, {"second moment", va[i], v[i]}} {
					if math.Float32bits(c.got) != math.Float32bits(c.want) {
						t.Fatalf("n=%d step %d: %s %d is %v, the Go loop gives %v", n, step, c.what, i, c.got, c.want)
					}
				}
			}
		}
	}
}
