package load

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

func TestRunCountsStatusesAndLatencies(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer t" || r.Method != "POST" {
			w.WriteHeader(http.StatusTeapot)
			return
		}
		if n.Add(1)%3 == 0 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		time.Sleep(2 * time.Millisecond)
		w.Write([]byte("ok"))
	}))
	defer srv.Close()
	res := Run(t.Context(), Request{URL: srv.URL, Body: []byte("x"), ContentType: "text/plain", Token: "t"}, 3, 300*time.Millisecond)
	ok, busy := res.Statuses[200], res.Statuses[503]
	if ok == 0 || busy == 0 || res.Failed() != 0 || res.RetryAfterMissing != 0 || len(res.Latencies) != ok {
		t.Fatalf("statuses %v, %d latencies, %d failed", res.Statuses, len(res.Latencies), res.Failed())
	}
	if p50, p95 := res.Percentile(50), res.Percentile(95); p50 < 2*time.Millisecond || p95 < p50 || res.Latencies[0] > p50 {
		t.Fatalf("p50 %v p95 %v min %v", p50, p95, res.Latencies[0])
	}
	if res.Throughput() <= 0 {
		t.Fatal("no throughput")
	}
	if got := (Result{Latencies: []time.Duration{1, 2, 3, 4}}).Percentile(50); got != 2 {
		t.Fatalf("median of 1..4 by nearest rank: %v", got)
	}
}
