package fid

import (
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// The parity reference: testdata/parity.py builds pytorch-fid's network in
// PyTorch with synthetic weights and writes them, 8 PNGs, their features
// and FIDs into a temporary folder, once per test binary.
var (
	parityOnce sync.Once
	parityDir  string
)

func parityData(t testing.TB) string {
	t.Helper()
	needTorch(t)
	parityOnce.Do(func() {
		dir, err := os.MkdirTemp("", "fid-parity-")
		if err != nil {
			t.Fatal(err)
		}
		runPy(t, "parity.py", dir, "1")
		parityDir = dir
	})
	if parityDir == "" {
		t.Fatal("parity reference generation failed earlier")
	}
	return parityDir
}

func TestMain(m *testing.M) {
	code := m.Run()
	if parityDir != "" {
		os.RemoveAll(parityDir)
	}
	os.Exit(code)
}

func loadPNGs(t *testing.T, dir string, n int) Images {
	t.Helper()
	imgs := make(Images, n)
	for i := range imgs {
		f, err := os.Open(filepath.Join(dir, fmt.Sprintf("img%d.png", i)))
		if err != nil {
			t.Fatal(err)
		}
		imgs[i], err = png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	return imgs
}

func readNPYFile(t *testing.T, path string) Array {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	a, err := ReadNPY(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return a
}

// TestParityWithPyTorch is the acceptance test of issue 6: features within
// 1e-4 relative and FID within 1e-3 relative of the PyTorch network, for
// dims 2048 and 192, from a legacy-format .pth with pytorch-fid's keys.
func TestParityWithPyTorch(t *testing.T) {
	dir := parityData(t)
	sd, err := LoadStateDict(filepath.Join(dir, "weights.pth"))
	if err != nil {
		t.Fatal(err)
	}
	var ref map[string]float64
	raw, err := os.ReadFile(filepath.Join(dir, "ref.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}
	imgs := loadPNGs(t, dir, 8)
	if _, ok := imgs[7].(*image.Gray); !ok {
		t.Fatalf("img7.png decoded as %T, want a grayscale image to exercise the gray→RGB path", imgs[7])
	}
	for _, dims := range []int{2048, 192} {
		t.Run(fmt.Sprint(dims), func(t *testing.T) {
			m, err := New(sd, dims)
			if err != nil {
				t.Fatal(err)
			}
			feats, err := m.Extract(context.Background(), imgs, 0, nil)
			if err != nil {
				t.Fatal(err)
			}
			want := readNPYFile(t, filepath.Join(dir, fmt.Sprintf("feat%d.npy", dims)))
			if want.Shape[0] != 8 || want.Shape[1] != dims {
				t.Fatalf("reference shape %v", want.Shape)
			}
			// Per image: the error relative to the feature vector's largest
			// entry (ReLU features have many exact or near zeros, where an
			// element-wise relative error means nothing).
			for i, f := range feats {
				w := want.Data[i*dims : (i+1)*dims]
				var maxErr, scale float64
				for j := range f {
					maxErr = math.Max(maxErr, math.Abs(float64(f[j])-w[j]))
					scale = math.Max(scale, math.Abs(w[j]))
				}
				t.Logf("image %d: max |Δ| %.3g, max |feature| %.3g, relative %.2g", i, maxErr, scale, maxErr/scale)
				if maxErr > 1e-4*scale {
					t.Errorf("image %d: features differ by %.3g relative (max |Δ| %.3g), want ≤ 1e-4", i, maxErr/scale, maxErr)
				}
			}
			s1, err := ComputeStats(feats[:4])
			if err != nil {
				t.Fatal(err)
			}
			s2, err := ComputeStats(feats[4:])
			if err != nil {
				t.Fatal(err)
			}
			got, err := FrechetDistance(s1, s2)
			if err != nil {
				t.Fatal(err)
			}
			wantFID := ref[fmt.Sprintf("fid%d", dims)]
			t.Logf("FID %.9g, PyTorch %.9g", got, wantFID)
			if rel := math.Abs(got-wantFID) / wantFID; rel > 1e-3 {
				t.Errorf("FID %g, want %g (relative error %.2g > 1e-3)", got, wantFID, rel)
			}
			if dims == 192 {
				// pytorch-fid's statistics file of the first set.
				st, err := LoadStats(filepath.Join(dir, "real192.npz"))
				if err != nil {
					t.Fatal(err)
				}
				d, err := FrechetDistance(st, s1)
				if err != nil {
					t.Fatal(err)
				}
				if tr := trace(s1); d > 1e-6*tr {
					t.Errorf("FID between numpy's and our statistics of the same images = %g, want ≈ 0 (tr Σ = %g)", d, tr)
				}
			}
		})
	}
}

func trace(s Stats) float64 {
	var tr float64
	d := s.Dim()
	for i := 0; i < d; i++ {
		tr += s.Sigma[i*d+i]
	}
	return tr
}

// TestLoadStateDictZip reads the zip format of torch ≥ 1.6 and checks the
// tensors equal those of the legacy file.
func TestLoadStateDictZip(t *testing.T) {
	dir := parityData(t)
	small, err := LoadStateDict(filepath.Join(dir, "small_zip.pth"))
	if err != nil {
		t.Fatal(err)
	}
	full, err := LoadStateDict(filepath.Join(dir, "weights.pth"))
	if err != nil {
		t.Fatal(err)
	}
	if len(small) != 4 {
		t.Fatalf("zip file: %d tensors %v, want 4", len(small), sortedKeys(small))
	}
	for name, s := range small {
		f, ok := full[name]
		if !ok || !equalShape(s.Shape, f.Shape) {
			t.Fatalf("%s: shape %v in zip, %v in legacy file", name, s.Shape, f.Shape)
		}
		for i := range s.Data {
			if s.Data[i] != f.Data[i] {
				t.Fatalf("%s[%d]: %g in zip, %g in legacy file", name, i, s.Data[i], f.Data[i])
			}
		}
	}
	if _, ok := full["Conv2d_1a_3x3.bn.num_batches_tracked"]; ok {
		t.Error("integer tensor num_batches_tracked should be skipped")
	}
	if fc := full["fc.weight"]; !equalShape(fc.Shape, []int{1008, 2048}) {
		t.Errorf("fc.weight shape %v, want [1008 2048]", fc.Shape)
	}
}
