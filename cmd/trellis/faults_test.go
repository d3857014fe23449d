package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/trellis-app/trellis/internal/account"
	"github.com/trellis-app/trellis/internal/database"
	"github.com/trellis-app/trellis/internal/exercise"
	"github.com/trellis-app/trellis/internal/testkit"
)

// Fault tests that need the real binary and real signals: FT3 (SIGTERM
// under load) and FT6 (instances starting together). FT1 and FT2 are in
// internal/app.

// TestTheBuiltBinary builds trellis once and runs the fault tests that
// need it as a separate process.
func TestTheBuiltBinary(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "trellis")
	args := []string{"build", "-o", bin}
	if raceEnabled {
		args = append(args, "-race")
	}
	build := exec.Command("go", append(args, ".")...)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Run("SIGTERMFinishesTheRequestInFlightRefusesNewOnesAndExitsZero", func(t *testing.T) { sigtermUnderLoad(t, bin) })
	t.Run("TwoInstancesStartingTogetherMigrateOnceAndShareSessions", func(t *testing.T) { twoInstances(t, bin) })
}

// instance is one running trellis process.
type instance struct {
	cmd    *exec.Cmd
	out    *watchedOutput
	addr   string
	exited chan error
}

// watchedOutput collects a process's output and notices the line saying
// where it listens.
type watchedOutput struct {
	mu        sync.Mutex
	buf       bytes.Buffer
	listening chan string
	found     bool
}

var listeningRe = regexp.MustCompile(`msg="trellis is listening" addr=(\S+)`)

func (w *watchedOutput) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if !w.found {
		if m := listeningRe.FindSubmatch(w.buf.Bytes()); m != nil {
			w.found = true
			w.listening <- string(m[1])
		}
	}
	return len(p), nil
}

func (w *watchedOutput) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// start runs `trellis serve` on ownerURL's database on a free loopback
// port, migrating as the owner and serving as the app role, as a
// one-process deployment does. The process is killed when the test ends if
// it is still running.
func start(t *testing.T, bin, ownerURL string) *instance {
	t.Helper()
	in := &instance{out: &watchedOutput{listening: make(chan string, 1)}, exited: make(chan error, 1)}
	in.cmd = exec.Command(bin, "serve")
	in.cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "DATABASE_URL=" + testkit.AppRoleURL(t, ownerURL),
		"DATABASE_OWNER_URL=" + ownerURL, "TRELLIS_ADDR=127.0.0.1:0", "TRELLIS_LOG_LEVEL=info"}
	in.cmd.Stdout = in.out
	in.cmd.Stderr = in.out
	if err := in.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { in.exited <- in.cmd.Wait() }()
	t.Cleanup(func() {
		if in.cmd.ProcessState == nil {
			_ = in.cmd.Process.Kill()
		}
		if t.Failed() {
			t.Logf("trellis (pid %d) said:\n%s", in.cmd.Process.Pid, in.out)
		}
	})
	return in
}

// waitListening waits for the instance to say where it listens. Start-up
// includes waiting for another instance's migrations, so the limit is
// generous.
func (in *instance) waitListening(t *testing.T) {
	t.Helper()
	select {
	case in.addr = <-in.out.listening:
	case err := <-in.exited:
		t.Fatalf("trellis exited before listening: %v\n%s", err, in.out)
	case <-time.After(90 * time.Second):
		t.Fatalf("trellis did not start listening\n%s", in.out)
	}
}

// stop sends SIGTERM and waits for the process to exit.
func (in *instance) stop(t *testing.T) error {
	t.Helper()
	if err := in.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	return in.wait(t)
}

func (in *instance) wait(t *testing.T) error {
	t.Helper()
	select {
	case err := <-in.exited:
		return err
	case <-time.After(60 * time.Second):
		t.Fatalf("trellis did not exit\n%s", in.out)
		return nil
	}
}

// openCheckIn finds a demo client with an open weekly check-in.
func openCheckIn(t *testing.T, db *sqlx.DB) (assignment int64, email string) {
	t.Helper()
	var open struct {
		ID    int64  `db:"id"`
		Email string `db:"email"`
	}
	if err := db.Get(&open, `SELECT a.id, u.email FROM assignments a JOIN users u ON u.id = a.client_id
		JOIN exercises e ON e.id = a.exercise_id
		WHERE a.status = 'open' AND e.builtin_key = $1 ORDER BY a.due_on, a.id LIMIT 1`, exercise.CheckInKey); err != nil {
		t.Fatalf("no open check-in in the demo practice: %v", err)
	}
	return open.ID, open.Email
}

