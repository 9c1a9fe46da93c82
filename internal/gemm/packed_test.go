package gemm

import (
	"fmt"
	"math"
	"math/rand"
	"testing"
)

// elementPacker is a BPacker that reads a stored row-major k×n matrix one
// element at a time: an implementation of the panel layout independent of
// packB's.
type elementPacker struct {
	b    []float32
	n    int
	seen int // PackB calls
}

func (e *elementPacker) PackB(kb, nb, p0, j0 int, dst []float32) {
	e.seen++
	for q := 0; q*PanelWidth < nb; q++ {
		for p := 0; p < kb; p++ {
			for jj := 0; jj < PanelWidth; jj++ {
				v := float32(0)
				if j := q*PanelWidth + jj; j < nb {
					v = e.b[(p0+p)*e.n+j0+j]
				}
				dst[q*kb*PanelWidth+p*PanelWidth+jj] = v
			}
		}
	}
}

// TestSgemmPackedBMatchesSgemm: a packer that writes the stored matrix's
// panels gives Sgemm's bits, on shapes with partial panels and tiles and
// with several blocks of every dimension, for both kernels, A transposed or
// not, beta 0 and 1; B is packed once per block.
func TestSgemmPackedBMatchesSgemm(t *testing.T) {
	eachKernel(t, func(t *testing.T) {
		rng := rand.New(rand.NewSource(5))
		for _, s := range [][3]int{{1, 1, 1}, {7, 17, 5}, {6, 16, 8}, {37, 45, 300}, {200, 33, 19}, {13, 4100, 3}} {
			m, n, k := s[0], s[1], s[2]
			for _, transA := range []bool{false, true} {
				for _, beta := range []float32{0, 1} {
					t.Run(fmt.Sprintf("%dx%dx%d/transA=%v/beta=%v", m, n, k, transA, beta), func(t *testing.T) {
						a := make([]float32, m*k)
						b := make([]float32, k*n)
						c0 := make([]float32, m*n)
						for _, x := range [][]float32{a, b, c0} {
							for i := range x {
								x[i] = float32(rng.NormFloat64())
							}
						}
						lda := k
						if transA {
							lda = m
						}
						want := append([]float32(nil), c0...)
						Sgemm(transA, false, m, n, k, 1, a, lda, b, n, beta, want, n)
						got := append([]float32(nil), c0...)
						pk := &elementPacker{b: b, n: n}
						SgemmPackedB(transA, m, n, k, 1, a, lda, pk, beta, got, n)
						for i := range want {
							if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
								t.Fatalf("C[%d] = %v, Sgemm gives %v", i, got[i], want[i])
							}
						}
						kc, nc := split(k, kcMax, 1), split(n, ncMax, nr)
						if blocks := ((k + kc - 1) / kc) * ((n + nc - 1) / nc); pk.seen != blocks {
							t.Errorf("B packed %d times, want once per block (%d)", pk.seen, blocks)
						}
					})
				}
			}
		}
	})
}

// TestPackBTColumns: every row of the panel holds its columns' values, for
// every kb modulo the assembly's 8 rows a step, columns at any offset
// (overlapping and out of order), and nothing past kb rows is written.
func TestPackBTColumns(t *testing.T) {
	eachKernel(t, func(t *testing.T) {
		rng := rand.New(rand.NewSource(11))
		x := make([]float32, 500)
		for i := range x {
			x[i] = rng.Float32()
		}
		for kb := 1; kb <= 41; kb++ {
			var offs [PanelWidth]int
			for c := range offs {
				offs[c] = rng.Intn(len(x) - kb + 1)
			}
			dst := make([]float32, kb*PanelWidth+PanelWidth)
			for i := range dst {
				dst[i] = -1
			}
			PackBTColumns(kb, x, &offs, dst)
			for i, v := range dst {
				want := float32(-1)
				if p, c := i/PanelWidth, i%PanelWidth; p < kb {
					want = x[offs[c]+p]
				}
				if v != want {
					t.Fatalf("kb %d: dst[%d] (row %d, column %d) = %v, want %v", kb, i, i/PanelWidth, i%PanelWidth, v, want)
				}
			}
		}
	})
}
