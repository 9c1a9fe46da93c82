package fid

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// randomFeatures draws n vectors of dimension d with a random linear mixing,
// so that their covariance is a generic dense matrix.
func randomFeatures(rng *rand.Rand, n, d int, shift, scale float64) [][]float32 {
	mix := make([]float64, d*d)
	for i := range mix {
		mix[i] = rng.NormFloat64() / math.Sqrt(float64(d))
	}
	out := make([][]float32, n)
	z := make([]float64, d)
	for i := range out {
		for j := range z {
			z[j] = rng.NormFloat64()
		}
		out[i] = make([]float32, d)
		for j := range out[i] {
			var v float64
			for k := range z {
				v += mix[j*d+k] * z[k]
			}
			out[i][j] = float32(scale*v + shift + 0.1*float64(j%7))
		}
	}
	return out
}

func diagStats(mu, diag []float64) Stats {
	d := len(mu)
	s := Stats{Mu: mu, Sigma: make([]float64, d*d)}
	for i, v := range diag {
		s.Sigma[i*d+i] = v
	}
	return s
}

// lowRank returns F·Fᵀ for a random d×r F: a singular covariance.
func lowRank(rng *rand.Rand, d, r int) []float64 {
	f := mat.NewDense(d, r, nil)
	for i := 0; i < d; i++ {
		for j := 0; j < r; j++ {
			f.Set(i, j, rng.NormFloat64())
		}
	}
	var s mat.Dense
	s.Mul(f, f.T())
	return s.RawMatrix().Data
}

func scaled(s []float64, c float64) []float64 {
	out := make([]float64, len(s))
	for i, v := range s {
		out[i] = c * v
	}
	return out
}

// eigenTraceSqrt is an independent reference for tr √(Σ1Σ2): the
// eigenvalues of √Σ1·Σ2·√Σ1, with √Σ1 from an eigendecomposition.
func eigenTraceSqrt(d int, s1, s2 []float64) float64 {
	var e mat.EigenSym
	if !e.Factorize(mat.NewSymDense(d, append([]float64(nil), s1...)), true) {
		panic("eigen")
	}
	var v mat.Dense
	e.VectorsTo(&v)
	vals := e.Values(nil)
	sq := mat.NewDense(d, d, nil)
	for i := 0; i < d; i++ {
		for j := 0; j < d; j++ {
			var x float64
			for k := 0; k < d; k++ {
				x += v.At(i, k) * math.Sqrt(math.Max(vals[k], 0)) * v.At(j, k)
			}
			sq.Set(i, j, x)
		}
	}
	var c mat.Dense
	c.Product(sq, mat.NewDense(d, d, s2), sq)
	sym := mat.NewSymDense(d, nil)
	for i := 0; i < d; i++ {
		for j := i; j < d; j++ {
			sym.SetSym(i, j, (c.At(i, j)+c.At(j, i))/2)
		}
	}
	var e2 mat.EigenSym
	e2.Factorize(sym, false)
	var tr float64
	for _, l := range e2.Values(nil) {
		tr += math.Sqrt(math.Max(l, 0))
	}
	return tr
}

func TestFrechetDistanceClosedForms(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const d = 24
	zeros, ones, shift := make([]float64, d), make([]float64, d), make([]float64, d)
	var shift2 float64
	for i := range ones {
		ones[i] = 1
		shift[i] = 0.3 * float64(i%5)
		shift2 += shift[i] * shift[i]
	}
	feats := randomFeatures(rng, 200, d, 0, 1)
	full, err := ComputeStats(feats)
	if err != nil {
		t.Fatal(err)
	}
	var trFull float64
	for i := 0; i < d; i++ {
		trFull += full.Sigma[i*d+i]
	}
	sing := lowRank(rng, d, 3)
	a, b := make([]float64, d), make([]float64, d)
	var diagWant float64
	for i := range a {
		a[i], b[i] = rng.Float64()*3, rng.Float64()*2
		if i%4 == 0 {
			a[i] = 0 // singular, and the product is singular too
		}
		if i%6 == 0 {
			b[i] = 0
		}
		diagWant += (math.Sqrt(a[i]) - math.Sqrt(b[i])) * (math.Sqrt(a[i]) - math.Sqrt(b[i]))
	}
	cases := []struct {
		name string
		a, b Stats
		want float64
	}{
		{"identical", full, full, 0},
		{"identity covariances, mean shift", diagStats(zeros, ones), diagStats(shift, ones), shift2},
		{"scaled covariance c=0.25", full, Stats{Mu: shift, Sigma: scaled(full.Sigma, 0.25*0.25)}, (1-0.25)*(1-0.25)*trFull + sqDist(full.Mu, shift)},
		{"scaled covariance c=3", full, Stats{Mu: full.Mu, Sigma: scaled(full.Sigma, 9)}, 4 * trFull},
		{"diagonal with zeros", diagStats(zeros, a), diagStats(zeros, b), diagWant},
		{"same singular covariance", Stats{zeros, sing}, Stats{shift, sing}, shift2},
		{"zero covariances", diagStats(zeros, zeros), diagStats(shift, zeros), shift2},
		{"one zero covariance", diagStats(zeros, zeros), Stats{zeros, sing}, trace(Stats{zeros, sing})},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := FrechetDistance(c.a, c.b)
			if err != nil {
				t.Fatal(err)
			}
			scale := math.Max(1, trace(c.a)+trace(c.b))
			if math.Abs(got-c.want) > 1e-10*scale {
				t.Errorf("got %.15g, want %.15g", got, c.want)
			}
			rev, _ := FrechetDistance(c.b, c.a)
			if math.Abs(rev-got) > 1e-10*scale {
				t.Errorf("not symmetric: %.15g and %.15g", got, rev)
			}
		})
	}
}

