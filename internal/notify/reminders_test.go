package notify_test

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/trellis-app/trellis/internal/notify"
	"github.com/trellis-app/trellis/internal/testkit"
)

// client makes an active client in a practice in zone, with reminders on
// at sendAt (local), and returns the client's id.
func remindedClient(t *testing.T, db *sqlx.DB, zone, sendAt string, clientZone *string) (practice, therapist, client int64) {
	t.Helper()
	must := func(q string, args ...any) int64 {
		t.Helper()
		var id int64
		if err := db.QueryRowx(q, args...).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	practice = must(`INSERT INTO practices (name, time_zone) VALUES ('Reminder practice', $1) RETURNING id`, zone)
	therapist = must(`INSERT INTO users (practice_id, role, status, email, display_name, password_hash) VALUES ($1, 'therapist', 'active', 'th@example.test', 'Theo', 'x') RETURNING id`, practice)
	client = must(`INSERT INTO users (practice_id, role, status, email, display_name, password_hash, therapist_id) VALUES ($1, 'client', 'active', 'zoe@example.test', 'Zoë', 'x', $2) RETURNING id`, practice, therapist)
	must(`INSERT INTO reminder_settings (user_id, enabled, consented_at, send_at, time_zone) VALUES ($1, true, now(), $2, $3) RETURNING user_id`, client, sendAt, clientZone)
	return practice, therapist, client
}

// homework gives the client an open check-in due on day.
func homework(t *testing.T, db *sqlx.DB, practice, therapist, client int64, day string) int64 {
	t.Helper()
	var series, id int64
	if err := db.QueryRowx(`INSERT INTO assignment_series (practice_id, client_id, assigned_by, exercise_id, exercise_version, recurrence, first_due)
		SELECT $1, $2, $3, id, 1, 'once', $4 FROM exercises ORDER BY id LIMIT 1 RETURNING id`, practice, client, therapist, day).Scan(&series); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRowx(`INSERT INTO assignments (series_id, client_id, exercise_id, exercise_version, due_on, due_at)
		SELECT id, client_id, exercise_id, exercise_version, first_due, first_due + 1 FROM assignment_series WHERE id = $1 RETURNING id`, series).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

func at(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func schedule(t *testing.T, db *sqlx.DB, now time.Time) int {
	t.Helper()
	q := insertOnly(t, db)
	n, err := notify.ScheduleReminders(context.Background(), db, q, now)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// London's clocks go back at 02:00 BST on 25 Oct 2026 and forward at
// 01:00 GMT on 28 Mar 2027. A reminder at 18:00, a time a client can
// choose, leaves at 18:00 local on both days (18:00Z, then 17:00Z); one at
// 01:30 (set directly: the form offers 06:00 to 22:00, but PostgreSQL's
// rules are what is tested) leaves once in the doubled hour and at 02:00
// when 01:30 is skipped. Each is delivered through SMTP, once.
func TestARemindersLocalTimeHoldsAcrossDSTChanges(t *testing.T) {
	db, app := testkit.OwnerAndAppDB(t)
	p, th, evening := remindedClient(t, db, "Europe/London", "18:00", nil)
	var night int64
	if err := db.Get(&night, `INSERT INTO users (practice_id, role, status, email, display_name, password_hash, therapist_id) VALUES ($1, 'client', 'active', 'night@example.test', 'Nia', 'x', $2) RETURNING id`, p, th); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO reminder_settings (user_id, enabled, consented_at, send_at) VALUES ($1, true, now(), '01:30')`, night); err != nil {
		t.Fatal(err)
	}
	for _, c := range []int64{evening, night} {
		homework(t, db, p, th, c, "2026-10-25")
		homework(t, db, p, th, c, "2027-03-28")
	}
	var now atomic.Pointer[time.Time]
	srv := testkit.NewMailServer(t)
	instanceWithClock(t, app, srv, func() time.Time { return *now.Load() })

	steps := []struct {
		utc  string
		want int
		why  string
	}{
		{"2026-10-24T23:59:00Z", 0, "00:59 BST: before either time"},
		{"2026-10-25T00:30:00Z", 1, "01:30 BST, the first 01:30"},
		{"2026-10-25T01:30:00Z", 0, "01:30 GMT, the second 01:30: already sent today"},
		{"2026-10-25T17:59:00Z", 0, "17:59 GMT: before 18:00"},
		{"2026-10-25T18:00:00Z", 1, "18:00 GMT"},
		{"2026-10-25T18:30:00Z", 0, "already sent today"},
		{"2027-03-28T00:59:00Z", 0, "00:59 GMT: before 01:30"},
		{"2027-03-28T01:00:00Z", 1, "02:00 BST: 01:30 was skipped, so it leaves now"},
		{"2027-03-28T16:59:00Z", 0, "17:59 BST: before 18:00"},
		{"2027-03-28T17:00:00Z", 1, "18:00 BST"},
		{"2027-03-28T17:05:00Z", 0, "already sent today"},
	}
	sent := 0
	for _, s := range steps {
		moment := at(t, s.utc)
		now.Store(&moment)
		if got := schedule(t, app, moment); got != s.want {
			t.Errorf("%s (%s): %d queued, want %d", s.utc, s.why, got, s.want)
		}
		sent += s.want
		srv.Wait(sent) // delivered while the clock still says this moment
	}
	// A message arrives before its worker records it sent: wait for the
	// record (bounded) before reading the outbox.
	var statuses []string
	for deadline := time.Now().Add(30 * time.Second); ; {
		statuses = nil
		if err := db.Select(&statuses, `SELECT status FROM email_outbox ORDER BY id`); err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(statuses, "sending") && !slices.Contains(statuses, "queued") || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got := srv.Messages(); len(got) != 4 || strings.Join(statuses, ",") != "sent,sent,sent,sent" {
		t.Fatalf("%d reminders delivered, outbox %v; want 4, all sent", len(got), statuses)
	}
	for _, m := range srv.Messages() {
		if !strings.Contains(m.Body, "You have 1 piece of homework due today.") {
			t.Errorf("reminder says:\n%s", m.Body)
		}
	}
}

// A reminder is sent near the chosen time or not at all: a schedule that
// did not run for over ReminderWindow (every instance down) skips the day.
func TestAReminderIsNotSentHoursAfterItsTime(t *testing.T) {
	db, app := testkit.OwnerAndAppDB(t)
	p, th, c := remindedClient(t, db, "UTC", "18:00", nil)
	homework(t, db, p, th, c, "2026-12-04")
	if n := schedule(t, app, at(t, "2026-12-04T19:00:00Z")); n != 0 {
		t.Errorf("an hour late: %d queued", n)
	}
	if n := schedule(t, app, at(t, "2026-12-04T18:59:00Z")); n != 1 {
		t.Errorf("within the hour: %d queued, want 1", n)
	}
}

// A client's own zone wins over the practice's.
func TestAReminderFollowsTheClientsOwnTimeZone(t *testing.T) {
	db, app := testkit.OwnerAndAppDB(t)
	zone := "Asia/Ho_Chi_Minh" // UTC+7, no DST
	p, th, c := remindedClient(t, db, "Europe/London", "08:00", &zone)
	homework(t, db, p, th, c, "2026-12-04")
	if n := schedule(t, app, at(t, "2026-12-04T00:59:00Z")); n != 0 {
		t.Errorf("07:59 in Ho Chi Minh City: %d queued", n)
	}
	if n := schedule(t, app, at(t, "2026-12-04T01:00:00Z")); n != 1 {
		t.Errorf("08:00 in Ho Chi Minh City (01:00 in London): %d queued, want 1", n)
	}
}

// Work already sent is never reminded of, and nothing is sent without
// homework due today or tomorrow.
func TestNoReminderForWorkAlreadySent(t *testing.T) {
	db, app := testkit.OwnerAndAppDB(t)
	p, th, c := remindedClient(t, db, "UTC", "18:00", nil)
	sent := homework(t, db, p, th, c, "2026-12-04")
	if _, err := db.Exec(`UPDATE assignments SET status = 'submitted', submitted_at = now() WHERE id = $1`, sent); err != nil {
		t.Fatal(err)
	}
	homework(t, db, p, th, c, "2026-12-10") // not due yet
	if n := schedule(t, app, at(t, "2026-12-04T18:00:00Z")); n != 0 {
		t.Errorf("%d reminders for work already sent or not due", n)
	}
}

// Work sent after the reminder was queued but before it left is not
// mentioned; with none left, the reminder is not sent at all.
func TestWorkSentBeforeTheReminderLeavesCancelsIt(t *testing.T) {
	db, app := testkit.OwnerAndAppDB(t)
	srv := testkit.NewMailServer(t)
	p, th, c := remindedClient(t, db, "UTC", "18:00", nil)
	a := homework(t, db, p, th, c, "2026-12-04")
	if n := schedule(t, app, at(t, "2026-12-04T18:00:00Z")); n != 1 {
		t.Fatalf("%d queued", n)
	}
	if _, err := db.Exec(`UPDATE assignments SET status = 'submitted', submitted_at = now() WHERE id = $1`, a); err != nil {
		t.Fatal(err)
	}
	instanceWithClock(t, app, srv, func() time.Time { return at(t, "2026-12-04T18:00:00Z") })
	var id int64
	if err := db.Get(&id, `SELECT id FROM email_outbox WHERE user_id = $1`, c); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, db, id, "cancelled")
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("%d reminders sent for work already sent", n)
	}
}

var stopRE = regexp.MustCompile(`https://trellis\.test/stop/([A-Za-z0-9_-]{43})`)

// Two instances scheduling at the same moment queue one reminder, and it
// is delivered once: a count and nothing else, with a stop link that
// works without signing in, for this client only.
func TestTwoSchedulersRacingSendOneReminderWithAStopLink(t *testing.T) {
	db, app := testkit.OwnerAndAppDB(t)
	srv := testkit.NewMailServer(t)
	p, th, c := remindedClient(t, db, "Europe/London", "18:00", nil)
	homework(t, db, p, th, c, "2026-12-04")
	homework(t, db, p, th, c, "2026-12-05")
	// A second client in the same practice, whose reminders must survive
	// the first one's stop link.
	var other int64
	if err := db.Get(&other, `INSERT INTO users (practice_id, role, status, email, display_name, password_hash, therapist_id) VALUES ($1, 'client', 'active', 'ana@example.test', 'Ana', 'x', $2) RETURNING id`, p, th); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO reminder_settings (user_id, enabled, consented_at) VALUES ($1, true, now())`, other); err != nil {
		t.Fatal(err)
	}

	now := at(t, "2026-12-04T18:00:30Z")
	clock := func() time.Time { return now }
	var wg sync.WaitGroup
	var mu sync.Mutex
	total := 0
	q := insertOnly(t, app)
	errs := make(chan error, 4)
	for range 4 {
		wg.Go(func() {
			n, err := notify.ScheduleReminders(context.Background(), app, q, now)
			errs <- err
			mu.Lock()
			total += n
			mu.Unlock()
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if total != 1 {
		t.Fatalf("four schedulers queued %d reminders, want 1", total)
	}
	instanceWithClock(t, app, srv, clock)
	instanceWithClock(t, app, srv, clock)
	srv.Wait(1)
	var id int64
	if err := db.Get(&id, `SELECT id FROM email_outbox WHERE user_id = $1`, c); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, db, id, "sent")
	got := srv.Messages()
	if len(got) != 1 {
		t.Fatalf("%d reminders delivered, want 1", len(got))
	}
	r := got[0]
	if r.To[0] != "zoe@example.test" || r.Subject() != "A reminder from Trellis" {
		t.Errorf("to %v, subject %q", r.To, r.Subject())
	}
	if !strings.Contains(r.Body, "You have 2 pieces of homework due: 1 today and 1 tomorrow.") {
		t.Errorf("the reminder does not count the homework:\n%s", r.Body)
	}
	if !strings.Contains(r.Body, "https://trellis.test/signin") {
		t.Errorf("the reminder does not link to the sign-in page:\n%s", r.Body)
	}
	m := stopRE.FindStringSubmatch(r.Body)
	if m == nil {
		t.Fatalf("no stop link:\n%s", r.Body)
	}
	if u := r.Header.Get("List-Unsubscribe"); u != "<"+m[0]+">" || r.Header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
		t.Errorf("List-Unsubscribe %q", u)
	}

	if _, ok, err := notify.StopReminders(context.Background(), app, "not-a-token"); ok || err != nil {
		t.Errorf("a made-up stop link worked (%v, %v)", ok, err)
	}
	user, ok, err := notify.StopReminders(context.Background(), app, m[1])
	if err != nil || !ok || user != c {
		t.Fatalf("stop link: user %d, %v, %v", user, ok, err)
	}
	on := map[int64]bool{}
	rows, err := db.Query(`SELECT user_id, enabled FROM reminder_settings`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var u int64
		var e bool
		if err := rows.Scan(&u, &e); err != nil {
			t.Fatal(err)
		}
		on[u] = e
	}
	if on[c] || !on[other] {
		t.Errorf("after the stop link: reminders on = %v, want off for %d only", on, c)
	}
}

// BenchmarkScheduleReminders5000 computes and queues one evening's
// reminders for 5,000 clients, each with reminders on at 18:00 and two
// pieces of homework due (the goal: under 2 s). Each iteration
// is a new day, so every client is due again.
func BenchmarkScheduleReminders5000(b *testing.B) {
	db, app := testkit.OwnerAndAppDB(b)
	const clients = 5000
	var practice, therapist int64
	if err := db.QueryRowx(`INSERT INTO practices (name, time_zone) VALUES ('Scale practice', 'Europe/London') RETURNING id`).Scan(&practice); err != nil {
		b.Fatal(err)
	}
	if err := db.QueryRowx(`INSERT INTO users (practice_id, role, status, email, display_name, password_hash) VALUES ($1, 'therapist', 'active', 'th@example.test', 'Theo', 'x') RETURNING id`, practice).Scan(&therapist); err != nil {
		b.Fatal(err)
	}
	days := b.N + 1
	for _, st := range []struct {
		q    string
		args []any
	}{
		{`INSERT INTO users (practice_id, role, status, email, display_name, password_hash, therapist_id)
		 SELECT $1, 'client', 'active', 'c' || i || '@example.test', 'Client ' || i, 'x', $2 FROM generate_series(1, $3) i`, []any{practice, therapist, clients}},
		{`INSERT INTO reminder_settings (user_id, enabled, consented_at, send_at) SELECT id, true, now(), '18:00' FROM users WHERE role = 'client' AND practice_id = $1`, []any{practice}},
		{`INSERT INTO assignment_series (practice_id, client_id, assigned_by, exercise_id, exercise_version, recurrence, interval_days, first_due)
		 SELECT $1, u.id, $2, (SELECT min(id) FROM exercises), 1, 'every_n_days', 1, DATE '2026-12-01' FROM users u WHERE u.role = 'client' AND u.practice_id = $1`, []any{practice, therapist}},
	} {
		if _, err := db.Exec(st.q, st.args...); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := db.Exec(`INSERT INTO assignments (series_id, client_id, exercise_id, exercise_version, due_on, due_at)
		SELECT s.id, s.client_id, s.exercise_id, s.exercise_version, s.first_due + d, s.first_due + d + 1
		FROM assignment_series s, generate_series(0, $1) d WHERE s.practice_id = $2`, days, practice); err != nil {
		b.Fatal(err)
	}
	if _, err := db.Exec(`ANALYZE`); err != nil {
		b.Fatal(err)
	}
	q, err := notify.NewQueue(notify.QueueConfig{DB: app, Log: quiet})
	if err != nil {
		b.Fatal(err)
	}
	evening := at(b, "2026-12-01T18:30:00Z")
	b.ResetTimer()
	for i := range b.N {
		n, err := notify.ScheduleReminders(context.Background(), app, q, evening.AddDate(0, 0, i))
		if err != nil {
			b.Fatal(err)
		}
		if n != clients {
			b.Fatalf("day %d: %d queued, want %d", i, n, clients)
		}
	}
}
