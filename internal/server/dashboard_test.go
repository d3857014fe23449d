package server_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/trellis-app/trellis/internal/assignment"
	"github.com/trellis-app/trellis/internal/testkit"
)

// dashboardQueries counts the statements one dashboard request sends.
func dashboardQueries(t testing.TB, a *testkit.App, s *testkit.Session) int64 {
	t.Helper()
	before := a.Queries.Count()
	r := s.Get("/therapist")
	if r.Code != http.StatusOK {
		t.Fatalf("dashboard = %d", r.Code)
	}
	return a.Queries.Count() - before
}

func TestDashboardQueryCountDoesNotGrowWithTheCaseload(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	s := a.Login(t, w.Therapist)
	small := dashboardQueries(t, a, s)
	a.SeedCaseload(t, w.Therapist, 60, 20)
	large := dashboardQueries(t, a, s)
	if small != large {
		t.Fatalf("dashboard sent %d statements with 2 clients and %d with 62: it must not grow with the caseload", small, large)
	}
	// Session load, the principal (user and practice, one statement), the
	// two dashboard queries, the moves of clients to and from the
	// therapist (one statement), reaching clients (missed runs and failed
	// emails, one statement) and the invitations not yet taken up; a
	// small ceiling guards against a later change adding a query per
	// section, or loading the practice again.
	if large > 7 {
		t.Errorf("dashboard sends %d statements; expected at most 7", large)
	}
	t.Logf("dashboard: %d SQL statements per request at any caseload size", large)
}

func TestDashboardShowsCountsCheckInAndWhatNeedsAttention(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	a.SeedCaseload(t, w.Therapist, 3, 10)
	s := a.Login(t, w.Therapist)
	body := s.Get("/therapist").Body.String()

	// Each seeded client: 1 open, 1 overdue, 1 waiting; check-in recorded.
	row := rowOf(t, between(body, "<tbody>", "</tbody>"), "Seed Client 0001")
	for _, want := range []string{"<td>1</td>", `<span class="badge warn">1</span>`, `<span class="badge">1</span>`, " / 10 "} {
		if !strings.Contains(row, want) {
			t.Errorf("row lacks %s:\n%s", want, row)
		}
	}
	// Needs attention: new submissions first, then overdue work.
	att := between(body, `<ul class="attention">`, `</ul>`)
	if strings.Count(att, "attention-submitted") != 3 || strings.Count(att, "attention-overdue") != 3 {
		t.Errorf("attention list:\n%s", att)
	}
	if strings.Index(att, "attention-overdue") < strings.LastIndex(att, "attention-submitted") {
		t.Error("overdue items listed before new submissions")
	}
	// Another therapist sees none of it.
	other := a.Login(t, w.Therapist2).Get("/therapist").Body.String()
	if strings.Contains(other, "Seed Client") {
		t.Error("another therapist's dashboard shows this caseload")
	}
}

func TestDashboardSearchAndSort(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	a.SeedCaseload(t, w.Therapist, 2, 4)
	s := a.Login(t, w.Therapist)
	// The name searched for travels in a POST and stays in the session,
	// never in a URL (R20, #15 finding 8).
	search := func(form url.Values) string {
		t.Helper()
		r := s.PostForm("/therapist/search", form)
		loc := r.Header().Get("Location")
		if r.Code != http.StatusSeeOther || strings.Contains(loc, "q=") {
			t.Fatalf("search = %d to %q, want 303 with no name in the URL", r.Code, loc)
		}
		return s.Get(strings.Split(loc, "#")[0]).Body.String()
	}
	found := search(url.Values{"q": {"ελένη"}})
	caseload := between(found, "<tbody>", "</tbody>")
	if !strings.Contains(caseload, w.Client.DisplayName) || strings.Contains(caseload, "Seed Client") || strings.Contains(caseload, w.Client2.DisplayName) {
		t.Errorf("search by a Greek name in lower case:\n%s", caseload)
	}
	if strings.Contains(found, "q=") {
		t.Error("a link on the searched dashboard carries the name in its URL")
	}
	if none := search(url.Values{"q": {"%"}}); !strings.Contains(none, "No client matches") {
		t.Error("a % in the search matched everyone: LIKE wildcards are not escaped")
	}
	if all := between(search(url.Values{"q": {"%"}, "clear": {"1"}}), "<tbody>", "</tbody>"); !strings.Contains(all, "Seed Client") || !strings.Contains(all, w.Client2.DisplayName) {
		t.Error("Show every client does not clear the search")
	}
	if r := s.Get("/therapist?q=" + url.QueryEscape("ελένη")); strings.Contains(between(r.Body.String(), "<tbody>", "</tbody>"), w.Client.DisplayName) &&
		!strings.Contains(between(r.Body.String(), "<tbody>", "</tbody>"), "Seed Client") {
		t.Error("a name in the URL still filters the caseload")
	}
	byOverdue := between(s.Get("/therapist?sort=overdue").Body.String(), "<tbody>", "</tbody>")
	if strings.Index(byOverdue, "Seed Client") > strings.Index(byOverdue, w.Client.DisplayName) {
		t.Error("sort=overdue does not put clients with overdue work first")
	}
	if r := s.Get("/therapist?sort=%3BDROP+TABLE+users"); r.Code != http.StatusOK {
		t.Errorf("unknown sort = %d, want the default order", r.Code)
	}
}

