// Package export turns a trained colorize generator into an ONNX model that
// runs without colorize (ONNX Runtime in Python, JavaScript, C++, ...).
//
// The model is the generator in inference mode: batch norm with its running
// statistics, folded into the convolution before it (exact up to float32
// rounding); dropout left out, so the model is deterministic, as `colorize
// infer` is by default; the final tanh kept. It uses only the operators
// Conv, ConvTranspose, LeakyRelu, Relu, Concat and Tanh.
//
// Input "input": float32 [N, 5, H, W], the same tensor colorize's generator
// takes (see InputFormat). Output "output": float32 [N, 3, H, W], RGB in
// [−1, 1]. N, H and W are dynamic; H and W must be multiples of 2^depth,
// which callers reach by padding as `colorize infer` does (see Padding).
// metadata_props record these rules, the colorize version, the model
// configuration, the training step and the hint patch size (see Metadata).
package export

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/colorize-dev/colorize/internal/config"
	"github.com/colorize-dev/colorize/internal/onnx"
	"github.com/colorize-dev/colorize/internal/unet"
)

// DefaultOpset is the operator set version written unless asked otherwise:
// supported by every ONNX Runtime since 1.12 (2022).
const DefaultOpset = 17

// MinOpset and MaxOpset bound the operator set versions export writes: the
// operators' definitions used here are unchanged across them, and
// onnx.IRVersion knows their IR version.
const (
	MinOpset = 11
	MaxOpset = 23
)

// InputFormat, OutputFormat and Padding are the normalization and padding
// rules of colorize's generator, as stored in the model's metadata.
const (
	InputFormat = "float32 [N, 5, H, W]. Channel 0, line art: the sketch composited on white, " +
		"converted to gray (ITU-R BT.601 luma as Go's color.GrayModel: 0.299 R + 0.587 G + 0.114 B), " +
		"rounded to a byte g in 0..255, then g/127.5 - 1 (1 = white paper, -1 = black ink). " +
		"Channels 1-3, hint RGB: r/127.5 - 1 (likewise g, b) where a hint is given, 0 elsewhere. " +
		"Channel 4, hint mask: 1 where a hint is given, 0 elsewhere. No hint at all is valid."
	OutputFormat = "float32 [N, 3, H, W], RGB in [-1, 1]; a byte is round((v + 1) * 127.5) clamped to 0..255."
	Padding      = "H and W must be multiples of size_multiple (2^depth). colorize infer pads the right " +
		"and bottom edges up to the next multiple with white paper (line channel 1) and no hint " +
		"(hint channels 0), runs the model, and crops the output back to the top-left original size."
)

// Info is what the model's metadata records about its origin.
type Info struct {
	Version string        // colorize version
	Step    int           // training step of the checkpoint
	Config  config.Config // the checkpoint's configuration
}

// ONNX returns gen as an ONNX model of operator set opset.
func ONNX(gen *unet.Generator, info Info, opset int) (*onnx.Model, error) {
	ir, ok := onnx.IRVersion(opset)
	if !ok || opset < MinOpset || opset > MaxOpset {
		return nil, fmt.Errorf("opset %d is not supported (want %d to %d)", opset, MinOpset, MaxOpset)
	}
	cfg := gen.Cfg
	if cfg.Depth != info.Config.Model.Depth || cfg.NGF != info.Config.Model.NGF {
		return nil, fmt.Errorf("generator (depth %d, ngf %d) does not match the configuration (model.depth %d, model.ngf %d)",
			cfg.Depth, cfg.NGF, info.Config.Model.Depth, info.Config.Model.NGF)
	}
	lv, err := levels(gen)
	if err != nil {
		return nil, err
	}
	b := &builder{}
	out := b.level(lv, 1, "input")
	dims := func(c int) []onnx.Dim {
		return []onnx.Dim{{Param: "N"}, {Value: int64(c)}, {Param: "H"}, {Param: "W"}}
	}
	md, err := metadata(info, cfg)
	if err != nil {
		return nil, err
	}
	return &onnx.Model{
		IRVersion:       ir,
		Opset:           int64(opset),
		ProducerName:    "colorize",
		ProducerVersion: info.Version,
		DocString: fmt.Sprintf("colorize pix2pix U-Net generator (depth %d, ngf %d) at training step %d: "+
			"line art and color hints in, RGB out. See metadata_props for the input and output formats.", cfg.Depth, cfg.NGF, info.Step),
		Graph: onnx.Graph{
			Name:         "colorize_generator",
			Nodes:        b.nodes,
			Initializers: b.inits,
			Inputs:       []onnx.ValueInfo{{Name: "input", Elem: onnx.Float, Dims: dims(cfg.InChannels)}},
			Outputs:      []onnx.ValueInfo{{Name: out, Elem: onnx.Float, Dims: dims(cfg.OutChannels)}},
		},
		Metadata: md,
	}, nil
}

