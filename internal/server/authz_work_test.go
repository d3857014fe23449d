package server_test

// Authorization of the therapists' work (exercises, assignments, series):
// the fixtures the role × route matrix needs for those routes, and the
// form-level checks that a status code alone cannot show: assigning outside
// the caseload or with another practice's exercise (R13) and owner or
// status fields posted with a form (R15).

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trellis-app/trellis/internal/account"
	"github.com/trellis-app/trellis/internal/testkit"
)

// matrixWorld is the seeded World plus some of Therapist's work, made
// through the real routes, so every route has a record to be asked about.
type matrixWorld struct {
	testkit.World
	// Builtin is the built-in "weekly-trust-check-in".
	Builtin int64
	// Exercise is the practice's own, made by Therapist with the builder.
	Exercise int64
	// ForeignExercise belongs to the Outsider's practice.
	ForeignExercise int64
	// Series is a weekly series of four for Client, assigned by Therapist.
	Series int64
	// Assignment is its first occurrence.
	Assignment int64
	// Submitted is Assignment once Client has sent it through the work
	// form (rows with sent: true), so the review routes have work to read.
	Submitted int64
	// Session is a session of Client's, recorded a week ago.
	Session int64
	// Transfer is a move of Client2 to Therapist2 the admin proposed,
	// waiting for Therapist2's answer.
	Transfer int64
	// Notice is one for Therapist: the admin reset their two-step sign-in
	// (rows with notice: true).
	Notice int64
}

const (
	practiceExerciseTitle = "Matrix practice exercise"
	foreignExerciseTitle  = "Outsider practice exercise"
)

// dateInDays is a date days from today, as the assign form takes it. The
// seeded practices keep time in UTC.
func dateInDays(days int) string { return time.Now().UTC().AddDate(0, 0, days).Format(time.DateOnly) }

// seedMatrix seeds the World, the built-in and another practice's
// exercise, and with work Therapist's exercise and series too: those take
// a sign-in, which is slow on purpose, so only rows that need them pay.
func seedMatrix(t *testing.T, a *testkit.App, work bool) matrixWorld {
	t.Helper()
	w := matrixWorld{World: a.Seed(t)}
	if err := a.DB.Get(&w.Builtin, `SELECT id FROM exercises WHERE builtin_key = 'weekly-trust-check-in'`); err != nil {
		t.Fatalf("find the built-in: %v", err)
	}
	w.ForeignExercise = seedForeignExercise(t, a, w.Outsider.PracticeID)
	if err := a.DB.Get(&w.Session, `INSERT INTO clinical_sessions (client_id, therapist_id, held_on)
		VALUES ($1, $2, current_date - 7) RETURNING id`, w.Client.ID, w.Therapist.ID); err != nil {
		t.Fatalf("seed a session: %v", err)
	}
	if _, err := a.DB.Exec(`UPDATE users SET progress_shared = true WHERE id = $1`, w.Client.ID); err != nil {
		t.Fatalf("share Client's progress: %v", err)
	}
	if err := a.DB.Get(&w.Transfer, `INSERT INTO client_transfers (practice_id, client_id, from_therapist_id, to_therapist_id, proposed_by)
		VALUES ($1, $2, $3, $4, $5) RETURNING id`, w.PracticeID, w.Client2.ID, w.Therapist.ID, w.Therapist2.ID, w.Admin.ID); err != nil {
		t.Fatalf("seed a proposed move: %v", err)
	}
	if !work {
		return w
	}

	s := a.Login(t, w.Therapist)
	res := s.PostForm("/therapist/exercises/new", builderSaveForm(w, &w.Therapist))
	m := regexp.MustCompile(`^/therapist/exercises/([0-9]+)$`).FindStringSubmatch(res.Header().Get("Location"))
	if res.Code != http.StatusSeeOther || m == nil {
		t.Fatalf("seed an exercise: status %d, Location %q\n%s", res.Code, res.Header().Get("Location"), res.Body.String())
	}
	w.Exercise, _ = strconv.ParseInt(m[1], 10, 64)
	var practice int64
	if err := a.DB.Get(&practice, `SELECT practice_id FROM exercises WHERE id = $1`, w.Exercise); err != nil || practice != w.PracticeID {
		t.Fatalf("seeded exercise %d: practice %d, err %v; want practice %d", w.Exercise, practice, err, w.PracticeID)
	}

	res = s.PostForm("/therapist/assign", assignWeeklyForm(w, &w.Therapist))
	if res.Code != http.StatusSeeOther {
		t.Fatalf("seed an assignment: status %d\n%s", res.Code, res.Body.String())
	}
	if err := a.DB.Get(&w.Series, `SELECT id FROM assignment_series WHERE client_id = $1`, w.Client.ID); err != nil {
		t.Fatalf("find the seeded series: %v", err)
	}
	var n int
	if err := a.DB.Get(&n, `SELECT count(*) FROM assignments WHERE series_id = $1 AND status = 'open'`, w.Series); err != nil || n != 4 {
		t.Fatalf("seeded series has %d open occurrences (err %v), want 4", n, err)
	}
	if err := a.DB.Get(&w.Assignment, `SELECT id FROM assignments WHERE series_id = $1 ORDER BY due_on LIMIT 1`, w.Series); err != nil {
		t.Fatalf("find the seeded occurrence: %v", err)
	}

	return w
}

