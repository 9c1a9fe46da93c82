package fid

import (
	"context"
	"errors"
	"image"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// stemStateDict holds random weights for the first three convolutions,
// enough for dims 64.
func stemStateDict(rng *rand.Rand) map[string]Tensor {
	sd := map[string]Tensor{}
	add := func(prefix string, shape ...int) {
		w := Tensor{Shape: shape, Data: make([]float32, size(shape))}
		for i := range w.Data {
			w.Data[i] = float32(rng.NormFloat64() * 0.2)
		}
		sd[prefix+".conv.weight"] = w
		for _, p := range []string{"weight", "bias", "running_mean", "running_var"} {
			t := Tensor{Shape: []int{shape[0]}, Data: make([]float32, shape[0])}
			for i := range t.Data {
				t.Data[i] = float32(0.5 + rng.Float64())
			}
			sd[prefix+".bn."+p] = t
		}
	}
	add("Conv2d_1a_3x3", 32, 3, 3, 3)
	add("Conv2d_2a_3x3", 32, 32, 3, 3)
	add("Conv2d_2b_3x3", 64, 32, 3, 3)
	return sd
}

type failingSource struct {
	Images
	bad int
}

func (s failingSource) Image(i int) (image.Image, error) {
	if i == s.bad {
		return nil, errors.New("unreadable")
	}
	return s.Images[i], nil
}

// TestExtract: results are in order and independent of the worker count
// and of how the images are batched (one batch of five with one worker,
// batches of two with three; up to rounding); progress counts every image;
// a failing image stops the extraction with its index in the error.
func TestExtract(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 20))
	m, err := New(stemStateDict(rng), 64)
	if err != nil {
		t.Fatal(err)
	}
	imgs := make(Images, 5)
	for i := range imgs {
		img := image.NewNRGBA(image.Rect(0, 0, 40+i, 30))
		for p := range img.Pix {
			img.Pix[p] = uint8(rng.IntN(256))
		}
		imgs[i] = img
	}
	var calls, last int
	one, err := m.Extract(context.Background(), imgs, 1, func(done int) { calls++; last = done })
	if err != nil {
		t.Fatal(err)
	}
	if calls != 1 || last != 5 {
		t.Errorf("one worker: progress called %d times, last %d; want once (one batch), 5", calls, last)
	}
	var counts []int
	many, err := m.Extract(context.Background(), imgs, 3, func(done int) { counts = append(counts, done) })
	if err != nil {
		t.Fatal(err)
	}
	if len(counts) != 3 || counts[2] != 5 || counts[0] >= counts[1] {
		t.Errorf("three workers: progress %v, want three increasing counts ending at 5 (batches of 2, 2, 1)", counts)
	}
	for i := range one {
		if len(one[i]) != 64 {
			t.Fatalf("feature %d has %d values", i, len(one[i]))
		}
		single, _ := m.Feature(imgs[i])
		for j := range one[i] {
			// Equal up to float32 rounding: OpenBLAS sums in another order
			// when it runs multithreaded (one worker) than single-threaded.
			tol := 1e-6 * (math.Abs(float64(one[i][j])) + 1e-3)
			if math.Abs(float64(one[i][j]-many[i][j])) > tol || math.Abs(float64(one[i][j]-single[j])) > tol {
				t.Fatalf("image %d feature %d: %g (1 worker), %g (3 workers), %g (alone)", i, j, one[i][j], many[i][j], single[j])
			}
		}
	}
	if _, err := m.Extract(context.Background(), failingSource{imgs, 3}, 2, nil); err == nil || !strings.Contains(err.Error(), "image 3") {
		t.Errorf("error %v, want one naming image 3", err)
	}
	if _, err := m.FeatureCHW(make([]float32, 10), 2, 2); err == nil {
		t.Error("short input: want an error")
	}
}
