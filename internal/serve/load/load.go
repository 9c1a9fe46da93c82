// Package load drives a colorize server with concurrent clients for a fixed
// time and summarizes what they saw: latency percentiles, throughput and the
// status of every answer. The load test in bench/serveload and the server's
// tests use it; it only ever talks to the address it is given.
package load

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sort"
	"sync"
	"time"
)

// Request is the POST every client sends, over and over.
type Request struct {
	URL         string
	Body        []byte
	ContentType string
	Token       string
}

// Result is what the clients saw.
type Result struct {
	Clients  int
	Duration time.Duration // wall time from the first request to the last answer
	// Latencies of the successful (200) answers, sorted.
	Latencies []time.Duration
	// Statuses counts answers by HTTP status; 0 counts transport errors.
	Statuses map[int]int
	// RetryAfterMissing counts 503 answers without a Retry-After header.
	RetryAfterMissing int
}

// Run has clients send req back to back until d has passed (requests in
// flight then are waited for), each waiting for its answer before the next.
// A 503 is retried after a pause of 50 ms, not its Retry-After, so the queue
// stays under pressure.
func Run(ctx context.Context, req Request, clients int, d time.Duration) Result {
	client := &http.Client{Timeout: 5 * time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	defer client.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	res := Result{Clients: clients, Statuses: map[int]int{}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				t0 := time.Now()
				status, retryAfter := send(client, req)
				took := time.Since(t0)
				mu.Lock()
				res.Statuses[status]++
				if status == http.StatusOK {
					res.Latencies = append(res.Latencies, took)
				}
				if status == http.StatusServiceUnavailable && retryAfter == "" {
					res.RetryAfterMissing++
				}
				mu.Unlock()
				if status != http.StatusOK {
					select {
					case <-ctx.Done():
					case <-time.After(50 * time.Millisecond):
					}
				}
			}
		}()
	}
	wg.Wait()
	res.Duration = time.Since(start)
	sort.Slice(res.Latencies, func(i, j int) bool { return res.Latencies[i] < res.Latencies[j] })
	return res
}

// send posts once and returns the status (0 for a transport error) and the
// Retry-After header. The request does not share Run's deadline: a request
// started before the end is answered.
func send(client *http.Client, req Request) (int, string) {
	r, err := http.NewRequest(http.MethodPost, req.URL, bytes.NewReader(req.Body))
	if err != nil {
		return 0, ""
	}
	r.Header.Set("Content-Type", req.ContentType)
	if req.Token != "" {
		r.Header.Set("Authorization", "Bearer "+req.Token)
	}
	res, err := client.Do(r)
	if err != nil {
		return 0, ""
	}
	defer res.Body.Close()
	if _, err := io.Copy(io.Discard, res.Body); err != nil {
		return 0, ""
	}
	return res.StatusCode, res.Header.Get("Retry-After")
}

// Percentile returns the p-th percentile (0–100) of the sorted latencies,
// nearest rank; 0 when there are none.
func (r Result) Percentile(p float64) time.Duration {
	if len(r.Latencies) == 0 {
		return 0
	}
	i := int(float64(len(r.Latencies))*p/100+0.5) - 1
	return r.Latencies[min(max(i, 0), len(r.Latencies)-1)]
}

// Throughput is successful answers per second.
func (r Result) Throughput() float64 {
	if r.Duration <= 0 {
		return 0
	}
	return float64(len(r.Latencies)) / r.Duration.Seconds()
}

// Failed counts answers that are neither 200 nor 503 (transport errors included).
func (r Result) Failed() int {
	n := 0
	for status, c := range r.Statuses {
		if status != http.StatusOK && status != http.StatusServiceUnavailable {
			n += c
		}
	}
	return n
}
