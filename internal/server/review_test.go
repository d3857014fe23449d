package server_test

// Review of sent work from the outside: private notes reach their author
// and nobody else, never a client's page or an admin's (R14); feedback
// reaches its client under what they sent, and every change to it is
// audited (R24); the inbox's order, badges, filters and keyset paging; a
// changed submission read version by version (R25); feedback and notes
// validated beside the field with the text kept (R21); and the inbox's cost
// per page, which must not grow with the caseload.

import (
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trellis-app/trellis/internal/account"
	"github.com/trellis-app/trellis/internal/testkit"
)

// Distinctive texts, each with a marker in a script the pages' own words
// never use, so a search cannot miss a shortened or reformatted copy.
const (
	privateWorkNote   = "ΙΔΙΩΤΙΚΟ-7731 Ελένη avoids talking about money; ask about her father (Дмитрий) next time."
	privateClientNote = "ЗАМЕТКА-4410 Η Ελένη φοβάται τις συγκρούσεις. Она боится конфликтов дома."
	reviewFeedback    = "ΣΧΟΛΙΟ-2208 Ευχαριστώ, Ελένη: writing this down took courage. Спасибо за честность."
)

// reviewWorld is the matrixWorld with w.Submitted: w.Client's weekly
// check-in, sent through the work form.
func reviewWorld(t *testing.T, a *testkit.App) matrixWorld {
	t.Helper()
	w := seedMatrix(t, a, true)
	seedSubmission(t, a, &w)
	return w
}

func reviewPath(id int64) string { return "/therapist/work/" + strconv.FormatInt(id, 10) }

func clientPath(id int64) string { return "/therapist/clients/" + strconv.FormatInt(id, 10) }

// seeOtherTo posts form and expects a 303 to want (path and query; a
// #fragment is not compared).
func seeOtherTo(t *testing.T, s *testkit.Session, path string, form url.Values, want string) {
	t.Helper()
	res := s.PostForm(path, form)
	if res.Code != http.StatusSeeOther || !sameLocation(res.Header().Get("Location"), want) {
		t.Fatalf("POST %s: status %d, Location %q; want 303 to %s\n%s", path, res.Code, res.Header().Get("Location"), want, res.Body.String())
	}
}

// page GETs path and expects want; it returns the body.
func page(t *testing.T, s *testkit.Session, path string, want int) string {
	t.Helper()
	res := s.Get(path)
	if res.Code != want {
		t.Fatalf("GET %s: status %d, want %d\n%s", path, res.Code, want, res.Body.String())
	}
	return res.Body.String()
}

// leaked lists the texts found in body, as written or as escaped for HTML,
// or by their marker (the first word).
func leaked(body string, texts ...string) []string {
	var out []string
	for _, s := range texts {
		marker, _, _ := strings.Cut(s, " ")
		if strings.Contains(body, s) || strings.Contains(body, html.EscapeString(s)) || strings.Contains(body, marker) {
			out = append(out, marker)
		}
	}
	return out
}

var feedbackUnderAnswersRe = regexp.MustCompile(`(?s)<dl class="sent-answers">.*?</dl>\s*<section class="feedback"[^>]*>.*?<div class="feedback-body">(.*?)</div>`)

// feedbackOnClientPage is the feedback a client's work page shows under
// their sent answers ("" for none), and whether the page shows a feedback
// section anywhere at all.
func feedbackOnClientPage(body string) (string, bool) {
	m := feedbackUnderAnswersRe.FindStringSubmatch(body)
	if m == nil {
		return "", strings.Contains(body, `class="feedback"`)
	}
	return html.UnescapeString(m[1]), true
}

var workItemRe = regexp.MustCompile(`(?s)<li class="card work-item">.*?</li>`)

// homeItem is the client's home page entry for an assignment ("" when it is
// not listed).
func homeItem(body string, id int64) string {
	link := fmt.Sprintf(`href="%s"`, workPathOf(id))
	for _, li := range workItemRe.FindAllString(body, -1) {
		if strings.Contains(li, link) {
			return li
		}
	}
	return ""
}

const newFeedbackBadge = `<span class="badge new">New feedback</span>`

// inboxRow is one row of the inbox as drawn.
type inboxRow struct {
	ID     int64
	Client string
	Title  string // with "(version n)" when changed
	Status string // the badges' text, e.g. "Flagged: look New Discuss"
}

var (
	inboxRowRe = regexp.MustCompile(`(?s)<tr>\s*<th scope="row">(.*?)</th>\s*<td><a href="/therapist/work/([0-9]+)">(.*?)</td>\s*<td>.*?</td>\s*<td>(.*?)</td>\s*</tr>`)
	tagRe      = regexp.MustCompile(`<[^>]*>`)
	spacesRe   = regexp.MustCompile(`\s+`)
	moreRe     = regexp.MustCompile(`<a class="button" href="([^"]*)">More</a>`)
)

func plainText(s string) string {
	return strings.TrimSpace(spacesRe.ReplaceAllString(html.UnescapeString(tagRe.ReplaceAllString(s, " ")), " "))
}

// inboxRows reads the rows of an inbox page and its "More" link ("" when
// it has none).
func inboxRows(t testing.TB, body string) ([]inboxRow, string) {
	t.Helper()
	var rows []inboxRow
	for _, m := range inboxRowRe.FindAllStringSubmatch(body, -1) {
		id, err := strconv.ParseInt(m[2], 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, inboxRow{ID: id, Client: plainText(m[1]), Title: plainText(m[3]), Status: plainText(m[4])})
	}
	if n := strings.Count(body, `<a href="/therapist/work/`); n != len(rows) {
		t.Fatalf("the inbox links to %d submissions but %d rows could be read\n%s", n, len(rows), body)
	}
	var more string
	if m := moreRe.FindStringSubmatch(body); m != nil {
		more = html.UnescapeString(m[1])
	}
	return rows, more
}

func inboxIDs(rows []inboxRow) []int64 {
	out := make([]int64, len(rows))
	for i, r := range rows {
		out[i] = r.ID
	}
	return out
}

func inboxRowOf(rows []inboxRow, id int64) (inboxRow, bool) {
	for _, r := range rows {
		if r.ID == id {
			return r, true
		}
	}
	return inboxRow{}, false
}

