package config

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/go-viper/mapstructure/v2"
)

// Flat returns the configuration as dotted key → value. Checkpoints store it
// (as JSON) so that inference and evaluation can rebuild the model.
func (c Config) Flat() map[string]any { return flatten(c) }

// JSON returns the flat configuration as JSON.
func (c Config) JSON() string {
	b, err := json.Marshal(c.Flat())
	if err != nil {
		panic(err) // plain scalars only
	}
	return string(b)
}

// FromJSON parses the output of JSON, starting from the defaults so that
// keys added in later versions keep their default values.
func FromJSON(s string) (Config, error) {
	var flat map[string]any
	if err := json.Unmarshal([]byte(s), &flat); err != nil {
		return Config{}, fmt.Errorf("stored config: %w", err)
	}
	kinds := keyKinds()
	tree := map[string]any{}
	for key, val := range Default().Flat() {
		setPath(tree, key, val)
	}
	for key, val := range flat {
		if _, ok := kinds[key]; !ok {
			return Config{}, fmt.Errorf("stored config: unknown key %q", key)
		}
		setPath(tree, key, val)
	}
	var cfg Config
	dec, err := mapstructure.NewDecoder(&mapstructure.DecoderConfig{Result: &cfg, WeaklyTypedInput: true, ErrorUnused: true})
	if err != nil {
		return Config{}, err
	}
	if err := dec.Decode(tree); err != nil {
		return Config{}, fmt.Errorf("stored config: %w", err)
	}
	return cfg, nil
}

func setPath(tree map[string]any, key string, val any) {
	parts := strings.Split(key, ".")
	for _, p := range parts[:len(parts)-1] {
		sub, ok := tree[p].(map[string]any)
		if !ok {
			sub = map[string]any{}
			tree[p] = sub
		}
		tree = sub
	}
	tree[parts[len(parts)-1]] = val
}

// YAML renders the configuration as a YAML document (sections, sorted keys).
func (c Config) YAML() string {
	flat := c.Flat()
	keys := make([]string, 0, len(flat))
	for k := range flat {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	section := ""
	for _, k := range keys {
		sec, name, nested := strings.Cut(k, ".")
		if !nested {
			fmt.Fprintf(&b, "%s: %s\n", k, yamlScalar(flat[k]))
			continue
		}
		if sec != section {
			fmt.Fprintf(&b, "%s:\n", sec)
			section = sec
		}
		fmt.Fprintf(&b, "  %s: %s\n", name, yamlScalar(flat[k]))
	}
	return b.String()
}

func yamlScalar(v any) string {
	if s, ok := v.(string); ok {
		b, _ := json.Marshal(s)
		return string(b)
	}
	return fmt.Sprint(v)
}
