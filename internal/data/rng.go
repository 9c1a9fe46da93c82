package data

import (
	"hash/fnv"
	"math/bits"
)

// rng is a splitmix64 generator. It is written out here, rather than taken
// from math/rand, so that the stream for a given seed can never change with
// the Go release: resumed training depends on replaying it bit for bit.
type rng struct{ s uint64 }

// mix is splitmix64's output function, also used to combine seeds.
func mix(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// newRNG returns a generator whose stream is a function of the given keys only.
func newRNG(keys ...uint64) *rng {
	s := uint64(0x6a09e667f3bcc909)
	for _, k := range keys {
		s = mix(s ^ mix(k+0x9e3779b97f4a7c15))
	}
	return &rng{s: s}
}

func (r *rng) uint64() uint64 {
	r.s += 0x9e3779b97f4a7c15
	return mix(r.s)
}

// float64 returns a uniform value in [0, 1).
func (r *rng) float64() float64 { return float64(r.uint64()>>11) / (1 << 53) }

// intn returns a uniform integer in [0, n), n > 0 (multiply-shift with
// rejection of the biased low range, Lemire 2019).
func (r *rng) intn(n int) int {
	if n <= 0 {
		panic("data: intn of a non-positive bound")
	}
	bound := uint64(n)
	threshold := -bound % bound
	for {
		hi, lo := bits.Mul64(r.uint64(), bound)
		if lo >= threshold {
			return int(hi)
		}
	}
}

// hashString is FNV-1a 64 of s: stable across runs, machines and Go releases.
func hashString(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

// unitHash maps s to [0, 1) through hashString.
func unitHash(s string) float64 {
	return float64(mix(hashString(s))>>11) / (1 << 53)
}
