package checkpoint

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// A run folder holds step checkpoints ckpt-00001000.safetensors (the newest
// train.keep_last of them) and best.safetensors (lowest validation L1).

// BestName is the file name of the best checkpoint in a run folder.
const BestName = "best.safetensors"

// StepName is the file name of the checkpoint of step.
func StepName(step int) string { return fmt.Sprintf("ckpt-%08d.safetensors", step) }

// StepFiles lists the step checkpoints in dir, oldest first.
func StepFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, "ckpt-") && strings.HasSuffix(name, ".safetensors") && !e.IsDir() {
			out = append(out, filepath.Join(dir, name))
		}
	}
	sort.Strings(out) // zero-padded step numbers sort by step
	return out, nil
}

// Latest returns the newest step checkpoint in dir, or "" if there is none.
func Latest(dir string) (string, error) {
	files, err := StepFiles(dir)
	if err != nil || len(files) == 0 {
		return "", err
	}
	return files[len(files)-1], nil
}

// Prune deletes all but the newest keep step checkpoints in dir.
func Prune(dir string, keep int) error {
	files, err := StepFiles(dir)
	if err != nil {
		return err
	}
	for len(files) > keep {
		if err := os.Remove(files[0]); err != nil {
			return err
		}
		files = files[1:]
	}
	return nil
}

// Resolve turns a --checkpoint argument into a file: a file is used as is;
// a run folder gives its best checkpoint, or its newest step checkpoint when
// it has no best yet.
func Resolve(path string) (string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("checkpoint %s: %w", path, err)
	}
	if !st.IsDir() {
		return path, nil
	}
	best := filepath.Join(path, BestName)
	if _, err := os.Stat(best); err == nil {
		return best, nil
	}
	latest, err := Latest(path)
	if err != nil {
		return "", fmt.Errorf("checkpoint folder %s: %w", path, err)
	}
	if latest == "" {
		return "", fmt.Errorf("checkpoint folder %s holds no checkpoint (%s or ckpt-*.safetensors)", path, BestName)
	}
	return latest, nil
}

// NewestRun returns the run folder under root (a folder of run folders) whose
// newest checkpoint was written last, for commands that default to "the
// latest run".
func NewestRun(root string) (string, error) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return "", fmt.Errorf("no --checkpoint given and no runs found: %w", err)
	}
	var best string
	var bestTime int64
	consider := func(dir string) {
		latest, _ := Latest(dir)
		for _, f := range []string{filepath.Join(dir, BestName), latest} {
			if f == "" {
				continue
			}
			if st, err := os.Stat(f); err == nil && st.ModTime().UnixNano() > bestTime {
				best, bestTime = dir, st.ModTime().UnixNano()
			}
		}
	}
	consider(root)
	for _, e := range entries {
		if e.IsDir() {
			consider(filepath.Join(root, e.Name()))
		}
	}
	if best == "" {
		return "", fmt.Errorf("no --checkpoint given and no checkpoint found under %s", root)
	}
	return best, nil
}
