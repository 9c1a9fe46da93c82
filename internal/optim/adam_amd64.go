package optim

import "golang.org/x/sys/cpu"

// useAdamAsm selects the AVX2 loop of adam_amd64.s; tests clear it to
// compare it with the Go loop.
var useAdamAsm = cpu.X86.HasAVX2

// adamConsts are adamAVX2's scalars, in the order it reads them.
type adamConsts struct {
	b1, c1, b2, c2, stepSize, invSqrtBC2, eps float32
}

//go:noescape
func adamAVX2(p, grad, m, v *float32, n int, k *adamConsts)

// adamVec updates the first len(p)−len(p)%8 parameters in AVX2 and
// returns how many it did; the slices have len(p) values.
func adamVec(p, g, m, v []float32, b1, b2, stepSize, invSqrtBC2, eps float32) int {
	n := len(p) &^ 7
	if !useAdamAsm || n == 0 {
		return 0
	}
	k := adamConsts{b1, 1 - b1, b2, 1 - b2, stepSize, invSqrtBC2, eps}
	adamAVX2(&p[0], &g[0], &m[0], &v[0], n, &k)
	return n
}
