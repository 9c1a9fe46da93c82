package config

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"
	"go.yaml.in/yaml/v3"
)

// EnvPrefix is the prefix of environment variables that override config keys.
const EnvPrefix = "COLORIZE"

// FlagBinding ties a command-line flag to the config key it overrides.
type FlagBinding struct {
	Key  string
	Flag *pflag.Flag
}

// Load builds the configuration: Default, then the YAML file at path (if
// path is not empty), then COLORIZE_* environment variables, then the flags
// in bindings that the user set. Every error names the offending key and its
// source (file, variable or flag).
func Load(path string, bindings ...FlagBinding) (Config, error) {
	kinds := keyKinds()
	v := viper.New()
	for key, val := range flatten(Default()) {
		v.SetDefault(key, val)
	}

	if path != "" {
		tree, err := readFile(path)
		if err != nil {
			return Config{}, err
		}
		if err := checkTree(tree, "", kinds, path); err != nil {
			return Config{}, err
		}
		if err := v.MergeConfigMap(tree); err != nil {
			return Config{}, fmt.Errorf("config %s: %w", path, err)
		}
	}

	if err := applyEnv(v, kinds); err != nil {
		return Config{}, err
	}
	for _, b := range bindings {
		if b.Flag == nil || !b.Flag.Changed {
			continue
		}
		if _, ok := kinds[b.Key]; !ok {
			return Config{}, fmt.Errorf("flag --%s is bound to unknown config key %q", b.Flag.Name, b.Key)
		}
		if err := checkString(b.Key, b.Flag.Value.String(), kinds[b.Key]); err != nil {
			return Config{}, fmt.Errorf("flag --%s: %w", b.Flag.Name, err)
		}
		v.Set(b.Key, b.Flag.Value.String())
	}

	var cfg Config
	dec, err := mapstructure.NewDecoder(&mapstructure.DecoderConfig{
		Result:           &cfg,
		WeaklyTypedInput: true, // env and flag values arrive as strings; they were type-checked above
		ErrorUnused:      true,
	})
	if err != nil {
		return Config{}, err
	}
	if err := dec.Decode(v.AllSettings()); err != nil {
		return Config{}, fmt.Errorf("config %s: %w", sourceName(path), err)
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, fmt.Errorf("config %s: %w", sourceName(path), err)
	}
	return cfg, nil
}

// maxFileSize bounds a config file: a complete one takes about 2 KB.
const maxFileSize = 1 << 20

// readFile reads and parses the YAML config file at path. A file over
// maxFileSize is refused before it is parsed, and so is any YAML alias
// (*name, including << merges): a config has no use for them, and refusing
// them means no document expands beyond the size of its text.
func readFile(path string) (map[string]any, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	if len(raw) > maxFileSize {
		return nil, fmt.Errorf("config %s: larger than %d bytes, the most a config file may have", path, maxFileSize)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("config %s: not valid YAML: %w", path, err)
	}
	if n := findAlias(&doc); n != nil {
		return nil, fmt.Errorf("config %s: line %d: YAML alias *%s: aliases are not allowed in config files", path, n.Line, n.Value)
	}
	var tree map[string]any
	if doc.Kind != 0 {
		if err := doc.Decode(&tree); err != nil {
			return nil, fmt.Errorf("config %s: not a mapping of sections: %w", path, err)
		}
	}
	return tree, nil
}

// findAlias returns the first alias node under n, or nil.
func findAlias(n *yaml.Node) *yaml.Node {
	if n.Kind == yaml.AliasNode {
		return n
	}
	for _, c := range n.Content {
		if a := findAlias(c); a != nil {
			return a
		}
	}
	return nil
}

func sourceName(path string) string {
	if path == "" {
		return "(defaults, environment and flags)"
	}
	return path
}

// applyEnv copies COLORIZE_* variables into v, rejecting unknown names and
// values that do not parse as the key's type.
func applyEnv(v *viper.Viper, kinds map[string]reflect.Kind) error {
	byEnv := map[string]string{}
	for key := range kinds {
		byEnv[EnvName(key)] = key
	}
	for _, kv := range os.Environ() {
		name, val, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, EnvPrefix+"_") || slices.Contains(SecretEnv, name) {
			continue
		}
		key, ok := byEnv[name]
		if !ok {
			return fmt.Errorf("environment variable %s does not name a config key (%s)", name, knownNear(name))
		}
		if err := checkString(key, val, kinds[key]); err != nil {
			return fmt.Errorf("environment variable %s: %w", name, err)
		}
		v.Set(key, val)
	}
	return nil
}