// inboxPageSize is how many rows an inbox page shows.
const inboxPageSize = 25

// walkInbox follows the "More" links from start to the last page and
// returns every row in the order shown. Every page but the last is full;
// the last has no "More".
func walkInbox(t *testing.T, s *testkit.Session, start string) []inboxRow {
	t.Helper()
	var all []inboxRow
	next := start
	for pageNo := 1; next != ""; pageNo++ {
		if pageNo > 50 {
			t.Fatalf("still paging after 50 pages from %s", start)
		}
		if !strings.HasPrefix(next, "/therapist/inbox") {
			t.Fatalf("page %d's More link leaves the inbox: %q", pageNo-1, next)
		}
		rows, more := inboxRows(t, page(t, s, next, http.StatusOK))
		if len(rows) > inboxPageSize || (more != "" && len(rows) != inboxPageSize) {
			t.Errorf("%s: page %d (%s) has %d rows and More %q; want %d on every page but the last", start, pageNo, next, len(rows), more, inboxPageSize)
		}
		if more != "" && len(rows) == 0 {
			t.Fatalf("%s: page %d is empty but offers More", start, pageNo)
		}
		all = append(all, rows...)
		next = more
	}
	return all
}

// seedSentWork writes n sent occurrences of exercise for client in one new
// weekly series, as bulk SQL (see testkit.SeedCaseload): every third
// reviewed, the others waiting; submitted in pairs that share a timestamp
// (the tie the keyset must break by id), starting at base and an hour
// apart; and the latest version of every one whose id is divisible by 5
// flagged. It returns the new assignments' ids.
func seedSentWork(t *testing.T, a *testkit.App, therapist, client account.User, exercise int64, n int, base time.Time) []int64 {
	t.Helper()
	var ids []int64
	err := a.DB.Select(&ids, `
		WITH s AS (
			INSERT INTO assignment_series (practice_id, client_id, assigned_by, exercise_id, exercise_version, recurrence, first_due, occurrence_count)
			SELECT $1, $2, $3, e.id, e.latest_version, 'weekly', current_date - 7 * $5, $5 FROM exercises e WHERE e.id = $4
			RETURNING id, client_id, exercise_id, exercise_version),
		a AS (
			INSERT INTO assignments (series_id, client_id, exercise_id, exercise_version, due_on, due_at, status, submitted_at, reviewed_at)
			SELECT s.id, s.client_id, s.exercise_id, s.exercise_version, current_date - 7 * g, (current_date - 7 * g) + time '23:59:59',
			       CASE WHEN g % 3 = 0 THEN 'reviewed' ELSE 'submitted' END,
			       $6::timestamptz + (g / 2) * interval '1 hour',
			       CASE WHEN g % 3 = 0 THEN $6::timestamptz + (g / 2) * interval '1 hour' + interval '1 day' END
			FROM s, generate_series(1, $5) g
			RETURNING id, client_id, submitted_at),
		sub AS (
			INSERT INTO submissions (assignment_id, client_id, answers, submitted_at, form_token, flags)
			SELECT a.id, a.client_id, '{"overall": ["6"]}', a.submitted_at, gen_random_uuid(),
			       CASE WHEN a.id % 5 = 0 THEN '{self-harm}'::text[] ELSE '{}'::text[] END
			FROM a
			RETURNING assignment_id)
		SELECT assignment_id FROM sub ORDER BY assignment_id`,
		therapist.PracticeID, client.ID, therapist.ID, exercise, n, base)
	if err != nil {
		t.Fatalf("seed sent work: %v", err)
	}
	if len(ids) != n {
		t.Fatalf("seeded %d sent occurrences, want %d", len(ids), n)
	}
	return ids
}

// sentFact is what the inbox's order and filters depend on, read from the
// database as stored.
type sentFact struct {
	ID          int64     `db:"id"`
	ClientID    int64     `db:"client_id"`
	ExerciseID  int64     `db:"exercise_id"`
	Status      string    `db:"status"`
	SubmittedAt time.Time `db:"submitted_at"`
	Flagged     bool      `db:"flagged"`
}

// sentFacts reads the sent work of these clients; flagged is the latest
// version's flags.
func sentFacts(t *testing.T, a *testkit.App, clients ...int64) []sentFact {
	t.Helper()
	var out []sentFact
	if err := a.DB.Select(&out, `SELECT a.id, a.client_id, a.exercise_id, a.status, a.submitted_at,
		(SELECT s.flags <> '{}' FROM submissions s WHERE s.assignment_id = a.id ORDER BY s.version DESC LIMIT 1) AS flagged
		FROM assignments a WHERE a.client_id = ANY($1) AND a.status IN ('submitted', 'reviewed')`, clients); err != nil {
		t.Fatal(err)
	}
	return out
}

// inboxOrder is the documented order: flagged and waiting, then waiting,
// then reviewed; newest first within each, the larger id first on a tie.
func inboxOrder(facts []sentFact) []int64 {
	rank := func(f sentFact) int {
		switch {
		case f.Status == "submitted" && f.Flagged:
			return 0
		case f.Status == "submitted":
			return 1
		}
		return 2
	}
	sorted := slices.Clone(facts)
	sort.SliceStable(sorted, func(i, j int) bool {
		a, b := sorted[i], sorted[j]
		if rank(a) != rank(b) {
			return rank(a) < rank(b)
		}
		if !a.SubmittedAt.Equal(b.SubmittedAt) {
			return a.SubmittedAt.After(b.SubmittedAt)
		}
		return a.ID > b.ID
	})
	out := make([]int64, len(sorted))
	for i, f := range sorted {
		out[i] = f.ID
	}
	return out
}

