package kernels

import "math/rand/v2"

// DropoutMask fills mask with inverted-dropout multipliers: each element is
// independently 0 with probability p and 1/(1−p) otherwise, so that
// y = x·mask has the expectation of x. The draw is a pure function of
// (seed, stream, len(mask)): the same arguments always give the same mask,
// which lets two graphs built for one training step drop the same units.
func DropoutMask(seed, stream uint64, p float32, mask []float32) {
	if p <= 0 {
		for i := range mask {
			mask[i] = 1
		}
		return
	}
	if p >= 1 {
		clear(mask)
		return
	}
	rng := rand.New(rand.NewPCG(seed, stream))
	keep := 1 / (1 - p)
	for i := range mask {
		if rng.Float32() < p {
			mask[i] = 0
		} else {
			mask[i] = keep
		}
	}
}

// Mul writes out[i] = a[i]·b[i]. out may alias a or b.
func Mul(a, b, out []float32) {
	b, out = b[:len(a)], out[:len(a)]
	for i, v := range a {
		out[i] = v * b[i]
	}
}
