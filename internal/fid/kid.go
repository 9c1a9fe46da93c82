package fid

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

// KIDOptions configure KID's subset sampling.
type KIDOptions struct {
	// Subsets is the number of random subset pairs (default 100).
	Subsets int
	// SubsetSize is the number of vectors drawn, without replacement, from
	// each set per subset (default 1000), capped at the smaller set's size.
	SubsetSize int
	// Seed makes the draws reproducible.
	Seed uint64
}

// DefaultKIDOptions are the values of the literature (Bińkowski et al.
// 2018; torch-fidelity, clean-fid): 100 subsets of 1000.
func DefaultKIDOptions() KIDOptions { return KIDOptions{Subsets: 100, SubsetSize: 1000} }

// KIDResult is the mean and the standard deviation (population, ddof 0, as
// np.std) of the unbiased MMD² over the subsets.
type KIDResult struct {
	Mean, Std  float64
	Subsets    int
	SubsetSize int
}

// maxGramEntries bounds the full Gram matrix KID precomputes when all
// vectors of both sets fit (128 MiB of float64); beyond it the dot products
// are computed per subset.
var maxGramEntries = 4096 * 4096

// KID returns the Kernel Inception Distance between two sets of feature
// vectors (one per row): the unbiased estimate of the squared maximum mean
// discrepancy with the cubic polynomial kernel k(x, y) = (x·y/D + 1)³,
//
//	MMD² = Σ_{i≠j} k(xᵢ,xⱼ)/(m(m−1)) + Σ_{i≠j} k(yᵢ,yⱼ)/(m(m−1)) − 2·Σ_{i,j} k(xᵢ,yⱼ)/m²,
//
// averaged over opt.Subsets random pairs of subsets of size m. Dot products
// and sums are in float64.
func KID(x, y [][]float32, opt KIDOptions) (KIDResult, error) {
	if opt.Subsets <= 0 || opt.SubsetSize <= 0 {
		return KIDResult{}, fmt.Errorf("kid: subsets %d and subset size %d must be positive", opt.Subsets, opt.SubsetSize)
	}
	m := min(opt.SubsetSize, len(x), len(y))
	if m < 2 {
		return KIDResult{}, fmt.Errorf("kid: need at least 2 feature vectors per set, got %d and %d", len(x), len(y))
	}
	d := len(x[0])
	z, err := stackRows(d, x, y) // rows 0..nx−1 are x, then y
	if err != nil {
		return KIDResult{}, fmt.Errorf("kid: %w", err)
	}
	nx, nz := len(x), len(x)+len(y)
	kernel := func(dot float64) float64 { v := dot/float64(d) + 1; return v * v * v }
	impl := blas64.Implementation()

	// dots(rows, cols) returns the matrix of dot products between the
	// selected rows of z, from the full Gram matrix when it fits.
	var gram []float64
	if nz*nz <= maxGramEntries {
		gram = make([]float64, nz*nz)
		impl.Dgemm(blas.NoTrans, blas.Trans, nz, nz, d, 1, z, d, z, d, 0, gram, nz)
	}
	gather := func(idx []int) []float64 {
		g := make([]float64, len(idx)*d)
		for i, r := range idx {
			copy(g[i*d:(i+1)*d], z[r*d:(r+1)*d])
		}
		return g
	}
	dots := func(ri, ci []int) []float64 {
		out := make([]float64, len(ri)*len(ci))
		if gram != nil {
			for i, r := range ri {
				for j, c := range ci {
					out[i*len(ci)+j] = gram[r*nz+c]
				}
			}
			return out
		}
		a, b := gather(ri), gather(ci)
		impl.Dgemm(blas.NoTrans, blas.Trans, len(ri), len(ci), d, 1, a, d, b, d, 0, out, len(ci))
		return out
	}
	offDiagMean := func(k []float64) float64 {
		var s float64
		for i := 0; i < m; i++ {
			for j := 0; j < m; j++ {
				if i != j {
					s += kernel(k[i*m+j])
				}
			}
		}
		return s / float64(m*(m-1))
	}

	rng := rand.New(rand.NewPCG(opt.Seed, 0x6b6964)) // "kid"
	vals := make([]float64, opt.Subsets)
	for s := range vals {
		ix := rng.Perm(len(x))[:m]
		iy := rng.Perm(len(y))[:m]
		for i := range iy {
			iy[i] += nx
		}
		var kxy float64
		for _, v := range dots(ix, iy) {
			kxy += kernel(v)
		}
		vals[s] = offDiagMean(dots(ix, ix)) + offDiagMean(dots(iy, iy)) - 2*kxy/float64(m*m)
	}
	var mean, varsum float64
	for _, v := range vals {
		mean += v
	}
	mean /= float64(len(vals))
	for _, v := range vals {
		varsum += (v - mean) * (v - mean)
	}
	return KIDResult{Mean: mean, Std: math.Sqrt(varsum / float64(len(vals))), Subsets: opt.Subsets, SubsetSize: m}, nil
}

// stackRows copies the rows of the sets, all of length d, into one
// row-major float64 matrix.
func stackRows(d int, sets ...[][]float32) ([]float64, error) {
	n := 0
	for _, s := range sets {
		n += len(s)
	}
	out := make([]float64, 0, n*d)
	for si, s := range sets {
		for i, r := range s {
			if len(r) != d || d == 0 {
				return nil, fmt.Errorf("set %d vector %d has %d values, want %d", si+1, i, len(r), d)
			}
			for _, v := range r {
				out = append(out, float64(v))
			}
		}
	}
	return out, nil
}
