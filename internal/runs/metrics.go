package runs

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/colorize-dev/colorize/internal/train"
)

// Metrics returns the records of the run's metrics.jsonl with a step above
// since, in file order; kind, if not empty, keeps only "train" or "val"
// lines. The file is being appended to while a run trains, so a last line
// without its newline is not read yet, and lines that do not parse are
// skipped as training's resume does. A run without the file has no records.
func (ix *Index) Metrics(r Run, since int, kind string) ([]train.Record, error) {
	recs, err := ix.allMetrics(filepath.Join(r.Dir, "metrics.jsonl"))
	if err != nil {
		return nil, err
	}
	out := []train.Record{}
	for _, rec := range recs {
		if rec.Step > since && (kind == "" || rec.Kind == kind) {
			out = append(out, rec)
		}
	}
	return out, nil
}

type metricsEntry struct {
	size int64
	mod  time.Time
	recs []train.Record
}

// allMetrics parses path, reusing the last parse while the file is unchanged.
func (ix *Index) allMetrics(path string) ([]train.Record, error) {
	st, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	ix.mu.Lock()
	e, ok := ix.metrics[path]
	ix.mu.Unlock()
	if ok && e.size == st.Size() && e.mod.Equal(st.ModTime()) {
		return e.recs, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var recs []train.Record
	if i := bytes.LastIndexByte(data, '\n'); i >= 0 {
		data = data[:i+1] // a torn last line is still being written
	} else {
		data = nil
	}
	for _, line := range bytes.Split(data, []byte("\n")) {
		var r train.Record
		if len(bytes.TrimSpace(line)) == 0 || json.Unmarshal(line, &r) != nil {
			continue
		}
		recs = append(recs, r)
	}
	ix.mu.Lock()
	ix.metrics[path] = metricsEntry{size: st.Size(), mod: st.ModTime(), recs: recs}
	ix.mu.Unlock()
	return recs, nil
}

// LatestSample returns the newest sample grid of the run (samples/step-N.png)
// and its step; ok is false when the run has none yet.
func LatestSample(r Run) (path string, step int, ok bool) {
	entries, err := os.ReadDir(filepath.Join(r.Dir, "samples"))
	if err != nil {
		return "", 0, false
	}
	var names []string
	for _, e := range entries {
		n := e.Name()
		if !e.IsDir() && strings.HasPrefix(n, "step-") && strings.HasSuffix(n, ".png") {
			if _, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(n, "step-"), ".png")); err == nil {
				names = append(names, n)
			}
		}
	}
	if len(names) == 0 {
		return "", 0, false
	}
	sort.Strings(names) // zero-padded steps sort by step
	last := names[len(names)-1]
	step, _ = strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(last, "step-"), ".png"))
	return filepath.Join(r.Dir, "samples", last), step, true
}
