// Package checkpoint saves and restores the complete state of a training run
// in one safetensors file, written atomically.
//
// Tensors: "G.<name>" and "D.<name>" (unet.ParamPrefix, patchgan.ParamPrefix; weights and batch-norm running
// statistics, named as in pyref/models.py so PyTorch loads them directly),
// and "adam.G.m.<name>", "adam.G.v.<name>" (likewise for D) for both Adam
// states. Metadata: the format tag, the step, both Adam step counts, the data
// position (epoch, offset), validation L1 values and the run's configuration
// as JSON.
package checkpoint

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/colorize-dev/colorize/internal/atomicfile"
	"github.com/colorize-dev/colorize/internal/config"
	"github.com/colorize-dev/colorize/internal/model"
	"github.com/colorize-dev/colorize/internal/optim"
	"github.com/colorize-dev/colorize/internal/param"
	"github.com/colorize-dev/colorize/internal/patchgan"
	"github.com/colorize-dev/colorize/internal/safetensors"
	"github.com/colorize-dev/colorize/internal/unet"
)

// Format tags colorize checkpoints.
const Format = "colorize-checkpoint-v1"

// genTag and discTag name the networks' Adam states ("adam.G.m.<name>"):
// the parameter prefixes without their dot.
var (
	genTag  = strings.TrimSuffix(unet.ParamPrefix, ".")
	discTag = strings.TrimSuffix(patchgan.ParamPrefix, ".")
)

// Meta is the non-tensor part of a checkpoint.
type Meta struct {
	Step  int
	Epoch int // data position to resume from
	// Offset is the index of the next batch within Epoch.
	Offset    int
	ValL1     float64 // validation L1 at this step (NaN if not measured)
	BestValL1 float64 // best validation L1 so far
	Config    config.Config
}

// State is what a checkpoint holds.
type State struct {
	Meta
	Model      *model.Model
	OptG, OptD *optim.Adam
}

// Save writes s to path atomically: to a temporary file in the same folder,
// fsynced, then renamed over path, and the folder fsynced. A crash at any
// point leaves either the old file or the new one, never a torn one.
func Save(path string, s *State) error {
	f := safetensors.File{Tensors: map[string]safetensors.Tensor{}, Metadata: map[string]string{
		"format":      Format,
		"step":        strconv.Itoa(s.Step),
		"epoch":       strconv.Itoa(s.Epoch),
		"offset":      strconv.Itoa(s.Offset),
		"val_l1":      strconv.FormatFloat(s.ValL1, 'g', -1, 64),
		"best_val_l1": strconv.FormatFloat(s.BestValL1, 'g', -1, 64),
		"config":      s.Config.JSON(),
	}}
	put := func(prefix string, st *param.Store) {
		for name, a := range st.State() {
			f.Tensors[prefix+name] = safetensors.Tensor{Shape: a.Shape, F32: a.Data}
		}
	}
	put(unet.ParamPrefix, s.Model.Gen.Params)
	put(patchgan.ParamPrefix, s.Model.Disc.Params)
	for _, o := range []struct {
		tag string
		opt *optim.Adam
		st  *param.Store
	}{{genTag, s.OptG, s.Model.Gen.Params}, {discTag, s.OptD, s.Model.Disc.Params}} {
		f.Metadata["adam_"+o.tag+"_t"] = strconv.Itoa(o.opt.T)
		for name, m := range o.opt.M {
			shape := o.st.Tensor(strings.TrimPrefix(name, o.tag+".")).Shape().Clone()
			f.Tensors["adam."+o.tag+".m."+strings.TrimPrefix(name, o.tag+".")] = safetensors.Tensor{Shape: shape, F32: m}
			f.Tensors["adam."+o.tag+".v."+strings.TrimPrefix(name, o.tag+".")] = safetensors.Tensor{Shape: shape, F32: o.opt.V[name]}
		}
	}
	var buf bytes.Buffer
	if err := safetensors.Encode(&buf, f); err != nil {
		return fmt.Errorf("checkpoint %s: %w", path, err)
	}
	return atomicfile.WriteFile(path, buf.Bytes())
}

