package app_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"golang.org/x/crypto/argon2"

	"github.com/trellis-app/trellis/internal/app"
	"github.com/trellis-app/trellis/internal/database"
	"github.com/trellis-app/trellis/internal/exercise"
	"github.com/trellis-app/trellis/internal/pgcluster"
	"github.com/trellis-app/trellis/internal/server"
	"github.com/trellis-app/trellis/internal/testkit"
)

// The fault tests of security.md: FT1 (PostgreSQL stopped and restarted
// under load) and FT2 (the pool exhausted). FT3 and FT6, which need the
// built binary, are in cmd/trellis.

// serve runs h as `trellis serve` does, on a loopback port, until the test
// ends, and returns its base URL. (The request timeout is the server's own,
// from its Config.)
func serve(t *testing.T, h http.Handler, log *slog.Logger) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- app.Serve(ctx, ln, h, 20*time.Second, log) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return "http://" + ln.Addr().String()
}

// warnLogger passes the server's warnings and errors to the test log;
// under load, one line per request would drown them.
func warnLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testLog{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type testLog struct{ t *testing.T }

func (w testLog) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// visitor is one browser: its own cookies, no redirects followed, forms
// posted as a same-origin page posts them.
type visitor struct {
	c *http.Client
}

func newVisitor(t *testing.T, tr *http.Transport, timeout time.Duration) *visitor {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &visitor{c: &http.Client{Transport: tr, Jar: jar, Timeout: timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type answer struct {
	status   int
	location string
	body     string
	took     time.Duration
	err      error
}

func (v *visitor) do(method, u string, form url.Values) answer {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	r, err := http.NewRequest(method, u, body)
	if err != nil {
		return answer{err: err}
	}
	if form != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	start := time.Now()
	resp, err := v.c.Do(r)
	if err != nil {
		return answer{err: err, took: time.Since(start)}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, location: resp.Header.Get("Location"), body: string(b), took: time.Since(start), err: err}
}

var formTokenRe = regexp.MustCompile(`name="form_token" value="([^"]+)"`)

// checkIn is a complete weekly check-in carrying note, sent with token.
func checkIn(note, token string) url.Values {
	v := url.Values{"op": {"send"}, "form_token": {token}, "a.note": {note}}
	for _, k := range []string{"open_communication", "respect", "consistency", "empathy", "forgiveness", "overall"} {
		v.Set("a."+k, "6")
	}
	return v
}

const faultPassword = "fault test password 1234"

// cheapHash is an argon2id hash of faultPassword with the smallest cost
// Verify accepts: the fault tests sign in 50 clients, and at the real cost
// (measured by BenchmarkLogin) that alone would take seconds under -race.
func cheapHash(t *testing.T) string {
	t.Helper()
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		t.Fatal(err)
	}
	key := argon2.IDKey([]byte(faultPassword), salt, 1, 64, 1, 32)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=64,t=1,p=1$%s$%s", argon2.Version, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// seedCaseload makes a practice with a therapist and n clients, each with a
// weekly check-in due today, and returns the clients' emails and their
// assignment ids, in the same order.
func seedCaseload(t *testing.T, db *sqlx.DB, n int) (emails []string, assignments []int64) {
	t.Helper()
	hash := cheapHash(t)
	var practice, therapist int64
	if err := db.QueryRowx(`INSERT INTO practices (name) VALUES ('Fault test practice') RETURNING id`).Scan(&practice); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRowx(`INSERT INTO users (practice_id, role, status, email, display_name, password_hash)
		VALUES ($1, 'therapist', 'active', 'therapist@fault.test', 'Fault Therapist', $2) RETURNING id`, practice, hash).Scan(&therapist); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`
		WITH c AS (
			INSERT INTO users (practice_id, role, status, email, display_name, password_hash, therapist_id)
			SELECT $1, 'client', 'active', 'client' || g || '@fault.test', 'Fault Client ' || g, $2, $3 FROM generate_series(1, $4) g
			RETURNING id),
		s AS (
			INSERT INTO assignment_series (practice_id, client_id, assigned_by, exercise_id, exercise_version, recurrence, first_due, occurrence_count)
			SELECT $1, c.id, $3, e.id, e.latest_version, 'once', current_date, 1
			FROM c, exercises e WHERE e.builtin_key = $5
			RETURNING id, client_id, exercise_id, exercise_version)
		INSERT INTO assignments (series_id, client_id, exercise_id, exercise_version, due_on, due_at)
		SELECT id, client_id, exercise_id, exercise_version, current_date, current_date + time '23:59:59' FROM s`,
		practice, hash, therapist, n, exercise.CheckInKey); err != nil {
		t.Fatal(err)
	}
	var rows []struct {
		Email string `db:"email"`
		ID    int64  `db:"id"`
	}
	if err := db.Select(&rows, `SELECT u.email, a.id FROM users u JOIN assignments a ON a.client_id = u.id
		WHERE u.practice_id = $1 ORDER BY u.id`, practice); err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		emails = append(emails, r.Email)
		assignments = append(assignments, r.ID)
	}
	return emails, assignments
}

// signIn signs each email in on its own visitor, a few at a time (the
// server hashes four passwords at once).
func signIn(t *testing.T, base string, tr *http.Transport, timeout time.Duration, emails []string) []*visitor {
	t.Helper()
	out := make([]*visitor, len(emails))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	errs := make(chan error, len(emails))
	for i, email := range emails {
		out[i] = newVisitor(t, tr, timeout)
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			a := out[i].do(http.MethodPost, base+"/signin", url.Values{"email": {email}, "password": {faultPassword}})
			if a.err != nil || a.status != http.StatusSeeOther || strings.HasPrefix(a.location, "/signin") {
				errs <- fmt.Errorf("sign in as client %d: %d %q %v", i, a.status, a.location, a.err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	return out
}

// Phases of TestOutageLosesNoAcknowledgedSubmission.
const (
	phaseUp = iota
	phaseStopping
	phaseDown
	phaseStarting
	phaseBack
)

// sent is a submission the server acknowledged: its client, form token
// and text.
type sent struct {
	client int
	token  string
	note   string
}

// observation is one response and the phases it began and ended in.
type observation struct {
	start, end int
	status     int
	took       time.Duration
	ack        bool
}

// TestOutageLosesNoAcknowledgedSubmission is FT1: 50 clients send their
// check-ins through the real form while PostgreSQL is stopped and
// restarted under a running Trellis. During the outage every request is
// answered with a 503 page (a send shows the client's words back), never
// a 500 and never a hang; Trellis recovers without a restart; and the
// submissions acknowledged with success are exactly the ones stored, word
// for word. A client whose send got a 503 sends the same form again (the
// page's "Try again"), as a person would, until it is acknowledged.
func TestOutageLosesNoAcknowledgedSubmission(t *testing.T) {
	const clients = 50
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "trellis-ft1-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	cluster := &pgcluster.Cluster{Dir: dir, Port: freePort(t), Settings: []string{"fsync = off"}, Log: t.Logf}
	if err := cluster.Start(ctx); err != nil {
		t.Fatalf("start cluster: %v", err)
	}
	t.Cleanup(func() { _ = cluster.Stop(context.Background()) })

	db, err := database.Open(ctx, cluster.URL(), database.Options{MaxOpenConns: 20})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := database.Migrate(ctx, db.DB, warnLogger(t)); err != nil {
		t.Fatal(err)
	}
	emails, assignments := seedCaseload(t, db, clients)
	cfg := testkit.Config(t, cluster.URL())
	cfg.RequestTimeout = 5 * time.Second
	log := warnLogger(t)
	srv, err := app.New(cfg, db, log, nil)
	if err != nil {
		t.Fatal(err)
	}
	base := serve(t, srv, log)
	tr := &http.Transport{MaxIdleConnsPerHost: clients}
	defer tr.CloseIdleConnections()
	visitors := signIn(t, base, tr, time.Minute, emails)

	var (
		phase    atomic.Int32
		wordless atomic.Int32
		stop     atomic.Bool
		mu       sync.Mutex
		acked    []sent
		seen     []observation
		problems []string
	)
	record := func(start int, a answer, ack bool) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, observation{start: start, end: int(phase.Load()), status: a.status, took: a.took, ack: ack})
	}
	problem := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		if len(problems) < 20 {
			problems = append(problems, fmt.Sprintf(format, args...))
		}
	}
	count := func(f func(observation) bool) int {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, o := range seen {
			if f(o) {
				n++
			}
		}
		return n
	}
	pause := func() { time.Sleep(50 * time.Millisecond) }

	var wg sync.WaitGroup
	giveUp := time.Now().Add(2 * time.Minute)
	for i, v := range visitors {
		page := base + "/home/assignments/" + strconv.FormatInt(assignments[i], 10)
		wg.Go(func() {
			for n := 1; !stop.Load(); n++ {
				// Open the form (?change=1 once sent) for its one-time token.
				var token string
				for token == "" && !stop.Load() {
					p := int(phase.Load())
					a := v.do(http.MethodGet, page+"?change=1", nil)
					record(p, a, false)
					switch {
					case a.err != nil:
						problem("client %d: open the form: %v", i, a.err)
						return
					case a.status == http.StatusOK:
						if m := formTokenRe.FindStringSubmatch(a.body); m != nil {
							token = m[1]
						} else {
							problem("client %d: no form token on the page", i)
							return
						}
					case a.status == http.StatusServiceUnavailable:
						if !strings.Contains(a.body, "briefly unavailable") {
							problem("client %d: 503 without the unavailable page", i)
						}
						pause()
					default:
						problem("client %d: open the form: status %d", i, a.status)
						return
					}
				}
				if token == "" {
					return
				}
				// Send until acknowledged: a 503 means "try again", with the
				// same form and the same words.
				note := fmt.Sprintf("Client %d, check-in %d: Ελένη said she felt heard.", i, n)
				for {
					if time.Now().After(giveUp) {
						problem("client %d: still not acknowledged after two minutes", i)
						return
					}
					p := int(phase.Load())
					a := v.do(http.MethodPost, page, checkIn(note, token))
					if a.err != nil {
						problem("client %d: send: %v", i, a.err)
						return
					}
					if a.status == http.StatusSeeOther && strings.HasSuffix(a.location, "?sent=1") {
						record(p, a, true)
						mu.Lock()
						acked = append(acked, sent{client: i, token: token, note: note})
						mu.Unlock()
						break
					}
					record(p, a, false)
					if a.status != http.StatusServiceUnavailable {
						problem("client %d: send answered %d %q", i, a.status, a.location)
						return
					}
					switch {
					case strings.Contains(a.body, "your text is still here") && strings.Contains(a.body, html.EscapeString(note)):
					case p == phaseDown && phase.Load() == phaseDown:
						// With the database down, the session store fails
						// first, and its page shows every word back.
						problem("client %d: the 503 page during the outage does not show the words back", i)
					case strings.Contains(a.body, "briefly unavailable"):
						// Every 503 to a send must show the words back,
						// wherever the database went away (session store,
						// loading the user, the handler).
						wordless.Add(1)
						problem("client %d: a send got the plain 503 page, not its words", i)
					default:
						problem("client %d: a 503 with neither page", i)
					}
					pause()
				}
			}
		})
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(90 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				stop.Store(true)
				wg.Wait()
				t.Fatalf("gave up waiting for %s; problems: %v", what, problems)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	waitFor("acknowledgements before the outage", func() bool { return count(func(o observation) bool { return o.ack }) >= clients })
	phase.Store(phaseStopping)
	if err := cluster.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	phase.Store(phaseDown)
	downSince := time.Now()
	waitFor("503s during the outage", func() bool {
		return count(func(o observation) bool { return o.start == phaseDown && o.status == http.StatusServiceUnavailable }) >= clients &&
			time.Since(downSince) > time.Second
	})
	phase.Store(phaseStarting)
	if err := cluster.Start(ctx); err != nil {
		t.Fatal(err)
	}
	phase.Store(phaseBack)
	waitFor("acknowledgements after the restart", func() bool {
		return count(func(o observation) bool { return o.start == phaseBack && o.ack }) >= clients
	})
	stop.Store(true)
	wg.Wait()
	for _, p := range problems {
		t.Error(p)
	}

	// Every phase really happened.
	ackBefore := count(func(o observation) bool { return o.ack && o.end == phaseUp })
	outage := count(func(o observation) bool { return o.start == phaseDown && o.end == phaseDown })
	outage503 := count(func(o observation) bool {
		return o.start == phaseDown && o.end == phaseDown && o.status == http.StatusServiceUnavailable
	})
	ackAfter := count(func(o observation) bool { return o.ack && o.start == phaseBack })
	if ackBefore == 0 || outage503 == 0 || ackAfter == 0 {
		t.Errorf("phases: %d acknowledged before the stop, %d 503s during the outage, %d acknowledged after the restart; want some of each",
			ackBefore, outage503, ackAfter)
	}
	if outage != outage503 {
		t.Errorf("%d requests began and ended during the outage, but only %d answered 503", outage, outage503)
	}
	var took []time.Duration
	mu.Lock()
	for _, o := range seen {
		if o.start == phaseDown && o.end == phaseDown {
			took = append(took, o.took)
		}
	}
	mu.Unlock()
	slices.Sort(took)
	if len(took) > 0 {
		// Not a speed test: the bound is the request timeout, past which
		// a request would be waiting on the database instead of answering.
		if worst := took[len(took)-1]; worst > cfg.RequestTimeout+time.Second {
			t.Errorf("a request during the outage took %v, longer than the %v request timeout", worst, cfg.RequestTimeout)
		}
		t.Logf("during the outage: %d requests, all 503; latency p50 %v, p95 %v, max %v",
			len(took), took[len(took)/2], took[len(took)*95/100], took[len(took)-1])
	}

	// Acknowledged and stored are the same submissions, word for word.
	var stored []struct {
		Email string `db:"email"`
		Token string `db:"form_token"`
		Note  string `db:"note"`
	}
	if err := db.Select(&stored, `SELECT u.email, s.form_token::text AS form_token, s.answers->'note'->>0 AS note
		FROM submissions s JOIN users u ON u.id = s.client_id WHERE u.email LIKE '%@fault.test'`); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for _, a := range acked {
		want[emails[a.client]+" "+a.token] = a.note
	}
	got := map[string]string{}
	for _, s := range stored {
		got[s.Email+" "+s.Token] = s.Note
	}
	for k, note := range want {
		if g, ok := got[k]; !ok {
			t.Errorf("acknowledged submission %s is not stored", k)
		} else if g != note {
			t.Errorf("acknowledged submission %s stored as %q, sent as %q", k, g, note)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("stored submission %s was never acknowledged", k)
		}
	}
	t.Logf("acknowledged %d submissions (%d before the stop, %d after the restart), stored %d; "+
		"%d sends got the plain 503 page instead of their words", len(want), ackBefore, ackAfter, len(got), wordless.Load())
	if len(want) != len(acked) {
		t.Errorf("%d acknowledgements for %d distinct forms: a form was acknowledged twice", len(acked), len(want))
	}
}

// TestExhaustedPoolAnswers503AndLeaksNothing is FT2: with every pooled
// connection held, requests of every kind (signed in or not, pages and
// sends) wait for the request timeout and answer 503, never hang; once the
// connections are released the same visitors are served again, and the
// goroutines the waits used are all gone.
func TestExhaustedPoolAnswers503AndLeaksNothing(t *testing.T) {
	const (
		poolSize = 4
		timeout  = time.Second
	)
	a := testkit.NewAppWith(t, func(d *server.Deps) { d.Config.RequestTimeout = timeout })
	a.AppDB.SetMaxOpenConns(poolSize)
	emails, assignments := seedCaseload(t, a.DB, 2)
	log := warnLogger(t)
	base := serve(t, a.Server, log)
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	// A hung request shows as the client giving up, well past the bound.
	visitors := signIn(t, base, tr, 15*timeout, emails)
	anonymous := newVisitor(t, tr, 15*timeout)
	page := base + "/home/assignments/" + strconv.FormatInt(assignments[0], 10)

	// What each request is, and what it answers when the pool is free.
	requests := []struct {
		name string
		do   func() answer
		ok   int
	}{
		{"signed-in page", func() answer { return visitors[0].do(http.MethodGet, base+"/home", nil) }, http.StatusOK},
		{"signed-in send", func() answer {
			return visitors[0].do(http.MethodPost, page, checkIn("Written while the pool was full", "8a6c1f0e-3b7d-4c5e-9f2a-1d4b6e8c0a2f"))
		}, http.StatusSeeOther},
		{"sign-in", func() answer {
			return anonymous.do(http.MethodPost, base+"/signin", url.Values{"email": {emails[1]}, "password": {"not the password at all"}})
		}, http.StatusUnauthorized},
		{"readiness", func() answer { return anonymous.do(http.MethodGet, base+"/readyz", nil) }, http.StatusOK},
	}

	settle := func() int {
		// Idle keep-alive connections hold goroutines on both sides.
		tr.CloseIdleConnections()
		prev, stable := -1, 0
		for range 200 {
			n := runtime.NumGoroutine()
			if n == prev {
				stable++
				if stable >= 5 {
					return n
				}
			} else {
				prev, stable = n, 0
			}
			time.Sleep(20 * time.Millisecond)
		}
		return prev
	}
	baseline := settle()

	held := make([]*sqlx.Conn, poolSize)
	for i := range held {
		c, err := a.AppDB.Connx(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		held[i] = c
	}
	// Each kind of request several times at once, more than the pool
	// could ever serve.
	const each = 4
	results := make([][]answer, len(requests))
	var wg sync.WaitGroup
	var mu sync.Mutex
	for i, r := range requests {
		for range each {
			wg.Go(func() {
				got := r.do()
				mu.Lock()
				results[i] = append(results[i], got)
				mu.Unlock()
			})
		}
	}
	wg.Wait()
	for i, r := range requests {
		for _, got := range results[i] {
			if got.err != nil {
				t.Errorf("%s with the pool exhausted: %v", r.name, got.err)
				continue
			}
			if got.status != http.StatusServiceUnavailable {
				t.Errorf("%s with the pool exhausted = %d, want 503", r.name, got.status)
			}
			// The wait is bounded by the request timeout (readiness has
			// its own shorter one), and the 503 comes after it, not before.
			if r.name != "readiness" && got.took < timeout {
				t.Errorf("%s answered after %v, before the %v timeout: it did not wait for a connection", r.name, got.took, timeout)
			}
			if got.took > 10*timeout {
				t.Errorf("%s answered after %v: not bounded by the %v timeout", r.name, got.took, timeout)
			}
		}
		t.Logf("%s with the pool exhausted: answered in %v…%v", r.name, minTook(results[i]), maxTook(results[i]))
	}

	for _, c := range held {
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range requests {
		got := r.do()
		if got.err != nil || got.status != r.ok {
			t.Errorf("%s after the pool was released = %d %v, want %d", r.name, got.status, got.err, r.ok)
		}
	}

	// Every goroutine a waiting request used has ended. Polled, with a
	// generous limit: server connections close a moment after the client's.
	var after int
	deadline := time.Now().Add(15 * time.Second)
	for {
		after = settle()
		if after <= baseline+2 || time.Now().After(deadline) {
			break
		}
	}
	t.Logf("goroutines: %d before the pool was exhausted, %d after", baseline, after)
	if after > baseline+2 {
		buf := make([]byte, 1<<20)
		t.Errorf("goroutines: %d before, %d after: a wait leaked\n%s", baseline, after, buf[:runtime.Stack(buf, true)])
	}
}

func minTook(as []answer) time.Duration {
	m := time.Duration(1<<63 - 1)
	for _, a := range as {
		m = min(m, a.took)
	}
	return m
}

func maxTook(as []answer) time.Duration {
	var m time.Duration
	for _, a := range as {
		m = max(m, a.took)
	}
	return m
}
