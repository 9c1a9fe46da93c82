package serve

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/colorize-dev/colorize/internal/imageio"
	"github.com/colorize-dev/colorize/internal/infer"
	"github.com/colorize-dev/colorize/internal/runs"
)

// maxField bounds the text fields of the colorize form.
const maxField = 1 << 20

// statusError is an error with the HTTP status it answers with.
type statusError struct {
	status int
	msg    string
}

func (e *statusError) Error() string { return e.msg }

func fail(status int, format string, args ...any) error {
	return &statusError{status: status, msg: fmt.Sprintf(format, args...)}
}

// colorizeForm is a parsed, checked POST /api/colorize.
type colorizeForm struct {
	sketch, hint  []byte
	points        []infer.Point
	model         string
	width, height int // the sketch's, from its header
}

func (s *Server) handleColorize(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	release, err := s.pool.admit()
	if err != nil {
		w.Header().Set("Retry-After", strconv.Itoa(s.pool.retryAfter()))
		writeError(w, http.StatusServiceUnavailable, "%v: %d requests are being colorized or waiting; try again shortly", err, cap(s.pool.slots))
		return
	}
	submitted := false
	defer func() {
		if !submitted {
			release()
		}
	}()
	ctx, cancel := context.WithTimeout(r.Context(), s.opts.Timeout)
	defer cancel()

	r.Body = http.MaxBytesReader(w, r.Body, s.opts.MaxUpload)
	form, err := s.readColorizeForm(r)
	if err != nil {
		s.answerError(w, err)
		return
	}
	models, err := s.opts.Runs.Models()
	if err != nil {
		s.answerError(w, err)
		return
	}
	model, err := s.pickModel(models, form.model)
	if err != nil {
		s.answerError(w, err)
		return
	}
	j := &job{ctx: ctx, model: model, sketch: form.sketch, hint: form.hint, points: form.points,
		width: form.width, height: form.height, maxSide: s.opts.MaxSide, done: make(chan result, 1), release: release}
	s.pool.submit(j) // from here the worker gives the slot back, when the job has left the queue
	submitted = true
	var res result
	select {
	case res = <-j.done:
	case <-ctx.Done():
		res.err = ctx.Err()
	}
	if res.err != nil {
		if errors.Is(res.err, context.DeadlineExceeded) {
			w.Header().Set("Retry-After", strconv.Itoa(s.pool.retryAfter()))
			s.answerError(w, fail(http.StatusServiceUnavailable, "not colorized within %v: the server is busy", s.opts.Timeout))
			return
		}
		if errors.Is(res.err, context.Canceled) {
			return // the client is gone
		}
		s.answerError(w, res.err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "image/png")
	h.Set("Content-Length", strconv.Itoa(len(res.png)))
	h.Set("X-Colorize-Model", model.ID)
	h.Set("X-Colorize-Checkpoint", model.Path)
	h.Set("X-Colorize-Step", strconv.Itoa(model.Step))
	if s.opts.MaxSide > 0 {
		h.Set("X-Colorize-Max-Side", strconv.Itoa(s.opts.MaxSide))
	}
	h.Set("Server-Timing", fmt.Sprintf("model;dur=%.1f, total;dur=%.1f", ms(res.took), ms(time.Since(start))))
	w.WriteHeader(http.StatusOK)
	w.Write(res.png)
	s.log.Debug("colorized", "model", model.ID, "w", form.width, "h", form.height, "points", len(form.points), "hint", form.hint != nil, "model_ms", ms(res.took), "total_ms", ms(time.Since(start)))
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// answerError writes err with its status; errors without one are the
// server's own (500) and are logged.
func (s *Server) answerError(w http.ResponseWriter, err error) {
	var se *statusError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &se):
		writeError(w, se.status, "%s", se.msg)
	case errors.As(err, &mbe):
		writeError(w, http.StatusRequestEntityTooLarge, "the request is over the upload limit of %s (serve.max_upload)", sizeString(mbe.Limit))
	default:
		s.log.Error("colorize failed", "err", err)
		writeError(w, http.StatusInternalServerError, "%v", err)
	}
}

