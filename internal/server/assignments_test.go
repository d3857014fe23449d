package server_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trellis-app/trellis/internal/testkit"
)

// The test practice's time zone is UTC.
func tomorrow() string { return time.Now().UTC().AddDate(0, 0, 1).Format(time.DateOnly) }

func checkInID(t *testing.T, a *testkit.App) int64 {
	t.Helper()
	var id int64
	if err := a.DB.Get(&id, `SELECT id FROM exercises WHERE builtin_key = 'weekly-trust-check-in'`); err != nil {
		t.Fatal(err)
	}
	return id
}

func dueDates(t *testing.T, a *testkit.App, clientID int64, status string) []string {
	t.Helper()
	var out []string
	if err := a.DB.Select(&out, `SELECT to_char(due_on, 'YYYY-MM-DD') FROM assignments WHERE client_id = $1 AND status = $2 ORDER BY due_on`, clientID, status); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestAssignWeeklyToSeveralClientsMakesOneSeriesEach(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	s := a.Login(t, w.Therapist)
	r := s.PostForm("/therapist/assign", url.Values{
		"exercise": {strconv.FormatInt(checkInID(t, a), 10)}, "clients": {strconv.FormatInt(w.Client.ID, 10), strconv.FormatInt(w.Client2.ID, 10)},
		"note": {"Sunday evenings work well — Ελένη"}, "recurrence": {"weekly"}, "first_due": {tomorrow()}, "end": {"count"}, "count": {"5"},
	})
	if r.Code != http.StatusSeeOther || r.Header().Get("Location") != "/therapist" {
		t.Fatalf("assign = %d %q", r.Code, r.Header().Get("Location"))
	}
	for _, c := range []int64{w.Client.ID, w.Client2.ID} {
		got := dueDates(t, a, c, "open")
		if len(got) != 5 {
			t.Fatalf("client %d has %d occurrences, want 5", c, len(got))
		}
		first, _ := time.Parse(time.DateOnly, got[0])
		last, _ := time.Parse(time.DateOnly, got[4])
		if got[0] != tomorrow() || last.Sub(first) != 28*24*time.Hour {
			t.Errorf("client %d due %v, want weekly from tomorrow", c, got)
		}
	}
	var series, audited int
	_ = a.DB.Get(&series, `SELECT count(*) FROM assignment_series WHERE note = 'Sunday evenings work well — Ελένη'`)
	_ = a.DB.Get(&audited, `SELECT count(*) FROM audit_log WHERE action = 'assignment.created'`)
	if series != 2 || audited != 2 {
		t.Errorf("series = %d, audit rows = %d, want 2 each", series, audited)
	}
	page := s.Get("/therapist/clients/" + strconv.FormatInt(w.Client.ID, 10)).Body.String()
	// The series is one row: the next occurrence, the four after it folded.
	table := between(page, "<tbody>", "</tbody>")
	if n := strings.Count(table, "<tr>"); n != 1 || !strings.Contains(table, "Then 4 more, until ") {
		t.Errorf("client page lists %d rows for the weekly series, want 1 with 4 more folded\n%s", n, table)
	}
}

func TestAssignEveryNDaysUntilADate(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	s := a.Login(t, w.Therapist)
	start := time.Now().UTC().AddDate(0, 0, 2)
	assign(t, s, checkInID(t, a), w.Client.ID, url.Values{"recurrence": {"every_n_days"}, "interval_days": {"4"},
		"first_due": {start.Format(time.DateOnly)}, "end": {"until"}, "until": {start.AddDate(0, 0, 13).Format(time.DateOnly)}})
	got := dueDates(t, a, w.Client.ID, "open")
	want := []string{}
	for i := 0; i <= 12; i += 4 {
		want = append(want, start.AddDate(0, 0, i).Format(time.DateOnly))
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("due %v, want %v", got, want)
	}
}

func TestAssignFormKeepsInputAndExplainsEachProblem(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	s := a.Login(t, w.Therapist)
	r := s.PostForm("/therapist/assign", url.Values{"exercise": {""}, "note": {"Kept note ✓"}, "recurrence": {"every_n_days"},
		"interval_days": {"0"}, "first_due": {"2020-01-01"}, "end": {"count"}, "count": {"500"}})
	if r.Code != http.StatusUnprocessableEntity {
		t.Fatalf("bad assign = %d", r.Code)
	}
	body := r.Body.String()
	for _, id := range []string{"exercise-error", "clients-error", "first_due-error", "interval_days-error", "count-error"} {
		if !strings.Contains(body, id) {
			t.Errorf("no message %s", id)
		}
	}
	if !strings.Contains(body, "Kept note ✓") || !strings.Contains(body, `value="every_n_days" checked`) {
		t.Error("input not kept")
	}
	bad := s.PostForm("/therapist/assign", url.Values{"exercise": {"1"}, "clients": {strconv.FormatInt(w.Client.ID, 10)}, "recurrence": {"once"}, "first_due": {"next tuesday"}})
	if bad.Code != http.StatusUnprocessableEntity || !strings.Contains(bad.Body.String(), "first_due-error") {
		t.Errorf("unparseable date = %d", bad.Code)
	}
	var n int
	if err := a.DB.Get(&n, `SELECT count(*) FROM assignment_series`); err != nil || n != 0 {
		t.Errorf("invalid forms created %d series", n)
	}
}

func TestChangingASeriesMovesItsEndAndKeepsSubmittedWork(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	s := a.Login(t, w.Therapist)
	assign(t, s, checkInID(t, a), w.Client.ID, url.Values{"recurrence": {"weekly"}, "end": {"count"}, "count": {"6"}})
	var seriesID int64
	if err := a.DB.Get(&seriesID, `SELECT id FROM assignment_series WHERE client_id = $1`, w.Client.ID); err != nil {
		t.Fatal(err)
	}
	// The client sends in the last one early (as if a submission came in).
	if _, err := a.DB.Exec(`UPDATE assignments SET status = 'submitted', submitted_at = now()
		WHERE id = (SELECT max(id) FROM assignments WHERE series_id = $1)`, seriesID); err != nil {
		t.Fatal(err)
	}
	path := "/therapist/series/" + strconv.FormatInt(seriesID, 10)
	if r := s.PostForm(path, url.Values{"note": {"Shorter now"}, "end": {"count"}, "count": {"3"}}); r.Code != http.StatusSeeOther {
		t.Fatalf("change = %d\n%s", r.Code, r.Body.String())
	}
	if open, cancelled, sent := dueDates(t, a, w.Client.ID, "open"), dueDates(t, a, w.Client.ID, "cancelled"), dueDates(t, a, w.Client.ID, "submitted"); len(open) != 3 || len(cancelled) != 2 || len(sent) != 1 {
		t.Errorf("after shortening to 3: open %v, cancelled %v, submitted %v; want 3 open, 2 cancelled, the submitted one kept", open, cancelled, sent)
	}
	// Lengthen again: new dates are added, cancelled ones are not revived
	// twice (one row per date).
	if r := s.PostForm(path, url.Values{"note": {"Longer"}, "end": {"count"}, "count": {"8"}}); r.Code != http.StatusSeeOther {
		t.Fatalf("change = %d", r.Code)
	}
	var total int
	_ = a.DB.Get(&total, `SELECT count(*) FROM assignments WHERE series_id = $1`, seriesID)
	if total != 8 {
		t.Errorf("series has %d occurrences after lengthening to 8, want 8 (one per date)", total)
	}
	bad := s.PostForm(path, url.Values{"note": {"x"}, "end": {"until"}, "until": {"2020-01-01"}})
	if bad.Code != http.StatusUnprocessableEntity || !strings.Contains(bad.Body.String(), "until-error") {
		t.Errorf("end in the past = %d", bad.Code)
	}
	// Cancelling the rest keeps the submitted work.
	if r := s.PostForm(path+"/cancel", nil); r.Code != http.StatusSeeOther {
		t.Fatalf("cancel series = %d", r.Code)
	}
	if open := dueDates(t, a, w.Client.ID, "open"); len(open) != 0 {
		t.Errorf("open after cancelling the series: %v", open)
	}
	if sent := dueDates(t, a, w.Client.ID, "submitted"); len(sent) != 1 {
		t.Errorf("submitted work after cancelling: %v", sent)
	}
}

func TestCancellingOneOccurrence(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	s := a.Login(t, w.Therapist)
	assign(t, s, checkInID(t, a), w.Client.ID, nil)
	var id int64
	if err := a.DB.Get(&id, `SELECT id FROM assignments WHERE client_id = $1`, w.Client.ID); err != nil {
		t.Fatal(err)
	}
	path := "/therapist/assignments/" + strconv.FormatInt(id, 10) + "/cancel"
	if r := s.PostForm(path, nil); r.Code != http.StatusSeeOther {
		t.Fatalf("cancel = %d", r.Code)
	}
	if got := dueDates(t, a, w.Client.ID, "cancelled"); len(got) != 1 {
		t.Errorf("cancelled = %v", got)
	}
	// Cancelling again says why, and changes nothing.
	r := s.PostForm(path, nil)
	if r.Code != http.StatusSeeOther || !strings.Contains(s.Get(r.Header().Get("Location")).Body.String(), "Only work that has not been sent in") {
		t.Errorf("second cancel = %d", r.Code)
	}
}

func timeParse(s string) (time.Time, error) { return time.Parse(time.DateOnly, s) }
