package imageio

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

type refJob struct {
	p      *Planes
	oh, ow int
	shrink bool
}

// torchResample runs testdata/resample_ref.py once for all jobs: PyTorch's
// bilinear interpolate (antialiased when shrinking) of each whole picture.
func torchResample(t *testing.T, jobs []refJob) [][]float32 {
	t.Helper()
	const py = "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		t.Skip("/usr/bin/python3 not found: skipping the PyTorch reference test")
	}
	if err := exec.Command(py, "-c", "import torch, numpy").Run(); err != nil {
		t.Skip("torch or numpy is not importable by /usr/bin/python3: skipping the PyTorch reference test")
	}
	dir := t.TempDir()
	var manifest strings.Builder
	for i, j := range jobs {
		in := filepath.Join(dir, fmt.Sprintf("in%d.u8", i))
		if err := os.WriteFile(in, j.p.Pix, 0o644); err != nil {
			t.Fatal(err)
		}
		aa := 0
		if j.shrink {
			aa = 1
		}
		fmt.Fprintf(&manifest, "%s %s %d %d %d %d %d %d\n", in, filepath.Join(dir, fmt.Sprintf("out%d.f32", i)), j.p.C, j.p.H, j.p.W, j.oh, j.ow, aa)
	}
	jobsFile := filepath.Join(dir, "jobs.txt")
	if err := os.WriteFile(jobsFile, []byte(manifest.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if msg, err := exec.Command(py, "testdata/resample_ref.py", jobsFile).CombinedOutput(); err != nil {
		t.Fatalf("resample_ref.py: %v\n%s", err, msg)
	}
	out := make([][]float32, len(jobs))
	for i := range jobs {
		raw, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("out%d.f32", i)))
		if err != nil {
			t.Fatal(err)
		}
		out[i] = make([]float32, len(raw)/4)
		for k := range out[i] {
			out[i][k] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*k:]))
		}
	}
	return out
}

func noise(c, h, w int) *Planes {
	p := NewPlanes(c, h, w)
	s := uint32(12345)
	for i := range p.Pix {
		s = s*1664525 + 1013904223
		p.Pix[i] = uint8(s >> 24)
	}
	return p
}

// TestResampleMatchesPyTorch compares Resample of a whole picture with
// PyTorch's bilinear interpolate. Enlarging, the two agree everywhere.
// Shrinking, PyTorch's antialiased filter renormalises the taps that fall
// off the picture while Resample replicates the border pixel, so only
// outputs whose taps lie inside the picture are compared there.
func TestResampleMatchesPyTorch(t *testing.T) {
	cases := []struct {
		name           string
		c, h, w        int
		oh, ow         int
		shrink         bool
		borderH, bordW int // outputs skipped at each edge
	}{
		{"enlarge", 3, 11, 9, 29, 23, false, 0, 0},
		{"enlarge-2x", 1, 8, 8, 16, 16, false, 0, 0},
		{"shrink-3.1x", 3, 40, 31, 13, 10, true, 2, 2},
		{"shrink-1.5x", 1, 30, 30, 20, 20, true, 1, 1},
		{"mixed", 2, 12, 40, 30, 16, true, 1, 2},
	}
	var jobs []refJob
	for _, c := range cases {
		jobs = append(jobs, refJob{noise(c.c, c.h, c.w), c.oh, c.ow, c.shrink})
	}
	refs := torchResample(t, jobs)
	for k, c := range cases {
		p, ref := jobs[k].p, refs[k]
		got := make([]float32, c.c*c.oh*c.ow)
		Resample(p, p.Full(), c.ow, c.oh, false, 1, 0, got)
		worst := 0.0
		for ch := 0; ch < c.c; ch++ {
			for y := c.borderH; y < c.oh-c.borderH; y++ {
				for x := c.bordW; x < c.ow-c.bordW; x++ {
					i := (ch*c.oh+y)*c.ow + x
					worst = math.Max(worst, math.Abs(float64(got[i]-ref[i])))
				}
			}
		}
		// float32 accumulation of at most a few dozen taps of values ≤ 255.
		t.Logf("%s: largest difference from PyTorch %.3g", c.name, worst)
		if worst > 2e-4*255 {
			t.Errorf("%s: largest difference from PyTorch %g", c.name, worst)
		}
	}
}

func TestResampleIdentityFlipAndCrop(t *testing.T) {
	p := noise(2, 7, 9)
	out := make([]float32, 2*7*9)
	Resample(p, p.Full(), 9, 7, false, 2.0/255, -1, out)
	for i, v := range p.Pix {
		if want := float32(v)*(2.0/255) - 1; out[i] != want {
			t.Fatalf("identity: sample %d = %g, want %g", i, out[i], want)
		}
	}
	Resample(p, p.Full(), 9, 7, true, 1, 0, out)
	for c := 0; c < 2; c++ {
		for y := 0; y < 7; y++ {
			for x := 0; x < 9; x++ {
				if out[(c*7+y)*9+x] != float32(p.Pix[(c*7+y)*9+8-x]) {
					t.Fatalf("flip: (%d,%d,%d) wrong", c, y, x)
				}
			}
		}
	}
	// An integer window at scale 1 is an exact crop.
	crop := make([]float32, 2*4*5)
	Resample(p, Window{X: 3, Y: 2, W: 5, H: 4}, 5, 4, false, 1, 0, crop)
	want := p.Crop(3, 2, 5, 4)
	for i, v := range want.Pix {
		if crop[i] != float32(v) {
			t.Fatalf("crop: sample %d = %g, want %d", i, crop[i], v)
		}
	}
}

func TestResizeAndShortSide(t *testing.T) {
	if w, h := ShortSide(300, 200, 128); w != 192 || h != 128 {
		t.Errorf("ShortSide(300,200) = %d,%d", w, h)
	}
	if w, h := ShortSide(100, 301, 128); w != 128 || h != 385 {
		t.Errorf("ShortSide(100,301) = %d,%d", w, h)
	}
	flat := NewPlanes(1, 50, 70)
	for i := range flat.Pix {
		flat.Pix[i] = 77
	}
	r := Resize(flat, 13, 9)
	for _, v := range r.Pix {
		if v != 77 {
			t.Fatalf("resized constant = %d", v)
		}
	}
	n := ResizeNearest(noise(1, 4, 4), 8, 8)
	src := noise(1, 4, 4)
	if n.Pix[3*8+5] != src.Pix[1*4+2] {
		t.Error("ResizeNearest picks the wrong source pixel")
	}
}

// BenchmarkResample times the training augmentation's resampling: a crop of
// 0.9 of the side enlarged back to the full side, 3 planes.
func BenchmarkResample(b *testing.B) {
	for _, size := range []int{128, 256} {
		b.Run(strconv.Itoa(size), func(b *testing.B) {
			p := noise(3, size, size)
			out := make([]float32, 3*size*size)
			side := 0.9 * float64(size)
			for i := 0; i < b.N; i++ {
				Resample(p, Window{X: 3, Y: 5, W: side, H: side}, size, size, i%2 == 1, 2.0/255, -1, out)
			}
		})
	}
}