// File is a decoded checkpoint not yet applied to a model.
type File struct {
	Path string
	Meta
	raw safetensors.File
}

// Read decodes the checkpoint at path and its metadata. A truncated or
// corrupt file, a file that is not a colorize checkpoint, a stored model
// config out of range, or tensors that do not match the model that config
// describes, is an error naming the file.
func Read(path string) (*File, error) {
	raw, err := safetensors.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	meta, err := parseMeta(path, raw.Metadata)
	if err != nil {
		return nil, err
	}
	if err := checkTensors(raw.Tensors, meta.Config.Model); err != nil {
		return nil, fmt.Errorf("checkpoint %s does not match the model of its stored config %w", path, err)
	}
	return &File{Path: path, Meta: meta, raw: raw}, nil
}

// ReadMeta reads only the metadata of the checkpoint at path (step,
// validation L1, configuration), not its tensors: cheap enough to list every
// checkpoint of every run.
func ReadMeta(path string) (Meta, error) {
	md, err := safetensors.ReadMetadata(path)
	if err != nil {
		return Meta{}, fmt.Errorf("checkpoint: %w", err)
	}
	return parseMeta(path, md)
}

func parseMeta(path string, md map[string]string) (Meta, error) {
	if md["format"] != Format {
		return Meta{}, fmt.Errorf("checkpoint %s: not a colorize checkpoint (format %q, want %q)", path, md["format"], Format)
	}
	var f Meta
	var errs []error
	atoi := func(k string) int {
		v, err := strconv.Atoi(md[k])
		if err != nil {
			errs = append(errs, fmt.Errorf("metadata %s: %w", k, err))
		}
		return v
	}
	atof := func(k string) float64 {
		v, err := strconv.ParseFloat(md[k], 64)
		if err != nil {
			errs = append(errs, fmt.Errorf("metadata %s: %w", k, err))
		}
		return v
	}
	f.Step, f.Epoch, f.Offset = atoi("step"), atoi("epoch"), atoi("offset")
	f.ValL1, f.BestValL1 = atof("val_l1"), atof("best_val_l1")
	atoi("adam_G_t")
	atoi("adam_D_t")
	var err error
	if f.Config, err = config.FromJSON(md["config"]); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return Meta{}, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	if err := f.Config.Model.Validate(); err != nil {
		return Meta{}, fmt.Errorf("checkpoint %s: stored config: %w", path, err)
	}
	return f, nil
}

// checkTensors compares the tensors of a checkpoint with the model its
// config describes, without building that model: every network tensor must
// be present with the model's shape and nothing else may carry a network
// prefix, and each Adam moment present must have its parameter's shape. So a
// small file cannot make NewModel allocate a network far larger than the
// weights it holds.
func checkTensors(tensors map[string]safetensors.Tensor, cfg config.ModelConfig) error {
	want := model.StateShapes(cfg)
	var missing, extra, bad []string
	for name, shape := range want {
		t, ok := tensors[name]
		switch {
		case !ok:
			missing = append(missing, name)
		case t.F32 == nil:
			bad = append(bad, fmt.Sprintf("%s is not float32", name))
		case !slices.Equal(t.Shape, shape):
			bad = append(bad, fmt.Sprintf("%s has shape %v, the model needs %v", name, t.Shape, shape))
		}
	}
	for name, t := range tensors {
		if strings.HasPrefix(name, unet.ParamPrefix) || strings.HasPrefix(name, patchgan.ParamPrefix) {
			if _, ok := want[name]; !ok {
				extra = append(extra, name)
			}
			continue
		}
		rest, ok := strings.CutPrefix(name, "adam.")
		if !ok {
			continue
		}
		tag, rest, _ := strings.Cut(rest, ".")
		moment, param, _ := strings.Cut(rest, ".")
		shape, known := want[tag+"."+param]
		switch {
		case (tag != genTag && tag != discTag) || (moment != "m" && moment != "v") || !known:
			extra = append(extra, name)
		case t.F32 == nil:
			bad = append(bad, fmt.Sprintf("%s is not float32", name))
		case !slices.Equal(t.Shape, shape):
			bad = append(bad, fmt.Sprintf("%s has shape %v, its parameter has %v", name, t.Shape, shape))
		}
	}
	if len(missing)+len(extra)+len(bad) == 0 {
		return nil
	}
	slices.Sort(missing)
	slices.Sort(extra)
	slices.Sort(bad)
	var parts []string
	if len(missing) > 0 {
		parts = append(parts, "missing "+list(missing))
	}
	if len(extra) > 0 {
		parts = append(parts, "unexpected "+list(extra))
	}
	if len(bad) > 0 {
		parts = append(parts, list(bad))
	}
	return fmt.Errorf("(model.depth %d, model.ngf %d, model.ndf %d, model.d_layers %d): %s",
		cfg.Depth, cfg.NGF, cfg.NDF, cfg.DLayers, strings.Join(parts, "; "))
}

