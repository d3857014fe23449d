// Command loadtest measures Trellis under concurrent load over loopback: it
// builds a fresh database on the PostgreSQL at TEST_DATABASE_URL (or
// DATABASE_URL), serves Trellis from a child process (this binary again, in
// serve mode) so the server's memory can be read apart from the load
// generator's, and drives each scenario with a bounded number of workers
// for a bounded time. With -scale it also measures a database built by
// `trellis seed-scale`. `make bench` runs it and keeps its report in
// bench/latest.md.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/trellis-app/trellis/internal/database"
	"github.com/trellis-app/trellis/internal/loadtest"
	"github.com/trellis-app/trellis/internal/scale"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var err error
	if len(os.Args) > 1 && os.Args[1] == serveCmd {
		err = serveChild(ctx, os.Getenv, os.Stdin, os.Stdout)
	} else {
		err = run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

const benchDB = "trellis_bench"

type options struct {
	levels          []int
	run             loadtest.Options
	out             string
	gobench         string
	commit          string
	scaleURL        string
	scaleTherapists int
}

func parseFlags(args []string) (options, error) {
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	duration := fs.Duration("duration", 3*time.Second, "how long each scenario runs at each concurrency")
	users := fs.String("users", "50,200", "comma-separated concurrency levels")
	maxReq := fs.Int("max-requests", 200_000, "cap on requests per scenario and concurrency")
	out := fs.String("out", "", "also write the report to this Markdown file (replaced only when the run succeeds)")
	gobench := fs.String("gobench", "", "output of `go test -bench` to add to the report, with the Chromium / gofpdf PDF ratio")
	commit := fs.String("commit", "", "the commit measured, for the report's heading")
	scaleURL := fs.String("scale", "", "URL of a database built by `trellis seed-scale`: also measure the dashboard, inbox and progress page there")
	scaleTherapists := fs.Int("scale-therapists", 10, "how many scale therapists to sign in as")
	if err := fs.Parse(args); err != nil {
		return options{}, err
	}
	o := options{out: *out, gobench: *gobench, commit: *commit, scaleURL: *scaleURL, scaleTherapists: *scaleTherapists,
		run: loadtest.Options{Duration: *duration, MaxRequests: *maxReq}}
	for _, s := range strings.Split(*users, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 || n > 1000 {
			return options{}, fmt.Errorf("-users: %q is not a number from 1 to 1000", s)
		}
		o.levels = append(o.levels, n)
	}
	if *duration <= 0 || *duration > time.Minute {
		return options{}, fmt.Errorf("-duration: %s is not between 0 and a minute", *duration)
	}
	if *maxReq < 1 {
		return options{}, fmt.Errorf("-max-requests: %d is not positive", *maxReq)
	}
	if *scaleTherapists < 1 || *scaleTherapists > 1000 {
		return options{}, fmt.Errorf("-scale-therapists: %d is not from 1 to 1000", *scaleTherapists)
	}
	return o, nil
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, progress io.Writer) error {
	o, err := parseFlags(args)
	if err != nil {
		return err
	}
	baseURL := getenv("TEST_DATABASE_URL")
	if baseURL == "" {
		baseURL = getenv("DATABASE_URL")
	}
	if baseURL == "" {
		return fmt.Errorf("set TEST_DATABASE_URL (make bench does) to a PostgreSQL where a %s database may be created", benchDB)
	}
	if o.scaleURL != "" {
		if u, err := url.Parse(o.scaleURL); err != nil || strings.TrimPrefix(u.Path, "/") == benchDB {
			return fmt.Errorf("-scale: give the URL of the seed-scale database, not of %s, which this run drops and rebuilds", benchDB)
		}
	}
	// However the server or the database behave, the whole run ends.
	ctx, cancel := context.WithTimeout(ctx, 20*time.Minute)
	defer cancel()
	logf := func(format string, args ...any) { fmt.Fprintf(progress, "loadtest: "+format+"\n", args...) }
	rep := &report{opts: o, started: time.Now()}
	rep.loadAvg, _ = os.ReadFile("/proc/loadavg")
	if o.gobench != "" {
		// Read first: a missing file should stop the run before it starts.
		b, err := os.ReadFile(o.gobench)
		if err != nil {
			return err
		}
		rep.gobench = b
	}

	dbURL, err := freshDatabase(ctx, baseURL)
	if err != nil {
		return err
	}
	if err := rep.demo(ctx, dbURL, logf); err != nil {
		return err
	}
	if o.scaleURL != "" {
		if err := rep.scale(ctx, o.scaleURL, logf); err != nil {
			return err
		}
	}
	// The terminal has just shown the Go benchmarks' output: the report
	// there leaves it out; the file keeps everything together.
	var screen, buf bytes.Buffer
	rep.write(&screen, false)
	rep.write(&buf, true)
	if _, err := stdout.Write(screen.Bytes()); err != nil {
		return err
	}
	if o.out != "" {
		// Written beside and renamed, so a failed run never leaves half a
		// report in place of the last good one.
		tmp := o.out + ".tmp"
		if err := os.WriteFile(tmp, buf.Bytes(), 0o644); err != nil {
			return err
		}
		if err := os.Rename(tmp, o.out); err != nil {
			return err
		}
		logf("report written to %s", o.out)
	}
	return nil
}

// report gathers what one run measured.
type report struct {
	opts    options
	started time.Time
	loadAvg []byte

	demoDesc string
	results  []loadtest.Result
	// demoPairs are the demo-size results the scale run is compared with,
	// by scenario key and concurrency.
	demoPairs map[string]loadtest.Result

	scaleDesc    string
	scaleResults []loadtest.Pair

	gobench []byte
}

func pairKey(key string, users int) string { return key + "/" + strconv.Itoa(users) }

// demo measures the demo-size practice, built in the empty database at
// dbURL.
func (rep *report) demo(ctx context.Context, dbURL string, logf func(string, ...any)) error {
	o := rep.opts
	maxUsers := 0
	for _, n := range o.levels {
		maxUsers = max(maxUsers, n)
	}
	db, err := database.Open(ctx, dbURL, database.Options{MaxOpenConns: 4})
	if err != nil {
		return err
	}
	defer db.Close()
	if err := database.Migrate(ctx, db.DB, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		return err
	}
	logf("seeding a therapist with %d clients", maxUsers)
	practice, err := seedDemo(ctx, db, maxUsers)
	if err != nil {
		return err
	}
	logf("signing in %d users", maxUsers+1)
	cookies, err := signInVia(ctx, dbURL, loadPassword, append([]string{practice.therapist}, practice.clients...))
	if err != nil {
		return err
	}
	p := &signedIn{demoPractice: practice, therapistCookie: cookies[0], clientCookies: cookies[1:]}

	srv, err := startChild(ctx, dbURL)
	if err != nil {
		return err
	}
	defer func() { _ = srv.stop() }()
	base := srv.trellis
	dashboard, inbox, progress := p.dashboard(base), p.inbox(base), p.progressPage(base)
	scenarios := []loadtest.Scenario{
		loadtest.Get("baseline (bare handler)", srv.bare+"/"),
		loadtest.Get("healthz", base+"/healthz"),
		loadtest.Get("sign-in page", base+"/signin"),
		dashboard,
		inbox,
		p.clientHome(base),
		p.clientSubmit(base),
		progress,
		p.progressPDF(base),
	}
	results, err := runLevels(ctx, srv, scenarios, o, logf)
	if err != nil {
		return err
	}
	rep.results = results
	rep.demoPairs = map[string]loadtest.Result{}
	for _, r := range results {
		for key, s := range map[string]loadtest.Scenario{"dashboard": dashboard, "inbox": inbox, "progress": progress} {
			if r.Scenario == s.Name {
				rep.demoPairs[pairKey(key, r.Concurrency)] = r
			}
		}
	}
	rep.demoDesc = fmt.Sprintf("One therapist with %d clients, each with the demo practice's weekly check-ins "+
		"(eight weeks sent, about half of last week's waiting for review, one due today); "+
		"the progress and PDF client also has %d weeks of check-ins and thought records.", maxUsers, pdfWeeks)
	return srv.stop()
}

// scale measures the database a `trellis seed-scale` built.
func (rep *report) scale(ctx context.Context, dbURL string, logf func(string, ...any)) error {
	db, err := database.Open(ctx, dbURL, database.Options{MaxOpenConns: 2})
	if err != nil {
		return err
	}
	defer db.Close()
	p, err := findScale(ctx, db, rep.opts.scaleTherapists)
	if err != nil {
		return err
	}
	logf("signing in %d scale therapists", len(p.therapists))
	if p.cookies, err = signInVia(ctx, dbURL, scale.Password, p.emails); err != nil {
		return err
	}
	srv, err := startChild(ctx, dbURL)
	if err != nil {
		return err
	}
	defer func() { _ = srv.stop() }()
	base := srv.trellis
	keyed := []struct {
		key string
		s   loadtest.Scenario
	}{{"dashboard", p.dashboard(base)}, {"inbox", p.inbox(base)}, {"progress", p.progressPage(base)}}
	var scenarios []loadtest.Scenario
	for _, k := range keyed {
		scenarios = append(scenarios, k.s)
	}
	results, err := runLevels(ctx, srv, scenarios, rep.opts, logf)
	if err != nil {
		return err
	}
	for _, r := range results {
		for _, k := range keyed {
			if r.Scenario == k.s.Name {
				rep.scaleResults = append(rep.scaleResults, loadtest.Pair{Scenario: r.Scenario, Small: rep.demoPairs[pairKey(k.key, r.Concurrency)], Large: r})
			}
		}
	}
	rep.scaleDesc = fmt.Sprintf("Signed in as %d of the scale practice's therapists (caseloads of %d to %d clients); "+
		"the database holds %d submissions. Each worker acts as one of them.", len(p.therapists), p.caseloadMin, p.caseloadMax, p.submissions)
	return srv.stop()
}

// runLevels runs every scenario at every concurrency, against srv.
func runLevels(ctx context.Context, srv *child, scenarios []loadtest.Scenario, o options, logf func(string, ...any)) ([]loadtest.Result, error) {
	var results []loadtest.Result
	for _, c := range o.levels {
		client := loadtest.NewClient(c)
		opts := o.run
		opts.Concurrency = c
		for _, s := range scenarios {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			logf("%s, %d users", s.Name, c)
			results = append(results, srv.measure(ctx, client, s, opts))
		}
		client.CloseIdleConnections()
	}
	return results, nil
}

// signInVia signs the accounts in through a Trellis served by this
// process, not by the server under test: signing in is an argon2id hash
// each, whose memory the Go runtime keeps for a while, and the server's
// memory should be what the scenarios cost. Sessions live in PostgreSQL,
// so the cookies work on any server of the same database.
func signInVia(ctx context.Context, dbURL, password string, emails []string) ([]string, error) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	t, err := newTrellis(ctx, dbURL, quiet)
	if err != nil {
		return nil, err
	}
	defer t.close()
	base, stop, err := serve(ctx, t.handler, quiet)
	if err != nil {
		return nil, err
	}
	defer stop()
	return signInAll(ctx, base, password, emails)
}

