package notify_test

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/trellis-app/trellis/internal/account"
	"github.com/trellis-app/trellis/internal/auth"
	"github.com/trellis-app/trellis/internal/mail"
	"github.com/trellis-app/trellis/internal/notify"
	"github.com/trellis-app/trellis/internal/testkit"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// soon retries a failed job after 20 ms instead of attempt⁴ seconds, so a
// test sees retries without waiting minutes.
type soon struct{}

func (soon) NextRetry(*rivertype.JobRow) time.Time { return time.Now().Add(20 * time.Millisecond) }

// instance is one Trellis process's queue: its own River client with its
// own email worker, on the shared database.
func instance(t *testing.T, db *sqlx.DB, srv *testkit.MailServer) *river.Client[*sql.Tx] {
	t.Helper()
	return instanceWithClock(t, db, srv, nil)
}

// instanceWithClock is instance whose worker checks a reminder's day
// against now (the moment the test scheduled it); nil is the real clock.
func instanceWithClock(t *testing.T, db *sqlx.DB, srv *testkit.MailServer, now func() time.Time) *river.Client[*sql.Tx] {
	t.Helper()
	sender, err := mail.NewSMTP(srv.Config())
	if err != nil {
		t.Fatal(err)
	}
	base, _ := url.Parse("https://trellis.test")
	q, err := notify.NewQueue(notify.QueueConfig{DB: db, Workers: 4, PollInterval: 20 * time.Millisecond, Retry: soon{}, Log: quiet,
		Deliverer: &notify.Deliverer{DB: db, Sender: sender, Links: account.Links{}, Base: base, Log: quiet, Now: now}})
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = q.Stop(ctx)
	})
	return q
}

