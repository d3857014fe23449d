package server_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trellis-app/trellis/internal/server"
	"github.com/trellis-app/trellis/internal/testkit"
)

// checkInFor assigns the weekly check-in to client, due today, and returns
// the occurrence's id.
func checkInFor(t *testing.T, a *testkit.App, therapist *testkit.Session, clientID int64) int64 {
	t.Helper()
	assign(t, therapist, checkInID(t, a), clientID, url.Values{"first_due": {todayUTC()}})
	var id int64
	if err := a.DB.Get(&id, `SELECT max(id) FROM assignments WHERE client_id = $1`, clientID); err != nil {
		t.Fatal(err)
	}
	return id
}

func todayUTC() string { return tomorrowMinus(1) }

func tomorrowMinus(days int) string {
	t, _ := timeParse(tomorrow())
	return t.AddDate(0, 0, -days).Format("2006-01-02")
}

var tokenRe = regexp.MustCompile(`name="form_token" value="([^"]+)"`)

func formToken(t *testing.T, body string) string {
	t.Helper()
	m := tokenRe.FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no form token on the page")
	}
	return m[1]
}

var fullCheckIn = url.Values{"a.open_communication": {"6"}, "a.respect": {"7"}, "a.consistency": {"5"}, "a.empathy": {"8"},
	"a.forgiveness": {"4"}, "a.overall": {"6"}, "a.note": {"We talked on Sunday — Ελένη said she felt heard."}}

// send opens page (the form, or ?change=1) as c, takes its one-time token
// and posts the check-in to path with fields overridden by kv.
func send(t *testing.T, c *testkit.Session, path, page string, kv ...string) *httptest.ResponseRecorder {
	t.Helper()
	return c.PostForm(path, with(fullCheckIn, append([]string{"op", "send", "form_token", formToken(t, c.Get(page).Body.String())}, kv...)...))
}

func with(v url.Values, kv ...string) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out.Set(kv[i], kv[i+1])
	}
	return out
}