// A therapist's private notes, on a submission and on the client, reach
// nobody but their author: no client page, no admin page or audit entry,
// no colleague, not even one who takes the client over (R14). The
// feedback, by contrast, does reach the client, under what they sent.
func TestPrivateNotesNeverAppearOnClientPages(t *testing.T) {
	a := testkit.NewApp(t)
	w := reviewWorld(t, a)
	id := w.Submitted
	th := a.Login(t, w.Therapist)
	seeOtherTo(t, th, reviewPath(id)+"/notes", url.Values{"note": {privateWorkNote}}, reviewPath(id))
	seeOtherTo(t, th, clientPath(w.Client.ID)+"/notes", url.Values{"note": {privateClientNote}}, clientPath(w.Client.ID))
	seeOtherTo(t, th, reviewPath(id)+"/feedback", url.Values{"feedback": {reviewFeedback}}, reviewPath(id))
	notes := []string{privateWorkNote, privateClientNote}

	// The control: the author reads both notes where they wrote them, so
	// the searches below would find them on a page that showed them.
	if got := leaked(page(t, th, reviewPath(id), http.StatusOK), privateWorkNote, reviewFeedback); len(got) != 2 {
		t.Fatalf("the author's submission page shows %v of the note and the feedback, want both", got)
	}
	if got := leaked(page(t, th, clientPath(w.Client.ID), http.StatusOK), notes...); len(got) != 2 {
		t.Fatalf("the author's client page shows %v of the two notes, want both", got)
	}
	if n := countOf(t, a, `SELECT count(*) FROM notes WHERE author_id = $1 AND client_id = $2`, w.Therapist.ID, w.Client.ID); n != 2 {
		t.Fatalf("%d notes stored, want 2", n)
	}

	t.Run("client", func(t *testing.T) {
		c := a.Login(t, w.Client)
		if li := homeItem(page(t, c, "/home", http.StatusOK), id); !strings.Contains(li, newFeedbackBadge) {
			t.Errorf("before the client has read it, home shows the check-in without the New feedback badge:\n%s", li)
		}
		pages := []string{"/home", "/home/history", workPathOf(id), workPathOf(id) + "?sent=1", workPathOf(id) + "?change=1", "/account/password"}
		var open []int64
		if err := a.DB.Select(&open, `SELECT id FROM assignments WHERE client_id = $1 AND status = 'open' ORDER BY id`, w.Client.ID); err != nil || len(open) != 3 {
			t.Fatalf("the client's open occurrences: %v (err %v), want the series' other 3", open, err)
		}
		for _, o := range open {
			pages = append(pages, workPathOf(o))
		}
		for _, p := range pages {
			body := page(t, c, p, http.StatusOK)
			if got := leaked(body, notes...); len(got) > 0 {
				t.Errorf("%s shows the therapist's private notes %v", p, got)
			}
			if p == workPathOf(id) || p == workPathOf(id)+"?sent=1" {
				if fb, _ := feedbackOnClientPage(body); fb != reviewFeedback {
					t.Errorf("%s shows %q as feedback under the sent answers, want %q", p, fb, reviewFeedback)
				}
				if !strings.Contains(body, html.EscapeString(matrixSentNote)) {
					t.Errorf("%s does not show what the client sent", p)
				}
			}
		}
		if li := homeItem(page(t, c, "/home", http.StatusOK), id); li == "" || strings.Contains(li, "New feedback") {
			t.Errorf("after the client read the feedback, home shows the check-in as:\n%s", li)
		}
		if n := countOf(t, a, `SELECT count(*) FROM feedback WHERE assignment_id = $1 AND seen_at IS NOT NULL`, id); n != 1 {
			t.Errorf("the feedback is not marked seen after the client read it")
		}
	})

	t.Run("other clients", func(t *testing.T) {
		for _, u := range []account.User{w.Client2, w.OtherClient} {
			s := a.Login(t, u)
			for _, p := range []string{"/home", "/home/history"} {
				if got := leaked(page(t, s, p, http.StatusOK), privateWorkNote, privateClientNote, reviewFeedback); len(got) > 0 {
					t.Errorf("%s as %s shows %v", p, u.Email, got)
				}
			}
		}
	})

	t.Run("admin", func(t *testing.T) {
		ad := a.Login(t, w.Admin)
		for _, p := range []string{"/admin/users", "/admin/audit", "/admin/audit?action=note.added", "/admin/audit?action=feedback.saved",
			fmt.Sprintf("/admin/audit?user=%d", w.Therapist.ID), "/admin/practice", fmt.Sprintf("/admin/users/%d/transfer", w.Client.ID)} {
			if got := leaked(page(t, ad, p, http.StatusOK), privateWorkNote, privateClientNote, reviewFeedback); len(got) > 0 {
				t.Errorf("the admin's %s shows %v", p, got)
			}
		}
		// The entries are there (R24), without the words.
		if n := strings.Count(page(t, ad, "/admin/audit?action=note.added", http.StatusOK), `data-action="note.added"`); n != 2 {
			t.Errorf("the admin's audit log lists %d note.added entries, want 2", n)
		}
		var details []string
		if err := a.DB.Select(&details, `SELECT concat_ws(' ', action, target_type, detail::text) FROM audit_log`); err != nil {
			t.Fatal(err)
		}
		for _, d := range details {
			if got := leaked(d, privateWorkNote, privateClientNote, reviewFeedback); len(got) > 0 {
				t.Errorf("an audit entry holds %v: %s", got, d)
			}
		}
	})

	t.Run("another therapist", func(t *testing.T) {
		t2 := a.Login(t, w.Therapist2)
		for p, want := range map[string]int{reviewPath(id): http.StatusNotFound, clientPath(w.Client.ID): http.StatusNotFound,
			"/therapist": http.StatusOK, "/therapist/inbox": http.StatusOK, clientPath(w.OtherClient.ID): http.StatusOK} {
			body := page(t, t2, p, want)
			if got := leaked(body, privateWorkNote, privateClientNote, reviewFeedback); len(got) > 0 {
				t.Errorf("Therapist2's %s shows %v", p, got)
			}
			if strings.Contains(body, `href="`+reviewPath(id)+`"`) {
				t.Errorf("Therapist2's %s links to Therapist's client's submission", p)
			}
		}

		// Even when the client moves to them, the notes stay their
		// author's: the new therapist reads the work and the feedback,
		// never the notes.
		moveClient(t, a, w.World, w.Client, w.Therapist2)
		work := page(t, t2, reviewPath(id), http.StatusOK)
		if got := leaked(work, reviewFeedback); len(got) != 1 {
			t.Errorf("after the transfer, the new therapist's submission page does not show the feedback")
		}
		for _, p := range []string{reviewPath(id), clientPath(w.Client.ID), "/therapist/inbox"} {
			if got := leaked(page(t, t2, p, http.StatusOK), notes...); len(got) > 0 {
				t.Errorf("after the transfer, the new therapist's %s shows the former therapist's private notes %v", p, got)
			}
		}
		page(t, th, reviewPath(id), http.StatusNotFound)
	})
}