// freshDatabase drops and recreates the bench database on the server at
// baseURL and returns its URL.
func freshDatabase(ctx context.Context, baseURL string) (string, error) {
	admin, err := database.Open(ctx, baseURL, database.Options{MaxOpenConns: 2})
	if err != nil {
		return "", err
	}
	defer admin.Close()
	if _, err := admin.ExecContext(ctx, `DROP DATABASE IF EXISTS `+benchDB+` WITH (FORCE)`); err != nil {
		return "", fmt.Errorf("drop %s: %w", benchDB, err)
	}
	if _, err := admin.ExecContext(ctx, `CREATE DATABASE `+benchDB); err != nil {
		return "", fmt.Errorf("create %s: %w", benchDB, err)
	}
	u, err := url.Parse(baseURL)
	if err != nil {
		return "", err
	}
	u.Path = "/" + benchDB
	return u.String(), nil
}

// write prints the report as Markdown, with the Go benchmarks' output
// when withGoBench.
func (rep *report) write(w io.Writer, withGoBench bool) {
	o := rep.opts
	fmt.Fprintln(w, "# Trellis benchmarks")
	fmt.Fprintln(w)
	commit := ""
	if o.commit != "" {
		commit = " at commit " + o.commit
	}
	fmt.Fprintf(w, "Measured %s%s on %s/%s with %d cores (%s), %s. Load average at the start: %s. "+
		"Other work on the machine slows every figure; compare runs from a quiet machine.\n\n",
		rep.started.UTC().Format("2006-01-02 15:04 UTC"), commit, runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), cpuModel(), runtime.Version(),
		loadAverage(rep.loadAvg))

	fmt.Fprintln(w, "## Loopback load test")
	fmt.Fprintln(w)
	fmt.Fprintf(w, "Each scenario runs for %s or %d requests, whichever comes first, at each of %s concurrent users. "+
		"The server is this binary started again in serve mode (Trellis and the bare baseline handler, in one process); "+
		"the load generator is the parent process; both share the machine's cores with PostgreSQL. "+
		"\"vs baseline\" is requests/s against the bare handler's at the same concurrency.\n\n",
		o.run.Duration, o.run.MaxRequests, joinInts(o.levels))
	fmt.Fprintln(w, rep.demoDesc)
	fmt.Fprintln(w)
	loadtest.WriteTable(w, rep.results, "baseline (bare handler)")
	fmt.Fprintln(w)
	rep.writeMemory(w, rep.results)
	if hasErrors(rep.results) {
		fmt.Fprintln(w, "Errors:")
		fmt.Fprintln(w)
		loadtest.WriteErrors(w, rep.results)
		fmt.Fprintln(w)
	}

	if rep.scaleResults != nil {
		fmt.Fprintln(w, "## At scale")
		fmt.Fprintln(w)
		fmt.Fprintln(w, rep.scaleDesc)
		fmt.Fprintln(w)
		loadtest.WriteComparison(w, "demo", "scale", rep.scaleResults)
		fmt.Fprintln(w)
		var large []loadtest.Result
		for _, p := range rep.scaleResults {
			large = append(large, p.Large)
		}
		rep.writeMemory(w, large)
		if hasErrors(large) {
			fmt.Fprintln(w, "Errors at scale:")
			fmt.Fprintln(w)
			loadtest.WriteErrors(w, large)
			fmt.Fprintln(w)
		}
	}

	if rep.gobench != nil {
		fmt.Fprintln(w, "## PDF: headless Chromium against gofpdf")
		fmt.Fprintln(w)
		writePrintRatio(w, rep.gobench)
	}
	if rep.gobench != nil && withGoBench {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "## Go benchmarks")
		fmt.Fprintln(w)
		fmt.Fprintln(w, "```")
		fmt.Fprint(w, benchLines(rep.gobench))
		fmt.Fprintln(w, "```")
	}
}

