package metrics

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand"
	"os/exec"
	"strings"
	"testing"
)

func TestPSNRClosedForm(t *testing.T) {
	a := []float32{0, 0, 0, 0}
	b := []float32{0.1, -0.1, 0.1, -0.1} // MSE = 0.01 → PSNR = 10·log10(1/0.01) = 20 dB
	if got := PSNR(a, b, 1); math.Abs(got-20) > 1e-5 {
		t.Fatalf("PSNR = %g, want 20", got)
	}
	if got := PSNR(a, b, 2); math.Abs(got-(20+20*math.Log10(2))) > 1e-5 {
		t.Fatalf("PSNR range 2 = %g", got)
	}
	if !math.IsInf(PSNR(a, a, 1), 1) {
		t.Fatal("identical images should give +Inf")
	}
}

func TestSSIMProperties(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	const c, h, w = 3, 24, 20
	x := make([]float32, c*h*w)
	for i := range x {
		x[i] = rng.Float32()
	}
	s, err := SSIM(x, x, c, h, w)
	if err != nil || math.Abs(s-1) > 1e-12 {
		t.Fatalf("SSIM(x, x) = %g, %v", s, err)
	}
	y := make([]float32, len(x))
	for i := range y {
		y[i] = x[i] + 0.2*(rng.Float32()-0.5)
	}
	s2, _ := SSIM(x, y, c, h, w)
	z := make([]float32, len(x))
	for i := range z {
		z[i] = x[i] + 0.6*(rng.Float32()-0.5)
	}
	s3, _ := SSIM(x, z, c, h, w)
	if !(s2 < 1 && s3 < s2) {
		t.Fatalf("SSIM should fall with noise: %g, %g", s2, s3)
	}
	sym, _ := SSIM(y, x, c, h, w)
	if math.Abs(sym-s2) > 1e-12 {
		t.Fatal("SSIM is not symmetric")
	}
	if _, err := SSIM(x[:100], x[:100], 1, 10, 10); err == nil {
		t.Fatal("image smaller than the window accepted")
	}
}

// TestSSIMMatchesNumPyReference compares with an independent implementation:
// the definition evaluated with a full 2-D window at every valid position in
// NumPy (float64).
func TestSSIMMatchesNumPyReference(t *testing.T) {
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import numpy").Run(); err != nil {
		t.Skip("needs /usr/bin/python3 with numpy (apt python3-numpy)")
	}
	rng := rand.New(rand.NewSource(2))
	const c, h, w = 2, 17, 23
	x := make([]float32, c*h*w)
	y := make([]float32, c*h*w)
	for i := range x {
		x[i] = rng.Float32()
		y[i] = float32(math.Min(1, math.Max(0, float64(x[i])+0.3*(rng.Float64()-0.5))))
	}
	var buf bytes.Buffer
	binary.Write(&buf, binary.LittleEndian, x)
	binary.Write(&buf, binary.LittleEndian, y)
	script := fmt.Sprintf(`
import sys, numpy as np
d = np.frombuffer(sys.stdin.buffer.read(), dtype='<f4').astype(np.float64)
c, h, w = %d, %d, %d
x, y = d[:c*h*w].reshape(c, h, w), d[c*h*w:].reshape(c, h, w)
g = np.exp(-((np.arange(11) - 5) ** 2) / (2 * 1.5 ** 2)); g /= g.sum(); W = np.outer(g, g)
C1, C2 = 0.01 ** 2, 0.03 ** 2
vals = []
for ch in range(c):
    m = []
    for i in range(h - 10):
        for j in range(w - 10):
            a, b = x[ch, i:i+11, j:j+11], y[ch, i:i+11, j:j+11]
            mx, my = (W * a).sum(), (W * b).sum()
            vx = (W * a * a).sum() - mx * mx; vy = (W * b * b).sum() - my * my; cxy = (W * a * b).sum() - mx * my
            m.append(((2*mx*my + C1) * (2*cxy + C2)) / ((mx*mx + my*my + C1) * (vx + vy + C2)))
    vals.append(np.mean(m))
print(repr(float(np.mean(vals))))
`, c, h, w)
	cmd := exec.Command(py, "-c", script)
	cmd.Stdin = &buf
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	var want float64
	fmt.Sscan(strings.TrimSpace(string(out)), &want)
	got, err := SSIM(x, y, c, h, w)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(got-want) > 1e-9 {
		t.Fatalf("SSIM = %.12f, NumPy reference %.12f", got, want)
	}
}