func TestDraftsKeepEverythingAndSendingChecksIt(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	id := checkInFor(t, a, a.Login(t, w.Therapist), w.Client.ID)
	c := a.Login(t, w.Client)
	path := "/home/assignments/" + strconv.FormatInt(id, 10)
	page := c.Get(path).Body.String()

	// A draft keeps even an out-of-range answer: nothing typed is lost.
	r := c.PostForm(path, with(url.Values{"a.overall": {"42"}, "a.note": {"half a thought"}}, "op", "draft", "form_token", formToken(t, page)))
	if r.Code != http.StatusSeeOther {
		t.Fatalf("save draft = %d", r.Code)
	}
	again := c.Get(path).Body.String()
	if !strings.Contains(again, ">half a thought</textarea>") || !strings.Contains(again, "Saved. You can come back") {
		t.Error("draft not shown back with its confirmation")
	}
	// Sending checks: the refused send goes back to the form by a GET
	// (POST/redirect/GET: Back and Reload never post it again); the
	// message sits beside the field, naming the question; everything stays.
	bad := c.PostForm(path, with(fullCheckIn, "a.overall", "42", "op", "send", "form_token", formToken(t, again)))
	if bad.Code != http.StatusSeeOther || bad.Header().Get("Location") != path+"?check=1" {
		t.Fatalf("send out of range = %d %q, want 303 to %s?check=1", bad.Code, bad.Header().Get("Location"), path)
	}
	body := c.Get(path + "?check=1").Body.String()
	for _, want := range []string{`id="a.overall-error"`, `href="#a.overall">Overall, how much did you trust this relationship this week? Choose a whole number from 0 to 10.</a>`,
		"Everything you wrote is still here", "felt heard.</textarea>", `name="a.respect" value="7" checked`} {
		if !strings.Contains(body, want) {
			t.Errorf("re-rendered form lacks %s", want)
		}
	}
	var subs int
	_ = a.DB.Get(&subs, `SELECT count(*) FROM submissions`)
	if subs != 0 {
		t.Fatalf("an invalid send stored %d submissions", subs)
	}
	var draft string
	if err := a.DB.Get(&draft, `SELECT answers->'note'->>0 FROM drafts WHERE assignment_id = $1`, id); err != nil || !strings.Contains(draft, "felt heard") {
		t.Errorf("the refused send's text is not in the draft: %q %v", draft, err)
	}
	// A good send: confirmation, read-only view, draft cleared, tracked
	// values recorded, audited.
	ok := c.PostForm(path, with(fullCheckIn, "op", "send", "form_token", formToken(t, body)))
	if ok.Code != http.StatusSeeOther || ok.Header().Get("Location") != path+"?sent=1" {
		t.Fatalf("send = %d %q", ok.Code, ok.Header().Get("Location"))
	}
	sent := c.Get(path + "?sent=1").Body.String()
	for _, want := range []string{"Sent. Thank you.", "Ελένη said she felt heard.", "6 out of 10", "Change my answers"} {
		if !strings.Contains(sent, want) {
			t.Errorf("confirmation lacks %q", want)
		}
	}
	var drafts, tracked, audited int
	_ = a.DB.Get(&drafts, `SELECT count(*) FROM drafts`)
	_ = a.DB.Get(&tracked, `SELECT count(*) FROM tracked_values`)
	_ = a.DB.Get(&audited, `SELECT count(*) FROM audit_log WHERE action = 'submission.created' AND NOT detail::text LIKE '%heard%'`)
	if drafts != 0 || tracked != 6 || audited != 1 {
		t.Errorf("after sending: drafts %d, tracked values %d, audit rows %d; want 0, 6, 1", drafts, tracked, audited)
	}
	// The therapist's dashboard now shows it waiting, with the check-in.
	dash := a.Login(t, w.Therapist).Get("/therapist").Body.String()
	if !strings.Contains(dash, "attention-submitted") || !strings.Contains(dash, "6 / 10") {
		t.Error("dashboard does not show the new submission and check-in score")
	}
}

// A new practice's crisis text names no country's line: the US 988 line
// was the default wherever a practice was.
func TestANewPracticesCrisisTextNamesNoCountrysLine(t *testing.T) {
	a := testkit.NewApp(t)
	var text string
	if err := a.DB.Get(&text, `INSERT INTO practices (name) VALUES ('New practice') RETURNING crisis_text`); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(text, "988") || strings.Contains(text, "US") || !strings.Contains(text, "local emergency number") {
		t.Errorf("a new practice's crisis text is %q, want the local emergency number and no country's line", text)
	}
}

func TestChangingWhatWasSentMakesANewVersion(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	id := checkInFor(t, a, a.Login(t, w.Therapist), w.Client.ID)
	c := a.Login(t, w.Client)
	path := "/home/assignments/" + strconv.FormatInt(id, 10)
	send(t, c, path, path)

	edit := c.Get(path + "?change=1").Body.String()
	if !strings.Contains(edit, "You are changing what you sent") || !strings.Contains(edit, "felt heard.</textarea>") {
		t.Fatal("the change form does not start from what was sent")
	}
	r := c.PostForm(path, with(fullCheckIn, "a.note", "On reflection, it was harder than I said.", "op", "send", "change", "1", "form_token", formToken(t, edit)))
	if r.Code != http.StatusSeeOther {
		t.Fatalf("send change = %d", r.Code)
	}
	var versions []struct {
		Version int    `db:"version"`
		Note    string `db:"note"`
	}
	if err := a.DB.Select(&versions, `SELECT version, answers->'note'->>0 AS note FROM submissions WHERE assignment_id = $1 ORDER BY version`, id); err != nil {
		t.Fatal(err)
	}
	if len(versions) != 2 || versions[0].Note != fullCheckIn.Get("a.note") || versions[1].Note != "On reflection, it was harder than I said." {
		t.Fatalf("versions = %+v: the first must stay as sent (R25)", versions)
	}
	if view := c.Get(path).Body.String(); !strings.Contains(view, "version 2") || !strings.Contains(view, "harder than I said") {
		t.Error("the read-only view does not show the latest version")
	}
}