// invited makes an invited user with an invitation link, as the account
// service does, and returns the user's and the link's ids.
func invited(t *testing.T, db *sqlx.DB, email string) (practice, user, token int64) {
	t.Helper()
	must := func(q string, args ...any) int64 {
		var id int64
		if err := db.QueryRowx(q, args...).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	practice = must(`INSERT INTO practices (name) VALUES ('Mail practice') RETURNING id`)
	user = must(`INSERT INTO users (practice_id, role, email, display_name) VALUES ($1, 'client', $2, 'Zoë Martin') RETURNING id`, practice, email)
	_, hash := auth.NewToken()
	token = must(`INSERT INTO access_tokens (user_id, purpose, token_hash, expires_at) VALUES ($1, 'invite', $2, now() + interval '72 hours') RETURNING id`, user, hash)
	return practice, user, token
}

// insertOnly is a process's queue that queues but works no jobs.
func insertOnly(t testing.TB, db *sqlx.DB) *river.Client[*sql.Tx] {
	t.Helper()
	q, err := notify.NewQueue(notify.QueueConfig{DB: db, Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func queue(t *testing.T, db *sqlx.DB, q *river.Client[*sql.Tx], e notify.Email) int64 {
	t.Helper()
	tx := db.MustBegin()
	id, _, err := notify.Queue(context.Background(), q, tx, e)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	return id
}

func outboxStatus(t *testing.T, db *sqlx.DB, id int64) (status string, attempts int) {
	t.Helper()
	if err := db.QueryRowx(`SELECT status, attempts FROM email_outbox WHERE id = $1`, id).Scan(&status, &attempts); err != nil {
		t.Fatal(err)
	}
	return status, attempts
}

// waitStatus waits for the outbox row to reach status (bounded, as a hang
// guard).
func waitStatus(t *testing.T, db *sqlx.DB, id int64, want string) int {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		status, attempts := outboxStatus(t, db, id)
		if status == want {
			return attempts
		}
		if time.Now().After(deadline) {
			t.Fatalf("outbox %d is %q after %d attempts, want %q", id, status, attempts, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitAttempts waits for the outbox row to have been tried n times
// (bounded, as a hang guard).
func waitAttempts(t *testing.T, db *sqlx.DB, id int64, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, attempts := outboxStatus(t, db, id); attempts >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the email was not tried %d times", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

var linkRE = regexp.MustCompile(`https://trellis\.test/invite/([A-Za-z0-9_-]{43})`)

// The invitation email carries a link minted when it was sent: the
// outbox holds no token, and the link in the email is the one the
// database now accepts.
func TestAnInvitationIsEmailedWithALinkMadeWhenItIsSent(t *testing.T) {
	db, app := testkit.OwnerAndAppDB(t)
	srv := testkit.NewMailServer(t)
	q := instance(t, app, srv)
	practice, user, token := invited(t, db, "zoe@example.test")

	id := queue(t, app, q, notify.Email{Kind: notify.KindInvite, PracticeID: practice, UserID: user, TokenID: token})
	got := srv.Wait(1)[0]
	if len(got.To) != 1 || got.To[0] != "zoe@example.test" {
		t.Errorf("sent to %v", got.To)
	}
	if got.Subject() != "Your Trellis invitation" {
		t.Errorf("subject %q", got.Subject())
	}
	m := linkRE.FindStringSubmatch(got.Body)
	if m == nil {
		t.Fatalf("no invitation link in:\n%s", got.Body)
	}
	var stored []byte
	if err := db.Get(&stored, `SELECT token_hash FROM access_tokens WHERE id = $1`, token); err != nil {
		t.Fatal(err)
	}
	if string(stored) != string(auth.HashToken(m[1])) {
		t.Error("the emailed link is not the one the database accepts")
	}
	if !strings.Contains(got.Body, "for 3 days") {
		t.Errorf("the email does not say how long the link works:\n%s", got.Body)
	}
	if strings.Contains(got.Body, "Zoë") || strings.Contains(got.Body, "Mail practice") {
		t.Errorf("the email names the person or the practice:\n%s", got.Body)
	}
	waitStatus(t, db, id, "sent")
	var cols string
	if err := db.Get(&cols, `SELECT row_to_json(o)::text FROM email_outbox o WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(cols, m[1]) || strings.Contains(cols, "zoe@") {
		t.Errorf("the outbox row holds the token or the address: %s", cols)
	}
}

// Two instances share the queue: every email is delivered exactly once.
func TestTwoInstancesSendEachEmailOnce(t *testing.T) {
	db, app := testkit.OwnerAndAppDB(t)
	srv := testkit.NewMailServer(t)
	a, b := instance(t, app, srv), instance(t, app, srv)
	practice, user, _ := invited(t, db, "zoe@example.test")
	const n = 30
	var mu sync.Mutex
	ids := map[int64]bool{}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			q := a
			if i%2 == 1 {
				q = b
			}
			tx, err := app.Beginx()
			if err == nil {
				var id int64
				id, _, err = notify.Queue(context.Background(), q, tx, notify.Email{Kind: notify.KindInviteExisting, PracticeID: practice, UserID: user})
				if err == nil {
					err = tx.Commit()
				}
				mu.Lock()
				ids[id] = true
				mu.Unlock()
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	for id := range ids {
		waitStatus(t, db, id, "sent")
	}
	got := srv.Messages()
	if len(got) != n {
		t.Fatalf("%d messages delivered for %d queued", len(got), n)
	}
	seen := map[string]bool{}
	for _, d := range got {
		mid := d.Header.Get("Message-Id")
		if seen[mid] {
			t.Errorf("%s delivered twice", mid)
		}
		seen[mid] = true
	}
}

// The mail server is down: the email is retried with backoff until it is
// back, then delivered once; nothing is lost.
func TestAnEmailIsRetriedWhileTheServerIsDownAndSentOnceWhenItIsBack(t *testing.T) {
	db, app := testkit.OwnerAndAppDB(t)
	srv := testkit.NewMailServer(t)
	srv.SetFailing(true)
	q := instance(t, app, srv)
	practice, user, _ := invited(t, db, "zoe@example.test")
	id := queue(t, app, q, notify.Email{Kind: notify.KindInviteExisting, PracticeID: practice, UserID: user})

	waitAttempts(t, db, id, 3)
	var lastErr sql.NullString
	if err := db.Get(&lastErr, `SELECT last_error FROM email_outbox WHERE id = $1`, id); err != nil || !strings.Contains(lastErr.String, "451") {
		t.Errorf("last_error = %q (%v), want the server's refusal", lastErr.String, err)
	}
	if strings.Contains(lastErr.String, "zoe@") {
		t.Errorf("last_error names the address: %q", lastErr.String)
	}
	srv.SetFailing(false)
	attempts := waitStatus(t, db, id, "sent")
	if n := len(srv.Messages()); n != 1 {
		t.Errorf("%d messages delivered after %d attempts, want 1", n, attempts)
	}
}

// After MaxAttempts the email is marked failed (for the staff to see) and
// not tried again.
func TestAnEmailThatNeverGoesThroughIsMarkedFailed(t *testing.T) {
	db, app := testkit.OwnerAndAppDB(t)
	srv := testkit.NewMailServer(t)
	srv.SetFailing(true)
	q := instance(t, app, srv)
	practice, user, _ := invited(t, db, "zoe@example.test")
	id := queue(t, app, q, notify.Email{Kind: notify.KindInviteExisting, PracticeID: practice, UserID: user})
	if attempts := waitStatus(t, db, id, "failed"); attempts != notify.MaxAttempts {
		t.Errorf("failed after %d attempts, want %d", attempts, notify.MaxAttempts)
	}
}

// A worker that died after claiming an email leaves it "sending"; once
// that claim is stale, the retry sends it, under the same Message-ID.
func TestAnEmailClaimedByAWorkerThatDiedIsSentByTheRetry(t *testing.T) {
	db, app := testkit.OwnerAndAppDB(t)
	srv := testkit.NewMailServer(t)
	practice, user, _ := invited(t, db, "zoe@example.test")
	// Queue with an instance that never works jobs, then fake its crash.
	q := insertOnly(t, app)
	id := queue(t, app, q, notify.Email{Kind: notify.KindInviteExisting, PracticeID: practice, UserID: user})
	if _, err := db.Exec(`UPDATE email_outbox SET status = 'sending', attempts = 1, claimed_at = now() - interval '11 minutes' WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	instance(t, app, srv)
	waitStatus(t, db, id, "sent")
	got := srv.Wait(1)
	if len(got) != 1 || got[0].Header.Get("Message-Id") != "<trellis-"+itoa(id)+"@trellis.test>" {
		t.Errorf("delivered %d, Message-ID %q", len(got), got[0].Header.Get("Message-Id"))
	}
}

// A link used (or replaced) before its email went out is not emailed.
func TestALinkUsedBeforeItsEmailWentOutIsNotSent(t *testing.T) {
	db, app := testkit.OwnerAndAppDB(t)
	srv := testkit.NewMailServer(t)
	practice, user, token := invited(t, db, "zoe@example.test")
	q := insertOnly(t, app)
	id := queue(t, app, q, notify.Email{Kind: notify.KindInvite, PracticeID: practice, UserID: user, TokenID: token})
	if _, err := db.Exec(`UPDATE access_tokens SET used_at = now() WHERE id = $1`, token); err != nil {
		t.Fatal(err)
	}
	instance(t, app, srv)
	waitStatus(t, db, id, "cancelled")
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("%d messages sent for a used link", n)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// dupSend is a second job for an outbox row already queued: the same kind
// and arguments as the outbox's own, as a retried insert or an operator's
// re-run would make.
type dupSend struct {
	OutboxID int64 `json:"outbox_id"`
}

func (dupSend) Kind() string { return "email.send" }

func (dupSend) InsertOpts() river.InsertOpts { return river.InsertOpts{Queue: notify.QueueEmail} }

// Several jobs for one outbox row, worked at once by two instances, send
// it once: the claim is one UPDATE, and a job that finds the row sent (or
// in another worker's hands) sends nothing.
func TestSeveralJobsForOneOutboxRowSendItOnce(t *testing.T) {
	db, app := testkit.OwnerAndAppDB(t)
	srv := testkit.NewMailServer(t)
	practice, user, _ := invited(t, db, "zoe@example.test")
	q := insertOnly(t, app)
	id := queue(t, app, q, notify.Email{Kind: notify.KindInviteExisting, PracticeID: practice, UserID: user})
	for range 7 {
		if _, err := q.Insert(context.Background(), dupSend{OutboxID: id}, nil); err != nil {
			t.Fatal(err)
		}
	}
	instance(t, app, srv)
	instance(t, app, srv)
	waitStatus(t, db, id, "sent")
	// Every job has run (none is left to send a second copy later). A job
	// that found the row in another worker's hands waits (snoozed) for
	// that claim to go stale: bring its time forward.
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := db.Exec(`UPDATE river_job SET scheduled_at = now() WHERE kind = 'email.send' AND state = 'scheduled'`); err != nil {
			t.Fatal(err)
		}
		var left int
		if err := db.Get(&left, `SELECT count(*) FROM river_job WHERE kind = 'email.send' AND state NOT IN ('completed', 'cancelled', 'discarded')`); err != nil {
			t.Fatal(err)
		}
		if left == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d jobs still to run after 30 s", left)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n := len(srv.Messages()); n != 1 {
		t.Errorf("%d messages delivered for one outbox row worked by 8 jobs, want 1", n)
	}
}

// A mail server that refuses connections, and one that accepts and never
// answers: the email is retried, not lost, and what is recorded says
// which, naming no address.
func TestAnUnreachableOrSilentMailServerLeavesTheEmailQueuedWithTheReason(t *testing.T) {
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedPort := closed.Addr().(*net.TCPAddr).Port
	closed.Close()
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var held []net.Conn // held open, never a greeting
	accepted := make(chan struct{})
	go func() {
		defer close(accepted)
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	t.Cleanup(func() {
		silent.Close()
		<-accepted
		for _, c := range held {
			c.Close()
		}
	})
	for name, tc := range map[string]struct {
		port int
		want string
	}{
		"refusing": {closedPort, "could not be reached"},
		"silent":   {silent.Addr().(*net.TCPAddr).Port, "did not answer in time"},
	} {
		t.Run(name, func(t *testing.T) {
			db, app := testkit.OwnerAndAppDB(t)
			sender, err := mail.NewSMTP(mail.Config{Host: "127.0.0.1", Port: tc.port, TLS: mail.TLSNone, From: "trellis@trellis.test", Timeout: 300 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			base, _ := url.Parse("https://trellis.test")
			q, err := notify.NewQueue(notify.QueueConfig{DB: app, Workers: 1, PollInterval: 20 * time.Millisecond, Retry: soon{}, Log: quiet,
				Deliverer: &notify.Deliverer{DB: app, Sender: sender, Links: account.Links{}, Base: base, Log: quiet}})
			if err != nil {
				t.Fatal(err)
			}
			practice, user, _ := invited(t, db, "zoe@example.test")
			id := queue(t, app, q, notify.Email{Kind: notify.KindInviteExisting, PracticeID: practice, UserID: user})
			if err := q.Start(context.Background()); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				_ = q.Stop(ctx)
			})
			waitAttempts(t, db, id, 2)
			var status string
			var lastErr sql.NullString
			if err := db.QueryRowx(`SELECT status, last_error FROM email_outbox WHERE id = $1`, id).Scan(&status, &lastErr); err != nil {
				t.Fatal(err)
			}
			if status == "sent" || status == "failed" || !strings.Contains(lastErr.String, tc.want) {
				t.Errorf("status %q, last_error %q; want it waiting for a retry with %q", status, lastErr.String, tc.want)
			}
			if strings.Contains(lastErr.String, "zoe@") || strings.Contains(lastErr.String, "127.0.0.1") {
				t.Errorf("last_error names an address: %q", lastErr.String)
			}
		})
	}
}
