package fid

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/lapack/gonum"
	"gonum.org/v1/gonum/mat"
)

func sqrt(x float64) float64 { return math.Sqrt(x) }

// Stats are the Gaussian statistics of a set of feature vectors: the mean
// Mu (D values) and the covariance Sigma (D×D, row-major), in float64.
type Stats struct {
	Mu    []float64
	Sigma []float64
}

// Dim is the feature dimension D.
func (s Stats) Dim() int { return len(s.Mu) }

func (s Stats) validate() error {
	d := len(s.Mu)
	if d == 0 || len(s.Sigma) != d*d {
		return fmt.Errorf("statistics: mu has %d values and sigma %d, want D > 0 and D×D", d, len(s.Sigma))
	}
	for _, v := range s.Mu {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("statistics: mu has a non-finite value %g", v)
		}
	}
	for _, v := range s.Sigma {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("statistics: sigma has a non-finite value %g", v)
		}
	}
	return nil
}

// ComputeStats returns the mean and the unbiased (N−1) covariance of the
// feature vectors, one per row, computed in float64 as pytorch-fid does
// (np.mean, np.cov(rowvar=False)). It needs at least two vectors.
func ComputeStats(feats [][]float32) (Stats, error) {
	n := len(feats)
	if n < 2 {
		return Stats{}, fmt.Errorf("statistics: need at least 2 feature vectors, got %d", n)
	}
	d := len(feats[0])
	if d == 0 {
		return Stats{}, fmt.Errorf("statistics: empty feature vectors")
	}
	mu := make([]float64, d)
	for i, f := range feats {
		if len(f) != d {
			return Stats{}, fmt.Errorf("statistics: feature %d has %d values, want %d", i, len(f), d)
		}
		for j, v := range f {
			mu[j] += float64(v)
		}
	}
	for j := range mu {
		mu[j] /= float64(n)
	}
	a := make([]float64, n*d) // centred features, N×D
	for i, f := range feats {
		for j, v := range f {
			a[i*d+j] = float64(v) - mu[j]
		}
	}
	sigma := make([]float64, d*d)
	blas64.Implementation().Dgemm(blas.Trans, blas.NoTrans, d, d, n, 1/float64(n-1), a, d, a, d, 0, sigma, d)
	s := Stats{Mu: mu, Sigma: sigma}
	return s, s.validate()
}

// FrechetDistance returns the Fréchet distance between the Gaussians
// N(μ1, Σ1) and N(μ2, Σ2):
//
//	d² = ‖μ1 − μ2‖² + tr Σ1 + tr Σ2 − 2·tr √(Σ1·Σ2).
//
// The trace term avoids the non-symmetric square root pytorch-fid takes
// with scipy.linalg.sqrtm. With Σ1 = F1·F1ᵀ and Σ2 = F2·F2ᵀ, the
// eigenvalues of Σ1·Σ2 are those of the symmetric positive semidefinite
// M·Mᵀ with M = F1ᵀ·F2, so tr √(Σ1·Σ2) is the sum of the singular values
// of M. The factors come from Cholesky factorizations with complete
// pivoting, which stop at the numerical rank: covariances of fewer samples
// than dimensions (singular) are handled exactly, with no ε added to the
// diagonal, and M is only rank1×rank2.
func FrechetDistance(a, b Stats) (float64, error) {
	if err := a.validate(); err != nil {
		return 0, err
	}
	if err := b.validate(); err != nil {
		return 0, err
	}
	d := a.Dim()
	if b.Dim() != d {
		return 0, fmt.Errorf("frechet distance: dimensions differ, %d and %d", d, b.Dim())
	}
	var dist float64
	for i := range a.Mu {
		diff := a.Mu[i] - b.Mu[i]
		dist += diff * diff
	}
	for i := 0; i < d; i++ {
		dist += a.Sigma[i*d+i] + b.Sigma[i*d+i]
	}
	tr, err := traceSqrtProduct(d, a.Sigma, b.Sigma)
	if err != nil {
		return 0, err
	}
	return dist - 2*tr, nil
}

// traceSqrtProduct returns tr √(Σ1·Σ2) for symmetric positive semidefinite
// D×D matrices (see FrechetDistance).
func traceSqrtProduct(d int, s1, s2 []float64) (float64, error) {
	f1, r1 := psdFactor(d, s1)
	f2, r2 := psdFactor(d, s2)
	if r1 == 0 || r2 == 0 {
		return 0, nil
	}
	m := make([]float64, r1*r2) // F1ᵀ·F2
	blas64.Implementation().Dgemm(blas.Trans, blas.NoTrans, r1, r2, d, 1, f1, r1, f2, r2, 0, m, r2)
	var svd mat.SVD
	if !svd.Factorize(mat.NewDense(r1, r2, m), mat.SVDNone) {
		return 0, fmt.Errorf("frechet distance: singular value decomposition did not converge")
	}
	var tr float64
	for _, v := range svd.Values(nil) {
		tr += v
	}
	return tr, nil
}

// psdFactor returns F (D×rank, row-major) with F·Fᵀ = S for a symmetric
// positive semidefinite S, from a Cholesky factorization with complete
// pivoting, Pᵀ·S·P = L·Lᵀ, stopped when the remaining pivots fall below
// LAPACK's default tolerance D·ε·max Sᵢᵢ; F = P·L[:, :rank]. Directions of
// negative curvature (rounding noise in a covariance) are dropped the same
// way. S is not modified.
func psdFactor(d int, s []float64) (f []float64, rank int) {
	a := append([]float64(nil), s...)
	piv := make([]int, d)
	work := make([]float64, 2*d)
	rank, _ = gonum.Implementation{}.Dpstrf(blas.Lower, d, a, d, piv, -1, work)
	f = make([]float64, d*rank)
	for k := 0; k < d; k++ {
		row := f[piv[k]*rank : (piv[k]+1)*rank]
		for j := 0; j <= k && j < rank; j++ {
			row[j] = a[k*d+j]
		}
	}
	return f, rank
}