func sizeString(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// readColorizeForm reads the multipart form and checks everything that can
// be checked without decoding the images: fields, sizes from the headers
// against the pixel budget, hint size, points.
func (s *Server) readColorizeForm(r *http.Request) (*colorizeForm, error) {
	ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || ct != "multipart/form-data" {
		return nil, fail(http.StatusBadRequest, "the body must be multipart/form-data with a sketch file (got Content-Type %q)", r.Header.Get("Content-Type"))
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, fail(http.StatusBadRequest, "bad multipart form: %v", err)
	}
	f := &colorizeForm{}
	var points string
	seen := map[string]bool{}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, formError(err)
		}
		name := part.FormName()
		if seen[name] {
			return nil, fail(http.StatusBadRequest, "form field %q given twice", name)
		}
		seen[name] = true
		switch name {
		case "sketch", "hint":
			b, err := io.ReadAll(part)
			if err != nil {
				return nil, formError(err)
			}
			if name == "sketch" {
				f.sketch = b
			} else {
				f.hint = b
			}
		case "points", "model":
			b, err := io.ReadAll(io.LimitReader(part, maxField+1))
			if err != nil {
				return nil, formError(err)
			}
			if len(b) > maxField {
				return nil, fail(http.StatusBadRequest, "form field %q is over %d bytes", name, maxField)
			}
			if name == "points" {
				points = string(b)
			} else {
				f.model = string(b)
			}
		default:
			return nil, fail(http.StatusBadRequest, "unknown form field %q (want sketch, hint, points, model)", name)
		}
	}
	if len(f.sketch) == 0 {
		return nil, fail(http.StatusBadRequest, "the form has no sketch file (field \"sketch\")")
	}
	if f.width, f.height, err = s.checkHeader("sketch", f.sketch); err != nil {
		return nil, err
	}
	if len(f.hint) > 0 {
		hw, hh, err := s.checkHeader("hint", f.hint)
		if err != nil {
			return nil, err
		}
		if hw != f.width || hh != f.height {
			return nil, fail(http.StatusBadRequest, "the hint image is %dx%d but the sketch is %dx%d", hw, hh, f.width, f.height)
		}
	} else {
		f.hint = nil
	}
	if f.points, err = infer.ParsePoints(points); err != nil {
		return nil, fail(http.StatusBadRequest, "points: %v", err)
	}
	for _, p := range f.points {
		if p.X < 0 || p.Y < 0 || p.X >= f.width || p.Y >= f.height {
			return nil, fail(http.StatusBadRequest, "points: hint point %d,%d is outside the %dx%d sketch", p.X, p.Y, f.width, f.height)
		}
	}
	return f, nil
}

// formError maps a body-reading error: over the limit is 413, anything else
// a bad form.
func formError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return err
	}
	return fail(http.StatusBadRequest, "bad multipart form: %v", err)
}

// checkHeader reads an image's size from its header and holds it against
// the pixel budget before anything is decoded.
func (s *Server) checkHeader(field string, data []byte) (int, int, error) {
	cfg, format, err := imageio.DecodeConfigReader(bytes.NewReader(data))
	if errors.Is(err, imageio.ErrUnsupported) {
		return 0, 0, fail(http.StatusUnsupportedMediaType, "%s: %v", field, err)
	}
	if err != nil {
		return 0, 0, fail(http.StatusBadRequest, "%s: unreadable image header: %v", field, err)
	}
	if cfg.Width < 1 || cfg.Height < 1 {
		return 0, 0, fail(http.StatusBadRequest, "%s: empty %s image (%dx%d)", field, format, cfg.Width, cfg.Height)
	}
	if px := int64(cfg.Width) * int64(cfg.Height); px > int64(s.opts.MaxPixels) {
		return 0, 0, fail(http.StatusRequestEntityTooLarge, "%s: the %s image is %dx%d = %d pixels, over the limit of %d (limits.max_pixels)", field, format, cfg.Width, cfg.Height, px, s.opts.MaxPixels)
	}
	return cfg.Width, cfg.Height, nil
}

// pickModel finds the requested model among the discovered ones; no model
// means the default.
func (s *Server) pickModel(models []runs.Checkpoint, id string) (runs.Checkpoint, error) {
	if id == "" {
		c, err := s.opts.Runs.Default(models)
		if err != nil {
			return runs.Checkpoint{}, fail(http.StatusNotFound, "no model given and no default: %v (train one, or start serve with --checkpoint)", err)
		}
		return c, nil
	}
	for _, c := range models {
		if c.ID == id {
			return c, nil
		}
	}
	return runs.Checkpoint{}, fail(http.StatusNotFound, "unknown model %q (GET /api/models lists them)", id)
}

// decodeRequest decodes a job's images, as `colorize infer` decodes files.
func decodeRequest(j *job) (infer.Request, error) {
	sketch, _, err := imageio.DecodeReader(bytes.NewReader(j.sketch))
	if err != nil {
		return infer.Request{}, decodeError("sketch", err)
	}
	if b := sketch.Bounds(); b.Dx() != j.width || b.Dy() != j.height {
		return infer.Request{}, fail(http.StatusBadRequest, "sketch: its header says %dx%d but it decodes to %dx%d", j.width, j.height, b.Dx(), b.Dy())
	}
	req := infer.Request{Sketch: sketch, Points: j.points, MaxSide: j.maxSide}
	if j.hint != nil {
		if req.Hint, _, err = imageio.DecodeReader(bytes.NewReader(j.hint)); err != nil {
			return infer.Request{}, decodeError("hint", err)
		}
		if req.Hint.Bounds().Size() != sketch.Bounds().Size() {
			return infer.Request{}, fail(http.StatusBadRequest, "hint: it decodes to %v, not the sketch's %v", req.Hint.Bounds().Size(), sketch.Bounds().Size())
		}
	}
	return req, nil
}

func decodeError(field string, err error) error {
	if errors.Is(err, imageio.ErrUnsupported) {
		return fail(http.StatusUnsupportedMediaType, "%s: %v", field, err)
	}
	return fail(http.StatusBadRequest, "%s: %v", field, err)
}
