package kernels

import (
	"math"
	"math/rand"
	"testing"
)

// This file holds naive float64 reference implementations written straight
// from the definitions (one loop per index), against which the fast kernels
// are checked.

func randSlice(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = rng.Float32()*2 - 1
	}
	return s
}

// refConv is the definition of cross-correlation with zero padding.
func refConv(p ConvParams, x, w []float32) []float64 {
	oh, ow := p.OutH(), p.OutW()
	y := make([]float64, p.N*p.K*oh*ow)
	for n := 0; n < p.N; n++ {
		for k := 0; k < p.K; k++ {
			for i := 0; i < oh; i++ {
				for j := 0; j < ow; j++ {
					var s float64
					for c := 0; c < p.C; c++ {
						for a := 0; a < p.KH; a++ {
							for b := 0; b < p.KW; b++ {
								h, v := i*p.StrideH-p.PadT+a, j*p.StrideW-p.PadL+b
								if h < 0 || h >= p.H || v < 0 || v >= p.W {
									continue
								}
								s += float64(x[((n*p.C+c)*p.H+h)*p.W+v]) * float64(w[((k*p.C+c)*p.KH+a)*p.KW+b])
							}
						}
					}
					y[((n*p.K+k)*oh+i)*ow+j] = s
				}
			}
		}
	}
	return y
}

// refConvGrads returns the gradients of Σ y·dy with respect to x and w,
// scattered tap by tap.
func refConvGrads(p ConvParams, x, w, dy []float32) (dx, dw []float64) {
	oh, ow := p.OutH(), p.OutW()
	dx = make([]float64, p.InSize())
	dw = make([]float64, p.WeightSize())
	for n := 0; n < p.N; n++ {
		for k := 0; k < p.K; k++ {
			for i := 0; i < oh; i++ {
				for j := 0; j < ow; j++ {
					g := float64(dy[((n*p.K+k)*oh+i)*ow+j])
					for c := 0; c < p.C; c++ {
						for a := 0; a < p.KH; a++ {
							for b := 0; b < p.KW; b++ {
								h, v := i*p.StrideH-p.PadT+a, j*p.StrideW-p.PadL+b
								if h < 0 || h >= p.H || v < 0 || v >= p.W {
									continue
								}
								xi, wi := ((n*p.C+c)*p.H+h)*p.W+v, ((k*p.C+c)*p.KH+a)*p.KW+b
								dx[xi] += g * float64(w[wi])
								dw[wi] += g * float64(x[xi])
							}
						}
					}
				}
			}
		}
	}
	return dx, dw
}

// refConvT is the definition of the transposed convolution: every input
// pixel scatters its filter-weighted value onto the output.
func refConvT(p ConvTParams, x, w []float32) []float64 {
	oh, ow := p.OutH(), p.OutW()
	y := make([]float64, p.OutSize())
	for n := 0; n < p.N; n++ {
		for ci := 0; ci < p.Cin; ci++ {
			for i := 0; i < p.H; i++ {
				for j := 0; j < p.W; j++ {
					xv := float64(x[((n*p.Cin+ci)*p.H+i)*p.W+j])
					for co := 0; co < p.Cout; co++ {
						for a := 0; a < p.KH; a++ {
							for b := 0; b < p.KW; b++ {
								h, v := i*p.StrideH-p.PadT+a, j*p.StrideW-p.PadL+b
								if h < 0 || h >= oh || v < 0 || v >= ow {
									continue
								}
								y[((n*p.Cout+co)*oh+h)*ow+v] += xv * float64(w[((ci*p.Cout+co)*p.KH+a)*p.KW+b])
							}
						}
					}
				}
			}
		}
	}
	return y
}

// refConvTGrads returns the gradients of Σ y·dy for the transposed
// convolution, gathered tap by tap.
func refConvTGrads(p ConvTParams, x, w, dy []float32) (dx, dw []float64) {
	oh, ow := p.OutH(), p.OutW()
	dx = make([]float64, p.InSize())
	dw = make([]float64, p.WeightSize())
	for n := 0; n < p.N; n++ {
		for ci := 0; ci < p.Cin; ci++ {
			for i := 0; i < p.H; i++ {
				for j := 0; j < p.W; j++ {
					xi := ((n*p.Cin+ci)*p.H+i)*p.W + j
					for co := 0; co < p.Cout; co++ {
						for a := 0; a < p.KH; a++ {
							for b := 0; b < p.KW; b++ {
								h, v := i*p.StrideH-p.PadT+a, j*p.StrideW-p.PadL+b
								if h < 0 || h >= oh || v < 0 || v >= ow {
									continue
								}
								g := float64(dy[((n*p.Cout+co)*oh+h)*ow+v])
								wi := ((ci*p.Cout+co)*p.KH+a)*p.KW + b
								dx[xi] += g * float64(w[wi])
								dw[wi] += g * float64(x[xi])
							}
						}
					}
				}
			}
		}
	}
	return dx, dw
}

// assertClose fails when |got − want| > atol + rtol·|want| anywhere.
func assertClose(t *testing.T, what string, got []float32, want []float64, atol, rtol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d values, want %d", what, len(got), len(want))
	}
	for i := range want {
		if d := math.Abs(float64(got[i]) - want[i]); d > atol+rtol*math.Abs(want[i]) || math.IsNaN(float64(got[i])) {
			t.Fatalf("%s: [%d] = %g, want %g (diff %g)", what, i, got[i], want[i], d)
		}
	}
}
