// Package runlock keeps two processes from writing to one run folder at
// once. A run folder's lock is an OS lock on the file run.lock in it, which
// also records who holds it (process ID, host name, start time) so that the
// refusal can name the holder.
//
// The kernel drops the lock when its process ends in any way, kill -9
// included, so a lock left behind by a dead process is simply taken by the
// next Acquire; there is nothing stale to clean up. On Linux the lock is an
// open file description lock (fcntl F_OFD_SETLK), which Probe can test
// without taking it; on other Unix systems it is a flock(2) lock, which
// Probe tests by trying to share it for an instant.
package runlock

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// FileName is the name of the lock file inside a run folder.
const FileName = "run.lock"

// Holder is the process that holds a run folder's lock.
type Holder struct {
	PID   int       `json:"pid"`
	Host  string    `json:"host"`
	Start time.Time `json:"start"` // when it took the lock
}

func (h Holder) String() string {
	if h.PID == 0 {
		return "another process (it has not recorded itself yet)"
	}
	return fmt.Sprintf("process %d on %s since %s", h.PID, h.Host, h.Start.Format(time.RFC3339))
}

// HeldError is returned by Acquire when another process holds the lock.
type HeldError struct {
	Dir    string
	Holder Holder
}

func (e *HeldError) Error() string {
	return fmt.Sprintf("run folder %s is in use by %s", e.Dir, e.Holder)
}

// Lock is a held run-folder lock.
type Lock struct {
	f *os.File
}

// Acquire takes the lock of the run folder dir (which must exist), or fails
// at once with a *HeldError naming the holder if another process, or another
// Acquire in this one, holds it.
func Acquire(dir string) (*Lock, error) {
	path := filepath.Join(dir, FileName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock run folder: %w", err)
	}
	ok, err := tryLock(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if !ok {
		f.Close()
		return nil, &HeldError{Dir: dir, Holder: readHolder(path)}
	}
	host, _ := os.Hostname()
	b, _ := json.Marshal(Holder{PID: os.Getpid(), Host: host, Start: time.Now().UTC().Truncate(time.Second)})
	if err := f.Truncate(0); err == nil {
		_, err = f.WriteAt(append(b, '\n'), 0)
	}
	if err != nil {
		f.Close() // closing drops the lock
		return nil, fmt.Errorf("lock %s: record the holder: %w", path, err)
	}
	return &Lock{f: f}, nil
}

// Release empties the lock file and drops the lock. The file itself stays:
// removing it could let two processes lock two different files of that name.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	terr := l.f.Truncate(0)
	cerr := l.f.Close() // drops the lock
	l.f = nil
	return errors.Join(terr, cerr)
}

// Probe reports whether some process holds the lock of dir, and who,
// without taking it. A folder without a lock file is not held.
func Probe(dir string) (held bool, holder Holder, err error) {
	path := filepath.Join(dir, FileName)
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, Holder{}, nil
	}
	if err != nil {
		return false, Holder{}, fmt.Errorf("probe %s: %w", path, err)
	}
	defer f.Close()
	held, err = isLocked(f)
	if err != nil {
		return false, Holder{}, fmt.Errorf("probe %s: %w", path, err)
	}
	if !held {
		return false, Holder{}, nil
	}
	return true, readHolder(path), nil
}

// readHolder reads the holder recorded in the lock file; it is the zero
// Holder if the holder has not written itself yet.
func readHolder(path string) Holder {
	var h Holder
	if b, err := os.ReadFile(path); err == nil {
		json.Unmarshal(b, &h) // a half-written record leaves h zero
	}
	return h
}