// auditEntry is an audit row about a record.
type auditEntry struct {
	ActorID    int64  `db:"actor_id"`
	TargetType string `db:"target_type"`
	TargetID   int64  `db:"target_id"`
	IP         string `db:"ip"`
	Detail     string `db:"detail"`
}

func auditEntries(t *testing.T, a *testkit.App, action string) []auditEntry {
	t.Helper()
	var out []auditEntry
	if err := a.DB.Select(&out, `SELECT coalesce(actor_id, 0) AS actor_id, coalesce(target_type, '') AS target_type,
		coalesce(target_id, 0) AS target_id, coalesce(host(ip), '') AS ip, detail::text AS detail
		FROM audit_log WHERE action = $1 ORDER BY id`, action); err != nil {
		t.Fatal(err)
	}
	return out
}

// Feedback is audited every time it is saved, edited or withdrawn (who,
// which record, from where, never the words: R24); an edit shows as new to
// the client again, and a withdrawal takes it off the client's page.
func TestFeedbackEditsAndWithdrawalsAreAuditedAndReachTheClient(t *testing.T) {
	a := testkit.NewApp(t)
	w := reviewWorld(t, a)
	id := w.Submitted
	th := a.Login(t, w.Therapist)
	c := a.Login(t, w.Client)
	first := "ΣΧΟΛΙΟ-1111 First thoughts: you noticed the pattern yourself."
	edited := "ΣΧΟΛΙΟ-2222 Edited: you noticed the pattern yourself, twice."
	expectAudit := func(action string, n int) {
		t.Helper()
		got := auditEntries(t, a, action)
		if len(got) != n {
			t.Fatalf("%d %s entries, want %d: %+v", len(got), action, n, got)
		}
		for _, e := range got {
			if e.ActorID != w.Therapist.ID || e.TargetType != "assignment" || e.TargetID != id || e.IP != "192.0.2.10" {
				t.Errorf("%s entry %+v; want Therapist %d on assignment %d from 192.0.2.10", action, e, w.Therapist.ID, id)
			}
			if got := leaked(e.Detail, first, edited); len(got) > 0 {
				t.Errorf("%s entry holds the feedback's words: %s", action, e.Detail)
			}
		}
	}
	clientSees := func() (feedback string, badge bool) {
		t.Helper()
		badge = strings.Contains(homeItem(page(t, c, "/home", http.StatusOK), id), newFeedbackBadge)
		feedback, _ = feedbackOnClientPage(page(t, c, workPathOf(id), http.StatusOK))
		return feedback, badge
	}

	expectAudit("feedback.saved", 0)
	seeOtherTo(t, th, reviewPath(id)+"/feedback", url.Values{"feedback": {first}}, reviewPath(id))
	expectAudit("feedback.saved", 1)
	if fb, badge := clientSees(); fb != first || !badge {
		t.Errorf("after the first feedback the client sees %q, badge %v; want %q with the badge", fb, badge, first)
	}
	if strings.Contains(homeItem(page(t, c, "/home", http.StatusOK), id), "New feedback") {
		t.Error("the badge stays after the client read the feedback")
	}
	if body := page(t, th, reviewPath(id), http.StatusOK); !strings.Contains(body, "(seen ") {
		t.Error("the therapist's page does not say the client has seen the feedback")
	}

	seeOtherTo(t, th, reviewPath(id)+"/feedback", url.Values{"feedback": {edited}}, reviewPath(id))
	expectAudit("feedback.saved", 2)
	if body := page(t, th, reviewPath(id), http.StatusOK); !strings.Contains(body, "(not seen yet)") {
		t.Error("after an edit, the therapist's page does not say the client has not seen it yet")
	}
	if fb, badge := clientSees(); fb != edited || !badge {
		t.Errorf("after the edit the client sees %q, badge %v; want %q shown as new", fb, badge, edited)
	}
	if got := leaked(page(t, c, workPathOf(id), http.StatusOK), first); len(got) > 0 {
		t.Error("the client's page still shows the feedback as it was before the edit")
	}

	expectAudit("feedback.withdrawn", 0)
	seeOtherTo(t, th, reviewPath(id), url.Values{"op": {"withdraw"}}, reviewPath(id))
	expectAudit("feedback.withdrawn", 1)
	expectAudit("feedback.saved", 2)
	body := page(t, c, workPathOf(id), http.StatusOK)
	if fb, shown := feedbackOnClientPage(body); shown || fb != "" || len(leaked(body, first, edited)) > 0 {
		t.Errorf("after the withdrawal the client's page still shows feedback %q", fb)
	}
	if li := homeItem(page(t, c, "/home", http.StatusOK), id); li == "" || strings.Contains(li, "New feedback") {
		t.Errorf("after the withdrawal home shows the check-in as:\n%s", li)
	}
	if n := countOf(t, a, `SELECT count(*) FROM feedback WHERE assignment_id = $1`, id); n != 0 {
		t.Errorf("%d feedback rows after the withdrawal, want 0", n)
	}
	tb := page(t, th, reviewPath(id), http.StatusOK)
	if strings.Contains(tb, `value="withdraw"`) || len(leaked(tb, edited)) > 0 {
		t.Error("after the withdrawal the therapist's page still shows the feedback or a Withdraw button")
	}
	// The admin reads that it happened, not what it said.
	if n := strings.Count(page(t, a.Login(t, w.Admin), "/admin/audit?action=feedback.withdrawn", http.StatusOK), `data-action="feedback.withdrawn"`); n != 1 {
		t.Errorf("the admin's audit log lists %d feedback.withdrawn entries, want 1", n)
	}
}

