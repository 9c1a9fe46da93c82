package train

import (
	"bytes"
	"fmt"
	"image/png"

	"github.com/colorize-dev/colorize/internal/checkpoint"
	"github.com/colorize-dev/colorize/internal/config"
	"github.com/colorize-dev/colorize/internal/data"
	"github.com/colorize-dev/colorize/internal/loss"
	"github.com/colorize-dev/colorize/internal/unet"
)

// validator measures the generator on the fixed validation batches.
type validator struct {
	batches []*data.Batch
	runner  *unet.Runner
	dropout bool
}

// ValScore is the generator's error on the validation set.
type ValScore struct {
	L1     float64 // plain L1, mean over every value: the paper's Fig. 2 measure
	CompL1 float64 // compensated L1 with the channel errors pooled over the set
}

func newValidator(ds *data.Dataset, gen *unet.Generator, cfg config.Config) (*validator, error) {
	vb := min(cfg.Train.Batch, max(ds.ValLen(), 1))
	batches, err := ds.Val(vb)
	if err != nil {
		return nil, err
	}
	if len(batches) == 0 {
		return nil, fmt.Errorf("data %s: no validation examples (data.val_fraction %g)", cfg.Data.Dir, cfg.Data.ValFraction)
	}
	b := batches[0]
	r, err := unet.NewRunner(gen, vb, b.H, b.W, cfg.Model.InferDropout)
	if err != nil {
		return nil, err
	}
	return &validator{batches: batches, runner: r, dropout: cfg.Model.InferDropout}, nil
}

// Measure runs the generator over every validation batch.
func (v *validator) Measure() (ValScore, error) {
	n, _, _ := v.runner.Shape()
	var absSum float64
	var count int
	chanSum := make([]float64, 3)
	var chanCount int
	input := []float32{}
	for i, b := range v.batches {
		input = b.Input(input)
		hw := b.H * b.W
		if b.N < n { // a short last batch: pad with zeros, ignore the padding
			input = append(input, make([]float32, (n-b.N)*5*hw)...)
		}
		out, err := v.runner.Run(input, uint64(i))
		if err != nil {
			return ValScore{}, err
		}
		out = out[:b.N*3*hw]
		l1, err := loss.L1Ref(out, b.Color)
		if err != nil {
			return ValScore{}, err
		}
		absSum += l1 * float64(len(out))
		count += len(out)
		lc, err := loss.ChannelL1Ref(out, b.Color, []int{b.N, 3, b.H, b.W})
		if err != nil {
			return ValScore{}, err
		}
		for c := range chanSum {
			chanSum[c] += lc[c] * float64(b.N*hw)
		}
		chanCount += b.N * hw
	}
	for c := range chanSum {
		chanSum[c] /= float64(chanCount)
	}
	return ValScore{L1: absSum / float64(count), CompL1: loss.Compensate(chanSum)}, nil
}

// SaveSamples writes the sample grid (line | hints | output | target) of the
// first validation batch with the generator as it is now.
func (v *validator) SaveSamples(path string) error {
	b := v.batches[0]
	n, _, _ := v.runner.Shape()
	input := b.Input(nil)
	input = append(input, make([]float32, (n-b.N)*5*b.H*b.W)...)
	out, err := v.runner.Run(input, 0)
	if err != nil {
		return err
	}
	img, err := data.Sheet(b, out[:b.N*3*b.H*b.W], 1)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return fmt.Errorf("sample grid %s: %w", path, err)
	}
	return checkpoint.WriteFileAtomic(path, buf.Bytes())
}

func (v *validator) Close() { v.runner.Close() }
