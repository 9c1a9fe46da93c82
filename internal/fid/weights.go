package fid

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/nlpodyssey/gopickle/types"
)

// Facts about pytorch-fid's published weights file.
const (
	// WeightsFile is the file name pytorch-fid publishes.
	WeightsFile = "pt_inception-2015-12-05-6726825d.pth"
	// WeightsURL is where pytorch-fid publishes it. colorize never downloads
	// it; the missing-file error tells the user to.
	WeightsURL = "https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/" + WeightsFile
	// WeightsSHA256Prefix is the start of the file's SHA-256 (torch.hub names
	// files after it).
	WeightsSHA256Prefix = "6726825d"
	// weightsSize is the approximate size of the file, for the error message.
	weightsSize = "about 95.6 MB"
)

// Tensor is one named array of a state dict, as float32 in row-major order.
type Tensor struct {
	Shape []int
	Data  []float32
}

// DefaultWeightsPath is where colorize looks for the weights when neither a
// flag nor the config names a file: $XDG_CACHE_HOME/colorize/WeightsFile, or
// ~/.cache/colorize/WeightsFile (os.UserCacheDir's rules).
func DefaultWeightsPath() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	return filepath.Join(dir, "colorize", WeightsFile)
}

// MissingWeightsError reports that the Inception weights file is absent and
// says how to get it.
type MissingWeightsError struct{ Path string }

func (e *MissingWeightsError) Error() string {
	return fmt.Sprintf("inception weights %s not found: download pytorch-fid's %s (%s, SHA-256 starting %s) from %s "+
		"and save it at that path, or name the file with --inception or the config key eval.inception "+
		"(colorize never downloads it by itself)",
		e.Path, WeightsFile, weightsSize, WeightsSHA256Prefix, WeightsURL)
}

func (e *MissingWeightsError) Is(target error) bool { return target == fs.ErrNotExist }

// LoadStateDict reads a PyTorch checkpoint written by torch.save (zip format
// of torch ≥ 1.6 or the legacy format) holding a state dict, and returns its
// floating-point tensors by name. Integer tensors (BatchNorm's
// num_batches_tracked) are skipped. A missing file gives a
// *MissingWeightsError; a file whose pickle, storages or tensors claim more
// than it holds is an error naming the file and the storage or tensor.
func LoadStateDict(path string) (map[string]Tensor, error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, &MissingWeightsError{Path: path}
	} else if err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	obj, err := loadPTH(path)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	sd, err := stateDict(obj)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	return sd, nil
}

// stateDict gathers the floating-point tensors of a state dict, an
// OrderedDict or dict of names to tensors.
func stateDict(obj any) (map[string]Tensor, error) {
	out := map[string]Tensor{}
	add := func(k, v any) error {
		name, ok := k.(string)
		if !ok {
			return fmt.Errorf("state dict key is a %T, not a string", k)
		}
		pt, ok := v.(*pthTensor)
		if !ok {
			return nil // not a tensor (metadata): ignore
		}
		t, ok, err := pt.gather()
		if err != nil {
			return fmt.Errorf("tensor %s (storage %s): %w", name, pt.storage.key, err)
		}
		if ok {
			out[name] = t
		}
		return nil
	}
	switch d := obj.(type) {
	case *types.OrderedDict:
		for e := d.List.Front(); e != nil; e = e.Next() {
			entry := e.Value.(*types.OrderedDictEntry)
			if err := add(entry.Key, entry.Value); err != nil {
				return nil, err
			}
		}
	case *types.Dict:
		for _, entry := range *d {
			if err := add(entry.Key, entry.Value); err != nil {
				return nil, err
			}
		}
	default:
		return nil, fmt.Errorf("top-level object is a %T, want a state dict", obj)
	}
	if len(out) == 0 {
		return nil, errors.New("no floating-point tensors in the state dict")
	}
	return out, nil
}

// contiguous reports whether strides are those of a dense row-major array
// (dimensions of size 1 may have any stride).
func contiguous(shape, stride []int) bool {
	want := 1
	for d := len(shape) - 1; d >= 0; d-- {
		if shape[d] != 1 && stride[d] != want {
			return false
		}
		want *= shape[d]
	}
	return true
}

// sortedKeys lists a state dict's names, for error messages.
func sortedKeys(m map[string]Tensor) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