// seedForeignExercise writes an exercise of another practice, at version
// 1, as the builder would store it.
func seedForeignExercise(t *testing.T, a *testkit.App, practiceID int64) int64 {
	t.Helper()
	def, err := json.Marshal(map[string]any{"title": foreignExerciseTitle, "purpose": "", "intro": "", "minutes": 5,
		"fields": []map[string]any{{"key": "q1", "type": "long_text", "label": "What happened?"}}})
	if err != nil {
		t.Fatal(err)
	}
	var id int64
	if err := a.DB.Get(&id, `INSERT INTO exercises (practice_id) VALUES ($1) RETURNING id`, practiceID); err != nil {
		t.Fatalf("seed another practice's exercise: %v", err)
	}
	if _, err := a.DB.Exec(`INSERT INTO exercise_versions (exercise_id, version, definition) VALUES ($1, 1, $2)`, id, def); err != nil {
		t.Fatalf("seed another practice's exercise version: %v", err)
	}
	return id
}

func theBuiltin(w matrixWorld) int64         { return w.Builtin }
func theExercise(w matrixWorld) int64        { return w.Exercise }
func theForeignExercise(w matrixWorld) int64 { return w.ForeignExercise }
func theSeries(w matrixWorld) int64          { return w.Series }
func theAssignment(w matrixWorld) int64      { return w.Assignment }
func theSubmission(w matrixWorld) int64      { return w.Submitted }

// matrixSentNote is what Client wrote in the check-in the review rows ask
// about.
const matrixSentNote = "Matrix: the check-in Eleni sent."

// seedSubmission has Client send the first occurrence of the seeded series
// (a weekly check-in Therapist assigned through the assign form) as a
// person would: open the work page, take its one-time form token, post the
// whole form with Send.
func seedSubmission(t *testing.T, a *testkit.App, w *matrixWorld) {
	t.Helper()
	if w.Assignment == 0 {
		t.Fatal("seedSubmission needs the seeded work (seedMatrix with work)")
	}
	w.Submitted = sendCheckIn(t, a.Login(t, w.Client), a, w.Assignment, matrixSentNote)
}

// sendCheckIn sends an open check-in as the signed-in client c: the page's
// form token, every scale, the note, Send. It checks the answer and that a
// new version was stored, and returns the assignment's id.
func sendCheckIn(t *testing.T, c *testkit.Session, a *testkit.App, id int64, note string) int64 {
	t.Helper()
	page := c.Get(workPathOf(id))
	if page.Code != http.StatusOK {
		t.Fatalf("open %s to send it: status %d\n%s", workPathOf(id), page.Code, page.Body.String())
	}
	versions := countOf(t, a, `SELECT count(*) FROM submissions WHERE assignment_id = $1`, id)
	res := c.PostForm(workPathOf(id), sendForm(note, portalTokenIn(t, page.Body.String())))
	if res.Code != http.StatusSeeOther || res.Header().Get("Location") != workPathOf(id)+"?sent=1" {
		t.Fatalf("send %s: status %d, Location %q\n%s", workPathOf(id), res.Code, res.Header().Get("Location"), res.Body.String())
	}
	if n := countOf(t, a, `SELECT count(*) FROM submissions WHERE assignment_id = $1`, id); n != versions+1 {
		t.Fatalf("after sending %s there are %d versions, want %d", workPathOf(id), n, versions+1)
	}
	if st := countOf(t, a, `SELECT count(*) FROM assignments WHERE id = $1 AND status = 'submitted'`, id); st != 1 {
		t.Fatalf("after sending, %s is not waiting for review", workPathOf(id))
	}
	return id
}