// benchLines keeps the figures of `go test -bench` output and drops the
// benchmarks' logs, which hold test database URLs and server log lines
// that do not belong in a committed report.
func benchLines(out []byte) string {
	var b strings.Builder
	for _, line := range strings.Split(string(out), "\n") {
		for _, p := range []string{"goos:", "goarch:", "pkg:", "cpu:", "Benchmark", "--- FAIL", "FAIL", "ok "} {
			if strings.HasPrefix(line, p) {
				b.WriteString(line + "\n")
				break
			}
		}
	}
	return b.String()
}

// writeMemory states the server's peak memory at the highest concurrency,
// and what the figure is.
func (rep *report) writeMemory(w io.Writer, results []loadtest.Result) {
	top := 0
	for _, n := range rep.opts.levels {
		top = max(top, n)
	}
	var peak int64
	for _, r := range results {
		if r.Concurrency == top {
			peak = max(peak, r.PeakRSS)
		}
	}
	if peak == 0 {
		fmt.Fprintf(w, "Server memory was not measured (it is read from Linux's /proc).\n\n")
		return
	}
	fmt.Fprintf(w, "Server peak memory during the %d-user run: %.0f MiB. It is the server process's peak resident set size (VmHWM, from /proc): "+
		"its Go heap, goroutine stacks and runtime, and the pages of the binary it touched; not PostgreSQL's memory, nor the load generator's. "+
		"Before each scenario the server returns the memory it no longer uses to the system (runtime/debug.FreeOSMemory) and the peak is reset, "+
		"so each row's figure is what that scenario needed; a server that is not asked to would also hold what earlier work left.\n\n",
		top, float64(peak)/(1<<20))
}

