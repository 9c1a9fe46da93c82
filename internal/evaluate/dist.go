package evaluate

import (
	"context"
	"errors"
	"fmt"

	"github.com/colorize-dev/colorize/internal/fid"
	"github.com/colorize-dev/colorize/internal/progress"
)

// Dist holds the distribution measures between two image sets; absent
// values are omitted from JSON.
type Dist struct {
	Dims      int      `json:"dims,omitempty"`
	FID       *float64 `json:"fid,omitempty"`
	KID       *float64 `json:"kid,omitempty"`
	KIDStd    *float64 `json:"kid_std,omitempty"`
	KIDSubset int      `json:"kid_subset_size,omitempty"`
	// Skipped says why FID and KID were not computed (Options.SkipMissingWeights).
	Skipped string `json:"fid_skipped,omitempty"`
}

// dims is the FID feature dimension opts asks for.
func (opts Options) dims() int {
	if opts.Dims == 0 {
		return 2048
	}
	return opts.Dims
}

// loadInception loads pytorch-fid's network when FID or KID is asked for.
// A missing weights file is an error, or with SkipMissingWeights a reason
// to skip them (model nil, skipped set).
func loadInception(opts Options) (m *fid.Model, skipped string, err error) {
	if !opts.FID && !opts.KID {
		return nil, "", nil
	}
	weights := opts.Inception
	if weights == "" {
		weights = fid.DefaultWeightsPath()
	}
	m, err = fid.Load(weights, opts.dims())
	var missing *fid.MissingWeightsError
	if errors.As(err, &missing) && opts.SkipMissingWeights {
		return nil, err.Error(), nil
	}
	return m, "", err
}

// distribution computes FID and/or KID between real and fake with m. The
// real side is either images or, for FID only, precomputed statistics
// (real nil); opts.SaveStats receives the real side's statistics.
func distribution(ctx context.Context, m *fid.Model, real fid.Source, realStats *fid.Stats, fake fid.Source, opts Options) (Dist, error) {
	res := Dist{Dims: opts.dims()}
	extract := func(label string, src fid.Source) ([][]float32, error) {
		bar := progress.New(orDiscard(opts.Progress), opts.TTY, "inception "+label, src.Len(), 0)
		bar.Unit = "img"
		defer bar.Finish()
		return m.Extract(ctx, src, 0, func(done int) { bar.Update(done, "") })
	}
	var fr [][]float32
	var err error
	if real != nil {
		if fr, err = extract("real", real); err != nil {
			return res, err
		}
	}
	ff, err := extract("fake", fake)
	if err != nil {
		return res, err
	}
	if opts.FID {
		var sr fid.Stats
		if realStats != nil {
			sr = *realStats
		} else if sr, err = fid.ComputeStats(fr); err != nil {
			return res, fmt.Errorf("real images: %w", err)
		}
		sf, err := fid.ComputeStats(ff)
		if err != nil {
			return res, fmt.Errorf("generated images: %w", err)
		}
		if opts.SaveStats != "" {
			if err := fid.SaveStats(opts.SaveStats, sr); err != nil {
				return res, err
			}
		}
		d, err := fid.FrechetDistance(sr, sf)
		if err != nil {
			return res, err
		}
		res.FID = &d
	}
	if opts.KID {
		ko := opts.KIDOpts
		if ko.Subsets == 0 {
			ko = fid.DefaultKIDOptions()
		}
		k, err := fid.KID(fr, ff, ko)
		if err != nil {
			return res, err
		}
		res.KID, res.KIDStd, res.KIDSubset = &k.Mean, &k.Std, k.SubsetSize
	}
	return res, nil
}