func rowOf(t *testing.T, body, name string) string {
	t.Helper()
	i := strings.Index(body, name)
	if i < 0 {
		t.Fatalf("%s not on the page", name)
	}
	j := strings.Index(body[i:], "</tr>")
	return body[i : i+j]
}

func between(s, from, to string) string {
	i := strings.Index(s, from)
	if i < 0 {
		return ""
	}
	j := strings.Index(s[i:], to)
	if j < 0 {
		return s[i:]
	}
	return s[i : i+j]
}

// BenchmarkDashboard loads the dashboard of a therapist with 200 clients
// and a year of weekly check-ins each (10,600 occurrences, 10,000
// submissions, 60,000 tracked values).
func BenchmarkDashboard(b *testing.B) {
	a := testkit.NewApp(b)
	w := a.Seed(b)
	a.SeedCaseload(b, w.Therapist, 198, 52)
	if _, err := a.DB.Exec(`ANALYZE`); err != nil {
		b.Fatal(err)
	}
	s := a.Login(b, w.Therapist)
	queries := dashboardQueries(b, a, s)
	b.Run("request", func(b *testing.B) {
		for b.Loop() {
			if r := s.Get("/therapist"); r.Code != http.StatusOK {
				b.Fatalf("dashboard = %d", r.Code)
			}
		}
		b.ReportMetric(float64(queries), "queries/op")
	})
	// The ceiling: the same page rendered from the same data held in
	// memory, no session, no statement (#17 asks the request to reach
	// half of it).
	d, err := assignment.NewService(a.AppDB).Dashboard(context.Background(), w.Therapist.Actor(), "name", "")
	if err != nil || len(d.Caseload) != 200 {
		b.Fatalf("dashboard data: %d rows (%v)", len(d.Caseload), err)
	}
	b.Run("render-only", func(b *testing.B) {
		for b.Loop() {
			if _, err := a.Server.RenderDashboard(d, w.Therapist, time.UTC); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// A client whose last pieces of homework (as many as the practice set)
// all went unsent is shown, with the run's length; one whose latest was
// sent is not. An email to a client that was given up on is shown too.
func TestDashboardShowsMissedInARowAndEmailsThatFailed(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	th := a.Login(t, w.Therapist)
	for range 3 {
		assign(t, th, checkInID(t, a), w.Client.ID, url.Values{"first_due": {todayUTC()}})
		assign(t, th, checkInID(t, a), w.Client2.ID, url.Values{"first_due": {todayUTC()}})
	}
	// Homework cannot be assigned in the past: move it there, a day apart.
	if _, err := a.DB.Exec(`UPDATE assignments a SET due_on = due_on - n::int, due_at = due_at - n * interval '1 day'
		FROM (SELECT id, row_number() OVER (PARTITION BY client_id ORDER BY id) + 1 AS n FROM assignments) o WHERE o.id = a.id`); err != nil {
		t.Fatal(err)
	}
	// Client2 sent the latest.
	if _, err := a.DB.Exec(`UPDATE assignments SET status = 'submitted', submitted_at = now()
		WHERE id = (SELECT id FROM assignments WHERE client_id = $1 ORDER BY due_at DESC LIMIT 1)`, w.Client2.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := a.DB.Exec(`INSERT INTO email_outbox (practice_id, user_id, kind, status, attempts, last_error) VALUES ($1, $2, 'reminder', 'failed', 8, '451')`,
		w.PracticeID, w.Client2.ID); err != nil {
		t.Fatal(err)
	}
	body := th.Get("/therapist").Body.String()
	missed := between(body, "Missed 3 or more in a row", "</ul>")
	if !strings.Contains(missed, w.Client.DisplayName) || !strings.Contains(missed, "3 missed") || strings.Contains(missed, w.Client2.DisplayName) {
		t.Errorf("missed in a row:\n%s", missed)
	}
	failed := between(body, "Emails that could not be sent", "</ul>")
	if !strings.Contains(failed, w.Client2.DisplayName) || !strings.Contains(failed, "a reminder") {
		t.Errorf("failed emails:\n%s", failed)
	}
	if _, err := a.DB.Exec(`UPDATE practices SET missed_in_a_row = 4 WHERE id = $1`, w.PracticeID); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(th.Get("/therapist").Body.String(), "Missed 4 or more in a row") {
		t.Error("a run of 3 is shown under a threshold of 4")
	}
	// Another therapist sees none of it.
	other := a.Login(t, w.Therapist2).Get("/therapist").Body.String()
	if strings.Contains(other, w.Client.DisplayName) || strings.Contains(other, "Emails that could not be sent") {
		t.Error("another therapist sees these clients")
	}
}
