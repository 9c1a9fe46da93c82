package fid

import "os"

func writeFile(path string, b []byte) error { return os.WriteFile(path, b, 0o644) }

func saveArray(t interface {
	Helper()
	Fatal(...any)
}, path string, a Array) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := WriteNPY(f, a); err != nil {
		t.Fatal(err)
	}
}
