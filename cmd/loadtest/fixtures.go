package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/trellis-app/trellis/internal/auth"
	"github.com/trellis-app/trellis/internal/database"
	"github.com/trellis-app/trellis/internal/demo"
	"github.com/trellis-app/trellis/internal/exercise"
	"github.com/trellis-app/trellis/internal/loadtest"
	"github.com/trellis-app/trellis/internal/reflection"
)

const (
	loadPassword = "load test password 1234"
	loadPractice = "Load test practice"
	// pdfWeeks is how far back the PDF client's history and the PDF's
	// period reach: about four months.
	pdfWeeks = 17
)

// demoPractice is the demo-size practice: one therapist and their
// caseload, with the demo's eight weeks of weekly check-ins for everyone
// and about four months of history for one client (the PDF's).
type demoPractice struct {
	therapist string   // email
	clients   []string // emails, in id order
	dueToday  []int64  // each client's check-in due today, in the same order
	pdfClient int64
}

// seedDemo builds the practice with n clients. The homework is the demo
// practice's (internal/demo), so the pages under load show what a
// newcomer sees in `make run`, at n clients.
func seedDemo(ctx context.Context, db *sqlx.DB, n int) (*demoPractice, error) {
	hash, err := auth.NewHasher().Hash(ctx, loadPassword)
	if err != nil {
		return nil, err
	}
	p := &demoPractice{therapist: "therapist@load.test"}
	err = database.WithTx(ctx, db, func(tx *sqlx.Tx) error {
		var practice, therapist int64
		if err := tx.QueryRowxContext(ctx, `INSERT INTO practices (name) VALUES ($1) RETURNING id`, loadPractice).Scan(&practice); err != nil {
			return fmt.Errorf("seed practice: %w", err)
		}
		if err := tx.QueryRowxContext(ctx, `INSERT INTO users (practice_id, role, status, email, display_name, password_hash)
			VALUES ($1, 'therapist', 'active', $2, 'Load Therapist', $3) RETURNING id`, practice, p.therapist, hash).Scan(&therapist); err != nil {
			return fmt.Errorf("seed therapist: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO users (practice_id, role, status, email, display_name, password_hash, therapist_id)
			SELECT $1, 'client', 'active', 'client' || g || '@load.test', 'Load Client ' || g, $2, $3 FROM generate_series(1, $4) g`,
			practice, hash, therapist, n); err != nil {
			return fmt.Errorf("seed clients: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if _, err := demo.Homework(ctx, db, loadPractice); err != nil {
		return nil, err
	}
	var rows []struct {
		ID         int64  `db:"id"`
		Email      string `db:"email"`
		Assignment int64  `db:"assignment"`
	}
	if err := db.SelectContext(ctx, &rows, `
		SELECT u.id, u.email, a.id AS assignment FROM users u
		JOIN practices p ON p.id = u.practice_id
		JOIN assignments a ON a.client_id = u.id AND a.due_on = current_date
		JOIN exercises e ON e.id = a.exercise_id AND e.builtin_key = $2
		WHERE p.name = $1 AND u.role = 'client' ORDER BY u.id`, loadPractice, exercise.CheckInKey); err != nil {
		return nil, fmt.Errorf("find the check-ins due today: %w", err)
	}
	if len(rows) != n {
		return nil, fmt.Errorf("%d of %d clients have a check-in due today: the demo homework changed shape", len(rows), n)
	}
	for _, r := range rows {
		p.clients = append(p.clients, r.Email)
		p.dueToday = append(p.dueToday, r.Assignment)
	}
	p.pdfClient = rows[0].ID
	if err := longerHistory(ctx, db, p.pdfClient); err != nil {
		return nil, err
	}
	// Fresh statistics, as autovacuum would have gathered on a live
	// database, so the planner does not guess at empty tables.
	if _, err := db.ExecContext(ctx, `ANALYZE`); err != nil {
		return nil, err
	}
	return p, nil
}

// Words for the PDF client's reflections: a few sentences like a client
// writes, none of them risk language (that is measured elsewhere).
var (
	checkInNotes = []string{
		"A quieter week. I said when the change of plans worried me and we talked it through.",
		"We argued on Tuesday about money; I stayed in the room instead of going silent, which felt new.",
		"Texts when running late helped more than I expected. I noticed I checked my phone less.",
		"Hard to rate this week. Some days felt close, others I was waiting for something to go wrong.",
	}
	// Two thought records, five answers each: situation, thought, facts
	// for, facts against, balanced thought.
	thoughtTexts = []string{
		"My partner came home an hour late and did not text.",
		"They do not care enough to let me know; this is how it starts again.",
		"It is the second time this month, and last time I had to ask where they were.",
		"They had told me on Monday that the meeting might run over, and they did text the week before.",
		"Being late without a message is thoughtless, but it is not the same as not caring. I can ask for a text next time.",
		"A friend cancelled dinner at the last minute.",
		"People always let me down when it matters.",
		"She cancelled in March as well, and I had booked the table.",
		"She has turned up every other time this year, including when I was ill.",
		"One cancellation hurts, and it also fits a friend who is mostly reliable. I can tell her I was disappointed.",
	}
	emotions = []string{"worried", "hurt", "angry", "sad"}
)

// longerHistory gives the PDF client about four months of weekly
// check-ins and weekly thought records (tracked distress before and after)
// before the demo's eight weeks, each sent on time, reviewed, and every
// other one with feedback. The demo homework has no thought records and
// only eight weeks, so this part is written here, in the same way as
// internal/demo: a few statements whatever the length.
func longerHistory(ctx context.Context, db *sqlx.DB, client int64) error {
	checkIn := `jsonb_build_object(
		'open_communication', jsonb_build_array(least(10, 3 + n.i / 3)::text),
		'respect', jsonb_build_array(least(10, 4 + n.i / 4)::text),
		'consistency', jsonb_build_array(least(10, 2 + n.i / 3 + n.i % 2)::text),
		'empathy', jsonb_build_array(least(10, 4 + n.i / 3)::text),
		'forgiveness', jsonb_build_array(least(10, 2 + n.i / 4)::text),
		'overall', jsonb_build_array(least(10, 3 + n.i / 3)::text),
		'note', jsonb_build_array(($6::text[])[1 + n.i % cardinality($6::text[])]))`
	thoughtRecord := `jsonb_build_object(
		'situation', jsonb_build_array(($6::text[])[1 + 5 * (n.i % 2)]),
		'thought', jsonb_build_array(($6::text[])[2 + 5 * (n.i % 2)]),
		'emotion', jsonb_build_array(($7::text[])[1 + n.i % cardinality($7::text[])]),
		'intensity_before', jsonb_build_array((65 + n.i * 7 % 30)::text),
		'facts_for', jsonb_build_array(($6::text[])[3 + 5 * (n.i % 2)]),
		'facts_against', jsonb_build_array(($6::text[])[4 + 5 * (n.i % 2)]),
		'balanced_thought', jsonb_build_array(($6::text[])[5 + 5 * (n.i % 2)]),
		'intensity_after', jsonb_build_array(greatest(0, 50 + n.i * 7 % 30 - 2 * n.i)::text))`
	// The demo's check-ins start eight weeks ago; these fill the weeks
	// before. The thought records run to last week, each due three days
	// after a check-in.
	return database.WithTx(ctx, db, func(tx *sqlx.Tx) error {
		if err := addWeekly(ctx, tx, client, exercise.CheckInKey, -7*pdfWeeks, pdfWeeks-8, checkIn,
			[]string{"open_communication", "respect", "consistency", "empathy", "forgiveness", "overall"}, checkInNotes); err != nil {
			return err
		}
		return addWeekly(ctx, tx, client, "trust-thought-record", -7*pdfWeeks+3, pdfWeeks, thoughtRecord,
			[]string{"intensity_before", "intensity_after"}, thoughtTexts, emotions)
	})
}

// addWeekly adds a weekly series of an exercise for client, due from
// firstDue days from today, every occurrence sent at 19:30 on its due day
// and reviewed two days later, every other one with feedback. answers is a
// SQL expression of the week's number n.i (0 = the first) and the word
// lists, given as $6, $7 and on; tracked lists the numeric answers charts
// read.
func addWeekly(ctx context.Context, tx *sqlx.Tx, client int64, key string, firstDue, weeks int, answers string, tracked []string, words ...[]string) error {
	args := []any{client, firstDue, weeks, key, pq.Array(tracked)}
	for _, w := range words {
		args = append(args, pq.Array(w))
	}
	_, err := tx.ExecContext(ctx, `
		WITH s AS (
			INSERT INTO assignment_series (practice_id, client_id, assigned_by, exercise_id, exercise_version, recurrence, first_due, occurrence_count)
			SELECT u.practice_id, u.id, u.therapist_id, e.id, e.latest_version, 'weekly', current_date + $2::int, $3::int
			FROM users u, exercises e WHERE u.id = $1 AND e.builtin_key = $4
			RETURNING id, client_id, assigned_by, exercise_id, exercise_version, first_due),
		a AS (
			INSERT INTO assignments (series_id, client_id, exercise_id, exercise_version, due_on, due_at, status, submitted_at, reviewed_at)
			SELECT s.id, s.client_id, s.exercise_id, s.exercise_version, s.first_due + 7 * i, (s.first_due + 7 * i) + time '23:59:59',
			       'reviewed', (s.first_due + 7 * i) + time '19:30', (s.first_due + 7 * i + 2) + time '09:00'
			FROM s, generate_series(0, $3::int - 1) i
			RETURNING id, client_id, exercise_id, submitted_at, due_on),
		sub AS (
			INSERT INTO submissions (assignment_id, client_id, answers, submitted_at, form_token)
			SELECT a.id, a.client_id, `+answers+`, a.submitted_at, gen_random_uuid()
			FROM a CROSS JOIN LATERAL (SELECT (a.due_on - (current_date + $2::int)) / 7 AS i) n
			RETURNING id, assignment_id, client_id, answers, submitted_at),
		tv AS (
			INSERT INTO tracked_values (submission_id, client_id, exercise_id, field_key, value, recorded_at)
			SELECT sub.id, sub.client_id, a.exercise_id, k, (sub.answers->k->>0)::int, sub.submitted_at
			FROM sub JOIN a ON a.id = sub.assignment_id CROSS JOIN unnest($5::text[]) k)
		INSERT INTO feedback (assignment_id, author_id, body, created_at, updated_at, seen_at)
		SELECT a.id, s.assigned_by,
		       'Thank you for writing this down. Notice what changed between the first feeling and the balanced view; we can look at it together next time.',
		       a.submitted_at + interval '2 days', a.submitted_at + interval '2 days', a.submitted_at + interval '3 days'
		FROM a, s WHERE (a.due_on - s.first_due) % 14 = 0`, args...)
	if err != nil {
		return fmt.Errorf("seed weekly %s history: %w", key, err)
	}
	return nil
}

// signInAll signs every email in with password through the server at
// base, a few at a time (each is an argon2id verification), and returns
// the session cookies in the same order.
func signInAll(ctx context.Context, base, password string, emails []string) ([]string, error) {
	cookies := make([]string, len(emails))
	errs := make([]error, len(emails))
	next := make(chan int)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for i := range next {
				cookies[i], errs[i] = signIn(ctx, base, emails[i], password)
			}
		})
	}
	for i := range emails {
		next <- i
	}
	close(next)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			// The account's position, never its email: logs carry no
			// addresses, even made-up ones.
			return nil, fmt.Errorf("sign in account %d of %d: %w", i+1, len(emails), err)
		}
	}
	return cookies, nil
}

func signIn(ctx context.Context, base, email, password string) (string, error) {
	c := &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/signin",
		strings.NewReader(url.Values{"email": {email}, "password": {password}}.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	_ = resp.Body.Close()
	for _, ck := range resp.Cookies() {
		if strings.HasSuffix(ck.Name, "trellis_session") {
			return ck.Name + "=" + ck.Value, nil
		}
	}
	return "", fmt.Errorf("status %d, no session", resp.StatusCode)
}

// get is a scenario that GETs path as the user whose cookie cookie(worker)
// gives and expects 200 with contentType.
func get(name, base, contentType string, path, cookie func(worker int) string) loadtest.Scenario {
	return loadtest.Scenario{Name: name, Do: func(ctx context.Context, c *http.Client, worker int) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+path(worker), nil)
		if err != nil {
			return err
		}
		req.Header.Set("Cookie", cookie(worker))
		return loadtest.ExpectType(c, req, http.StatusOK, contentType)
	}}
}

func fixed(s string) func(int) string { return func(int) string { return s } }

// signedIn is the demo practice with everyone signed in.
type signedIn struct {
	*demoPractice
	therapistCookie string
	clientCookies   []string
}

func (p *signedIn) dashboard(base string) loadtest.Scenario {
	return get(fmt.Sprintf("therapist dashboard (%d clients)", len(p.clients)), base, "text/html", fixed("/therapist"), fixed(p.therapistCookie))
}

func (p *signedIn) inbox(base string) loadtest.Scenario {
	return get("therapist inbox", base, "text/html", fixed("/therapist/inbox"), fixed(p.therapistCookie))
}

func (p *signedIn) progressPage(base string) loadtest.Scenario {
	return get("progress page (12 weeks)", base, "text/html", fixed(fmt.Sprintf("/therapist/clients/%d/progress", p.pdfClient)), fixed(p.therapistCookie))
}

// progressPDF asks for the client's PDF progress summary over the months
// of history they have, with every reflection in it (no pick), posted as
// the report page's form does.
func (p *signedIn) progressPDF(base string) loadtest.Scenario {
	to := time.Now()
	from := to.AddDate(0, 0, -7*pdfWeeks)
	path := fmt.Sprintf("/therapist/clients/%d/progress.pdf", p.pdfClient)
	form := url.Values{"from": {from.Format(time.DateOnly)}, "to": {to.Format(time.DateOnly)}}.Encode()
	return loadtest.Scenario{Name: fmt.Sprintf("PDF progress summary (%d weeks)", pdfWeeks), Do: func(ctx context.Context, c *http.Client, _ int) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+path, strings.NewReader(form))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Cookie", p.therapistCookie)
		return loadtest.ExpectType(c, req, http.StatusOK, "application/pdf")
	}}
}

func (p *signedIn) clientHome(base string) loadtest.Scenario {
	return get("client home", base, "text/html", fixed("/home"), func(w int) string { return p.clientCookies[w%len(p.clientCookies)] })
}

// clientSubmit sends a complete weekly check-in, with a fresh form token
// each time, as each worker's own client: every request stores a version.
func (p *signedIn) clientSubmit(base string) loadtest.Scenario {
	return loadtest.Scenario{Name: "client submit (check-in)", Do: func(ctx context.Context, c *http.Client, worker int) error {
		i := worker % len(p.clientCookies)
		form := url.Values{"op": {"send"}, "form_token": {reflection.NewFormToken()}, "a.note": {"A steadier week; we talked on Sunday."}}
		for _, k := range []string{"open_communication", "respect", "consistency", "empathy", "forgiveness", "overall"} {
			form.Set("a."+k, strconv.Itoa(3+worker%7))
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/home/assignments/"+strconv.FormatInt(p.dueToday[i], 10), strings.NewReader(form.Encode()))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Cookie", p.clientCookies[i])
		return loadtest.Expect(c, req, http.StatusSeeOther)
	}}
}
