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
	"strings"
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
	return ExpectType(c, req, status, "")
}

// ExpectType is Expect that also checks the Content-Type starts with
// contentType (when it is not empty), so an error page answered with the
// right status does not count as a success.
func ExpectType(c *http.Client, req *http.Request, status int, contentType string) error {
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != status {
		return fmt.Errorf("status %d, want %d", resp.StatusCode, status)
	}
	if got := resp.Header.Get("Content-Type"); contentType != "" && !strings.HasPrefix(got, contentType) {
		return fmt.Errorf("content type %q, want %s", got, contentType)
	}
	return nil
}

// Options bound a run.
type Options struct {
	Concurrency int
	// Duration is how long new requests are started. Requests in flight
	// when it ends are waited for, up to Drain more: cutting them off would
	// drop exactly the slowest requests from the figures, and a slow
	// scenario at high concurrency would seem to have none.
	Duration time.Duration
	// Drain bounds the wait for requests in flight after Duration (30 s
	// when zero); a request still running then fails as a timeout.
	Drain time.Duration
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
	// FirstError is the first failure, to tell a route that is not there
	// yet (404) from one that breaks under load.
	FirstError string
	// PeakRSS is the server's peak resident memory while the scenario ran,
	// in bytes; 0 when it was not measured.
	PeakRSS int64
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
// MaxRequests were sent, whichever comes first, then waits for the
// requests in flight. Requests/s counts that wait.
func Run(ctx context.Context, client *http.Client, s Scenario, opts Options) Result {
	drain := opts.Drain
	if drain <= 0 {
		drain = 30 * time.Second
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, opts.Duration+drain)
	defer cancel()
	stopStarting := time.Now().Add(opts.Duration)
	var (
		mu        sync.Mutex
		latencies = make([]time.Duration, 0, 4096)
		errs      int
		firstErr  string
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
			for time.Now().Before(stopStarting) && ctx.Err() == nil && take() {
				t0 := time.Now()
				err := s.Do(ctx, client, worker)
				d := time.Since(t0)
				if parent.Err() != nil {
					return // the whole run was stopped: no figure to keep
				}
				mu.Lock()
				latencies = append(latencies, d)
				if err != nil {
					if errs == 0 {
						firstErr = err.Error()
					}
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
		FirstError:  firstErr,
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
// requests/s against the baseline row of the same concurrency. The memory
// column appears when some result measured it.
func WriteTable(w io.Writer, results []Result, baseline string) {
	base := map[int]float64{}
	mem := false
	for _, r := range results {
		if r.Scenario == baseline {
			base[r.Concurrency] = r.RPS()
		}
		mem = mem || r.PeakRSS > 0
	}
	head, rule := "| scenario | users | requests | req/s | p50 ms | p99 ms | errors | vs baseline |", "|---|---:|---:|---:|---:|---:|---:|---:|"
	if mem {
		head, rule = head+" server peak MiB |", rule+"---:|"
	}
	fmt.Fprintln(w, head)
	fmt.Fprintln(w, rule)
	for _, r := range results {
		ratio := "–"
		if b := base[r.Concurrency]; b > 0 {
			ratio = fmt.Sprintf("%.3g", r.RPS()/b) // 0.00682, not 0.01
		}
		fmt.Fprintf(w, "| %s | %d | %d | %.0f | %s | %s | %d | %s |",
			r.Scenario, r.Concurrency, r.Requests, r.RPS(), ms(r.P50), ms(r.P99), r.Errors, ratio)
		if mem {
			fmt.Fprintf(w, " %s |", mib(r.PeakRSS))
		}
		fmt.Fprintln(w)
	}
}

// WriteErrors lists, under a table, the first error of every result that
// had any, so a failing row says why.
func WriteErrors(w io.Writer, results []Result) {
	for _, r := range results {
		if r.Errors > 0 {
			fmt.Fprintf(w, "- %s, %d users: %d of %d failed; the first: %s\n", r.Scenario, r.Concurrency, r.Errors, r.Requests, r.FirstError)
		}
	}
}

// Pair is one scenario measured at two sizes of data.
type Pair struct {
	Scenario     string
	Small, Large Result
}

// WriteComparison prints pairs as a Markdown table, the small data's
// figures next to the large's; a figure not measured shows as a dash.
func WriteComparison(w io.Writer, small, large string, pairs []Pair) {
	fmt.Fprintf(w, "| scenario | users | %[1]s req/s | %[1]s p50 ms | %[1]s p99 ms | %[2]s req/s | %[2]s p50 ms | %[2]s p99 ms | %[2]s errors |\n", small, large)
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|")
	figures := func(r Result) string {
		if r.Requests == 0 {
			return "– | – | –"
		}
		return fmt.Sprintf("%.0f | %s | %s", r.RPS(), ms(r.P50), ms(r.P99))
	}
	for _, p := range pairs {
		fmt.Fprintf(w, "| %s | %d | %s | %s | %d |\n", p.Scenario, p.Large.Concurrency, figures(p.Small), figures(p.Large), p.Large.Errors)
	}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d.Microseconds())/1000) }

func mib(b int64) string {
	if b <= 0 {
		return "–"
	}
	return fmt.Sprintf("%.0f", float64(b)/(1<<20))
}
