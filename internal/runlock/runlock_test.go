package runlock

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// helperEnv makes the test binary, re-executed, hold the lock of the folder
// it names until it is killed.
const helperEnv = "RUNLOCK_TEST_HOLD"

func TestMain(m *testing.M) {
	if dir := os.Getenv(helperEnv); dir != "" {
		l, err := Acquire(dir)
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(2)
		}
		fmt.Println("locked")
		time.Sleep(time.Minute) // until killed; the test's deadline if not
		l.Release()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// holdInChild starts a second process holding dir's lock and returns it once
// the lock is taken.
func holdInChild(t *testing.T, dir string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "locked" {
		t.Fatalf("helper process: %q, %v", line, err)
	}
	return cmd
}

func TestAcquireRelease(t *testing.T) {
	dir := t.TempDir()
	if held, _, err := Probe(dir); err != nil || held {
		t.Fatalf("fresh folder: held %v, err %v", held, err)
	}
	l, err := Acquire(dir)
	if err != nil {
		t.Fatal(err)
	}
	held, h, err := Probe(dir)
	if err != nil || !held {
		t.Fatalf("after Acquire: held %v, err %v", held, err)
	}
	host, _ := os.Hostname()
	if h.PID != os.Getpid() || h.Host != host || time.Since(h.Start) > time.Minute {
		t.Errorf("holder %+v, want this process (%d on %s, now)", h, os.Getpid(), host)
	}
	// A second Acquire, even in the same process, is refused.
	_, err = Acquire(dir)
	var he *HeldError
	if !errors.As(err, &he) || he.Holder.PID != os.Getpid() || !strings.Contains(err.Error(), fmt.Sprint(os.Getpid())) {
		t.Fatalf("second Acquire: %v", err)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	if held, _, _ := Probe(dir); held {
		t.Fatal("still held after Release")
	}
	l2, err := Acquire(dir)
	if err != nil {
		t.Fatalf("Acquire after Release: %v", err)
	}
	l2.Release()
	if err := l2.Release(); err != nil {
		t.Errorf("second Release: %v", err)
	}
}

func TestOtherProcessHoldsItUntilKilled(t *testing.T) {
	dir := t.TempDir()
	child := holdInChild(t, dir)
	pid := child.Process.Pid

	held, h, err := Probe(dir)
	if err != nil || !held || h.PID != pid {
		t.Fatalf("Probe: held %v, holder %+v, err %v; want held by %d", held, h, err, pid)
	}
	start := time.Now()
	_, err = Acquire(dir)
	var he *HeldError
	if !errors.As(err, &he) || he.Holder.PID != pid {
		t.Fatalf("Acquire while the child holds it: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Acquire waited %v instead of failing at once", d)
	}
	for _, want := range []string{dir, fmt.Sprint(pid), h.Host} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}

	// kill -9: the kernel drops the lock with the process, so the folder is
	// free again though the lock file still names the dead holder.
	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	child.Wait()
	if b, _ := os.ReadFile(filepath.Join(dir, FileName)); !strings.Contains(string(b), fmt.Sprint(pid)) {
		t.Fatalf("lock file %q should still record the killed holder", b)
	}
	if held, _, err := Probe(dir); err != nil || held {
		t.Fatalf("after kill -9: held %v, err %v", held, err)
	}
	l, err := Acquire(dir)
	if err != nil {
		t.Fatalf("Acquire after the holder was killed: %v", err)
	}
	defer l.Release()
	if _, h, _ := Probe(dir); h.PID != os.Getpid() {
		t.Errorf("holder after takeover %+v, want this process", h)
	}
}

func TestMissingFolder(t *testing.T) {
	if _, err := Acquire(filepath.Join(t.TempDir(), "nope")); err == nil {
		t.Fatal("Acquire in a missing folder succeeded")
	}
}
