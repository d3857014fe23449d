package scale_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/trellis-app/trellis/internal/assignment"
	"github.com/trellis-app/trellis/internal/exercise"
	"github.com/trellis-app/trellis/internal/risk"
	"github.com/trellis-app/trellis/internal/scale"
	"github.com/trellis-app/trellis/internal/testkit"
)

// The small practice the tests seed: three therapists, 36 clients, 5,000
// submissions, up to now (the pages chart the weeks before today).
var small = scale.Options{Therapists: 3, Clients: 36, Submissions: 5000, Seed: 7, Now: time.Now()}

func seedSmall(t *testing.T) (*testkit.App, scale.Result) {
	t.Helper()
	a := testkit.NewApp(t)
	res, err := scale.Seed(context.Background(), a.DB, small)
	if err != nil {
		t.Fatalf("seed: %v", err)
	}
	return a, res
}

func count(t *testing.T, a *testkit.App, q string, args ...any) int {
	t.Helper()
	var n int
	if err := a.DB.Get(&n, q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func TestSeedWritesTheAskedSizeSpreadOverTwoYears(t *testing.T) {
	a, res := seedSmall(t)
	if res.Submissions != int64(small.Submissions) || res.Therapists != small.Therapists || res.Clients != small.Clients {
		t.Errorf("result counts %+v, want %d therapists, %d clients, %d submissions", res.Counts, small.Therapists, small.Clients, small.Submissions)
	}
	p := res.PracticeID
	for role, want := range map[string]int{"admin": 1, "therapist": small.Therapists, "client": small.Clients} {
		if n := count(t, a, `SELECT count(*) FROM users WHERE practice_id = $1 AND role = $2 AND status = 'active'`, p, role); n != want {
			t.Errorf("%d active %ss, want %d", n, role, want)
		}
	}
	if n := count(t, a, `SELECT count(*) FROM submissions`); n != small.Submissions {
		t.Errorf("%d submissions stored, want exactly %d", n, small.Submissions)
	}
	// Caseloads are dealt as TherapistOf says, by the contract's emails.
	type caseload struct {
		Client    string `db:"client"`
		Therapist string `db:"therapist"`
	}
	var pairs []caseload
	if err := a.DB.Select(&pairs, `SELECT c.email AS client, t.email AS therapist FROM users c JOIN users t ON t.id = c.therapist_id WHERE c.practice_id = $1`, p); err != nil {
		t.Fatal(err)
	}
	for i := range small.Clients {
		want := scale.TherapistEmail(scale.TherapistOf(i, small.Therapists))
		if !slices.Contains(pairs, caseload{scale.ClientEmail(i), want}) {
			t.Errorf("client %d is not in %s's caseload", i, want)
		}
	}

	var months int
	if err := a.DB.Get(&months, `SELECT count(DISTINCT date_trunc('month', submitted_at)) FROM submissions
		WHERE submitted_at >= $1::timestamptz - interval '2 years'`, small.Now); err != nil {
		t.Fatal(err)
	}
	if months < 24 {
		t.Errorf("submissions fall in %d of the last 24 months", months)
	}
	shares := []struct {
		what     string
		q        string
		min, max float64
	}{
		{"sent late", `SELECT avg((submitted_at > due_at)::int) FROM assignments WHERE submitted_at IS NOT NULL`, 0.05, 0.25},
		{"reviewed", `SELECT avg((status = 'reviewed')::int) FROM assignments WHERE status IN ('submitted', 'reviewed')`, 0.8, 0.995},
		{"waiting", `SELECT avg((status = 'submitted')::int) FROM assignments WHERE status IN ('submitted', 'reviewed')`, 0.005, 0.2},
		{"overdue, never sent", `SELECT avg((status = 'open' AND due_at < $1)::int) FROM assignments`, 0.03, 0.25},
		{"cancelled", `SELECT avg((status = 'cancelled')::int) FROM assignments`, 0.005, 0.2},
		{"flagged", `SELECT avg(flagged::int) FROM assignments WHERE status IN ('submitted', 'reviewed')`, 0.002, 0.06},
		{"changed after sending", `SELECT avg((version > 1)::int) FROM submissions`, 0.01, 0.08},
		{"with feedback", `SELECT avg((f.assignment_id IS NOT NULL)::int) FROM assignments a LEFT JOIN feedback f ON f.assignment_id = a.id WHERE a.status = 'reviewed'`, 0.1, 0.4},
		{"clients with weekly check-ins", `SELECT avg((EXISTS (SELECT 1 FROM assignment_series s JOIN exercises e ON e.id = s.exercise_id
			WHERE s.client_id = u.id AND e.builtin_key = 'weekly-trust-check-in' AND s.recurrence = 'weekly'))::int) FROM users u WHERE u.role = 'client'`, 0.75, 1},
	}
	for _, s := range shares {
		var got float64
		args := []any{}
		if strings.Contains(s.q, "$1") {
			args = append(args, small.Now)
		}
		if err := a.DB.Get(&got, s.q, args...); err != nil {
			t.Fatalf("%s: %v", s.what, err)
		}
		if got < s.min || got > s.max {
			t.Errorf("%.3f of assignments %s, want %.3f to %.3f", got, s.what, s.min, s.max)
		}
	}
	for what, q := range map[string]string{
		"private notes":            `SELECT count(*) FROM notes`,
		"drafts":                   `SELECT count(*) FROM drafts`,
		"to discuss":               `SELECT count(*) FROM assignments WHERE discuss`,
		"work due in the future":   `SELECT count(*) FROM assignments WHERE status = 'open' AND due_on > $1::date`,
		"unseen feedback":          `SELECT count(*) FROM feedback WHERE seen_at IS NULL`,
		"every built-in exercise":  `SELECT count(DISTINCT exercise_id) - 7 FROM assignments`,
		"every therapist reviewed": `SELECT count(DISTINCT therapist_id) - 2 FROM assignments WHERE status = 'reviewed'`,
	} {
		args := []any{}
		if strings.Contains(q, "$1") {
			args = append(args, small.Now)
		}
		if n := count(t, a, q, args...); n <= 0 {
			t.Errorf("no %s (%d)", what, n)
		}
	}
	if n := count(t, a, `SELECT count(*) FROM submissions WHERE submitted_at > $1`, small.Now); n != 0 {
		t.Errorf("%d submissions sent after the seeded moment", n)
	}
}

// Everything seeded is shaped as the app itself would have stored it: each
// series' occurrences are its schedule's dates, answers pass the pinned
// version's form check, tracked values and flags are what the app derives
// from them, and the assignments' states and inbox columns agree with what
// was sent.
func TestSeededRowsAreShapedLikeTheAppsOwn(t *testing.T) {
	a, _ := seedSmall(t)
	scanner, err := risk.Shared() // the app's own, compiled once per process
	if err != nil {
		t.Fatal(err)
	}
	defs := map[[2]int64]exercise.Definition{}
	var vs []struct {
		ID      int64  `db:"exercise_id"`
		Version int64  `db:"version"`
		Def     []byte `db:"definition"`
	}
	if err := a.DB.Select(&vs, `SELECT exercise_id, version, definition FROM exercise_versions`); err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		var d exercise.Definition
		if err := json.Unmarshal(v.Def, &d); err != nil {
			t.Fatal(err)
		}
		defs[[2]int64{v.ID, v.Version}] = d
	}

	var subs []struct {
		ID         int64          `db:"id"`
		Assignment int64          `db:"assignment_id"`
		Exercise   int64          `db:"exercise_id"`
		Version    int64          `db:"exercise_version"`
		Answers    []byte         `db:"answers"`
		Flags      pq.StringArray `db:"flags"`
		At         time.Time      `db:"submitted_at"`
		Tracked    []byte         `db:"tracked"`
	}
	if err := a.DB.Select(&subs, `SELECT s.id, s.assignment_id, a.exercise_id, a.exercise_version, s.answers, s.flags, s.submitted_at,
		coalesce((SELECT jsonb_object_agg(field_key, value) FROM tracked_values tv
		          WHERE tv.submission_id = s.id AND tv.client_id = s.client_id AND tv.exercise_id = a.exercise_id AND tv.recorded_at = s.submitted_at), '{}') AS tracked
		FROM submissions s JOIN assignments a ON a.id = s.assignment_id AND a.client_id = s.client_id`); err != nil {
		t.Fatal(err)
	}
	if len(subs) != small.Submissions {
		t.Fatalf("%d submissions match their assignment's client, want %d", len(subs), small.Submissions)
	}
	bad := 0
	for _, s := range subs {
		d := defs[[2]int64{s.Exercise, s.Version}]
		var ans exercise.Answers
		if err := json.Unmarshal(s.Answers, &ans); err != nil {
			t.Fatal(err)
		}
		var tracked map[string]int
		if err := json.Unmarshal(s.Tracked, &tracked); err != nil {
			t.Fatal(err)
		}
		// What the reflection service scans: each text answer and a line break.
		var text strings.Builder
		for _, f := range d.Fields {
			if f.Type == exercise.LongText || f.Type == exercise.ShortText {
				text.WriteString(ans.First(f.Key) + "\n")
			}
		}
		flags := risk.Categories(scanner.Scan(text.String()))
		switch {
		case d.Check(ans) != nil:
			t.Errorf("submission %d fails the form check: %v", s.ID, d.Check(ans))
		case !maps.Equal(tracked, d.Tracked(ans)):
			t.Errorf("submission %d has tracked values %v, the app derives %v", s.ID, tracked, d.Tracked(ans))
		case !slices.Equal(flags, []string(s.Flags)) && !(len(flags) == 0 && len(s.Flags) == 0):
			t.Errorf("submission %d is flagged %v, the scanner finds %v", s.ID, s.Flags, flags)
		default:
			continue
		}
		if bad++; bad > 5 {
			t.Fatal("more than 5 malformed submissions")
		}
	}
	if n := count(t, a, `SELECT count(*) FROM tracked_values tv LEFT JOIN submissions s ON s.id = tv.submission_id WHERE s.id IS NULL`); n != 0 {
		t.Errorf("%d tracked values without their submission", n)
	}

	// States agree with what was sent; the inbox's copies with the truth.
	checks := map[string]string{
		"sent work with no submission, or a submission on unsent work": `SELECT count(*) FROM assignments a
			WHERE (a.status IN ('submitted', 'reviewed')) <> EXISTS (SELECT 1 FROM submissions s WHERE s.assignment_id = a.id)`,
		"submitted_at other than the latest version's": `SELECT count(*) FROM assignments a
			WHERE a.submitted_at IS DISTINCT FROM (SELECT s.submitted_at FROM submissions s WHERE s.assignment_id = a.id ORDER BY s.version DESC LIMIT 1)`,
		"versions out of time order or not numbered 1, 2, …": `SELECT count(*) FROM (SELECT assignment_id, version, submitted_at,
			row_number() OVER w AS n, lag(submitted_at) OVER w AS prev FROM submissions WINDOW w AS (PARTITION BY assignment_id ORDER BY version)) v
			WHERE v.version <> v.n OR v.submitted_at <= v.prev`,
		"reviewed without a review time after the last version": `SELECT count(*) FROM assignments
			WHERE (status = 'reviewed') <> (reviewed_at IS NOT NULL) OR reviewed_at < submitted_at`,
		"flagged unlike its versions": `SELECT count(*) FROM assignments a
			WHERE a.flagged <> EXISTS (SELECT 1 FROM submissions s WHERE s.assignment_id = a.id AND s.flags <> '{}')`,
		"a therapist other than the client's": `SELECT count(*) FROM assignments a JOIN users c ON c.id = a.client_id
			WHERE a.therapist_id IS DISTINCT FROM c.therapist_id`,
		"drafts on work no longer open":         `SELECT count(*) FROM drafts d JOIN assignments a ON a.id = d.assignment_id WHERE a.status <> 'open' OR d.client_id <> a.client_id`,
		"feedback on work not reviewed":         `SELECT count(*) FROM feedback f JOIN assignments a ON a.id = f.assignment_id WHERE a.status <> 'reviewed'`,
		"feedback seen before it was written":   `SELECT count(*) FROM feedback WHERE updated_at < created_at OR seen_at < updated_at`,
		"notes by someone other than the owner": `SELECT count(*) FROM notes n JOIN users c ON c.id = n.client_id WHERE n.author_id <> c.therapist_id`,
		"work sent before it was assigned":      `SELECT count(*) FROM assignments WHERE submitted_at < created_at`,
		"occurrences unlike their series": `SELECT count(*) FROM assignments a JOIN assignment_series s ON s.id = a.series_id
			WHERE a.client_id <> s.client_id OR a.exercise_id <> s.exercise_id OR a.exercise_version <> s.exercise_version
			   OR a.due_at <> a.due_on + time '23:59:59'`,
	}
	for what, q := range checks {
		if n := count(t, a, q); n != 0 {
			t.Errorf("%d rows: %s", n, what)
		}
	}

	// Each series holds exactly its schedule's dates, by the app's rules.
	var series []struct {
		ID       int64     `db:"id"`
		Recur    string    `db:"recurrence"`
		Interval int       `db:"interval_days"`
		First    time.Time `db:"first_due"`
		Count    int       `db:"occurrence_count"`
		Dues     []byte    `db:"dues"`
	}
	if err := a.DB.Select(&series, `SELECT s.id, s.recurrence, s.interval_days, s.first_due, s.occurrence_count,
		(SELECT jsonb_agg(to_char(due_on, 'YYYY-MM-DD') ORDER BY due_on) FROM assignments WHERE series_id = s.id) AS dues
		FROM assignment_series s`); err != nil {
		t.Fatal(err)
	}
	for _, s := range series {
		sc := assignment.Schedule{Recurrence: s.Recur, IntervalDays: s.Interval, First: assignment.DateOf(s.First), Count: s.Count}
		var want []string
		for _, d := range sc.Dates() {
			want = append(want, d.String())
		}
		var got []string
		if err := json.Unmarshal(s.Dues, &got); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("series %d has occurrences %v, its schedule says %v", s.ID, got, want)
			break
		}
	}
}