func TestClientHomeGroupsTheWork(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	therapist := a.Login(t, w.Therapist)
	overdue := checkInFor(t, a, therapist, w.Client.ID)
	if _, err := a.DB.Exec(`UPDATE assignments SET due_at = now() - interval '2 days', due_on = current_date - 2 WHERE id = $1`, overdue); err != nil {
		t.Fatal(err)
	}
	assign(t, therapist, checkInID(t, a), w.Client.ID, url.Values{"first_due": {tomorrowMinus(-20)}})
	sent := checkInFor(t, a, therapist, w.Client.ID)
	c := a.Login(t, w.Client)
	p := "/home/assignments/" + strconv.FormatInt(sent, 10)
	send(t, c, p, p)

	home := c.Get("/home").Body.String()
	sections := map[string]string{
		"Still to do from before": "/home/assignments/" + strconv.FormatInt(overdue, 10),
		"Coming up":               "Due ",
		"What you sent":           p,
	}
	for heading, want := range sections {
		part := between(home, heading, "</section>")
		if part == "" || !strings.Contains(part, want) {
			t.Errorf("section %q lacks %q", heading, want)
		}
	}
	if !strings.Contains(home, "Need help now?") {
		t.Error("client home lacks the crisis line")
	}
	if hist := c.Get("/home/history").Body.String(); !strings.Contains(hist, p) {
		t.Error("history does not list what was sent")
	}
}

func TestTherapistSeesThatAChangedSubmissionHasVersions(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	therapist := a.Login(t, w.Therapist)
	id := checkInFor(t, a, therapist, w.Client.ID)
	c := a.Login(t, w.Client)
	path := "/home/assignments/" + strconv.FormatInt(id, 10)
	send(t, c, path, path)
	send(t, c, path, path+"?change=1", "a.note", "changed", "change", "1")
	page := therapist.Get("/therapist/clients/" + strconv.FormatInt(w.Client.ID, 10)).Body.String()
	if !strings.Contains(page, "(2 versions)") {
		t.Errorf("the therapist's view of the client does not show the two versions:\n%s", between(page, "<tbody>", "</tbody>"))
	}
}

