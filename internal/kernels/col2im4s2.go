package kernels

// col2im for pix2pix's transposed convolution (kernel 4, stride 2, padding
// 1: every decoder layer of the U-Net). The general col2im adds each of a
// row's four horizontal taps into the image row in its own pass, at stride
// 2: four read-modify-write passes over every image row, one value in two
// each, 6% of a 512² inference. For this shape input column iw = 2o − 1 + kw
// of output column o, so
//
//	x[2j]   += s1[j]   then += s3[j−1]   (j ≥ 1)
//	x[2j+1] += s0[j+1] (j+1 < ow)       then += s2[j]
//
// with s_kw the tap's row of the column matrix. One pass computes both,
// adding in the general loop's order (kw ascending), so the bits are the
// same.

// fuseCol2im enables the fused rows; tests clear it to compare them with
// the general loop.
var fuseCol2im = true

// fusedCol2im4s2 reports whether p's rows go through col2imRow4s2.
func (p ConvParams) fusedCol2im4s2() bool {
	return p.KW == 4 && p.StrideW == 2 && p.PadL == 1 && p.W == 2*p.OutW()
}

// col2imRow4s2 adds the four taps s0…s3 (ow values each) of one output row
// into the image row d (2·ow values).
func col2imRow4s2(d, s0, s1, s2, s3 []float32) {
	ow := len(s1)
	d, s0, s2, s3 = d[:2*ow], s0[:ow], s2[:ow], s3[:ow]
	if ow == 1 {
		d[0] += s1[0]
		d[1] += s2[0]
		return
	}
	d[0] += s1[0]
	d[1] += s0[1]
	d[1] += s2[0]
	j := 1 + col2imRow4s2Vec(d, s0, s1, s2, s3) // the middle in assembly
	for ; j < ow-1; j++ {
		d[2*j] += s1[j]
		d[2*j] += s3[j-1]
		d[2*j+1] += s0[j+1]
		d[2*j+1] += s2[j]
	}
	d[2*ow-2] += s1[ow-1]
	d[2*ow-2] += s3[ow-2]
	d[2*ow-1] += s2[ow-1]
}
