package serve

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/colorize-dev/colorize/internal/serve/load"
)

// TestLoadGetsOnlyAnswersOrBusy is the short variant of bench/serveload:
// more clients than workers and queue together, on loopback, for two
// seconds. Every answer is a result or a 503 with Retry-After, and the
// server is idle again afterwards.
func TestLoadGetsOnlyAnswersOrBusy(t *testing.T) {
	opts := defaultOptions(runsTree(t))
	opts.Workers, opts.Queue, opts.Models = 1, 2, 1
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() {
		served <- Serve(ctx, ln, s, Timeouts{Read: 10 * time.Second, Write: time.Minute, Idle: time.Minute, Shutdown: time.Minute})
	}()

	body, ct := form(t, map[string][]byte{"sketch": encodePNG(t, sketch(64, 64))}, map[string]string{"points": "20,20,#e02020 40,40,#2060e0"})
	res := load.Run(t.Context(), load.Request{URL: "http://" + ln.Addr().String() + "/api/colorize", Body: body.Bytes(), ContentType: ct}, 8, 2*time.Second)
	t.Logf("statuses %v, p50 %v, p95 %v, %.1f/s", res.Statuses, res.Percentile(50), res.Percentile(95), res.Throughput())
	if res.Failed() != 0 || res.Statuses[200] == 0 || res.RetryAfterMissing != 0 {
		t.Fatalf("statuses %v (%d 503s without Retry-After)", res.Statuses, res.RetryAfterMissing)
	}
	if res.Statuses[503] == 0 {
		t.Error("8 clients on 1 worker and a queue of 2 never got a 503")
	}
	// A handler gives its slot back just after its answer is sent.
	for end := time.Now().Add(5 * time.Second); len(s.pool.slots) > 0 && time.Now().Before(end); {
		time.Sleep(time.Millisecond)
	}
	if n := len(s.pool.slots); n != 0 {
		t.Errorf("%d requests still admitted after the load", n)
	}
	stop()
	if err := <-served; err != nil {
		t.Fatal(err)
	}
}
