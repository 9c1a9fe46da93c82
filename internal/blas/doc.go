// Package blas selects the single-precision BLAS that every kernel in
// colorize calls, and reports which one is in use.
//
// The default build uses gonum's pure-Go implementation, so `go build ./...`
// needs no C library. Building with the tag `openblas` (and
// CGO_LDFLAGS=-lopenblas) routes the same calls to OpenBLAS through
// gonum.org/v1/netlib, which is about eight times faster on this class of CPU.
//
// Matrices are row-major, as in gonum's blas32.
package blas
