package kernels

import (
	"math"
	"math/rand"
	"testing"
)

// refBN computes batch-norm in float64 straight from the definition, with
// batch statistics (train) or the given running statistics (eval), and the
// gradients of Σ y·dy by the chain rule through μ and σ² written out
// term by term (not the folded formula the kernel uses).
func refBN(s BNShape, train bool, x, dy, gamma, beta, rm, rv []float32, eps float64) (y, dx, dg, db, mean, vb []float64) {
	y, dx = make([]float64, len(x)), make([]float64, len(x))
	dg, db, mean, vb = make([]float64, s.C), make([]float64, s.C), make([]float64, s.C), make([]float64, s.C)
	m := float64(s.Count())
	idx := func(n, c, i int) int { return (n*s.C+c)*s.HW + i }
	for c := 0; c < s.C; c++ {
		var mu, v float64
		for n := 0; n < s.N; n++ {
			for i := 0; i < s.HW; i++ {
				mu += float64(x[idx(n, c, i)])
			}
		}
		mu /= m
		for n := 0; n < s.N; n++ {
			for i := 0; i < s.HW; i++ {
				d := float64(x[idx(n, c, i)]) - mu
				v += d * d
			}
		}
		v /= m
		mean[c], vb[c] = mu, v
		if !train {
			mu, v = float64(rm[c]), float64(rv[c])
		}
		is := 1 / math.Sqrt(v+eps)
		g := float64(gamma[c])
		// dL/dx̂, dL/dσ², dL/dμ
		var dvar, dmu float64
		for n := 0; n < s.N; n++ {
			for i := 0; i < s.HW; i++ {
				k := idx(n, c, i)
				xh := (float64(x[k]) - mu) * is
				y[k] = xh*g + float64(beta[c])
				dg[c] += float64(dy[k]) * xh
				db[c] += float64(dy[k])
				dxh := float64(dy[k]) * g
				dvar += dxh * (float64(x[k]) - mu) * -0.5 * is * is * is
				dmu += -dxh * is
			}
		}
		for n := 0; n < s.N; n++ {
			for i := 0; i < s.HW; i++ {
				k := idx(n, c, i)
				dx[k] = float64(dy[k]) * g * is
				if train {
					dx[k] += dvar*2*(float64(x[k])-mu)/m + dmu/m
				}
			}
		}
	}
	return
}

func TestBatchNormMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	for _, s := range []BNShape{{2, 3, 5}, {1, 4, 7}, {4, 2, 1}, {3, 5, 16}} {
		x := randSlice(rng, s.N*s.C*s.HW)
		for i := range x {
			x[i] = x[i]*3 + 2 // mean far from 0, variance far from 1
		}
		dy := randSlice(rng, len(x))
		gamma, beta := randSlice(rng, s.C), randSlice(rng, s.C)
		rm, rv := randSlice(rng, s.C), randSlice(rng, s.C)
		for i := range rv {
			rv[i] = rv[i]*rv[i] + 0.5
		}
		const eps = 1e-5
		y := make([]float32, len(x))
		dx, dg, db := make([]float32, len(x)), make([]float32, s.C), make([]float32, s.C)
		mean, vb := make([]float32, s.C), make([]float32, s.C)

		wy, wdx, wdg, wdb, wmean, wvb := refBN(s, true, x, dy, gamma, beta, nil, nil, eps)
		BatchNormTrainForward(s, x, gamma, beta, eps, y, mean, vb)
		assertClose(t, "train y", y, wy, 1e-4, 1e-4)
		assertClose(t, "batch mean", mean, wmean, 1e-5, 1e-5)
		assertClose(t, "batch var", vb, wvb, 1e-5, 1e-5)
		BatchNormTrainBackward(s, x, dy, gamma, eps, dx, dg, db)
		assertClose(t, "train dx", dx, wdx, 1e-4, 1e-4)
		assertClose(t, "train dgamma", dg, wdg, 1e-4, 1e-4)
		assertClose(t, "train dbeta", db, wdb, 1e-4, 1e-4)

		wy, wdx, wdg, wdb, _, _ = refBN(s, false, x, dy, gamma, beta, rm, rv, eps)
		BatchNormEvalForward(s, x, gamma, beta, rm, rv, eps, y)
		assertClose(t, "eval y", y, wy, 1e-4, 1e-4)
		BatchNormEvalBackward(s, x, dy, gamma, rm, rv, eps, dx, dg, db)
		assertClose(t, "eval dx", dx, wdx, 1e-4, 1e-4)
		assertClose(t, "eval dgamma", dg, wdg, 1e-4, 1e-4)
		assertClose(t, "eval dbeta", db, wdb, 1e-4, 1e-4)

		// Running update with momentum 0.1 and the unbiased variance.
		rm2, rv2 := append([]float32(nil), rm...), append([]float32(nil), rv...)
		BatchNormUpdateRunning(rm2, rv2, mean, vb, 0.1, s.Count())
		wrm, wrv := make([]float64, s.C), make([]float64, s.C)
		m := float64(s.Count())
		for c := range wrm {
			wrm[c] = 0.9*float64(rm[c]) + 0.1*wmean[c]
			wrv[c] = 0.9*float64(rv[c]) + 0.1*wvb[c]*m/(m-1)
		}
		assertClose(t, "running mean", rm2, wrm, 1e-6, 1e-5)
		assertClose(t, "running var", rv2, wrv, 1e-6, 1e-5)
	}
}

func TestBatchNormNilAffineAndOutputs(t *testing.T) {
	rng := rand.New(rand.NewSource(4))
	s := BNShape{2, 3, 4}
	x, dy := randSlice(rng, 24), randSlice(rng, 24)
	ones, zeros := []float32{1, 1, 1}, []float32{0, 0, 0}
	y1, y2 := make([]float32, 24), make([]float32, 24)
	BatchNormTrainForward(s, x, nil, nil, 1e-3, y1, nil, nil)
	BatchNormTrainForward(s, x, ones, zeros, 1e-3, y2, nil, nil)
	for i := range y1 {
		if y1[i] != y2[i] {
			t.Fatalf("nil gamma/beta differ from 1/0 at %d: %g vs %g", i, y1[i], y2[i])
		}
	}
	dg := make([]float32, 3)
	BatchNormTrainBackward(s, x, dy, ones, 1e-3, nil, dg, nil) // only dgamma
	_, _, wdg, _, _, _ := refBN(s, true, x, dy, ones, zeros, nil, nil, 1e-3)
	assertClose(t, "dgamma alone", dg, wdg, 1e-5, 1e-5)
}