// reviewedForm marks a submission reviewed.
func reviewedForm(matrixWorld, *account.User) url.Values {
	return url.Values{"op": {"reviewed"}, "version": {"1"}}
}

// feedbackForm is valid feedback for the client.
func feedbackForm(matrixWorld, *account.User) url.Values {
	return url.Values{"feedback": {"Matrix: thank you for writing this down."}}
}

// noteForm is a valid private note.
func followUpForm(matrixWorld, *account.User) url.Values {
	return url.Values{"follow_up": {"Matrix: phoned the client."}}
}

func noteForm(matrixWorld, *account.User) url.Values {
	return url.Values{"note": {"Matrix: a private note, for its author only."}}
}

// workPath fills the :id of a route with a record of the matrixWorld. A
// record that was not seeded (a row without work: true) gives a path of
// no route, which the matrix refuses, rather than an id that would earn a
// 404 by accident.
func workPath(format string, pick func(w matrixWorld) int64) func(matrixWorld) string {
	return func(w matrixWorld) string {
		if pick(w) == 0 {
			return "/unseeded: the row needs work: true"
		}
		return fmt.Sprintf(format, pick(w))
	}
}

// location expands an expected Location: {path} is the requested path,
// {client} w.Client, {exercise} w.Exercise, {assignment} w.Assignment,
// {submitted} w.Submitted, and
// {new} the exercise that the request should just have made: the newest of
// the practice, made by the actor after the seeded one (0, which never
// matches, if none was).
func (w matrixWorld) location(t *testing.T, a *testkit.App, as *account.User, loc, path string) string {
	t.Helper()
	loc = strings.ReplaceAll(loc, "{path}", url.QueryEscape(path))
	loc = strings.ReplaceAll(loc, "{client}", strconv.FormatInt(w.Client.ID, 10))
	loc = strings.ReplaceAll(loc, "{client2}", strconv.FormatInt(w.Client2.ID, 10))
	loc = strings.ReplaceAll(loc, "{exercise}", strconv.FormatInt(w.Exercise, 10))
	loc = strings.ReplaceAll(loc, "{assignment}", strconv.FormatInt(w.Assignment, 10))
	loc = strings.ReplaceAll(loc, "{submitted}", strconv.FormatInt(w.Submitted, 10))
	if strings.Contains(loc, "{new}") {
		var id int64
		var by int64
		if as != nil {
			by = as.ID
		}
		if err := a.DB.Get(&id, `SELECT coalesce(max(id), 0) FROM exercises WHERE practice_id = $1 AND created_by = $2 AND id > $3`,
			w.PracticeID, by, w.Exercise); err != nil {
			t.Fatalf("find the new exercise: %v", err)
		}
		loc = strings.ReplaceAll(loc, "{new}", strconv.FormatInt(id, 10))
	}
	return loc
}

// sessionForm records a session today.
func sessionForm(matrixWorld, *account.User) url.Values {
	return url.Values{"held_on": {time.Now().UTC().Format(time.DateOnly)}}
}

// sharingForm shows Client their progress.
func sharingForm(matrixWorld, *account.User) url.Values { return url.Values{"shared": {"1"}} }

// builderSaveForm is a valid builder form that saves.
func builderSaveForm(matrixWorld, *account.User) url.Values {
	return url.Values{"title": {practiceExerciseTitle}, "minutes": {"10"}, "field_count": {"1"},
		"f0.key": {"q1"}, "f0.type": {"long_text"}, "f0.label": {"What went well this week?"}, "op": {"save"}}
}

// builderPreviewForm is the same form asking only for a preview.
func builderPreviewForm(w matrixWorld, as *account.User) url.Values {
	f := builderSaveForm(w, as)
	f.Set("op", "preview")
	return f
}

// assignWeeklyForm gives w.Client the built-in weekly check-in, four times.
func assignWeeklyForm(w matrixWorld, _ *account.User) url.Values {
	return url.Values{"exercise": {strconv.FormatInt(w.Builtin, 10)}, "clients": {strconv.FormatInt(w.Client.ID, 10)},
		"recurrence": {"weekly"}, "end": {"count"}, "count": {"4"}, "first_due": {dateInDays(3)}, "note": {"One a week."}}
}

