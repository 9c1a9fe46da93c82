package model

import (
	"reflect"
	"testing"

	"github.com/colorize-dev/colorize/internal/config"
	"github.com/colorize-dev/colorize/internal/patchgan"
	"github.com/colorize-dev/colorize/internal/unet"
)

// TestStateShapesMatchNew: the shapes known without allocating are exactly
// those of the networks New builds.
func TestStateShapesMatchNew(t *testing.T) {
	for _, cfg := range []config.ModelConfig{
		{Depth: 5, NGF: 4, NDF: 4, DLayers: 2},
		{Depth: 7, NGF: 3, NDF: 2, DLayers: 3, Dropout: 0.5},
	} {
		m, err := New(cfg, 1)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string][]int{}
		for name, a := range m.Gen.Params.State() {
			got[unet.ParamPrefix+name] = a.Shape
		}
		for name, a := range m.Disc.Params.State() {
			got[patchgan.ParamPrefix+name] = a.Shape
		}
		if want := StateShapes(cfg); !reflect.DeepEqual(got, want) {
			t.Errorf("%+v: New has\n%v\nStateShapes says\n%v", cfg, got, want)
		}
	}
}
