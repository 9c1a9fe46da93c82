package metrics

import (
	"encoding/json"
	"math"
	"testing"
)

// TestScorerClosedForm: per-channel offsets 0.1, 0.2, 0.3 give L1 0.2 and
// compensated L1 (0.01+0.04+0.09)/0.6; pooling is over values, so a second
// batch of a different size weighs by its pixels.
func TestScorerClosedForm(t *testing.T) {
	const h, w = 12, 13
	img := func(n int, off [3]float32) (fake, real []float32) {
		for i := 0; i < n; i++ {
			for c := 0; c < 3; c++ {
				for j := 0; j < h*w; j++ {
					r := float32(j%7)/10 - 0.3
					real = append(real, r)
					fake = append(fake, r+off[c])
				}
			}
		}
		return
	}
	s := Scorer{Images: true, PerImage: true}
	f, r := img(2, [3]float32{0.1, -0.2, 0.3})
	if err := s.Add(f, r, 2, h, w); err != nil {
		t.Fatal(err)
	}
	sc := s.Score()
	if sc.N != 2 || math.Abs(sc.L1-0.2) > 1e-6 || math.Abs(sc.CompL1-0.14/0.6) > 1e-6 {
		t.Fatalf("score %+v, want N 2, L1 0.2, compensated %g", sc, 0.14/0.6)
	}
	// MSE = (0.01+0.04+0.09)/3 on a range of 2.
	if want := 10 * math.Log10(4/(0.14/3)); math.Abs(float64(sc.PSNR)-want) > 1e-4 {
		t.Errorf("PSNR %g, want %g", sc.PSNR, want)
	}
	if len(sc.PerImage) != 2 || math.Abs(sc.PerImage[1].L1-0.2) > 1e-6 || math.Abs(sc.PerImage[1].CompL1-0.14/0.6) > 1e-6 ||
		math.Abs(float64(sc.PerImage[0].PSNR-sc.PSNR)) > 1e-9 {
		t.Errorf("per image %+v", sc.PerImage)
	}
	f2, r2 := img(1, [3]float32{0.4, 0.4, 0.4})
	s.Add(f2, r2, 1, h, w)
	if got := s.Score().L1; math.Abs(got-(2*0.2+0.4)/3) > 1e-6 {
		t.Errorf("pooled L1 %g, want %g", got, (2*0.2+0.4)/3)
	}
	if err := s.Add(f2[:5], r2, 1, h, w); err == nil {
		t.Error("short batch accepted")
	}
	if z := (&Scorer{}).Score(); z.N != 0 || z.L1 != 0 || z.PerImage != nil {
		t.Error("empty scorer is not zero")
	}
}

func TestInfinitePSNRIsNullInJSON(t *testing.T) {
	b, err := json.Marshal(Score{N: 1, PSNR: DB(math.Inf(1))})
	if err != nil {
		t.Fatal(err)
	}
	var back Score
	if err := json.Unmarshal(b, &back); err != nil || !math.IsInf(float64(back.PSNR), 1) {
		t.Fatalf("%s read back as %v, %v", b, back.PSNR, err)
	}
	b, _ = json.Marshal(DB(12.5))
	if string(b) != "12.5" {
		t.Errorf("finite PSNR encodes as %s", b)
	}
}