func TestSeedRefusesADatabaseThatHasTheScalePractice(t *testing.T) {
	a, _ := seedSmall(t)
	before := count(t, a, `SELECT count(*) FROM submissions`)
	if _, err := scale.Seed(context.Background(), a.DB, small); !errors.Is(err, scale.ErrExists) {
		t.Fatalf("a second seed returned %v, want ErrExists", err)
	}
	if after := count(t, a, `SELECT count(*) FROM submissions`); after != before {
		t.Errorf("the refused seed changed the submissions from %d to %d", before, after)
	}
	// Nothing half-done either: the foreign keys and indexes it set aside
	// while writing are all back.
	if n := count(t, a, `SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND conrelid = 'tracked_values'::regclass`); n != 3 {
		t.Errorf("tracked_values has %d foreign keys after seeding, want 3", n)
	}
}

var workLink = regexp.MustCompile(`href="/therapist/work/([0-9]+)"`)

func signIn(t *testing.T, a *testkit.App, email string) *testkit.Session {
	t.Helper()
	s := a.Anonymous(t)
	if r := s.PostForm("/signin", url.Values{"email": {email}, "password": {scale.Password}}); r.Code != http.StatusSeeOther {
		t.Fatalf("sign in as the seeded %s: status %d", strings.SplitN(email, "@", 2)[0], r.Code)
	}
	return s
}

