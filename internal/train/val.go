package train

import (
	"fmt"

	"github.com/colorize-dev/colorize/internal/metrics"
	"github.com/colorize-dev/colorize/internal/modelio"

	"github.com/colorize-dev/colorize/internal/config"
	"github.com/colorize-dev/colorize/internal/data"
	"github.com/colorize-dev/colorize/internal/unet"
)

// validator measures the generator on the fixed validation batches.
type validator struct {
	batches []*modelio.Batch
	runner  *unet.Runner
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
	return &validator{batches: batches, runner: r}, nil
}

// Measure runs the generator over every validation batch.
func (v *validator) Measure() (ValScore, error) {
	var s metrics.Scorer
	input := []float32{}
	for i, b := range v.batches {
		out, err := v.run(b, &input, uint64(i))
		if err != nil {
			return ValScore{}, err
		}
		if err := s.Add(out, b.Color, b.N, b.H, b.W); err != nil {
			return ValScore{}, err
		}
	}
	sc := s.Score()
	return ValScore{L1: sc.L1, CompL1: sc.CompL1}, nil
}

// run colorizes batch b with dropout seed, padding a short last batch with
// zeros, and returns the outputs of b's examples. input is reused.
func (v *validator) run(b *modelio.Batch, input *[]float32, seed uint64) ([]float32, error) {
	n, _, _ := v.runner.Shape()
	hw := b.H * b.W
	*input = b.Input(*input)
	*input = append(*input, make([]float32, (n-b.N)*modelio.InChannels*hw)...)
	out, err := v.runner.Run(*input, seed)
	if err != nil {
		return nil, err
	}
	return out[:b.N*modelio.OutChannels*hw], nil
}

// SaveSamples writes the sample grid (line | hints | output | target) of the
// first validation batch with the generator as it is now.
func (v *validator) SaveSamples(path string) error {
	b := v.batches[0]
	var input []float32
	out, err := v.run(b, &input, 0)
	if err != nil {
		return err
	}
	return modelio.WriteSheet(path, b, out, 1)
}

func (v *validator) Close() { v.runner.Close() }
