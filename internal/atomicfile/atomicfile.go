// Package atomicfile writes the files colorize produces. A file is written
// to a temporary file in its folder, fsynced and renamed over the target,
// then the folder is fsynced: readers, and a crash at any moment, see the old
// content or the new one, never a torn file. Append-only logs, which cannot
// be replaced whole on every record, are opened here too, so that this
// package is the one place where colorize creates files.
package atomicfile

import (
	"bufio"
	"bytes"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
)

// fault, when set (InjectFault), fails writes to the paths it returns an
// error for: the seam through which tests make a disk full.
var fault atomic.Pointer[func(path string) error]

// InjectFault makes every later write to a path for which f returns an
// error fail with that error, as a full disk would: Write fails after its
// data reached the temporary file, before the rename, and appends to a log
// fail. The returned function removes the fault. For tests.
func InjectFault(f func(path string) error) (restore func()) {
	fault.Store(&f)
	return func() { fault.Store(nil) }
}

func injected(path string) error {
	if f := fault.Load(); f != nil {
		return (*f)(path)
	}
	return nil
}

// Write replaces path with what write produces. The error names path; on
// any failure the previous file at path is left as it was.
func Write(path string, write func(w io.Writer) error) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, tempPattern(path))
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	bw := bufio.NewWriter(tmp)
	if err := write(bw); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := injected(path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	// CreateTemp makes the file private (0600); give it the mode os.WriteFile
	// would, so outputs stay readable by other tools and users.
	if err := tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	ok = true
	syncDir(dir)
	return nil
}

// tempPattern is the name of Write's temporary files: hidden, and tagged so
// that RemoveStale never touches anything else.
func tempPattern(path string) string { return "." + filepath.Base(path) + ".tmp-*" }

// RemoveStale deletes the temporary files that writes into dir left behind
// when their process was killed (kill -9, power loss) and returns how many.
// Call it only while no other process writes into dir (a run-folder lock).
func RemoveStale(dir string) (int, error) {
	matches, err := filepath.Glob(filepath.Join(dir, ".*.tmp-*"))
	if err != nil {
		return 0, err
	}
	n := 0
	for _, m := range matches {
		if err := os.Remove(m); err != nil && !os.IsNotExist(err) {
			return n, err
		}
		n++
	}
	return n, nil
}

// WriteFile replaces path with data.
func WriteFile(path string, data []byte) error {
	return Write(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// WritePNG replaces path with img encoded as PNG.
func WritePNG(path string, img image.Image) error {
	return Write(path, func(w io.Writer) error { return png.Encode(w, img) })
}

// EncodePNG returns img as PNG bytes, the encoding WritePNG writes.
func EncodePNG(img image.Image) ([]byte, error) {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Copy replaces dst with a copy of the file src.
func Copy(src, dst string) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	return Write(dst, func(w io.Writer) error {
		_, err := io.Copy(w, f)
		return err
	})
}

// Log is a file opened for appending.
type Log struct {
	f    *os.File
	path string
}

// OpenAppend opens the log file path for appending, creating it if needed.
func OpenAppend(path string) (*Log, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return &Log{f: f, path: path}, nil
}

// Write appends p; the error names the file.
func (l *Log) Write(p []byte) (int, error) {
	if err := injected(l.path); err != nil {
		return 0, fmt.Errorf("write %s: %w", l.path, err)
	}
	n, err := l.f.Write(p)
	if err != nil {
		err = fmt.Errorf("write %s: %w", l.path, err)
	}
	return n, err
}

// Sync commits what was appended to stable storage; the error names the
// file.
func (l *Log) Sync() error {
	if err := l.f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", l.path, err)
	}
	return nil
}

// Close closes the file.
func (l *Log) Close() error { return l.f.Close() }

// syncDir makes a rename in dir durable; best effort (Linux needs it, some
// file systems refuse it).
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