// seriesChangeForm ends the series after two occurrences.
func seriesChangeForm(matrixWorld, *account.User) url.Values {
	return url.Values{"note": {"Two will do."}, "end": {"count"}, "count": {"2"}}
}

// workCreated is what an assignment could create.
func workCreated(t *testing.T, a *testkit.App) string {
	t.Helper()
	var s string
	if err := a.DB.Get(&s, `SELECT concat_ws(' ', 'series', (SELECT count(*) FROM assignment_series),
		'occurrences', (SELECT count(*) FROM assignments),
		'audited', (SELECT count(*) FROM audit_log WHERE action LIKE 'assignment%'))`); err != nil {
		t.Fatal(err)
	}
	return s
}

// messageBesideField finds the message shown beside a form field.
func messageBesideField(body, field string) (string, bool) {
	m := regexp.MustCompile(`<p class="field-error" id="` + regexp.QuoteMeta(field) + `-error">([^<]*)</p>`).FindStringSubmatch(body)
	if m == nil {
		return "", false
	}
	return m[1], true
}

// A therapist can only assign to their own caseload: naming anyone else's
// client (or anyone who is not their client) is refused beside "clients",
// answers exactly like an id that does not exist, reveals no name, and
// assigns nothing, not even to the clients that were theirs (R13).
func TestAssigningOutsideTheCaseloadIsRefusedBesideClients(t *testing.T) {
	id := func(pick func(w matrixWorld) int64) func(w matrixWorld) []string {
		return func(w matrixWorld) []string { return []string{strconv.FormatInt(pick(w), 10)} }
	}
	cases := []struct {
		name    string
		clients func(w matrixWorld) []string
	}{
		{"another therapist's client", id(func(w matrixWorld) int64 { return w.OtherClient.ID })},
		{"an own client with another therapist's", func(w matrixWorld) []string {
			return []string{strconv.FormatInt(w.Client.ID, 10), strconv.FormatInt(w.OtherClient.ID, 10)}
		}},
		{"a colleague", id(func(w matrixWorld) int64 { return w.Therapist2.ID })},
		{"the practice admin", id(func(w matrixWorld) int64 { return w.Admin.ID })},
		{"another practice's admin", id(func(w matrixWorld) int64 { return w.Outsider.ID })},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := testkit.NewApp(t)
			w := seedMatrix(t, a, true)
			s := a.Login(t, w.Therapist)
			before, state := workCreated(t, a), authzState(t, a)
			send := func(clients []string) *httptest.ResponseRecorder {
				f := assignWeeklyForm(w, &w.Therapist)
				f["clients"] = clients
				return s.PostForm("/therapist/assign", f)
			}

			res := send(tc.clients(w))
			missing := send([]string{strconv.Itoa(noSuchUser)})

			if res.Code != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422\n%s", res.Code, res.Body.String())
			}
			body := res.Body.String()
			if msg, ok := messageBesideField(body, "clients"); !ok || msg == "" {
				t.Errorf("no message beside the clients field\n%s", body)
			}
			if msg, ok := messageBesideField(body, "exercise"); ok {
				t.Errorf("the exercise was blamed (%q); it was the clients", msg)
			}
			for _, u := range []account.User{w.OtherClient, w.Therapist2, w.Admin, w.Outsider} {
				if strings.Contains(body, u.DisplayName) {
					t.Errorf("the refused form shows %q, who is not in the caseload", u.DisplayName)
				}
			}
			if missing.Code != http.StatusUnprocessableEntity {
				t.Fatalf("a client id that does not exist: status %d, want 422", missing.Code)
			}
			if len(tc.clients(w)) == 1 && withoutRequestID(res) != withoutRequestID(missing) {
				t.Errorf("someone else's client is told apart from a client that does not exist:\n--- theirs\n%s\n--- missing\n%s",
					withoutRequestID(res), withoutRequestID(missing))
			}
			if after := workCreated(t, a); after != before {
				t.Errorf("a refused assignment created work: before %s, after %s", before, after)
			}
			if after := authzState(t, a); after != state {
				t.Errorf("a refused assignment changed the database:\nbefore %s\nafter  %s", state, after)
			}
		})
	}
}