// Marking reviewed moves a submission below the ones waiting and back;
// "discuss" and the risk flags show as badges; every mark is audited.
func TestInboxOrderAndBadgesFollowTheMarks(t *testing.T) {
	a := testkit.NewApp(t)
	w := reviewWorld(t, a)
	var occ []int64
	if err := a.DB.Select(&occ, `SELECT id FROM assignments WHERE series_id = $1 ORDER BY due_on`, w.Series); err != nil || len(occ) != 4 {
		t.Fatalf("the series has occurrences %v (err %v), want 4", occ, err)
	}
	c := a.Login(t, w.Client)
	sendCheckIn(t, c, a, occ[1], "The second week.")
	sendCheckIn(t, c, a, occ[2], "The third week.")
	o1, o2, o3 := occ[0], occ[1], occ[2]
	th := a.Login(t, w.Therapist)
	inbox := func() []inboxRow {
		t.Helper()
		rows, more := inboxRows(t, page(t, th, "/therapist/inbox", http.StatusOK))
		if more != "" {
			t.Errorf("three submissions offer a second page: %q", more)
		}
		return rows
	}
	expect := func(when string, ids []int64, status map[int64]string) {
		t.Helper()
		rows := inbox()
		if got := inboxIDs(rows); !slices.Equal(got, ids) {
			t.Errorf("%s: inbox order %v, want %v", when, got, ids)
		}
		for id, want := range status {
			if r, ok := inboxRowOf(rows, id); !ok || r.Status != want {
				t.Errorf("%s: submission %d shows %q, want %q", when, id, r.Status, want)
			}
		}
	}
	mark := func(id int64, op string) {
		t.Helper()
		seeOtherTo(t, th, reviewPath(id), url.Values{"op": {op}, "version": {"1"}}, reviewPath(id))
	}

	expect("three sent", []int64{o3, o2, o1}, map[int64]string{o1: "New", o2: "New", o3: "New"})
	if r, _ := inboxRowOf(inbox(), o1); r.Client != w.Client.DisplayName || r.Title != checkInTitle {
		t.Errorf("the row reads %+v, want %q's %q", r, w.Client.DisplayName, checkInTitle)
	}

	mark(o2, "reviewed")
	expect("o2 reviewed", []int64{o3, o1, o2}, map[int64]string{o2: "Reviewed", o1: "New", o3: "New"})
	if st := assignmentStatus(t, a, o2); st != "reviewed:false" {
		t.Errorf("o2 is %s, want reviewed with a time", st)
	}
	if body := page(t, th, reviewPath(o2), http.StatusOK); !strings.Contains(body, `value="unreviewed"`) || strings.Contains(body, `value="reviewed"`) {
		t.Error("a reviewed submission's page does not offer to mark it not reviewed")
	}
	mark(o2, "unreviewed")
	expect("o2 not reviewed again", []int64{o3, o2, o1}, map[int64]string{o2: "New"})
	if st := assignmentStatus(t, a, o2); st != "submitted:true" {
		t.Errorf("o2 is %s, want submitted without a review time", st)
	}

	mark(o1, "discuss")
	expect("o1 to discuss", []int64{o3, o2, o1}, map[int64]string{o1: "New Discuss", o2: "New", o3: "New"})
	if body := page(t, th, reviewPath(o1), http.StatusOK); !strings.Contains(body, "To discuss in session") || !strings.Contains(body, `value="undiscuss"`) {
		t.Error("the submission's page does not show it is to be discussed")
	}
	mark(o1, "reviewed")
	expect("o1 reviewed, still to discuss", []int64{o3, o2, o1}, map[int64]string{o1: "Reviewed Discuss"})
	mark(o1, "undiscuss")
	mark(o1, "unreviewed")
	expect("o1 back", []int64{o3, o2, o1}, map[int64]string{o1: "New"})

	// Risk language (set here as the scanner would store it) puts a
	// waiting submission first, however old; reviewed, it goes with the
	// reviewed.
	if _, err := a.DB.Exec(`UPDATE submissions SET flags = '{self-harm}' WHERE assignment_id = $1`, o1); err != nil {
		t.Fatal(err)
	}
	expect("o1 flagged", []int64{o1, o3, o2}, map[int64]string{o1: "Flagged: look New"})
	mark(o1, "reviewed")
	expect("o1 flagged and reviewed", []int64{o3, o2, o1}, map[int64]string{o1: "Flagged: look Reviewed"})

	if n := len(auditEntries(t, a, "submission.reviewed")); n != 5 {
		t.Errorf("%d submission.reviewed entries, want 5 (one per mark)", n)
	}
	if n := len(auditEntries(t, a, "submission.discuss")); n != 2 {
		t.Errorf("%d submission.discuss entries, want 2", n)
	}
}

