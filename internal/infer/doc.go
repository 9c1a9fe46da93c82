// Package infer colorizes sketches of any size with a trained generator.
//
// # Line art
//
// A sketch of any format and color model (gray, RGB, paletted, with alpha)
// becomes the line channel exactly as training's line art does:
// modelio.LineTensor composites it on white, takes its gray value, rounds it to
// bytes and maps it to [-1, 1] (1 = paper, −1 = ink).
//
// # Hints
//
// Hints come from an RGBA hint image of the sketch's size (pixels with
// alpha ≥ 1/2 are hints, their straight RGB is the hint color; modelio.HintTensor)
// and/or from points. A point paints a square of hints.patch pixels at
// data.size, scaled with the picture: side = round(hints.patch ·
// min(w, h) / data.size) pixels (at least 1) of the working size, centred on
// the point, which is the fraction of the picture a training hint covers. No
// hint at all is valid (training shows the generator hint-free samples with
// probability hints.none_prob).
//
// # Any size
//
// The generator halves the resolution depth times, so its input sides must be
// multiples of 2^depth. The input is padded on the right and bottom to the next
// multiple, with white paper (1) in the line channel and "no hint" (all four
// hint channels 0) elsewhere, run, and cropped back to the top-left w×h, so
// the output has the sketch's size. With MaxSide > 0 a sketch whose longer
// side exceeds it is first resized (its line art and hints) so that the longer
// side is MaxSide, colorized there, and the result is scaled back up
// (bilinear) to the sketch's size.
//
// # Inference mode
//
// Batch norm uses the running statistics stored in the checkpoint. Dropout
// follows model.infer_dropout of the checkpoint's configuration unless
// Colorizer.Dropout is changed: pix2pix keeps dropout on at test time as its
// only noise source; colorize's default is off, so the same sketch and hints
// always give the same picture. With dropout on, Colorizer.Seed picks the
// dropout units (same seed, same picture).
//
// One inference graph is built per padded input shape and dropout setting and
// cached by the Colorizer, so a folder of same-size sketches builds one graph;
// Colorizer.MaxGraphs bounds the cache for servers that see every size.
// A Colorizer is not safe for concurrent use. Front ends encode results with
// atomicfile.EncodePNG (what atomicfile.WritePNG writes), so the CLI and the
// server give the same bytes.
package infer