// Another practice's exercise cannot be assigned: the form says so beside
// "exercise", exactly as for an exercise that does not exist, without
// naming it, and nothing is created (R13).
func TestAssigningAnotherPracticesExerciseIsRefusedBesideExercise(t *testing.T) {
	a := testkit.NewApp(t)
	w := seedMatrix(t, a, true)
	s := a.Login(t, w.Therapist)
	before, state := workCreated(t, a), authzState(t, a)
	send := func(exercise int64) *httptest.ResponseRecorder {
		f := assignWeeklyForm(w, &w.Therapist)
		f.Set("exercise", strconv.FormatInt(exercise, 10))
		return s.PostForm("/therapist/assign", f)
	}

	theirs := send(w.ForeignExercise)
	missing := send(noSuchUser)

	if theirs.Code != http.StatusUnprocessableEntity {
		t.Fatalf("status %d, want 422\n%s", theirs.Code, theirs.Body.String())
	}
	body := theirs.Body.String()
	if msg, ok := messageBesideField(body, "exercise"); !ok || msg == "" {
		t.Errorf("no message beside the exercise field\n%s", body)
	}
	if msg, ok := messageBesideField(body, "clients"); ok {
		t.Errorf("the clients were blamed (%q); it was the exercise", msg)
	}
	if strings.Contains(body, foreignExerciseTitle) {
		t.Error("the refused form names the other practice's exercise")
	}
	if missing.Code != http.StatusUnprocessableEntity {
		t.Fatalf("an exercise that does not exist: status %d, want 422", missing.Code)
	}
	if withoutRequestID(theirs) != withoutRequestID(missing) {
		t.Errorf("another practice's exercise is told apart from one that does not exist:\n--- theirs\n%s\n--- missing\n%s",
			withoutRequestID(theirs), withoutRequestID(missing))
	}
	if after := workCreated(t, a); after != before {
		t.Errorf("a refused assignment created work: before %s, after %s", before, after)
	}
	if after := authzState(t, a); after != state {
		t.Errorf("a refused assignment changed the database:\nbefore %s\nafter  %s", state, after)
	}
}

// Exercises belong to the practice: every therapist of it sees and may
// adapt the practice's own, nobody lists another practice's, and nobody
// edits a built-in.
func TestExercisesAreSharedWithinThePracticeOnly(t *testing.T) {
	a := testkit.NewApp(t)
	w := seedMatrix(t, a, true)
	for _, u := range []account.User{w.Therapist, w.Therapist2} {
		s := a.Login(t, u)
		for _, path := range []string{"/therapist/exercises", "/therapist/assign"} {
			res := s.Get(path)
			if res.Code != http.StatusOK {
				t.Fatalf("%s as %s: status %d", path, u.Email, res.Code)
			}
			body := res.Body.String()
			if !strings.Contains(body, practiceExerciseTitle) {
				t.Errorf("%s as %s does not list the practice's own exercise", path, u.Email)
			}
			if !strings.Contains(body, "Weekly trust check-in") {
				t.Errorf("%s as %s does not list the built-ins", path, u.Email)
			}
			if strings.Contains(body, foreignExerciseTitle) || strings.Contains(body, fmt.Sprintf("/therapist/exercises/%d", w.ForeignExercise)) {
				t.Errorf("%s as %s lists another practice's exercise", path, u.Email)
			}
		}
		if res := s.Get(fmt.Sprintf("/therapist/exercises/%d/edit", w.Exercise)); res.Code != http.StatusOK {
			t.Errorf("builder for the practice's exercise as %s: status %d, want 200", u.Email, res.Code)
		}
		if res := s.Get(fmt.Sprintf("/therapist/exercises/%d", w.Builtin)); res.Code != http.StatusOK {
			t.Errorf("a built-in as %s: status %d, want 200", u.Email, res.Code)
		}
	}

	s := a.Login(t, w.Therapist2)
	state := authzState(t, a)
	if res := s.PostForm(fmt.Sprintf("/therapist/exercises/%d/edit", w.Builtin), builderSaveForm(w, &w.Therapist2)); res.Code != http.StatusNotFound {
		t.Errorf("saving over a built-in: status %d, want 404", res.Code)
	}
	if after := authzState(t, a); after != state {
		t.Errorf("saving over a built-in changed the database:\nbefore %s\nafter  %s", state, after)
	}

	// The control: a colleague's save of the practice's exercise is a new
	// version of it.
	if res := s.PostForm(fmt.Sprintf("/therapist/exercises/%d/edit", w.Exercise), builderSaveForm(w, &w.Therapist2)); res.Code != http.StatusSeeOther {
		t.Fatalf("saving the practice's exercise as Therapist2: status %d\n%s", res.Code, res.Body.String())
	}
	var latest int
	if err := a.DB.Get(&latest, `SELECT latest_version FROM exercises WHERE id = $1`, w.Exercise); err != nil || latest != 2 {
		t.Errorf("after a colleague's save the exercise is at version %d (err %v), want 2", latest, err)
	}
}

