// Package imageio decodes image files of every format colorize accepts and
// converts them to the planar 8-bit pictures the data pipeline stores.
//
// Formats: PNG, JPEG (including CMYK/YCCK), GIF, BMP, TIFF and WebP (the last
// three through golang.org/x/image), recognised by content, not by file
// extension. Any color model is accepted: gray, 16-bit, paletted, RGBA, CMYK.
//
// Conventions:
//
//   - A Planes holds C planes of H×W bytes, channel-major: sample (c, y, x) is
//     at Pix[(c·H+y)·W+x]. C is 1 (gray), 3 (RGB) or 4 (RGB plus a mask).
//   - Transparency is composited on white: a pixel of straight (non
//     premultiplied) color c and opacity a becomes a·c + (1−a)·white.
//   - Gray is the luma of that composited color with Go's image/color weights
//     (0.299, 0.587, 0.114 in 16-bit fixed point), so an 8-bit gray file is read
//     back unchanged.
//   - 16-bit samples are rounded to the nearest 8-bit value.
//   - Resampling (Resample) is separable with a triangle filter whose support
//     widens when shrinking (area-like antialiasing) and is plain bilinear when
//     enlarging; edges replicate the border pixel. It works on float32 values
//     in the source's own scale.
package imageio