// The inbox's filters (client, exercise, reviewed or not, flagged, and
// together) show exactly the matching work of the caseload, in order, and
// keyset paging walks it to the end without a repeat or a gap, ties in the
// sent time included. No filter reaches another therapist's clients.
func TestInboxFiltersAndKeysetPaging(t *testing.T) {
	a := testkit.NewApp(t)
	w := seedMatrix(t, a, true)
	base := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	seedSentWork(t, a, w.Therapist, w.Client, w.Builtin, 40, base)
	seedSentWork(t, a, w.Therapist, w.Client2, w.Exercise, 12, base) // the same times: ties across clients too
	theirs := seedSentWork(t, a, w.Therapist2, w.OtherClient, w.Builtin, 6, base)
	facts := sentFacts(t, a, w.Client.ID, w.Client2.ID)
	if len(facts) != 52 {
		t.Fatalf("%d sent occurrences in the caseload, want 52", len(facts))
	}
	var ties, flagged int
	seen := map[string]bool{}
	for _, f := range facts {
		k := f.Status + f.SubmittedAt.String()
		if seen[k] {
			ties++
		}
		seen[k] = true
		if f.Flagged && f.Status == "submitted" {
			flagged++
		}
	}
	if ties == 0 || flagged == 0 {
		t.Fatalf("the seed has %d ties and %d flagged waiting submissions; the test needs both", ties, flagged)
	}
	th := a.Login(t, w.Therapist)
	id := func(n int64) string { return strconv.FormatInt(n, 10) }
	where := func(keep func(f sentFact) bool) []int64 {
		var out []sentFact
		for _, f := range facts {
			if keep(f) {
				out = append(out, f)
			}
		}
		return inboxOrder(out)
	}
	cases := []struct {
		name  string
		query url.Values
		keep  func(f sentFact) bool
	}{
		{"everything", nil, func(sentFact) bool { return true }},
		{"one client", url.Values{"client": {id(w.Client.ID)}}, func(f sentFact) bool { return f.ClientID == w.Client.ID }},
		{"the other client", url.Values{"client": {id(w.Client2.ID)}}, func(f sentFact) bool { return f.ClientID == w.Client2.ID }},
		{"the built-in", url.Values{"exercise": {id(w.Builtin)}}, func(f sentFact) bool { return f.ExerciseID == w.Builtin }},
		{"the practice's exercise", url.Values{"exercise": {id(w.Exercise)}}, func(f sentFact) bool { return f.ExerciseID == w.Exercise }},
		{"not reviewed", url.Values{"show": {"unreviewed"}}, func(f sentFact) bool { return f.Status == "submitted" }},
		{"reviewed", url.Values{"show": {"reviewed"}}, func(f sentFact) bool { return f.Status == "reviewed" }},
		{"flagged", url.Values{"flagged": {"1"}}, func(f sentFact) bool { return f.Flagged }},
		{"one client, reviewed, flagged", url.Values{"client": {id(w.Client.ID)}, "show": {"reviewed"}, "flagged": {"1"}},
			func(f sentFact) bool { return f.ClientID == w.Client.ID && f.Status == "reviewed" && f.Flagged }},
		{"another therapist's client", url.Values{"client": {id(w.OtherClient.ID)}}, func(sentFact) bool { return false }},
		{"an unknown show is no filter", url.Values{"show": {"everything"}}, func(sentFact) bool { return true }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			start := "/therapist/inbox"
			if len(tc.query) > 0 {
				start += "?" + tc.query.Encode()
			}
			want := where(tc.keep)
			rows := walkInbox(t, th, start)
			got := inboxIDs(rows)
			dup := map[int64]bool{}
			for _, g := range got {
				if dup[g] {
					t.Errorf("submission %d is listed twice", g)
				}
				dup[g] = true
				if slices.Contains(theirs, g) {
					t.Errorf("another therapist's client's submission %d is listed", g)
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("the pages list %d submissions:\n%v\nwant %d:\n%v", len(got), got, len(want), want)
			}
			if len(want) == 0 && !strings.Contains(page(t, th, start, http.StatusOK), "Nothing here.") {
				t.Error("an empty inbox does not say so")
			}
		})
	}

	body := page(t, th, "/therapist/inbox", http.StatusOK)
	if strings.Contains(body, html.EscapeString(w.OtherClient.DisplayName)) {
		t.Error("the inbox's client filter lists another therapist's client")
	}
	// Therapist2's inbox is their own client's work, nothing else.
	t2 := a.Login(t, w.Therapist2)
	if got, want := inboxIDs(walkInbox(t, t2, "/therapist/inbox")), inboxOrder(sentFacts(t, a, w.OtherClient.ID)); !slices.Equal(got, want) {
		t.Errorf("Therapist2's inbox lists %v, want their own client's %v", got, want)
	}
}

// A client's change after sending is a new version (R25): the therapist
// sees both, reads the first as it was, and the change comes back to the
// inbox as not reviewed.
func TestChangedAnswersShowAsVersions(t *testing.T) {
	a := testkit.NewApp(t)
	w := reviewWorld(t, a)
	id := w.Submitted
	th := a.Login(t, w.Therapist)
	seeOtherTo(t, th, reviewPath(id), url.Values{"op": {"reviewed"}, "version": {"1"}}, reviewPath(id))

	changed := "Changed: Ελένη wrote this the day after, more calmly."
	c := a.Login(t, w.Client)
	form := page(t, c, workPathOf(id)+"?change=1", http.StatusOK)
	f := sendForm(changed, portalTokenIn(t, form))
	f.Set("change", "1")
	seeOtherTo(t, c, workPathOf(id), f, workPathOf(id)+"?sent=1")
	subs := submissionsOf(t, a, id)
	if len(subs) != 2 || subs[0].Note != matrixSentNote || subs[1].Note != changed || subs[1].Version != 2 {
		t.Fatalf("stored versions %+v; want version 1 as first sent and version 2 changed", subs)
	}

	versions := regexp.MustCompile(`(?s)<nav aria-label="Versions" class="versions">(.*?)</nav>`)
	showing := regexp.MustCompile(`Showing version ([0-9]+),`)
	read := func(path string) (nav, shown string, body string) {
		t.Helper()
		body = page(t, th, path, http.StatusOK)
		if m := versions.FindStringSubmatch(body); m != nil {
			nav = m[1]
		}
		if m := showing.FindStringSubmatch(body); m != nil {
			shown = m[1]
		}
		return nav, shown, body
	}

	nav, shown, body := read(reviewPath(id))
	if shown != "2" || !strings.Contains(nav, `href="`+reviewPath(id)+`?version=1">version 1</a>`) || !strings.Contains(nav, "<strong>version 2</strong>") {
		t.Errorf("the latest shows version %q with versions %q; want version 2 shown and a link to version 1", shown, nav)
	}
	if !strings.Contains(body, html.EscapeString(changed)) || strings.Contains(body, html.EscapeString(matrixSentNote)) {
		t.Error("the latest version does not show the changed text alone")
	}
	nav, shown, body = read(reviewPath(id) + "?version=1")
	if shown != "1" || !strings.Contains(nav, `href="`+reviewPath(id)+`?version=2">version 2</a>`) || !strings.Contains(nav, "<strong>version 1</strong>") {
		t.Errorf("?version=1 shows version %q with versions %q; want version 1 shown and a link to version 2", shown, nav)
	}
	if !strings.Contains(body, html.EscapeString(matrixSentNote)) || strings.Contains(body, html.EscapeString(changed)) {
		t.Error("version 1 does not show the original text alone")
	}
	// A version that does not exist is the same 404 as a submission that
	// does not exist.
	compare404(t, th.Get(reviewPath(id)+"?version=3"), th.Get(reviewPath(noSuchUser)))

	rows, _ := inboxRows(t, page(t, th, "/therapist/inbox", http.StatusOK))
	if r, ok := inboxRowOf(rows, id); !ok || r.Title != checkInTitle+" (version 2)" || r.Status != "New" {
		t.Errorf("the inbox shows the changed submission as %+v; want %q, New again", r, checkInTitle+" (version 2)")
	}
}

