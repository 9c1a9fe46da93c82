package evaluate

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"path/filepath"
	"strings"

	"github.com/colorize-dev/colorize/internal/checkpoint"
)

// savePNG writes img as PNG to path, replacing the extension with .png.
func savePNG(path string, img image.Image) error {
	path = strings.TrimSuffix(path, filepath.Ext(path)) + ".png"
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	return checkpoint.WriteFileAtomic(path, buf.Bytes())
}