// SecretEnv lists the COLORIZE_* variables that are not config keys:
// secrets, which commands read themselves so that they are never stored with
// a run's configuration.
var SecretEnv = []string{"COLORIZE_SERVE_TOKEN"}

// EnvName is the environment variable that overrides key.
func EnvName(key string) string {
	return EnvPrefix + "_" + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// Keys lists every config key in sorted order.
func Keys() []string {
	var keys []string
	for k := range keyKinds() {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// knownNear lists the environment variables of the config keys in the
// section an unknown variable seems to mean, or the sections when it names
// none, for the error message.
func knownNear(env string) string {
	var near, sections []string
	seen := map[string]bool{}
	for _, k := range Keys() {
		section, _, _ := strings.Cut(k, ".")
		if strings.HasPrefix(env, EnvName(section)+"_") {
			near = append(near, EnvName(k))
		}
		if !seen[section] {
			seen[section] = true
			sections = append(sections, section)
		}
	}
	if len(near) > 0 {
		return "known in its section: " + strings.Join(near, ", ")
	}
	return "known sections: " + strings.Join(sections, ", ")
}

// checkTree walks a parsed YAML document and rejects unknown keys and values
// of the wrong type, naming the key and the file.
func checkTree(tree map[string]any, prefix string, kinds map[string]reflect.Kind, path string) error {
	names := make([]string, 0, len(tree))
	for k := range tree {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, name := range names {
		key := name
		if prefix != "" {
			key = prefix + "." + name
		}
		val := tree[name]
		if sub, ok := val.(map[string]any); ok {
			if kinds[key] != reflect.Struct {
				return fmt.Errorf("config %s: unknown key %q", path, key)
			}
			if err := checkTree(sub, key, kinds, path); err != nil {
				return err
			}
			continue
		}
		kind, ok := kinds[key]
		if !ok {
			return fmt.Errorf("config %s: unknown key %q", path, key)
		}
		if kind == reflect.Struct {
			return fmt.Errorf("config %s: key %q must be a section (a mapping), got %v", path, key, val)
		}
		if err := checkValue(key, val, kind); err != nil {
			return fmt.Errorf("config %s: %w", path, err)
		}
	}
	return nil
}

func checkValue(key string, val any, kind reflect.Kind) error {
	bad := func(want string) error {
		return fmt.Errorf("key %q: expected %s, got %T %v", key, want, val, val)
	}
	switch kind {
	case reflect.Int, reflect.Int64:
		switch x := val.(type) {
		case int, int64:
			return nil
		case float64:
			if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
				return nil
			}
		}
		return bad("an integer")
	case reflect.Float64:
		switch val.(type) {
		case int, int64, float64:
			return nil
		}
		return bad("a number")
	case reflect.Bool:
		if _, ok := val.(bool); ok {
			return nil
		}
		return bad("true or false")
	case reflect.String:
		if _, ok := val.(string); ok {
			return nil
		}
		return bad("a string")
	}
	return bad(kind.String())
}

func checkString(key, s string, kind reflect.Kind) error {
	var node yaml.Node
	if kind == reflect.String {
		return nil
	}
	var val any
	if err := yaml.Unmarshal([]byte(s), &node); err != nil || node.Decode(&val) != nil {
		return fmt.Errorf("key %q: cannot parse %q", key, s)
	}
	return checkValue(key, val, kind)
}

// keyKinds maps every dotted key (sections included) to its reflect.Kind.
func keyKinds() map[string]reflect.Kind {
	out := map[string]reflect.Kind{}
	var walk func(t reflect.Type, prefix string)
	walk = func(t reflect.Type, prefix string) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			key := f.Tag.Get("mapstructure")
			if prefix != "" {
				key = prefix + "." + key
			}
			out[key] = f.Type.Kind()
			if f.Type.Kind() == reflect.Struct {
				walk(f.Type, key)
			}
		}
	}
	walk(reflect.TypeOf(Config{}), "")
	return out
}

// flatten turns a Config into dotted key → value (leaves only).
func flatten(c Config) map[string]any {
	out := map[string]any{}
	var walk func(v reflect.Value, prefix string)
	walk = func(v reflect.Value, prefix string) {
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			key := t.Field(i).Tag.Get("mapstructure")
			if prefix != "" {
				key = prefix + "." + key
			}
			if v.Field(i).Kind() == reflect.Struct {
				walk(v.Field(i), key)
				continue
			}
			out[key] = v.Field(i).Interface()
		}
	}
	walk(reflect.ValueOf(c), "")
	return out
}