var fieldErrorRe = regexp.MustCompile(`(?s)<p class="field-error" id="([a-z_]+)-error">(?:<span class="visually-hidden">Error:</span>)?\s*(.*?)</p>`)

// fieldErrors maps each field to the message shown beside it.
func fieldErrors(body string) map[string]string {
	out := map[string]string{}
	for _, m := range fieldErrorRe.FindAllStringSubmatch(body, -1) {
		out[m[1]] = html.UnescapeString(strings.TrimSpace(m[2]))
	}
	return out
}

// textareaValue is what the textarea with this id holds.
func textareaValue(body, id string) (string, bool) {
	m := regexp.MustCompile(`(?s)<textarea id="` + regexp.QuoteMeta(id) + `"[^>]*>(.*?)</textarea>`).FindStringSubmatch(body)
	if m == nil {
		return "", false
	}
	return html.UnescapeString(m[1]), true
}

// Feedback and notes that are empty or longer than 10,000 characters are
// refused with a 422, the message beside the field and the text kept in
// it, and nothing is stored or audited (R21). Exactly 10,000 is fine.
func TestFeedbackAndNotesAreValidatedBesideTheField(t *testing.T) {
	a := testkit.NewApp(t)
	w := reviewWorld(t, a)
	id := w.Submitted
	th := a.Login(t, w.Therapist)
	saved := "ΣΧΟΛΙΟ-3333 Feedback already saved."
	seeOtherTo(t, th, reviewPath(id)+"/feedback", url.Values{"feedback": {saved}}, reviewPath(id))
	tooLong := strings.Repeat("ω", 10000) + "!"
	stored := func() string {
		t.Helper()
		var s string
		if err := a.DB.Get(&s, `SELECT concat_ws('|', (SELECT md5(body) FROM feedback WHERE assignment_id = $1), (SELECT count(*) FROM notes),
			(SELECT count(*) FROM audit_log WHERE action IN ('feedback.saved', 'note.added')))`, id); err != nil {
			t.Fatal(err)
		}
		return s
	}
	cases := []struct {
		name, path, field, text string
		message                 string // a part of the message beside the field
		other                   string // the other box on the page, and what it must still hold
		otherWant               string
	}{
		{"empty feedback", reviewPath(id) + "/feedback", "feedback", "", "Write something", "note", ""},
		{"blank feedback", reviewPath(id) + "/feedback", "feedback", "  \r\n\t ", "Write something", "note", ""},
		{"feedback too long", reviewPath(id) + "/feedback", "feedback", tooLong, "10000 characters", "note", ""},
		{"empty note", reviewPath(id) + "/notes", "note", "", "Write something", "feedback", saved},
		{"note too long", reviewPath(id) + "/notes", "note", tooLong, "10000 characters", "feedback", saved},
		{"empty note on the client", clientPath(w.Client.ID) + "/notes", "note", "", "Write something", "", ""},
		{"note on the client too long", clientPath(w.Client.ID) + "/notes", "note", tooLong, "10000 characters", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := stored()
			res := th.PostForm(tc.path, url.Values{tc.field: {tc.text}})
			if after := stored(); after != before {
				t.Errorf("a refused %s changed what is stored: %s → %s", tc.field, before, after)
			}
			if res.Code != http.StatusUnprocessableEntity {
				t.Fatalf("status %d (Location %q), want 422 with the form shown again", res.Code, res.Header().Get("Location"))
			}
			body := res.Body.String()
			errs := fieldErrors(body)
			if msg := errs[tc.field]; !strings.Contains(msg, tc.message) {
				t.Errorf("beside %s: %q, want a message containing %q (all: %v)", tc.field, msg, tc.message, errs)
			}
			if len(errs) != 1 {
				t.Errorf("messages beside %v, want beside %s only", errs, tc.field)
			}
			if got, ok := textareaValue(body, tc.field); !ok || got != tc.text {
				t.Errorf("the %s box holds %d characters (found %v), want the %d sent, kept as typed", tc.field, len([]rune(got)), ok, len([]rune(tc.text)))
			}
			if tc.other != "" {
				if got, _ := textareaValue(body, tc.other); got != tc.otherWant {
					t.Errorf("the %s box beside it holds %q, want %q", tc.other, got, tc.otherWant)
				}
			}
		})
	}

	t.Run("exactly 10,000 characters", func(t *testing.T) {
		longest := strings.Repeat("ω", 10000)
		seeOtherTo(t, th, reviewPath(id)+"/feedback", url.Values{"feedback": {longest}}, reviewPath(id))
		seeOtherTo(t, th, reviewPath(id)+"/notes", url.Values{"note": {longest}}, reviewPath(id))
		seeOtherTo(t, th, clientPath(w.Client.ID)+"/notes", url.Values{"note": {longest}}, clientPath(w.Client.ID))
		if n := countOf(t, a, `SELECT count(*) FROM notes WHERE char_length(body) = 10000`); n != 2 {
			t.Errorf("%d notes of 10,000 characters stored, want 2", n)
		}
		if n := countOf(t, a, `SELECT count(*) FROM feedback WHERE assignment_id = $1 AND char_length(body) = 10000`, id); n != 1 {
			t.Error("feedback of 10,000 characters was not stored")
		}
	})
}

// inboxQueries is how many statements one inbox page sends, after a warm-up
// request that settles the session.
func inboxQueries(t testing.TB, a *testkit.App, s *testkit.Session, path string) (int64, []inboxRow, string) {
	t.Helper()
	s.Get(path)
	before := a.Queries.Count()
	res := s.Get(path)
	n := a.Queries.Count() - before
	if res.Code != http.StatusOK {
		t.Fatalf("GET %s: status %d\n%s", path, res.Code, res.Body.String())
	}
	rows, more := inboxRows(t, res.Body.String())
	return n, rows, more
}