// The success cells of the matrix for the series and occurrence routes
// really changed the work (a refused change also redirects to the
// client's page, with a message).
func TestTherapistChangesAndCancelsTheirOwnClientsWork(t *testing.T) {
	a := testkit.NewApp(t)
	w := seedMatrix(t, a, true)
	s := a.Login(t, w.Therapist)
	statuses := func() string {
		t.Helper()
		var out string
		if err := a.DB.Get(&out, `SELECT string_agg(status, ',' ORDER BY due_on) FROM assignments WHERE series_id = $1`, w.Series); err != nil {
			t.Fatal(err)
		}
		return out
	}

	if res := s.PostForm(fmt.Sprintf("/therapist/assignments/%d/cancel", w.Assignment), url.Values{}); res.Code != http.StatusSeeOther {
		t.Fatalf("cancel an occurrence: status %d", res.Code)
	}
	if got := statuses(); got != "cancelled,open,open,open" {
		t.Errorf("after cancelling the first occurrence: %s", got)
	}
	if res := s.PostForm(fmt.Sprintf("/therapist/series/%d", w.Series), seriesChangeForm(w, &w.Therapist)); res.Code != http.StatusSeeOther {
		t.Fatalf("change the series: status %d\n%s", res.Code, res.Body.String())
	}
	if got := statuses(); got != "cancelled,open,cancelled,cancelled" {
		t.Errorf("after ending the series at two: %s", got)
	}
	if res := s.PostForm(fmt.Sprintf("/therapist/series/%d/cancel", w.Series), url.Values{}); res.Code != http.StatusSeeOther {
		t.Fatalf("cancel the series: status %d", res.Code)
	}
	var ended bool
	if err := a.DB.Get(&ended, `SELECT cancelled_at IS NOT NULL FROM assignment_series WHERE id = $1`, w.Series); err != nil || !ended {
		t.Errorf("series not ended (err %v)", err)
	}
	if got := statuses(); got != "cancelled,cancelled,cancelled,cancelled" {
		t.Errorf("after cancelling the series: %s", got)
	}
}