// list names at most five entries of xs.
func list(xs []string) string {
	if len(xs) > 5 {
		return fmt.Sprintf("%s and %d more", strings.Join(xs[:5], ", "), len(xs)-5)
	}
	return strings.Join(xs, ", ")
}

// NewModel builds the model the checkpoint's configuration describes and
// loads its weights and running statistics.
func (f *File) NewModel() (*model.Model, error) {
	m, err := model.New(f.Config.Model, 0)
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", f.Path, err)
	}
	if err := f.LoadModel(m); err != nil {
		return nil, err
	}
	return m, nil
}

// LoadModel copies the weights and running statistics into m, which must
// have the checkpoint's architecture.
func (f *File) LoadModel(m *model.Model) error {
	for _, p := range []struct {
		prefix string
		st     *param.Store
	}{{unet.ParamPrefix, m.Gen.Params}, {patchgan.ParamPrefix, m.Disc.Params}} {
		vals := map[string]param.Array{}
		for name, t := range f.raw.Tensors {
			if strings.HasPrefix(name, p.prefix) {
				if t.F32 == nil {
					return fmt.Errorf("checkpoint %s: tensor %s is not float32", f.Path, name)
				}
				vals[strings.TrimPrefix(name, p.prefix)] = param.Array{Shape: t.Shape, Data: t.F32}
			}
		}
		if err := p.st.Load(vals); err != nil {
			return fmt.Errorf("checkpoint %s does not match the model (%s): %w", f.Path, strings.TrimSuffix(p.prefix, "."), err)
		}
	}
	return nil
}

// LoadOptimizers restores both Adam states.
func (f *File) LoadOptimizers(m *model.Model, optG, optD *optim.Adam) error {
	for _, o := range []struct {
		tag string
		opt *optim.Adam
		st  *param.Store
	}{{genTag, optG, m.Gen.Params}, {discTag, optD, m.Disc.Params}} {
		t, err := strconv.Atoi(f.raw.Metadata["adam_"+o.tag+"_t"])
		if err != nil {
			return fmt.Errorf("checkpoint %s: adam_%s_t: %w", f.Path, o.tag, err)
		}
		o.opt.T = t
		o.opt.M, o.opt.V = map[string][]float32{}, map[string][]float32{}
		if t == 0 {
			continue
		}
		for _, name := range o.st.Names() {
			mt, ok1 := f.raw.Tensors["adam."+o.tag+".m."+name]
			vt, ok2 := f.raw.Tensors["adam."+o.tag+".v."+name]
			n := o.st.Tensor(name).Shape().TotalSize()
			if !ok1 || !ok2 || len(mt.F32) != n || len(vt.F32) != n {
				return fmt.Errorf("checkpoint %s: Adam state of %s.%s is missing or has the wrong size", f.Path, o.tag, name)
			}
			o.opt.M[o.tag+"."+name] = mt.F32
			o.opt.V[o.tag+"."+name] = vt.F32
		}
	}
	return nil
}
