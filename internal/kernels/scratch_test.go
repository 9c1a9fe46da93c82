package kernels

import (
	"runtime"
	"testing"
	"time"
)

// TestLargeScratchReusedThenDropped checks that a large scratch buffer is
// handed out again after it is put back, and that a class left unused from
// one garbage collection to the next is emptied.
func TestLargeScratchReusedThenDropped(t *testing.T) {
	const n = 3 << 18 // class 20, 4 MB
	k := 20
	a := getBuf(n)
	putBuf(a)
	if b := getBuf(n - 5); b != a {
		t.Fatal("a large buffer put back was not handed out again")
	} else {
		putBuf(b)
	}
	held := func() int {
		largeMu.Lock()
		defer largeMu.Unlock()
		return len(largeFree[k])
	}
	if held() != 1 {
		t.Fatalf("class %d holds %d buffers, want 1", k, held())
	}
	for i := 0; i < 100 && held() > 0; i++ {
		runtime.GC()
		time.Sleep(5 * time.Millisecond)
	}
	if held() != 0 {
		t.Fatalf("class %d still holds %d buffers after collections without use", k, held())
	}
}
