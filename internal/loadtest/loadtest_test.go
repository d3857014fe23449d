package loadtest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"runtime"
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
	if !strings.Contains(b.String(), "| t | 4 | 200 |") || !strings.Contains(b.String(), "| 0.5 |") {
		t.Errorf("table:\n%s", b.String())
	}
}

func TestRunKeepsTheFirstErrorAndTheTableSaysWhy(t *testing.T) {
	ts := httptest.NewServer(http.NotFoundHandler())
	defer ts.Close()
	res := Run(context.Background(), NewClient(2), Get("missing", ts.URL), Options{Concurrency: 2, Duration: 10 * time.Second, MaxRequests: 10})
	if res.Errors != 10 || res.FirstError != "status 404, want 200" {
		t.Fatalf("errors = %d, first = %q", res.Errors, res.FirstError)
	}
	res.PeakRSS = 3 << 20
	var b strings.Builder
	WriteTable(&b, []Result{res}, "missing")
	WriteErrors(&b, []Result{res})
	if !strings.Contains(b.String(), "server peak MiB") || !strings.Contains(b.String(), "| 10 | 1 | 3 |") ||
		!strings.Contains(b.String(), "- missing, 2 users: 10 of 10 failed; the first: status 404, want 200") {
		t.Errorf("table:\n%s", b.String())
	}
}

func TestExpectTypeRejectsAnErrorPageWithTheRightStatus(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", r.URL.Query().Get("type"))
	}))
	defer ts.Close()
	for typ, ok := range map[string]bool{"application/pdf": true, "text/html; charset=utf-8": false} {
		req, _ := http.NewRequest(http.MethodGet, ts.URL+"?type="+url.QueryEscape(typ), nil)
		if err := ExpectType(NewClient(1), req, http.StatusOK, "application/pdf"); (err == nil) != ok {
			t.Errorf("%s: err = %v", typ, err)
		}
	}
}

func TestBenchMetricsReadsGoTestOutput(t *testing.T) {
	out := `goos: linux
pkg: github.com/trellis-app/trellis/reports
BenchmarkProgressReport-2   	      12	  95000000 ns/op	        95.10 ms/op	    181234 pdf-bytes	 9000000 B/op	   70000 allocs/op
BenchmarkSignIn/wrong-password-2         	      40	  25400000 ns/op
--- FAIL: BenchmarkBroken
BenchmarkNoFigures-2 	 some words here
PASS
`
	m, err := BenchMetrics(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if got := m["BenchmarkProgressReport"]["ms/op"]; got != 95.10 {
		t.Errorf("ms/op = %v", got)
	}
	if got := m["BenchmarkProgressReport"]["pdf-bytes"]; got != 181234 {
		t.Errorf("pdf-bytes = %v", got)
	}
	if got := m["BenchmarkSignIn/wrong-password"]["ns/op"]; got != 25400000 {
		t.Errorf("sub-benchmark ns/op = %v", got)
	}
	if len(m) != 2 {
		t.Errorf("read %d benchmarks, want 2: %v", len(m), m)
	}
}

func TestPeakRSSOfThisProcess(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("peak memory is read from Linux's /proc; elsewhere the load test leaves the column empty")
	}
	before, err := PeakRSS(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if before < 1<<20 {
		t.Fatalf("peak RSS of a Go test binary = %d bytes", before)
	}
	if err := ResetPeakRSS(os.Getpid()); err != nil {
		t.Fatalf("reset: %v", err)
	}
	if _, err := statusKiB([]byte("VmHWM:\t  12 MB\n"), "VmHWM"); err == nil {
		t.Error("a unit other than kB was accepted")
	}
}

func TestRunWaitsForTheSlowRequestsInFlight(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(300 * time.Millisecond)
	}))
	defer ts.Close()
	// The run stops sending after three requests, each of which outlasts
	// it: they all still count. (Bounded by count, not a short time, so a
	// worker slow to start on a busy machine still sends its request.)
	res := Run(context.Background(), NewClient(3), Get("slow", ts.URL), Options{Concurrency: 3, Duration: time.Minute, MaxRequests: 3})
	if res.Requests != 3 || res.Errors != 0 || res.P50 < 300*time.Millisecond {
		t.Errorf("slow requests in flight at the end: %+v", res)
	}
	// A request that outlasts the drain too fails as a timeout. (The run
	// lasts 200 ms, ample for the one worker to start.)
	stuck := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(time.Minute):
		}
	}))
	defer stuck.Close()
	res = Run(context.Background(), NewClient(1), Get("stuck", stuck.URL), Options{Concurrency: 1, Duration: 200 * time.Millisecond, MaxRequests: 1, Drain: 50 * time.Millisecond})
	if res.Requests != 1 || res.Errors != 1 || !strings.Contains(res.FirstError, "deadline") {
		t.Errorf("a request past the drain: %+v", res)
	}
}

func TestComparisonShowsWhatWasNotMeasuredAsADash(t *testing.T) {
	large := Result{Scenario: "inbox", Concurrency: 50, Requests: 100, Elapsed: time.Second, P50: 2 * time.Millisecond, P99: 9 * time.Millisecond}
	var b strings.Builder
	WriteComparison(&b, "demo", "scale", []Pair{{Scenario: "inbox", Large: large}})
	if !strings.Contains(b.String(), "| inbox | 50 | – | – | – | 100 | 2.00 | 9.00 | 0 |") {
		t.Errorf("table:\n%s", b.String())
	}
}