func TestRiskLanguageIsFlaggedForTheTherapistAndTheClientSeesWhereToGetHelp(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	if _, err := a.DB.Exec(`UPDATE practices SET crisis_text = 'In danger now? Call 999. Samaritans: 116 123.' WHERE id = $1`, w.PracticeID); err != nil {
		t.Fatal(err)
	}
	therapist := a.Login(t, w.Therapist)
	id := checkInFor(t, a, therapist, w.Client.ID)
	calm := checkInFor(t, a, therapist, w.Client2.ID)
	c := a.Login(t, w.Client)
	path := "/home/assignments/" + strconv.FormatInt(id, 10)
	note := "Ελένη: some nights I think everyone would be better off if I ended my life."
	send(t, c, path, path, "a.note", note)

	var flags string
	if err := a.DB.Get(&flags, `SELECT array_to_string(flags, ',') FROM submissions WHERE assignment_id = $1`, id); err != nil || flags == "" {
		t.Fatalf("flags = %q (%v), want the category stored", flags, err)
	}
	confirm := c.Get(path + "?sent=1").Body.String()
	if !strings.Contains(confirm, "If things feel very hard right now") || !strings.Contains(confirm, `class="crisis-text"`) {
		t.Error("the confirmation of a flagged send does not show the crisis line prominently")
	}
	// Once is enough: the prominent box, not the everyday line as well;
	// its number is a link that dials it.
	if n := strings.Count(confirm, `class="crisis-line`); n != 1 {
		t.Errorf("the confirmation of a flagged send shows the crisis text %d times, want once", n)
	}
	if !strings.Contains(between(confirm, `class="crisis-text"`, "</p>"), `<a href="tel:116123">116 123</a>`) {
		t.Error("the crisis text's number is not a tel: link")
	}
	// A calm send gets the usual confirmation only.
	c2 := a.Login(t, w.Client2)
	p2 := "/home/assignments/" + strconv.FormatInt(calm, 10)
	send(t, c2, p2, p2)
	if strings.Contains(c2.Get(p2+"?sent=1").Body.String(), "If things feel very hard right now") {
		t.Error("a calm send shows the flagged-send message")
	}

	review := therapist.Get("/therapist/work/" + strconv.FormatInt(id, 10)).Body.String()
	if !strings.Contains(review, "Flagged for you to look at") || !strings.Contains(review, "ended my life</mark>") {
		t.Errorf("the review page does not highlight the phrase:\n%s", between(review, `<section aria-labelledby="answers-title">`, "</section>"))
	}
	inbox := between(therapist.Get("/therapist/inbox").Body.String(), "<tbody>", "</tbody>")
	if i, j := strings.Index(inbox, "Flagged: look"), strings.Index(inbox, w.Client2.DisplayName); i < 0 || j >= 0 && j < i {
		t.Error("the flagged submission is not first in the inbox")
	}
	dash := therapist.Get("/therapist").Body.String()
	if !strings.Contains(between(dash, `<ul class="attention">`, "</ul>"), "Flagged: look") {
		t.Error("the dashboard's needs-attention list does not show the flag")
	}
}

func TestKeptTextOnSentWorkComesBackAsChanges(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	id := checkInFor(t, a, a.Login(t, w.Therapist), w.Client.ID)
	c := a.Login(t, w.Client)
	path := "/home/assignments/" + strconv.FormatInt(id, 10)
	send(t, c, path, path)
	edit := c.Get(path + "?change=1").Body.String()
	if _, err := a.DB.Exec(`UPDATE sessions SET revoked = true`); err != nil {
		t.Fatal(err)
	}
	r := c.PostForm(path, with(fullCheckIn, "a.note", "A change written after my session ended.", "op", "send", "change", "1", "form_token", formToken(t, edit)))
	if r.Code != http.StatusSeeOther || !strings.Contains(r.Header().Get("Location"), "kept=1") {
		t.Fatalf("signed-out send = %d %q", r.Code, r.Header().Get("Location"))
	}
	in := c.PostForm("/signin", url.Values{"email": {w.Client.Email}, "password": {testkit.Password}})
	if got := in.Header().Get("Location"); got != path+"?change=1" {
		t.Fatalf("after sign-in: %q, want %s?change=1 (the words are changes to sent work)", got, path)
	}
	if !strings.Contains(c.Get(path+"?change=1").Body.String(), "A change written after my session ended.") {
		t.Error("the restored change is not in the form")
	}
}

func TestANullCharacterCannotLoseTheText(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	id := checkInFor(t, a, a.Login(t, w.Therapist), w.Client.ID)
	c := a.Login(t, w.Client)
	path := "/home/assignments/" + strconv.FormatInt(id, 10)
	r := c.PostForm(path, with(fullCheckIn, "a.note", "Before\x00after.", "op", "send", "form_token", formToken(t, c.Get(path).Body.String())))
	if r.Code != http.StatusSeeOther {
		t.Fatalf("send with a NUL = %d", r.Code)
	}
	var note string
	if err := a.DB.Get(&note, `SELECT answers->'note'->>0 FROM submissions WHERE assignment_id = $1`, id); err != nil || note != "Beforeafter." {
		t.Errorf("stored note = %q (%v)", note, err)
	}
}