// Validate checks value ranges and cross-key constraints, naming the key.
func (c Config) Validate() error {
	errs := []error{c.Model.Validate()}
	check := func(ok bool, key string, format string, args ...any) {
		if !ok {
			errs = append(errs, fmt.Errorf("key %q: "+format, append([]any{key}, args...)...))
		}
	}
	check(c.Data.Size >= 16 && c.Data.Size <= 4096, "data.size", "must be in [16, 4096], got %d", c.Data.Size)
	if c.Model.Depth >= 5 && c.Model.Depth <= 9 && c.Data.Size > 0 {
		check(c.Data.Size%(1<<c.Model.Depth) == 0, "data.size", "must be a multiple of 2^model.depth = %d, got %d", 1<<c.Model.Depth, c.Data.Size)
	}
	check(c.Data.ValFraction >= 0 && c.Data.ValFraction < 1, "data.val_fraction", "must be in [0, 1), got %g", c.Data.ValFraction)
	check(c.Data.MaxVal >= 0, "data.max_val", "must be ≥ 0, got %d", c.Data.MaxVal)
	check(c.Data.Workers >= 1 && c.Data.Workers <= 64, "data.workers", "must be in [1, 64], got %d", c.Data.Workers)
	check(c.Data.Prefetch >= 1 && c.Data.Prefetch <= 256, "data.prefetch", "must be in [1, 256], got %d", c.Data.Prefetch)
	check(c.Data.LineArt == LineArtAuto || c.Data.LineArt == LineArtXDoG, "data.line_art", "must be %q or %q, got %q", LineArtAuto, LineArtXDoG, c.Data.LineArt)
	check(c.Data.CropScale > 0 && c.Data.CropScale <= 1, "data.crop_scale", "must be in (0, 1], got %g", c.Data.CropScale)
	check(c.Hints.MinCount >= 0, "hints.min_count", "must be ≥ 0, got %d", c.Hints.MinCount)
	check(c.Hints.MaxCount >= c.Hints.MinCount, "hints.max_count", "must be ≥ hints.min_count (%d), got %d", c.Hints.MinCount, c.Hints.MaxCount)
	check(c.Hints.Patch >= 1 && c.Hints.Patch <= 64, "hints.patch", "must be in [1, 64], got %d", c.Hints.Patch)
	check(c.Hints.NoneProb >= 0 && c.Hints.NoneProb <= 1, "hints.none_prob", "must be in [0, 1], got %g", c.Hints.NoneProb)
	check(c.XDoG.Sigma > 0, "xdog.sigma", "must be > 0, got %g", c.XDoG.Sigma)
	check(c.XDoG.K > 1, "xdog.k", "must be > 1, got %g", c.XDoG.K)
	check(c.XDoG.Phi > 0, "xdog.phi", "must be > 0, got %g", c.XDoG.Phi)
	check(c.Train.Loss == "l1" || c.Train.Loss == "compensated_l1", "train.loss", `must be "l1" or "compensated_l1", got %q`, c.Train.Loss)
	check(c.Train.Lambda >= 0, "train.lambda", "must be ≥ 0, got %g", c.Train.Lambda)
	check(c.Train.Batch >= 1 && c.Train.Batch <= 1024, "train.batch", "must be in [1, 1024], got %d", c.Train.Batch)
	check(c.Train.Steps >= 1, "train.steps", "must be ≥ 1, got %d", c.Train.Steps)
	check(c.Train.LR > 0 && c.Train.LR < 1, "train.lr", "must be in (0, 1), got %g", c.Train.LR)
	check(c.Train.Beta1 >= 0 && c.Train.Beta1 < 1, "train.beta1", "must be in [0, 1), got %g", c.Train.Beta1)
	check(c.Train.Beta2 >= 0 && c.Train.Beta2 < 1, "train.beta2", "must be in [0, 1), got %g", c.Train.Beta2)
	check(c.Train.ValEvery >= 1, "train.val_every", "must be ≥ 1, got %d", c.Train.ValEvery)
	check(c.Train.SampleEvery >= 1, "train.sample_every", "must be ≥ 1, got %d", c.Train.SampleEvery)
	check(c.Train.CheckpointEvery >= 1, "train.checkpoint_every", "must be ≥ 1, got %d", c.Train.CheckpointEvery)
	check(c.Train.KeepLast >= 1, "train.keep_last", "must be ≥ 1, got %d", c.Train.KeepLast)
	check(c.Eval.Dims == 64 || c.Eval.Dims == 192 || c.Eval.Dims == 768 || c.Eval.Dims == 2048, "eval.dims", "must be 64, 192, 768 or 2048, got %d", c.Eval.Dims)
	check(c.Eval.Batch >= 1, "eval.batch", "must be ≥ 1, got %d", c.Eval.Batch)
	check(c.Serve.Addr != "", "serve.addr", "must be host:port, got an empty string")
	check(c.Serve.MaxUpload >= 1 && c.Serve.MaxUpload <= 4096, "serve.max_upload", "must be in [1, 4096] MiB, got %d", c.Serve.MaxUpload)
	check(c.Serve.Workers >= 1 && c.Serve.Workers <= 64, "serve.workers", "must be in [1, 64], got %d", c.Serve.Workers)
	check(c.Serve.Queue >= 0 && c.Serve.Queue <= 4096, "serve.queue", "must be in [0, 4096], got %d", c.Serve.Queue)
	check(c.Serve.Models >= c.Serve.Workers && c.Serve.Models <= 64, "serve.models", "must be in [serve.workers (%d), 64]: every worker holds one model, got %d", c.Serve.Workers, c.Serve.Models)
	check(c.Serve.MaxSide >= 0, "serve.max_side", "must be ≥ 0, got %d", c.Serve.MaxSide)
	check(c.Serve.ReadTimeout > 0, "serve.read_timeout", "must be > 0 seconds, got %g", c.Serve.ReadTimeout)
	check(c.Serve.WriteTimeout > 0, "serve.write_timeout", "must be > 0 seconds, got %g", c.Serve.WriteTimeout)
	check(c.Serve.IdleTimeout > 0, "serve.idle_timeout", "must be > 0 seconds, got %g", c.Serve.IdleTimeout)
	check(c.Limits.MaxPixels >= 1, "limits.max_pixels", "must be ≥ 1, got %d", c.Limits.MaxPixels)
	return errors.Join(errs...)
}

// Validate checks the model section's ranges, naming the key; Config.Validate
// includes it. A checkpoint's stored model section is checked with it before
// the networks it describes are built.
func (m ModelConfig) Validate() error {
	var errs []error
	check := func(ok bool, key string, format string, args ...any) {
		if !ok {
			errs = append(errs, fmt.Errorf("key %q: "+format, append([]any{key}, args...)...))
		}
	}
	check(m.Depth >= 5 && m.Depth <= 9, "model.depth", "must be in [5, 9] (the pix2pix U-Net needs at least 5 levels), got %d", m.Depth)
	check(m.NGF >= 1 && m.NGF <= 1024, "model.ngf", "must be in [1, 1024], got %d", m.NGF)
	check(m.NDF >= 1 && m.NDF <= 1024, "model.ndf", "must be in [1, 1024], got %d", m.NDF)
	check(m.DLayers >= 1 && m.DLayers <= 6, "model.d_layers", "must be in [1, 6], got %d", m.DLayers)
	check(m.Dropout >= 0 && m.Dropout < 1, "model.dropout", "must be in [0, 1), got %g", m.Dropout)
	return errors.Join(errs...)
}
