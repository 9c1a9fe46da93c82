package serve

import (
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/colorize-dev/colorize/internal/runs"
	"github.com/colorize-dev/colorize/internal/train"
)

// modelJSON is one entry of GET /api/models.
type modelJSON struct {
	ID    string   `json:"id"`
	Run   string   `json:"run"`
	Path  string   `json:"path"`
	Step  int      `json:"step"`
	ValL1 *float64 `json:"val_l1"` // null when not measured
	Best  bool     `json:"best"`
	// HintPatch and DataSize give the hint dot's side on a w×h sketch:
	// round(hint_patch · min(w, h) / data_size), as infer paints points.
	HintPatch int       `json:"hint_patch"`
	DataSize  int       `json:"data_size"`
	Modified  time.Time `json:"modified"`
}

// limitsJSON tells a client what the server accepts.
type limitsJSON struct {
	MaxUpload int64 `json:"max_upload"`
	MaxPixels int   `json:"max_pixels"`
	MaxSide   int   `json:"max_side"`
}

func (s *Server) handleModels(w http.ResponseWriter, r *http.Request) {
	models, err := s.opts.Runs.Models()
	if err != nil {
		writeError(w, http.StatusInternalServerError, "%v", err)
		return
	}
	out := struct {
		Models  []modelJSON `json:"models"`
		Default string      `json:"default"` // "" when there is no model
		Limits  limitsJSON  `json:"limits"`
	}{Models: []modelJSON{}, Limits: limitsJSON{s.opts.MaxUpload, s.opts.MaxPixels, s.opts.MaxSide}}
	for _, c := range models {
		out.Models = append(out.Models, modelJSON{
			ID: c.ID, Run: c.Run, Path: c.Path, Step: c.Step, ValL1: runs.Finite(c.ValL1), Best: c.Best,
			HintPatch: c.Config.Hints.Patch, DataSize: c.Config.Data.Size, Modified: c.ModTime.UTC(),
		})
	}
	if def, err := s.opts.Runs.Default(models); err == nil {
		out.Default = def.ID
	}
	writeJSON(w, http.StatusOK, out)
}

// runJSON is one entry of GET /api/runs.
type runJSON struct {
	ID  string `json:"id"`
	Dir string `json:"dir"`
	// State is "training" (a process holds the run's lock), "finished"
	// (train.steps reached) or "stopped".
	State  string     `json:"state"`
	Holder *holderRef `json:"holder,omitempty"`
	Config *summary   `json:"config,omitempty"`
	// ConfigError says why config.yaml could not be read.
	ConfigError string   `json:"config_error,omitempty"`
	Step        int      `json:"step"` // newest step in metrics.jsonl
	LastValL1   *float64 `json:"last_val_l1"`
	BestValL1   *float64 `json:"best_val_l1"`
	Checkpoints []string `json:"checkpoints"` // model IDs
	SampleStep  *int     `json:"sample_step"` // the newest sample grid's step
}

type holderRef struct {
	PID   int       `json:"pid"`
	Host  string    `json:"host"`
	Start time.Time `json:"start"`
}

// summary is the part of a run's configuration the runs view shows.
type summary struct {
	Data   string  `json:"data"`
	Size   int     `json:"size"`
	Loss   string  `json:"loss"`
	Lambda float64 `json:"lambda"`
	Steps  int     `json:"steps"`
	Batch  int     `json:"batch"`
	LR     float64 `json:"lr"`
	Beta1  float64 `json:"beta1"`
	Beta2  float64 `json:"beta2"`
	Depth  int     `json:"depth"`
	NGF    int     `json:"ngf"`
	NDF    int     `json:"ndf"`
	Seed   int64   `json:"seed"`
}