func get(t *testing.T, s *testkit.Session, path string) string {
	t.Helper()
	r := s.Get(path)
	if r.Code != http.StatusOK {
		t.Fatalf("GET %s = %d", path, r.Code)
	}
	return r.Body.String()
}

// The real router renders a seeded therapist's dashboard, inbox (in the
// documented order, page after page), a submission and a client's
// progress, and a seeded client's home, signing in with the contract.
func TestTheAppRendersTheSeededPractice(t *testing.T) {
	a, _ := seedSmall(t)
	th := signIn(t, a, scale.TherapistEmail(1))
	var me int64
	if err := a.DB.Get(&me, `SELECT id FROM users WHERE email = $1`, scale.TherapistEmail(1)); err != nil {
		t.Fatal(err)
	}
	var clients []int64
	if err := a.DB.Select(&clients, `SELECT id FROM users WHERE therapist_id = $1 ORDER BY id`, me); err != nil {
		t.Fatal(err)
	}
	dash := get(t, th, "/therapist")
	for _, c := range clients {
		if !strings.Contains(dash, fmt.Sprintf(`/therapist/clients/%d"`, c)) {
			t.Errorf("the dashboard does not list client %d", c)
		}
	}
	if !strings.Contains(dash, "attention-") {
		t.Error("the dashboard shows nothing that needs attention")
	}

	// The inbox's first pages, against the order computed from the
	// submissions themselves (not from the columns the inbox reads).
	var want []int64
	if err := a.DB.Select(&want, `SELECT a.id FROM assignments a JOIN users c ON c.id = a.client_id AND c.therapist_id = $1
		WHERE a.status IN ('submitted', 'reviewed')
		ORDER BY CASE WHEN a.status = 'submitted' AND EXISTS (SELECT 1 FROM submissions s WHERE s.assignment_id = a.id AND s.flags <> '{}') THEN 0
		              WHEN a.status = 'submitted' THEN 1 ELSE 2 END, a.submitted_at DESC, a.id DESC LIMIT 75`, me); err != nil {
		t.Fatal(err)
	}
	var got []int64
	next := "/therapist/inbox"
	for range 3 {
		body := get(t, th, next)
		for _, m := range workLink.FindAllStringSubmatch(body, -1) {
			id, _ := strconv.ParseInt(m[1], 10, 64)
			if !slices.Contains(got, id) {
				got = append(got, id)
			}
		}
		m := regexp.MustCompile(`href="(/therapist/inbox\?[^"]*after=[^"]*)"`).FindStringSubmatch(body)
		if m == nil {
			t.Fatal("the inbox has no next page")
		}
		next = strings.ReplaceAll(m[1], "&amp;", "&")
	}
	if !slices.Equal(got, want) {
		t.Errorf("the inbox's first three pages list\n%v\nwant\n%v", got, want)
	}
	if !strings.Contains(get(t, th, "/therapist/inbox?flagged=1"), "/therapist/work/") {
		t.Error("the flagged inbox is empty")
	}
	work := get(t, th, fmt.Sprintf("/therapist/work/%d", got[0]))
	if strings.Count(work, `class="answer-row"`) < 3 {
		t.Error("the submission page shows fewer than three questions")
	}
	prog := get(t, th, fmt.Sprintf("/therapist/clients/%d/progress", clients[0]))
	if !strings.Contains(prog, "<polyline") {
		t.Error("the progress page draws no chart")
	}
	get(t, th, fmt.Sprintf("/therapist/clients/%d", clients[0]))

	c := signIn(t, a, scale.ClientEmail(1))
	if home := get(t, c, "/home"); !strings.Contains(home, "/home/assignments/") {
		t.Error("the client's home lists no work")
	}
}