// The inbox sends the same number of statements per page whatever the
// caseload's size and however deep the page: no query per row.
func TestInboxQueryCountIsConstant(t *testing.T) {
	small := testkit.NewApp(t)
	sw := small.Seed(t)
	small.SeedCaseload(t, sw.Therapist, 1, 4)
	ss := small.Login(t, sw.Therapist)
	smallN, smallRows, _ := inboxQueries(t, small, ss, "/therapist/inbox")
	if len(smallRows) != 3 {
		t.Fatalf("the small caseload's inbox shows %d rows, want 3", len(smallRows))
	}

	large := testkit.NewApp(t)
	lw := large.Seed(t)
	large.SeedCaseload(t, lw.Therapist, 80, 12)
	ls := large.Login(t, lw.Therapist)
	firstN, rows, more := inboxQueries(t, large, ls, "/therapist/inbox")
	if len(rows) != inboxPageSize || more == "" {
		t.Fatalf("the large caseload's first page shows %d rows, More %q", len(rows), more)
	}
	for range 3 {
		if _, _, more = inboxQueries(t, large, ls, more); more == "" {
			t.Fatal("the large caseload's inbox ended before page 5")
		}
	}
	deepN, deepRows, _ := inboxQueries(t, large, ls, more)
	var client int64
	if err := large.DB.Get(&client, `SELECT min(id) FROM users WHERE therapist_id = $1 AND email LIKE 'seed%'`, lw.Therapist.ID); err != nil {
		t.Fatal(err)
	}
	filteredN, filteredRows, _ := inboxQueries(t, large, ls, fmt.Sprintf("/therapist/inbox?client=%d&show=reviewed", client))
	t.Logf("statements per inbox page: small %d, large first %d, large page 5 %d, large filtered %d", smallN, firstN, deepN, filteredN)
	if smallN <= 0 {
		t.Fatalf("no statements counted for an inbox page: the counter does not work")
	}
	if len(deepRows) != inboxPageSize || len(filteredRows) != 10 {
		t.Errorf("page 5 shows %d rows (want %d), the filtered page %d (want 10)", len(deepRows), inboxPageSize, len(filteredRows))
	}
	if firstN != smallN || deepN != smallN || filteredN != smallN {
		t.Errorf("statements per page grow with the data: small %d, large first %d, page 5 %d, filtered %d", smallN, firstN, deepN, filteredN)
	}
}

// BenchmarkInbox reads a therapist's inbox over 5,000 submissions: the
// first page, and page 101 by its keyset cursor; it reports statements per
// page alongside the time.
func BenchmarkInbox(b *testing.B) {
	a := testkit.NewApp(b)
	w := a.Seed(b)
	// 100 clients × 51 weeks: each has 50 sent (one waiting, 49 reviewed).
	a.SeedCaseload(b, w.Therapist, 100, 51)
	var n int
	if err := a.DB.Get(&n, `SELECT count(*) FROM assignments a JOIN users c ON c.id = a.client_id
		WHERE c.therapist_id = $1 AND a.status IN ('submitted', 'reviewed')`, w.Therapist.ID); err != nil {
		b.Fatal(err)
	}
	if n != 5000 {
		b.Fatalf("the caseload has %d sent submissions, want 5000", n)
	}
	s := a.Login(b, w.Therapist)
	later := "/therapist/inbox"
	for range 100 {
		res := s.Get(later)
		_, more := inboxRows(b, res.Body.String())
		if res.Code != http.StatusOK || more == "" {
			b.Fatalf("paging to page 101 stopped at %s: status %d", later, res.Code)
		}
		later = more
	}
	for _, bc := range []struct{ name, path string }{{"first-page", "/therapist/inbox"}, {"page-101", later}} {
		b.Run(bc.name, func(b *testing.B) {
			if _, rows, _ := inboxQueries(b, a, s, bc.path); len(rows) != inboxPageSize {
				b.Fatalf("%s shows %d rows, want %d", bc.path, len(rows), inboxPageSize)
			}
			b.ReportAllocs()
			before := a.Queries.Count()
			for b.Loop() {
				r := httptest.NewRequest(http.MethodGet, bc.path, nil)
				if res := s.Do(r); res.Code != http.StatusOK {
					b.Fatalf("status %d", res.Code)
				}
			}
			b.ReportMetric(float64(a.Queries.Count()-before)/float64(b.N), "queries/op")
		})
	}
}

func TestANewerVersionIsNotMarkedReviewedUnread(t *testing.T) {
	a := testkit.NewApp(t)
	w := reviewWorld(t, a)
	id := w.Submitted
	th := a.Login(t, w.Therapist)
	// The therapist has version 1 on screen; the client sends version 2.
	c := a.Login(t, w.Client)
	f := sendForm("A second thought, sent later.", portalTokenIn(t, page(t, c, workPathOf(id)+"?change=1", http.StatusOK)))
	f.Set("change", "1")
	c.PostForm(workPathOf(id), f)
	r := th.PostForm(reviewPath(id), url.Values{"op": {"reviewed"}, "version": {"1"}})
	if r.Code != http.StatusSeeOther {
		t.Fatalf("mark reviewed = %d", r.Code)
	}
	var status string
	if err := a.DB.Get(&status, `SELECT status FROM assignments WHERE id = $1`, id); err != nil || status != "submitted" {
		t.Fatalf("status = %q (%v): a version the therapist never saw was marked reviewed", status, err)
	}
	if !strings.Contains(th.Get(r.Header().Get("Location")).Body.String(), "sent a newer version") {
		t.Error("the therapist is not told why")
	}
}

func TestRiskLanguageEditedOutStillFlagsTheInbox(t *testing.T) {
	a := testkit.NewApp(t)
	w := reviewWorld(t, a)
	id := w.Submitted
	c := a.Login(t, w.Client)
	for _, text := range []string{"Some days I want to kill myself.", "I was upset; it is better now."} {
		f := sendForm(text, portalTokenIn(t, page(t, c, workPathOf(id)+"?change=1", http.StatusOK)))
		f.Set("change", "1")
		c.PostForm(workPathOf(id), f)
	}
	th := a.Login(t, w.Therapist)
	inbox := th.Get("/therapist/inbox?flagged=1").Body.String()
	if !strings.Contains(inbox, reviewPath(id)) {
		t.Error("an assignment whose earlier version was flagged drops out of the flagged inbox")
	}
	if !strings.Contains(th.Get(reviewPath(id)).Body.String(), "An earlier version was flagged") {
		t.Error("the review page does not say an earlier version was flagged")
	}
}