// The benchmarks the PDF comparison reads.
const (
	benchGofpdf   = "BenchmarkProgressReport"
	benchChromium = "BenchmarkProgressPageChromiumPDF"
)

// writePrintRatio compares the cost of a PDF from headless Chromium with
// gofpdf's, from the Go benchmarks' output.
func writePrintRatio(w io.Writer, gobench []byte) {
	m, err := loadtest.BenchMetrics(bytes.NewReader(gobench))
	g, c := m[benchGofpdf], m[benchChromium]
	if err != nil || g["ms/op"] <= 0 || c["ms/op"] <= 0 {
		fmt.Fprintf(w, "Not measured: the Go benchmarks' output has no ms/op for %s and %s (did one fail?).\n", benchGofpdf, benchChromium)
		return
	}
	fmt.Fprintf(w, "| renderer | what it prints | ms per PDF | pages | KiB |\n|---|---|---:|---:|---:|\n")
	fmt.Fprintf(w, "| gofpdf (`%s`) | a year's summary from plain structs: 52 check-ins charted, 200 reflections in full | %.1f | – | %.0f |\n",
		benchGofpdf, g["ms/op"], g["pdf-bytes"]/1024)
	fmt.Fprintf(w, "| headless Chromium, print only (`%s`) | the progress page of a year (charts and their tables), already loaded | %.1f | %.0f | %.0f |\n",
		benchChromium, c["print-ms/op"], c["pages"], c["pdf-bytes"]/1024)
	fmt.Fprintf(w, "| headless Chromium, load and print | the same, fetched from Trellis on loopback first | %.1f | %.0f | %.0f |\n",
		c["ms/op"], c["pages"], c["pdf-bytes"]/1024)
	fmt.Fprintln(w)
	fmt.Fprintf(w, "Chromium / gofpdf: %.1f× printing a loaded page, %.1f× loading and printing it. "+
		"The page holds no reflection text, which gofpdf's report prints in full, so the ratio flatters Chromium; "+
		"Chromium's start (once per browser, %.0f ms here) is not counted.\n",
		c["print-ms/op"]/g["ms/op"], c["ms/op"]/g["ms/op"], c["start-ms"])
}

func hasErrors(rs []loadtest.Result) bool {
	for _, r := range rs {
		if r.Errors > 0 {
			return true
		}
	}
	return false
}

func joinInts(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, " and ")
}

// cpuModel names the processor, from Linux's /proc/cpuinfo.
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "processor unknown"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "processor unknown"
}

func loadAverage(b []byte) string {
	if f := strings.Fields(string(b)); len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "unknown"
}