func sqDist(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += (a[i] - b[i]) * (a[i] - b[i])
	}
	return s
}

// TestFrechetDistanceSingular compares covariances of fewer samples than
// dimensions (rank n−1) with an eigendecomposition-based reference.
func TestFrechetDistanceSingular(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{2, 5, 20} {
		const d = 48
		s1, err := ComputeStats(randomFeatures(rng, n, d, 0, 1))
		if err != nil {
			t.Fatal(err)
		}
		s2, err := ComputeStats(randomFeatures(rng, n+3, d, 0.5, 2))
		if err != nil {
			t.Fatal(err)
		}
		got, err := FrechetDistance(s1, s2)
		if err != nil {
			t.Fatal(err)
		}
		want := sqDist(s1.Mu, s2.Mu) + trace(s1) + trace(s2) - 2*eigenTraceSqrt(d, s1.Sigma, s2.Sigma)
		if math.Abs(got-want) > 1e-6*want {
			t.Errorf("n=%d: got %.12g, eigendecomposition reference %.12g", n, got, want)
		}
	}
}

// TestFrechetDistanceScipy compares with pytorch-fid's own formula
// (scipy.linalg.sqrtm) on full-rank covariances, reading our .npz files
// with numpy.
func TestFrechetDistanceScipy(t *testing.T) {
	needTorch(t)
	rng := rand.New(rand.NewPCG(5, 6))
	const d = 64
	dir := t.TempDir()
	s1, _ := ComputeStats(randomFeatures(rng, 300, d, 0, 1))
	s2, _ := ComputeStats(randomFeatures(rng, 250, d, 0.2, 1.5))
	p1, p2 := filepath.Join(dir, "a.npz"), filepath.Join(dir, "b.npz")
	if err := SaveStats(p1, s1); err != nil {
		t.Fatal(err)
	}
	if err := SaveStats(p2, s2); err != nil {
		t.Fatal(err)
	}
	var ref struct{ FID float64 }
	if err := json.Unmarshal(runPy(t, "ref.py", "fid", p1, p2), &ref); err != nil {
		t.Fatal(err)
	}
	got, err := FrechetDistance(s1, s2)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("FID %.15g, scipy %.15g", got, ref.FID)
	if math.Abs(got-ref.FID) > 1e-9*ref.FID {
		t.Errorf("FID %.15g, scipy reference %.15g", got, ref.FID)
	}
}

func TestStatsErrors(t *testing.T) {
	if _, err := ComputeStats([][]float32{{1, 2}}); err == nil {
		t.Error("one vector: want an error")
	}
	if _, err := ComputeStats([][]float32{{1, 2}, {1}}); err == nil {
		t.Error("ragged vectors: want an error")
	}
	a := diagStats([]float64{0, 0}, []float64{1, 1})
	if _, err := FrechetDistance(a, diagStats([]float64{0}, []float64{1})); err == nil {
		t.Error("different dimensions: want an error")
	}
	if _, err := FrechetDistance(a, diagStats([]float64{0, math.NaN()}, []float64{1, 1})); err == nil {
		t.Error("NaN mean: want an error")
	}
}

// BenchmarkFrechetDistance2048 is the cost of one FID from pool3 statistics
// with full-rank covariances (the common case of ≥ 2048 images).
func BenchmarkFrechetDistance2048(b *testing.B) {
	rng := rand.New(rand.NewPCG(7, 8))
	s1 := Stats{Mu: make([]float64, 2048), Sigma: lowRank(rng, 2048, 2048)}
	s2 := Stats{Mu: make([]float64, 2048), Sigma: lowRank(rng, 2048, 2048)}
	for b.Loop() {
		if _, err := FrechetDistance(s1, s2); err != nil {
			b.Fatal(err)
		}
	}
}
