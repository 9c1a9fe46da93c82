package kernels

// col2imRow4s2AVX2 does blocks of 8 output columns of col2imRow4s2 from
// column j on, given d at 2j, s0 at j+1, s1 and s2 at j, s3 at j−1.
//
//go:noescape
func col2imRow4s2AVX2(d, s0, s1, s2, s3 *float32, blocks int)

// col2imRow4s2Vec runs output columns 1… of col2imRow4s2 in assembly and
// returns how many it did (a multiple of 8, leaving column ow−1).
func col2imRow4s2Vec(d, s0, s1, s2, s3 []float32) int {
	blocks := (len(s1) - 2) / 8
	if !usePointwiseAsm || blocks <= 0 {
		return 0
	}
	col2imRow4s2AVX2(&d[2], &s0[2], &s1[1], &s2[1], &s3[0], blocks)
	return 8 * blocks
}