func (s *Server) handleRuns(w http.ResponseWriter, r *http.Request) {
	all, err := s.opts.Runs.Runs()
	if err != nil {
		writeError(w, http.StatusInternalServerError, "%v", err)
		return
	}
	out := struct {
		Root string    `json:"root"`
		Runs []runJSON `json:"runs"`
	}{Root: s.opts.Runs.Root, Runs: []runJSON{}}
	for _, run := range all {
		j, err := s.describeRun(run)
		if err != nil {
			writeError(w, http.StatusInternalServerError, "%v", err)
			return
		}
		out.Runs = append(out.Runs, j)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) describeRun(run runs.Run) (runJSON, error) {
	j := runJSON{ID: run.ID, Dir: run.Dir, State: "stopped", ConfigError: run.ConfigErr, Checkpoints: []string{}}
	recs, err := s.opts.Runs.Metrics(run, -1, "")
	if err != nil {
		return j, err
	}
	best := -1.0
	for _, rec := range recs {
		j.Step = max(j.Step, rec.Step)
		if rec.ValL1 != nil {
			j.LastValL1 = runs.Finite(*rec.ValL1)
			if best < 0 || *rec.ValL1 < best {
				best = *rec.ValL1
				j.BestValL1 = runs.Finite(best)
			}
		}
	}
	for _, c := range run.Checkpoints {
		j.Checkpoints = append(j.Checkpoints, c.ID)
		j.Step = max(j.Step, c.Step)
	}
	if c := run.Config; c != nil {
		j.Config = &summary{Data: c.Data.Dir, Size: c.Data.Size, Loss: c.Train.Loss, Lambda: c.Train.Lambda, Steps: c.Train.Steps,
			Batch: c.Train.Batch, LR: c.Train.LR, Beta1: c.Train.Beta1, Beta2: c.Train.Beta2,
			Depth: c.Model.Depth, NGF: c.Model.NGF, NDF: c.Model.NDF, Seed: c.Seed}
		if j.Step >= c.Train.Steps {
			j.State = "finished"
		}
	}
	if run.Training {
		j.State = "training"
		j.Holder = &holderRef{PID: run.Holder.PID, Host: run.Holder.Host, Start: run.Holder.Start}
	}
	if _, step, ok := runs.LatestSample(run); ok {
		j.SampleStep = &step
	}
	return j, nil
}

// findRun looks the {id} of the path up among the discovered runs.
func (s *Server) findRun(w http.ResponseWriter, r *http.Request) (runs.Run, bool) {
	id := r.PathValue("id")
	run, ok, err := s.opts.Runs.Run(id)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "%v", err)
		return runs.Run{}, false
	}
	if !ok {
		writeError(w, http.StatusNotFound, "unknown run %q (GET /api/runs lists them)", id)
		return runs.Run{}, false
	}
	return run, true
}

func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	since := -1
	if v := r.URL.Query().Get("since"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			writeError(w, http.StatusBadRequest, "since=%q: want a step number", v)
			return
		}
		since = n
	}
	kind := r.URL.Query().Get("kind")
	if kind != "" && kind != "train" && kind != "val" {
		writeError(w, http.StatusBadRequest, "kind=%q: want train or val", kind)
		return
	}
	run, ok := s.findRun(w, r)
	if !ok {
		return
	}
	recs, err := s.opts.Runs.Metrics(run, since, kind)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "%v", err)
		return
	}
	last := since
	for _, rec := range recs {
		last = max(last, rec.Step)
	}
	writeJSON(w, http.StatusOK, struct {
		Run      string         `json:"run"`
		Records  []train.Record `json:"records"`
		LastStep int            `json:"last_step"` // pass as since= to get only newer records
		Training bool           `json:"training"`
	}{run.ID, recs, last, run.Training})
}

func (s *Server) handleLatestSample(w http.ResponseWriter, r *http.Request) {
	run, ok := s.findRun(w, r)
	if !ok {
		return
	}
	path, step, ok := runs.LatestSample(run)
	if !ok {
		writeError(w, http.StatusNotFound, "run %q has no sample grid yet", run.ID)
		return
	}
	f, err := os.Open(path)
	if err != nil {
		writeError(w, http.StatusNotFound, "run %q: %v", run.ID, err)
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		writeError(w, http.StatusInternalServerError, "%v", err)
		return
	}
	w.Header().Set("X-Colorize-Step", strconv.Itoa(step))
	w.Header().Set("Content-Type", "image/png")
	http.ServeContent(w, r, filepath.Base(path), st.ModTime(), f)
}
