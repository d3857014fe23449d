// Package loadtest drives concurrent HTTP load at a server over loopback and
// measures throughput and latency. It is bounded in both time and request
// count, and only ever targets the URL it is given.
package loadtest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"
)

// Scenario is one kind of request.
type Scenario struct {
	Name string
	// Do sends one request with client for worker (0..concurrency-1, so a
	// scenario can give each worker its own signed-in user) and reports
	// whether it succeeded.
	Do func(ctx context.Context, client *http.Client, worker int) error
}

// Get is a scenario that GETs url and expects status 200.
func Get(name, url string) Scenario {
	return Scenario{Name: name, Do: func(ctx context.Context, c *http.Client, _ int) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		return Expect(c, req, http.StatusOK)
	}}
}

// Expect sends req and checks the response status, reading the body so the
// connection is reused.
func Expect(c *http.Client, req *http.Request, status int) error {
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != status {
		return fmt.Errorf("status %d, want %d", resp.StatusCode, status)
	}
	return nil
}

// Options bound a run.
type Options struct {
	Concurrency int
	Duration    time.Duration
	// MaxRequests stops the run early once this many were sent.
	MaxRequests int
}

// Result is what one run measured.
type Result struct {
	Scenario    string
	Concurrency int
	Requests    int
	Errors      int
	Elapsed     time.Duration
	P50, P99    time.Duration
}

// RPS is successful and failed requests per second.
func (r Result) RPS() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Elapsed.Seconds()
}

// NewClient returns an HTTP client whose pool fits concurrency workers.
func NewClient(concurrency int) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = concurrency * 2
	t.MaxIdleConnsPerHost = concurrency * 2
	t.MaxConnsPerHost = 0
	return &http.Client{Transport: t, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// Run drives s with opts.Concurrency workers until the duration passes or
// MaxRequests were sent, whichever comes first.
func Run(ctx context.Context, client *http.Client, s Scenario, opts Options) Result {
	ctx, cancel := context.WithTimeout(ctx, opts.Duration)
	defer cancel()
	var (
		mu        sync.Mutex
		latencies = make([]time.Duration, 0, 4096)
		errs      int
		sent      int
		wg        sync.WaitGroup
	)
	take := func() bool {
		mu.Lock()
		defer mu.Unlock()
		if opts.MaxRequests > 0 && sent >= opts.MaxRequests {
			return false
		}
		sent++
		return true
	}
	start := time.Now()
	for worker := range opts.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil && take() {
				t0 := time.Now()
				err := s.Do(ctx, client, worker)
				d := time.Since(t0)
				if ctx.Err() != nil {
					return // cut off by the deadline: not a server error
				}
				mu.Lock()
				latencies = append(latencies, d)
				if err != nil {
					errs++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(latencies)
	return Result{
		Scenario:    s.Name,
		Concurrency: opts.Concurrency,
		Requests:    len(latencies),
		Errors:      errs,
		Elapsed:     elapsed,
		P50:         percentile(latencies, 0.50),
		P99:         percentile(latencies, 0.99),
	}
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted)-1) * p)
	return sorted[i]
}

// WriteTable prints results as a Markdown table; ratios are each row's
// requests/s against the baseline row of the same concurrency.
func WriteTable(w io.Writer, results []Result, baseline string) {
	base := map[int]float64{}
	for _, r := range results {
		if r.Scenario == baseline {
			base[r.Concurrency] = r.RPS()
		}
	}
	fmt.Fprintln(w, "| scenario | users | requests | req/s | p50 ms | p99 ms | errors | vs baseline |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|")
	for _, r := range results {
		ratio := "–"
		if b := base[r.Concurrency]; b > 0 {
			ratio = fmt.Sprintf("%.2f", r.RPS()/b)
		}
		fmt.Fprintf(w, "| %s | %d | %d | %.0f | %.2f | %.2f | %d | %s |\n",
			r.Scenario, r.Concurrency, r.Requests, r.RPS(),
			float64(r.P50.Microseconds())/1000, float64(r.P99.Microseconds())/1000, r.Errors, ratio)
	}
}