// connections counts the server connections whose application_name is
// name.
func connections(t *testing.T, db *sqlx.DB, name string) int {
	t.Helper()
	var n int
	if err := db.Get(&n, `SELECT count(*) FROM pg_stat_activity WHERE application_name = $1`, name); err != nil {
		t.Fatal(err)
	}
	return n
}

// sigtermUnderLoad is FT3. A client's send is in flight (its headers read,
// the server reading its body) when SIGTERM arrives: new connections are
// refused at once, the send still completes with its usual 303 and is
// stored, and the process closes its database connections and exits 0.
func sigtermUnderLoad(t *testing.T, bin string) {
	ctx := context.Background()
	const appName = "trellis-ft3"
	dbURL := testkit.EmptyDBURL(t)
	in := start(t, bin, dbURL+"&application_name="+appName)
	in.waitListening(t)
	if err := run(ctx, []string{"seed-demo"}, envWith(dbURL), &strings.Builder{}); err != nil {
		t.Fatal(err)
	}
	db := openDB(t, dbURL)
	assignment, email := openCheckIn(t, db)
	base := "http://" + in.addr

	c := newBrowser(t)
	if r := c.post(t, base+"/signin", url.Values{"email": {email}, "password": {account.DemoPassword}}); r.status != http.StatusSeeOther {
		t.Fatalf("sign in = %d", r.status)
	}
	path := "/home/assignments/" + strconv.FormatInt(assignment, 10)
	form := c.get(t, base+path)
	if form.status != http.StatusOK {
		t.Fatalf("open the check-in = %d", form.status)
	}
	token := formTokenOf(t, form.body)
	note := "Sent while Trellis was shutting down — Ελένη"
	body := checkIn(note, token).Encode()
	u, _ := url.Parse(base)
	var cookie []string
	for _, ck := range c.c.Jar.Cookies(u) {
		cookie = append(cookie, ck.Name+"="+ck.Value)
	}
	if n := connections(t, db, appName); n == 0 {
		t.Fatal("trellis holds no database connections to see closed")
	}

	// The send, by hand: headers first, asking the server to say when it
	// starts reading the body (Expect: 100-continue). Once it says so,
	// the request is certainly in flight.
	conn, err := net.Dial("tcp", in.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\n"+
		"Content-Length: %d\r\nCookie: %s\r\nSec-Fetch-Site: same-origin\r\nExpect: 100-continue\r\n\r\n",
		path, in.addr, len(body), strings.Join(cookie, "; "))
	br := bufio.NewReader(conn)
	req, _ := http.NewRequest(http.MethodPost, base+path, nil)
	_ = conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	cont, err := http.ReadResponse(br, req)
	if err != nil || cont.StatusCode != http.StatusContinue {
		t.Fatalf("waiting for 100 Continue: %v %v", cont, err)
	}
	half := len(body) / 2
	if _, err := conn.Write([]byte(body[:half])); err != nil {
		t.Fatal(err)
	}

	if err := in.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// New connections are refused while the send is still in flight.
	refusedBy := time.Now().Add(30 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", in.addr, time.Second)
		if err != nil {
			// Reset, not refused, when the dial raced the listener's close.
			if !errors.Is(err, syscall.ECONNREFUSED) && !errors.Is(err, syscall.ECONNRESET) {
				t.Fatalf("a new connection after SIGTERM failed with %v, want refused", err)
			}
			break
		}
		_ = c.Close()
		if time.Now().After(refusedBy) {
			t.Fatal("new connections still accepted after SIGTERM")
		}
		time.Sleep(20 * time.Millisecond)
	}
	select {
	case err := <-in.exited:
		t.Fatalf("trellis exited with a request in flight: %v\n%s", err, in.out)
	default:
	}

	if _, err := conn.Write([]byte(body[half:])); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		t.Fatalf("the send in flight at SIGTERM got no answer: %v", err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || !strings.HasSuffix(resp.Header.Get("Location"), "?sent=1") {
		t.Fatalf("the send in flight at SIGTERM = %d to %q, want 303 to ?sent=1", resp.StatusCode, resp.Header.Get("Location"))
	}

	if err := in.wait(t); err != nil {
		t.Fatalf("trellis exited with %v after SIGTERM, want status 0\n%s", err, in.out)
	}
	for _, want := range []string{"shutting down: finishing in-flight requests", "shutdown complete"} {
		if !strings.Contains(in.out.String(), want) {
			t.Errorf("the log lacks %q", want)
		}
	}
	var stored string
	if err := db.Get(&stored, `SELECT answers->'note'->>0 FROM submissions WHERE assignment_id = $1 AND form_token = $2`, assignment, token); err != nil {
		t.Fatalf("the send acknowledged during shutdown is not stored: %v", err)
	}
	if stored != note {
		t.Errorf("stored %q, sent %q", stored, note)
	}
	// The pool is closed: no connection of the process is left.
	for deadline := time.Now().Add(10 * time.Second); connections(t, db, appName) > 0; {
		if time.Now().After(deadline) {
			t.Fatalf("%d database connections of the stopped trellis remain", connections(t, db, appName))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// twoInstances is FT6: two instances started together on one fresh
// database both come up; the migrations ran exactly once (each version
// recorded once, each applied by one instance), neither logged an error;
// and a session made by signing in on one is honoured by the other.
func twoInstances(t *testing.T, bin string) {
	ctx := context.Background()
	dbURL := testkit.EmptyDBURL(t)
	db := openDB(t, dbURL)
	// Hold the migration lock while both start, so they are certainly
	// both waiting for it, then let them race for it.
	held, err := db.Connx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	if _, err := held.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, database.MigrationLockID); err != nil {
		t.Fatal(err)
	}
	a := start(t, bin, dbURL)
	b := start(t, bin, dbURL)
	// Wait until both have asked for the lock (goose polls
	// pg_try_advisory_lock) and been refused: only then does "neither
	// migrated, neither serves" prove they wait for it.
	deadline := time.Now().Add(60 * time.Second)
	for {
		var asking int
		if err := db.GetContext(ctx, &asking, `SELECT count(DISTINCT pid) FROM pg_stat_activity
			WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE '%pg_try_advisory_lock%'`); err != nil {
			t.Fatal(err)
		}
		if asking >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after a minute, %d of the 2 instances have asked for the migration lock\nfirst: %s\nsecond: %s", asking, a.out, b.out)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for name, in := range map[string]*instance{"first": a, "second": b} {
		select {
		case addr := <-in.out.listening:
			t.Fatalf("the %s instance serves on %s while the migration lock is held", name, addr)
		case err := <-in.exited:
			t.Fatalf("the %s instance exited while waiting for the migration lock: %v\n%s", name, err, in.out)
		default:
		}
		if strings.Contains(in.out.String(), "migration applied") {
			t.Fatalf("the %s instance migrated while the lock was held elsewhere", name)
		}
	}
	if _, err := held.ExecContext(ctx, `SELECT pg_advisory_unlock($1)`, database.MigrationLockID); err != nil {
		t.Fatal(err)
	}
	a.waitListening(t)
	b.waitListening(t)

	known, err := database.KnownVersions()
	if err != nil {
		t.Fatal(err)
	}
	var recorded []struct {
		Version int64 `db:"version_id"`
		Times   int   `db:"times"`
	}
	if err := db.Select(&recorded, `SELECT version_id, count(*) AS times FROM goose_db_version GROUP BY version_id ORDER BY version_id`); err != nil {
		t.Fatal(err)
	}
	want := append([]int64{0}, known...) // goose records version 0 when it creates its table
	if len(recorded) != len(want) {
		t.Errorf("goose_db_version holds versions %+v, want each of %v once", recorded, want)
	}
	for i, r := range recorded {
		if i >= len(want) || r.Version != want[i] || r.Times != 1 {
			t.Errorf("goose_db_version: version %d recorded %d times, want each of %v once", r.Version, r.Times, want)
		}
	}
	applied := strings.Count(a.out.String(), `msg="migration applied"`) + strings.Count(b.out.String(), `msg="migration applied"`)
	if applied != len(known) {
		t.Errorf("the two instances applied %d migrations between them, want %d (each once)", applied, len(known))
	}
	for name, in := range map[string]*instance{"first": a, "second": b} {
		if strings.Contains(in.out.String(), "level=ERROR") {
			t.Errorf("the %s instance logged an error:\n%s", name, in.out)
		}
	}

	if err := run(ctx, []string{"seed-demo"}, envWith(dbURL), &strings.Builder{}); err != nil {
		t.Fatal(err)
	}
	_, email := openCheckIn(t, db)
	// One browser: its cookie, set by the first instance, goes to both
	// (cookies are per host, not per port), as behind a load balancer.
	c := newBrowser(t)
	if r := c.post(t, "http://"+a.addr+"/signin", url.Values{"email": {email}, "password": {account.DemoPassword}}); r.status != http.StatusSeeOther || r.location != "/home" {
		t.Fatalf("sign in on the first instance = %d to %q", r.status, r.location)
	}
	home := c.get(t, "http://"+b.addr+"/home")
	if home.status != http.StatusOK || !strings.Contains(home.body, `action="/signout"`) {
		t.Fatalf("the second instance did not honour the first's session: %d to %q", home.status, home.location)
	}

	for name, in := range map[string]*instance{"first": a, "second": b} {
		if err := in.stop(t); err != nil {
			t.Errorf("the %s instance exited with %v, want 0", name, err)
		}
	}
}