// Owner, role and status fields posted with the builder, assign and series
// forms are ignored: the actor, their practice and the rules decide (R15).
func TestWorkFormsCannotSetOwnersOrStatus(t *testing.T) {
	a := testkit.NewApp(t)
	w := seedMatrix(t, a, true)
	s := a.Login(t, w.Therapist)
	id := func(n int64) []string { return []string{strconv.FormatInt(n, 10)} }

	t.Run("builder", func(t *testing.T) {
		f := builderSaveForm(w, &w.Therapist)
		f.Set("title", "Mass assignment probe")
		for k, v := range map[string][]string{
			"practice_id": id(w.Outsider.PracticeID), "created_by": id(w.Therapist2.ID), "builtin_key": {"weekly-trust-check-in"},
			"copied_from": id(w.ForeignExercise), "latest_version": {"7"}, "version": {"7"}, "archived_at": {"2020-01-01"}, "role": {"admin"},
		} {
			f[k] = v
		}
		if res := s.PostForm("/therapist/exercises/new", f); res.Code != http.StatusSeeOther {
			t.Fatalf("save: status %d\n%s", res.Code, res.Body.String())
		}
		var e struct {
			PracticeID *int64  `db:"practice_id"`
			CreatedBy  *int64  `db:"created_by"`
			BuiltinKey *string `db:"builtin_key"`
			CopiedFrom *int64  `db:"copied_from"`
			Latest     int     `db:"latest_version"`
			Archived   bool    `db:"archived"`
		}
		if err := a.DB.Get(&e, `SELECT practice_id, created_by, builtin_key, copied_from, latest_version, archived_at IS NOT NULL AS archived
			FROM exercises WHERE id = (SELECT exercise_id FROM exercise_versions WHERE definition->>'title' = 'Mass assignment probe')`); err != nil {
			t.Fatal(err)
		}
		if e.PracticeID == nil || *e.PracticeID != w.PracticeID || e.CreatedBy == nil || *e.CreatedBy != w.Therapist.ID ||
			e.BuiltinKey != nil || e.CopiedFrom != nil || e.Latest != 1 || e.Archived {
			t.Errorf("form fields were taken over the actor's own: %+v", e)
		}
	})

	t.Run("assign", func(t *testing.T) {
		f := assignWeeklyForm(w, &w.Therapist)
		f.Set("note", "Mass assignment probe")
		for k, v := range map[string][]string{
			"practice_id": id(w.Outsider.PracticeID), "assigned_by": id(w.Therapist2.ID), "therapist_id": id(w.Therapist2.ID),
			"client_id": id(w.OtherClient.ID), "status": {"reviewed"}, "exercise_version": {"9"}, "cancelled_at": {"2020-01-01"}, "role": {"admin"},
		} {
			f[k] = v
		}
		if res := s.PostForm("/therapist/assign", f); res.Code != http.StatusSeeOther {
			t.Fatalf("assign: status %d\n%s", res.Code, res.Body.String())
		}
		var sr struct {
			ID         int64 `db:"id"`
			PracticeID int64 `db:"practice_id"`
			ClientID   int64 `db:"client_id"`
			AssignedBy int64 `db:"assigned_by"`
			Version    int   `db:"exercise_version"`
			Cancelled  bool  `db:"cancelled"`
		}
		if err := a.DB.Get(&sr, `SELECT id, practice_id, client_id, assigned_by, exercise_version, cancelled_at IS NOT NULL AS cancelled
			FROM assignment_series WHERE note = 'Mass assignment probe'`); err != nil {
			t.Fatal(err)
		}
		if sr.PracticeID != w.PracticeID || sr.ClientID != w.Client.ID || sr.AssignedBy != w.Therapist.ID || sr.Version != 1 || sr.Cancelled {
			t.Errorf("form fields were taken over the actor's own: %+v", sr)
		}
		var odd int
		if err := a.DB.Get(&odd, `SELECT count(*) FROM assignments WHERE series_id = $1 AND (status <> 'open' OR client_id <> $2 OR exercise_version <> 1)`,
			sr.ID, w.Client.ID); err != nil || odd != 0 {
			t.Errorf("%d occurrences took a posted status, client or version (err %v)", odd, err)
		}
		var theirs int
		if err := a.DB.Get(&theirs, `SELECT count(*) FROM assignment_series WHERE client_id = $1`, w.OtherClient.ID); err != nil || theirs != 0 {
			t.Errorf("another therapist's client was given %d series (err %v)", theirs, err)
		}
	})

	t.Run("series change", func(t *testing.T) {
		var before string
		q := `SELECT concat_ws(':', practice_id, client_id, assigned_by, exercise_id, exercise_version, recurrence, interval_days, first_due,
			cancelled_at IS NULL) FROM assignment_series WHERE id = $1`
		if err := a.DB.Get(&before, q, w.Series); err != nil {
			t.Fatal(err)
		}
		f := url.Values{"note": {"Still weekly."}, "end": {"count"}, "count": {"4"},
			"client_id": id(w.OtherClient.ID), "exercise_id": id(w.ForeignExercise), "exercise_version": {"9"}, "recurrence": {"once"},
			"interval_days": {"2"}, "first_due": {dateInDays(30)}, "practice_id": id(w.Outsider.PracticeID), "assigned_by": id(w.Therapist2.ID),
			"status": {"cancelled"}, "cancelled_at": {"2020-01-01"}}
		if res := s.PostForm(fmt.Sprintf("/therapist/series/%d", w.Series), f); res.Code != http.StatusSeeOther {
			t.Fatalf("change: status %d\n%s", res.Code, res.Body.String())
		}
		var after, note string
		if err := a.DB.Get(&after, q, w.Series); err != nil {
			t.Fatal(err)
		}
		if err := a.DB.Get(&note, `SELECT note FROM assignment_series WHERE id = $1`, w.Series); err != nil || note != "Still weekly." {
			t.Errorf("the change itself was not saved: note %q (err %v)", note, err)
		}
		if after != before {
			t.Errorf("form fields changed what a series change may not: before %s, after %s", before, after)
		}
		var odd int
		if err := a.DB.Get(&odd, `SELECT count(*) FROM assignments WHERE series_id = $1 AND (status <> 'open' OR client_id <> $2)`,
			w.Series, w.Client.ID); err != nil || odd != 0 {
			t.Errorf("%d occurrences took a posted status or client (err %v)", odd, err)
		}
	})
}
