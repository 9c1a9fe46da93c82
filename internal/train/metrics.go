package train

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"

	"github.com/colorize-dev/colorize/internal/atomicfile"
)

// Record is one line of metrics.jsonl. Training lines carry the step's
// losses; validation lines carry ValL1 (the paper's Fig. 2 measure: plain L1
// on the fixed validation set) and ValCompL1.
type Record struct {
	Step      int      `json:"step"`
	Kind      string   `json:"kind"` // "train" or "val"
	Time      float64  `json:"time"` // seconds since the run (or resume) started
	D         *float64 `json:"d,omitempty"`
	GAdv      *float64 `json:"g_adv,omitempty"`
	GRec      *float64 `json:"g_rec,omitempty"`
	L1        *float64 `json:"l1,omitempty"`
	DReal     *float64 `json:"d_real,omitempty"`
	DFake     *float64 `json:"d_fake,omitempty"`
	ValL1     *float64 `json:"val_l1,omitempty"`
	ValCompL1 *float64 `json:"val_comp_l1,omitempty"`
}

func f64(x float64) *float64 { return &x }

// MetricsLog appends records to a JSONL file.
type MetricsLog struct {
	f *atomicfile.Log
	w *bufio.Writer
}

// OpenMetrics opens path for appending. If keepUpTo ≥ 0, lines of steps
// after keepUpTo are dropped first: a resumed run continues from its
// checkpoint, and records written after that checkpoint by the interrupted
// run would otherwise appear twice.
//
// Lines that do not parse (a record torn by kill -9 mid-write) are dropped
// then; torn reports how many.
func OpenMetrics(path string, keepUpTo int) (m *MetricsLog, torn int, err error) {
	if keepUpTo >= 0 {
		if torn, err = truncateAfter(path, keepUpTo); err != nil {
			return nil, 0, err
		}
	}
	f, err := atomicfile.OpenAppend(path)
	if err != nil {
		return nil, 0, fmt.Errorf("metrics log: %w", err)
	}
	return &MetricsLog{f: f, w: bufio.NewWriter(f)}, torn, nil
}

func truncateAfter(path string, step int) (torn int, err error) {
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("metrics log: %w", err)
	}
	var kept bytes.Buffer
	for _, line := range bytes.SplitAfter(data, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var r Record
		if json.Unmarshal(line, &r) != nil {
			torn++ // a record cut short by a crash
			continue
		}
		if r.Step <= step {
			kept.Write(line)
		}
	}
	return torn, atomicfile.WriteFile(path, kept.Bytes())
}

// Write appends one record.
func (m *MetricsLog) Write(r Record) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	_, err = m.w.Write(b)
	return err
}

// Flush writes buffered records to the file and syncs it, so that a
// checkpoint saved next never runs ahead of the log.
func (m *MetricsLog) Flush() error {
	if err := m.w.Flush(); err != nil {
		return err
	}
	return m.f.Sync()
}

// Close flushes and closes the file.
func (m *MetricsLog) Close() error {
	err := m.w.Flush()
	if cerr := m.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// ReadMetrics parses a metrics.jsonl file. A last line that does not parse
// is a record torn by a crash (or still being written) and is left out; a
// bad line anywhere else is an error naming it.
func ReadMetrics(path string) ([]Record, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	lines := bytes.Split(data, []byte("\n"))
	var out []Record
	for i, line := range lines {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var r Record
		if err := json.Unmarshal(line, &r); err != nil {
			if i == len(lines)-1 { // no newline after it: torn
				break
			}
			return nil, fmt.Errorf("%s line %d: %w", path, i+1, err)
		}
		out = append(out, r)
	}
	return out, nil
}