func TestSendingWithdrawnWorkShowsTheWordsBack(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	therapist := a.Login(t, w.Therapist)
	id := checkInFor(t, a, therapist, w.Client.ID)
	c := a.Login(t, w.Client)
	path := "/home/assignments/" + strconv.FormatInt(id, 10)
	token := formToken(t, c.Get(path).Body.String())
	therapist.PostForm("/therapist/assignments/"+strconv.FormatInt(id, 10)+"/cancel", nil)
	r := c.PostForm(path, with(fullCheckIn, "a.note", "Words for work that was withdrawn meanwhile.", "op", "send", "form_token", token))
	if r.Code != http.StatusNotFound || !strings.Contains(r.Body.String(), "Words for work that was withdrawn meanwhile.") || !strings.Contains(r.Body.String(), "no longer open") {
		t.Errorf("send to withdrawn work = %d; the words must be shown back", r.Code)
	}
}

func TestRestoredTextIsMergedWithANewerDraftNotOverIt(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	id := checkInFor(t, a, a.Login(t, w.Therapist), w.Client.ID)
	path := "/home/assignments/" + strconv.FormatInt(id, 10)
	// The laptop's session has ended; what it sends is kept.
	laptop := a.Anonymous(t)
	r := laptop.PostForm(path, url.Values{"a.note": {"Written on the laptop."}, "a.overall": {"4"}, "op": {"draft"}})
	if !strings.Contains(r.Header().Get("Location"), "kept=1") {
		t.Fatalf("laptop send = %d %q", r.Code, r.Header().Get("Location"))
	}
	// Meanwhile the phone saved newer writing.
	phone := a.Login(t, w.Client)
	phone.PostForm(path, url.Values{"a.note": {"Written on the phone, later."}, "a.overall": {"6"}, "op": {"draft"}})
	// The laptop signs in: both texts are there, the phone's scale stands.
	laptop.PostForm("/signin", url.Values{"email": {w.Client.Email}, "password": {testkit.Password}})
	var note, overall string
	if err := a.DB.QueryRow(`SELECT answers->'note'->>0, answers->'overall'->>0 FROM drafts WHERE assignment_id = $1`, id).Scan(&note, &overall); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(note, "Written on the phone, later.") || !strings.Contains(note, "Written on the laptop.") || overall != "6" {
		t.Errorf("merged draft: note %q, overall %q", note, overall)
	}
}

// A refused change (POST/redirect/GET) shows the words as they were
// posted, kept as the draft in PostgreSQL; what was sent stays what the
// sent view shows, which says there are unsent changes instead of offering
// "Change my answers" over them; starting again from what was sent
// pre-fills exactly what was sent.
func TestARefusedChangeIsKeptAndChangeMyAnswersStartsFromWhatWasSent(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	id := checkInFor(t, a, a.Login(t, w.Therapist), w.Client.ID)
	c := a.Login(t, w.Client)
	path := "/home/assignments/" + strconv.FormatInt(id, 10)
	send(t, c, path, path)

	const unsent = "A second thought I have not sent."
	r := send(t, c, path, path+"?change=1", "a.overall", "42", "a.note", unsent, "change", "1")
	if r.Code != http.StatusSeeOther || r.Header().Get("Location") != path+"?change=1&check=1" {
		t.Fatalf("refused change = %d %q, want 303 to %s?change=1&check=1", r.Code, r.Header().Get("Location"), path)
	}
	form := c.Get(path + "?change=1&check=1").Body.String()
	for _, want := range []string{`id="a.overall-error"`, unsent + "</textarea>", "changes you have not sent yet", `name="op" value="restart"`} {
		if !strings.Contains(form, want) {
			t.Errorf("the refused change's form lacks %s", want)
		}
	}

	view := c.Get(path).Body.String()
	sent := between(view, `<dl class="sent-answers">`, "</dl>")
	if !strings.Contains(sent, "6 out of 10") || !strings.Contains(sent, "felt heard.") || strings.Contains(sent, unsent) {
		t.Errorf("the sent view does not show what was sent:\n%s", sent)
	}
	if !strings.Contains(view, "You have changes you have not sent yet") || !strings.Contains(view, "Continue my unsent changes") || strings.Contains(view, "Change my answers") {
		t.Error("the sent view offers “Change my answers” over unsent changes, or does not say they are there")
	}

	r = c.PostForm(path, with(fullCheckIn, "op", "restart", "change", "1", "form_token", formToken(t, form)))
	if r.Code != http.StatusSeeOther || r.Header().Get("Location") != path+"?change=1" {
		t.Fatalf("start again = %d %q", r.Code, r.Header().Get("Location"))
	}
	again := c.Get(path + "?change=1").Body.String()
	if !strings.Contains(again, "felt heard.</textarea>") || !strings.Contains(again, `name="a.overall" value="6" checked`) || strings.Contains(again, unsent) {
		t.Error("after starting again, the form does not hold exactly what was sent")
	}
	var drafts, subs int
	_ = a.DB.Get(&drafts, `SELECT count(*) FROM drafts WHERE assignment_id = $1`, id)
	_ = a.DB.Get(&subs, `SELECT count(*) FROM submissions WHERE assignment_id = $1`, id)
	if drafts != 0 || subs != 1 {
		t.Errorf("after starting again: %d drafts, %d submissions; want 0 and 1", drafts, subs)
	}
	if !strings.Contains(c.Get(path).Body.String(), "Change my answers") {
		t.Error("with no unsent changes, the sent view does not offer “Change my answers”")
	}
}

