package ortnode

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/colorize-dev/colorize/internal/onnx"
)

// TestRun runs a one-node model (y = LeakyRelu(x), alpha 0.5, dynamic
// batch) with two inputs and both optimization levels.
func TestRun(t *testing.T) {
	rt := Require(t)
	m := &onnx.Model{
		IRVersion: 8, Opset: 17, ProducerName: "test",
		Graph: onnx.Graph{
			Name:    "leaky",
			Nodes:   []onnx.Node{{Name: "y", OpType: "LeakyRelu", Inputs: []string{"x"}, Outputs: []string{"y"}, Attrs: []onnx.Attr{onnx.FloatAttr("alpha", 0.5)}}},
			Inputs:  []onnx.ValueInfo{{Name: "x", Elem: onnx.Float, Dims: []onnx.Dim{{Param: "N"}, {Value: 3}}}},
			Outputs: []onnx.ValueInfo{{Name: "y", Elem: onnx.Float, Dims: []onnx.Dim{{Param: "N"}, {Value: 3}}}},
		},
	}
	b, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "leaky.onnx")
	os.WriteFile(path, b, 0o644)
	res, err := rt.Run(Job{Model: path, Levels: []string{"disabled", "all"}, Repeat: 2, Inputs: []Input{
		{Data: []float32{-2, 0, 3}, Dims: []int{1, 3}},
		{Data: []float32{1, -1, 4, -8, 0.5, -0.25}, Dims: []int{2, 3}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	want := [][]float32{{-1, 0, 3}, {1, -0.5, 4, -4, 0.5, -0.125}}
	for _, s := range res.Sessions {
		for i, out := range s.Outputs {
			if !slices.Equal(out.Data, want[i]) || !slices.Equal(out.Dims, []int{i + 1, 3}) || len(out.Ms) != 2 {
				t.Errorf("%s input %d: %v %v (%d times), want %v", s.Level, i, out.Data, out.Dims, len(out.Ms), want[i])
			}
		}
	}
	if _, err := rt.Run(Job{Model: filepath.Join(t.TempDir(), "missing.onnx"), Levels: []string{"all"}}); err == nil || !strings.Contains(err.Error(), "missing.onnx") {
		t.Errorf("missing model: err = %v", err)
	}
}

func TestFindNamesTheInstaller(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("no node on PATH: Find fails on that first")
	}
	t.Setenv("COLORIZE_ORT_DIR", t.TempDir())
	if _, err := Find(); err == nil || !strings.Contains(err.Error(), "scripts/ort-install") {
		t.Errorf("err = %v", err)
	}
}
