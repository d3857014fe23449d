package loadtest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestRunCountsRequestsErrorsAndStopsAtTheCap(t *testing.T) {
	var n atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1)%4 == 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer ts.Close()

	res := Run(context.Background(), NewClient(4), Get("t", ts.URL), Options{Concurrency: 4, Duration: 10 * time.Second, MaxRequests: 200})
	if res.Requests != 200 {
		t.Fatalf("requests = %d, want the cap of 200", res.Requests)
	}
	if res.Errors != 50 {
		t.Errorf("errors = %d, want every 4th of 200 = 50", res.Errors)
	}
	if int(n.Load()) != 200 {
		t.Errorf("server saw %d requests", n.Load())
	}
	if res.P50 <= 0 || res.P99 < res.P50 || res.RPS() <= 0 {
		t.Errorf("implausible figures: %+v", res)
	}
	var b strings.Builder
	WriteTable(&b, []Result{res, {Scenario: "x", Concurrency: 4, Requests: 100, Elapsed: res.Elapsed}}, "t")
	if !strings.Contains(b.String(), "| t | 4 | 200 |") || !strings.Contains(b.String(), "| 0.50 |") {
		t.Errorf("table:\n%s", b.String())
	}
}