// Risk language goes only where the seeder means it to: every risky
// sentence is flagged by the app's scanner and no other text is.
func TestOnlyTheRiskSentencesAreFlagged(t *testing.T) {
	s, err := risk.Shared()
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range scale.RiskSentences() {
		if len(risk.Categories(s.Scan(text))) == 0 {
			t.Errorf("not flagged: %q", text)
		}
	}
	for _, text := range scale.SafeTexts() {
		if c := risk.Categories(s.Scan(text)); len(c) > 0 {
			t.Errorf("flagged %v: %q", c, text)
		}
	}
}

// A client moved to another therapist takes their work to the new
// therapist's inbox and out of the former one's (the inbox reads a copy of
// the client's therapist on each assignment, kept by a trigger).
func TestTheInboxFollowsATransferredClient(t *testing.T) {
	a, _ := seedSmall(t)
	var client, to, work int64
	for email, id := range map[string]*int64{scale.ClientEmail(0): &client, scale.TherapistEmail(1): &to} {
		if err := a.DB.Get(id, `SELECT id FROM users WHERE email = $1`, email); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.DB.Get(&work, `SELECT id FROM assignments WHERE client_id = $1 AND status IN ('submitted', 'reviewed')
		ORDER BY submitted_at DESC LIMIT 1`, client); err != nil {
		t.Fatal(err)
	}
	inbox := fmt.Sprintf("/therapist/inbox?client=%d", client)
	link := fmt.Sprintf(`href="/therapist/work/%d"`, work)
	former := signIn(t, a, scale.TherapistEmail(0))
	if !strings.Contains(get(t, former, inbox), link) {
		t.Fatal("before the transfer, the client's work is not in their therapist's inbox")
	}
	// The admin proposes the move; it happens when the receiving
	// therapist accepts it.
	admin := signIn(t, a, scale.AdminEmail)
	if r := admin.PostForm(fmt.Sprintf("/admin/users/%d/transfer", client), url.Values{"therapist": {strconv.FormatInt(to, 10)}}); r.Code != http.StatusSeeOther {
		t.Fatalf("transfer = %d", r.Code)
	}
	receiving := signIn(t, a, scale.TherapistEmail(1))
	var move int64
	if err := a.DB.Get(&move, `SELECT id FROM client_transfers WHERE client_id = $1 AND status = 'pending'`, client); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(get(t, receiving, inbox), link) {
		t.Error("before accepting, the receiving therapist's inbox lists the client's work")
	}
	if r := receiving.PostForm(fmt.Sprintf("/therapist/transfers/%d/accept", move), url.Values{}); r.Code != http.StatusSeeOther {
		t.Fatalf("accept = %d", r.Code)
	}
	if !strings.Contains(get(t, receiving, inbox), link) {
		t.Error("after the transfer, the new therapist's inbox does not list the client's work")
	}
	if strings.Contains(get(t, former, "/therapist/inbox"), link) {
		t.Error("after the transfer, the former therapist's inbox still lists the client's work")
	}
	if n := count(t, a, `SELECT count(*) FROM assignments WHERE client_id = $1 AND therapist_id IS DISTINCT FROM $2`, client, to); n != 0 {
		t.Errorf("%d of the client's assignments kept the former therapist", n)
	}
}