// The form tells autosave.js the server's pause, two seconds unless the
// server was built with another.
func TestWorkPageGivesAutosaveThePause(t *testing.T) {
	for _, tt := range []struct {
		name  string
		pause time.Duration
		want  string
	}{
		{"default", 0, `data-autosave-pause="2000"`},
		{"set", 350 * time.Millisecond, `data-autosave-pause="350"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := testkit.NewAppWith(t, func(d *server.Deps) { d.AutosavePause = tt.pause })
			w := a.Seed(t)
			id := checkInFor(t, a, a.Login(t, w.Therapist), w.Client.ID)
			res := a.Login(t, w.Client).Get(workPathOf(id))
			if res.Code != http.StatusOK {
				t.Fatalf("open the check-in: status %d", res.Code)
			}
			if n := strings.Count(res.Body.String(), "data-autosave-pause="); n != 1 || !strings.Contains(res.Body.String(), tt.want) {
				t.Errorf("the form has %d autosave pauses, want one: %s", n, tt.want)
			}
		})
	}
}

// sendQueries sends a fresh check-in as the client and counts the
// statements the send alone makes (not opening the form).
func sendQueries(t testing.TB, a *testkit.App, c *testkit.Session, path string) int64 {
	t.Helper()
	page := c.Get(path).Body.String()
	m := tokenRe.FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no form token on the page")
	}
	before := a.Queries.Count()
	r := c.PostForm(path, with(fullCheckIn, "op", "send", "form_token", m[1]))
	if r.Code != http.StatusSeeOther {
		t.Fatalf("send = %d\n%s", r.Code, r.Body.String())
	}
	return a.Queries.Count() - before
}

// A send is one transaction of few statements (#17): the session, the
// principal, the work, then in the transaction the lock with the repeat
// check, the submission, its tracked values, the status, clearing any
// draft and the audit row, and the session's write (14 before the lock
// and the repeat check were one statement and answers that were sent
// stopped being saved as a draft first). A ceiling guards against reads
// creeping back in.
func TestASendMakesFewStatements(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	id := checkInFor(t, a, a.Login(t, w.Therapist), w.Client.ID)
	n := sendQueries(t, a, a.Login(t, w.Client), "/home/assignments/"+strconv.FormatInt(id, 10))
	t.Logf("a send makes %d statements", n)
	if n > 12 {
		t.Errorf("a send makes %d statements; want at most 12", n)
	}
}