// metadata returns the model's metadata_props: how to feed it and where it
// came from.
func metadata(info Info, cfg unet.Config) ([]onnx.Entry, error) {
	model := map[string]any{}
	for k, v := range info.Config.Flat() {
		if name, ok := strings.CutPrefix(k, "model."); ok {
			model[name] = v
		}
	}
	model["in_channels"], model["out_channels"] = cfg.InChannels, cfg.OutChannels
	modelJSON, err := json.Marshal(model)
	if err != nil {
		return nil, err
	}
	itoa := strconv.Itoa
	return []onnx.Entry{
		{Key: "colorize_version", Value: info.Version},
		{Key: "training_step", Value: itoa(info.Step)},
		{Key: "model_config", Value: string(modelJSON)},
		{Key: "depth", Value: itoa(cfg.Depth)},
		{Key: "size_multiple", Value: itoa(1 << cfg.Depth)},
		{Key: "input_format", Value: InputFormat},
		{Key: "output_format", Value: OutputFormat},
		{Key: "padding", Value: Padding},
		{Key: "hint_patch", Value: itoa(info.Config.Hints.Patch)},
		{Key: "hint_patch_at_size", Value: itoa(info.Config.Data.Size)},
		{Key: "hint_points", Value: "colorize infer paints a hint point as a square of side " +
			"max(1, round(hint_patch * min(H, W) / hint_patch_at_size)) pixels centred on the point " +
			"(the share of the picture a training hint covers), in hint channels 1-4."},
		{Key: "dropout", Value: "removed: the model is deterministic (colorize infer without --dropout)"},
	}, nil
}

// builder accumulates the graph's nodes and initializers.
type builder struct {
	nodes []onnx.Node
	inits []onnx.Tensor
}

func (b *builder) node(op, name string, inputs []string, attrs ...onnx.Attr) string {
	b.nodes = append(b.nodes, onnx.Node{Name: name, OpType: op, Inputs: inputs, Outputs: []string{name}, Attrs: attrs})
	return name
}

func (b *builder) init(name string, data []float32, shape ...int) string {
	dims := make([]int64, len(shape))
	for i, d := range shape {
		dims[i] = int64(d)
	}
	b.inits = append(b.inits, onnx.Tensor{Name: name, Dims: dims, Data: data})
	return name
}

// conv adds a Conv or ConvTranspose node for c applied to x.
func (b *builder) conv(op string, c conv, x string) string {
	in := []string{x, b.init(c.name+".weight", c.weight, c.shape...)}
	if c.bias != nil {
		in = append(in, b.init(c.name+".bias", c.bias, len(c.bias)))
	}
	return b.node(op, c.name, in,
		onnx.IntsAttr("kernel_shape", int64(c.shape[2]), int64(c.shape[3])),
		onnx.IntsAttr("strides", 2, 2),
		onnx.IntsAttr("pads", 1, 1, 1, 1))
}

// level adds level i applied to x and returns the name of its output, as
// unet.Generator.level builds it.
func (b *builder) level(lv []level, i int, x string) string {
	p := fmt.Sprintf("level%d", i)
	h := x
	if i > 1 {
		h = b.node("LeakyRelu", p+".leaky_relu", []string{h}, onnx.FloatAttr("alpha", 0.2))
	}
	h = b.conv("Conv", lv[i-1].down, h)
	if i < len(lv) {
		h = b.level(lv, i+1, h)
	}
	h = b.node("Relu", p+".relu", []string{h})
	h = b.conv("ConvTranspose", lv[i-1].up, h)
	if i == 1 {
		b.node("Tanh", "output", []string{h})
		return "output"
	}
	return b.node("Concat", p+".concat", []string{x, h}, onnx.IntAttr("axis", 1))
}
