package fid

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"
)

func saveFeats(t *testing.T, path string, feats [][]float32) {
	t.Helper()
	a := Array{Shape: []int{len(feats), len(feats[0])}}
	for _, f := range feats {
		for _, v := range f {
			a.Data = append(a.Data, float64(v))
		}
	}
	var buf bytes.Buffer
	if err := WriteNPY(&buf, a); err != nil {
		t.Fatal(err)
	}
	if err := writeFile(path, buf.Bytes()); err != nil {
		t.Fatal(err)
	}
}

// TestKIDNumpy: with subsets as large as the sets, every subset is the
// whole set, so KID's mean is the full-set unbiased MMD² numpy computes and
// its standard deviation is zero.
func TestKIDNumpy(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	x := randomFeatures(rng, 30, 20, 0, 1)
	y := randomFeatures(rng, 30, 20, 0.3, 1.2)
	dir := t.TempDir()
	saveFeats(t, filepath.Join(dir, "x.npy"), x)
	saveFeats(t, filepath.Join(dir, "y.npy"), y)
	var ref struct{ MMD2 float64 }
	if err := json.Unmarshal(runPy(t, "ref.py", "kid", filepath.Join(dir, "x.npy"), filepath.Join(dir, "y.npy")), &ref); err != nil {
		t.Fatal(err)
	}
	got, err := KID(x, y, KIDOptions{Subsets: 5, SubsetSize: 1000, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("KID %.15g ± %.3g, numpy %.15g", got.Mean, got.Std, ref.MMD2)
	if got.SubsetSize != 30 {
		t.Errorf("subset size %d, want it capped at 30", got.SubsetSize)
	}
	if math.Abs(got.Mean-ref.MMD2) > 1e-10*math.Abs(ref.MMD2) || got.Std > 1e-12 {
		t.Errorf("KID %.15g ± %g, want %.15g ± 0", got.Mean, got.Std, ref.MMD2)
	}
}

// TestKIDSubsets: the per-subset dot products and the precomputed Gram
// matrix give the same values; the seed fixes the draws; sets from one
// distribution score near zero and shifted ones clearly above.
func TestKIDSubsets(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	x := randomFeatures(rng, 60, 16, 0, 1)
	y2 := randomFeatures(rng, 50, 16, 0.5, 1)
	opt := KIDOptions{Subsets: 20, SubsetSize: 25, Seed: 7}
	a, err := KID(x, y2, opt)
	if err != nil {
		t.Fatal(err)
	}
	saved := maxGramEntries
	maxGramEntries = 0
	b, err := KID(x, y2, opt)
	maxGramEntries = saved
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(a.Mean-b.Mean) > 1e-12*math.Abs(a.Mean) || math.Abs(a.Std-b.Std) > 1e-9*a.Std {
		t.Errorf("Gram path %g ± %g, per-subset path %g ± %g", a.Mean, a.Std, b.Mean, b.Std)
	}
	c, _ := KID(x, y2, opt)
	if c != a {
		t.Errorf("same seed, different results: %+v and %+v", a, c)
	}
	opt.Seed = 8
	if d, _ := KID(x, y2, opt); d.Mean == a.Mean {
		t.Error("another seed gave the same mean")
	}
	if a.Std <= 0 {
		t.Errorf("std %g over random subsets, want > 0", a.Std)
	}
	same, err := KID(x[:30], x[30:], KIDOptions{Subsets: 1, SubsetSize: 30})
	if err != nil {
		t.Fatal(err)
	}
	if !(a.Mean > 10*math.Abs(same.Mean)) {
		t.Errorf("KID of shifted sets %g not clearly above that of one set's halves %g", a.Mean, same.Mean)
	}
}

func TestKIDErrors(t *testing.T) {
	x := [][]float32{{1, 2}, {3, 4}}
	if _, err := KID(x, [][]float32{{1, 2}}, DefaultKIDOptions()); err == nil {
		t.Error("one vector: want an error")
	}
	if _, err := KID(x, [][]float32{{1, 2}, {1}}, DefaultKIDOptions()); err == nil {
		t.Error("ragged: want an error")
	}
	if _, err := KID(x, x, KIDOptions{}); err == nil {
		t.Error("zero subsets: want an error")
	}
}
