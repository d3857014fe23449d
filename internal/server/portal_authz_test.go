package server_test

// Authorization of the client portal beyond the matrix's status codes:
// another client's assignment answers exactly like none (R13), text kept
// after a session ended reaches its own client only (FT5), one form sends
// once however often and however fast it is posted (FT4), a change after
// sending is a new version (R25), and owner or status fields posted with a
// portal form are ignored (R15).

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trellis-app/trellis/internal/account"
	"github.com/trellis-app/trellis/internal/testkit"
)

// checkInScales are the required fields of the built-in weekly check-in,
// which w.Assignment is an occurrence of.
var checkInScales = []string{"open_communication", "respect", "consistency", "empathy", "forgiveness", "overall"}

// portalAnswers is a complete, valid answer to the weekly check-in, with
// note as its optional long text and 9 as the overall rating.
func portalAnswers(note string) url.Values {
	v := url.Values{"a.note": {note}}
	for _, k := range checkInScales {
		v.Set("a."+k, "6")
	}
	v.Set("a.overall", "9")
	return v
}

// portalToken is a one-time form token of the shape a rendered form
// carries: a random (version 4) UUID.
func portalToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// sendForm is the work form's "Send" with the given token.
func sendForm(note, token string) url.Values {
	f := portalAnswers(note)
	f.Set("op", "send")
	f.Set("form_token", token)
	return f
}

// sendWorkForm is a valid send with a fresh token.
func sendWorkForm(matrixWorld, *account.User) url.Values {
	return sendForm("Matrix: sent from the form.", portalToken())
}

// autosaveForm is what autosave.js posts: the answers so far, no op, no
// token.
func autosaveForm(matrixWorld, *account.User) url.Values {
	return url.Values{"a.note": {"Matrix: autosaved as typed."}, "a.overall": {"4"}}
}

var portalTokenRe = regexp.MustCompile(`<input type="hidden" name="form_token" value="([^"]*)">`)

// portalTokenIn is the form token of a rendered work page.
func portalTokenIn(t *testing.T, body string) string {
	t.Helper()
	m := portalTokenRe.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no form_token on the page\n%s", body)
	}
	return html.UnescapeString(m[1])
}

var uuidRe = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

func workPathOf(id int64) string { return "/home/assignments/" + strconv.FormatInt(id, 10) }

// postWith posts form to path as a same-origin browser would, with extra
// headers.
func postWith(s *testkit.Session, path string, form url.Values, headers map[string]string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	for k, v := range headers {
		r.Header.Set(k, v)
	}
	return s.Do(r)
}

var asScript = map[string]string{"Accept": "application/json"}

// countOf runs a count query.
func countOf(t *testing.T, a *testkit.App, q string, args ...any) int {
	t.Helper()
	var n int
	if err := a.DB.Get(&n, q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// draftRow is a stored draft.
type draftRow struct {
	ClientID int64  `db:"client_id"`
	Note     string `db:"note"`
	Overall  string `db:"overall"`
}

// draftOf reads the draft of an assignment, if there is one.
func draftOf(t *testing.T, a *testkit.App, assignment int64) (draftRow, bool) {
	t.Helper()
	var d []draftRow
	if err := a.DB.Select(&d, `SELECT client_id, coalesce(answers->'note'->>0, '') AS note, coalesce(answers->'overall'->>0, '') AS overall
		FROM drafts WHERE assignment_id = $1`, assignment); err != nil {
		t.Fatal(err)
	}
	if len(d) == 0 {
		return draftRow{}, false
	}
	return d[0], true
}

// submissionRow is a stored submission, in full.
type submissionRow struct {
	ID           int64     `db:"id"`
	AssignmentID int64     `db:"assignment_id"`
	ClientID     int64     `db:"client_id"`
	Version      int       `db:"version"`
	Note         string    `db:"note"`
	Answers      string    `db:"answers"`
	SubmittedAt  time.Time `db:"submitted_at"`
	FormToken    string    `db:"form_token"`
}

func submissionsOf(t *testing.T, a *testkit.App, assignment int64) []submissionRow {
	t.Helper()
	var out []submissionRow
	if err := a.DB.Select(&out, `SELECT id, assignment_id, client_id, version, coalesce(answers->'note'->>0, '') AS note, answers::text AS answers,
		submitted_at, form_token::text AS form_token FROM submissions WHERE assignment_id = $1 ORDER BY version`, assignment); err != nil {
		t.Fatal(err)
	}
	return out
}

func assignmentStatus(t *testing.T, a *testkit.App, id int64) string {
	t.Helper()
	var s string
	if err := a.DB.Get(&s, `SELECT status || ':' || (reviewed_at IS NULL)::text FROM assignments WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	return s
}

func pendingFor(t *testing.T, a *testkit.App, assignment int64) int {
	t.Helper()
	return countOf(t, a, `SELECT count(*) FROM pending_drafts WHERE assignment_id = $1`, assignment)
}

// setCookie finds the cookie name a response sets (or clears), nil if it
// does not touch it.
func setCookie(res *httptest.ResponseRecorder, name string) *http.Cookie {
	for _, c := range res.Result().Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

const keptCookie = "trellis_kept"

var hiddenNextRe = regexp.MustCompile(`<input type="hidden" name="next" value="([^"]*)">`)

// signInAt follows a redirect to the sign-in page as a browser does: it
// opens loc and posts the page's form, its hidden next included, as u.
func signInAt(t *testing.T, s *testkit.Session, loc string, u account.User) *httptest.ResponseRecorder {
	t.Helper()
	page := s.Get(loc)
	if page.Code != http.StatusOK {
		t.Fatalf("sign-in page %s: status %d\n%s", loc, page.Code, page.Body.String())
	}
	f := url.Values{"email": {u.Email}, "password": {testkit.Password}}
	if m := hiddenNextRe.FindStringSubmatch(page.Body.String()); m != nil {
		f.Set("next", html.UnescapeString(m[1]))
	}
	res := s.PostForm("/signin", f)
	if res.Code != http.StatusSeeOther {
		t.Fatalf("sign in as %s: status %d\n%s", u.Email, res.Code, res.Body.String())
	}
	return res
}

// portalRequest is one way of reaching an assignment through the portal.
type portalRequest struct {
	name   string
	method string
	suffix string // after /home/assignments/<id>
	form   func() url.Values
	script bool // sent by autosave.js: Accept: application/json
}

func (p portalRequest) send(s *testkit.Session, id int64) *httptest.ResponseRecorder {
	path := workPathOf(id) + p.suffix
	if p.method == http.MethodGet {
		return s.Get(path)
	}
	var h map[string]string
	if p.script {
		h = asScript
	}
	return postWith(s, path, p.form(), h)
}

// portalRequests would each read or write the assignment if it were the
// actor's: the forms are valid, the token fresh.
var portalRequests = []portalRequest{
	{name: "open it", method: http.MethodGet},
	{name: "open it to change what was sent", method: http.MethodGet, suffix: "?change=1"},
	{name: "send it", method: http.MethodPost, form: func() url.Values { return sendForm("Not mine to send.", portalToken()) }},
	{name: "send it with a malformed token", method: http.MethodPost, form: func() url.Values { return sendForm("Not mine to send.", "not-a-token") }},
	{name: "save a draft", method: http.MethodPost, form: func() url.Values {
		f := portalAnswers("Not mine to save.")
		f.Set("op", "draft")
		return f
	}},
	{name: "start again from what was sent", method: http.MethodPost, form: func() url.Values {
		f := portalAnswers("Not mine to discard.")
		f.Set("op", "restart")
		return f
	}},
	{name: "autosave as a form", method: http.MethodPost, suffix: "/draft", form: func() url.Values {
		return url.Values{"a.note": {"Not mine to autosave."}}
	}},
	{name: "autosave from the script", method: http.MethodPost, suffix: "/draft", script: true, form: func() url.Values {
		return url.Values{"a.note": {"Not mine to autosave."}}
	}},
}

// ownerDraft is what w.Client has written on w.Assignment before anyone
// else tries it.
const ownerDraft = "Only Eleni may read this draft."

// compare404 checks that theirs is the 404 that missing is, byte for byte
// once the request ids are blanked, with the same headers that matter.
func compare404(t *testing.T, theirs, missing *httptest.ResponseRecorder) {
	t.Helper()
	if missing.Code != http.StatusNotFound {
		t.Fatalf("an assignment that does not exist: status %d, want 404\n%s", missing.Code, missing.Body.String())
	}
	if theirs.Code != http.StatusNotFound {
		t.Fatalf("status %d, want 404 like an assignment that does not exist\n%s", theirs.Code, theirs.Body.String())
	}
	if got, want := withoutRequestID(theirs), withoutRequestID(missing); got != want {
		t.Errorf("told apart from an assignment that does not exist:\n--- theirs\n%s\n--- missing\n%s", got, want)
	}
	for _, h := range []string{"Content-Type", "Content-Length", "Location", "Cache-Control"} {
		if g, m := theirs.Header().Get(h), missing.Header().Get(h); g != m {
			t.Errorf("header %s: %q for theirs, %q for a missing one", h, g, m)
		}
	}
}

// Another client, of the same therapist or of another, gets exactly the 404
// of an assignment that does not exist, whatever they try, and nothing
// changes: the owner's draft stays as it was, nothing is sent or kept
// (R13).
func TestAnotherClientsAssignmentIsTheSame404AsAMissingOne(t *testing.T) {
	others := []struct {
		name string
		pick func(w testkit.World) account.User
	}{
		{"a client of the same therapist", func(w testkit.World) account.User { return w.Client2 }},
		{"a client of another therapist", func(w testkit.World) account.User { return w.OtherClient }},
	}
	for _, o := range others {
		for _, req := range portalRequests {
			t.Run(o.name+"/"+req.name, func(t *testing.T) {
				t.Parallel()
				a := testkit.NewApp(t)
				w := seedMatrix(t, a, true)
				if n := countOf(t, a, `SELECT count(*) FROM assignments WHERE id = $1`, noSuchUser); n != 0 {
					t.Fatalf("assignment %d should not exist", noSuchUser)
				}
				owner := a.Login(t, w.Client)
				if res := postWith(owner, workPathOf(w.Assignment)+"/draft", url.Values{"a.note": {ownerDraft}}, asScript); res.Code != http.StatusOK {
					t.Fatalf("the owner's autosave: status %d\n%s", res.Code, res.Body.String())
				}
				s := a.Login(t, o.pick(w.World))
				before := authzState(t, a)
				kept := countOf(t, a, `SELECT count(*) FROM pending_drafts`)

				theirs := req.send(s, w.Assignment)
				missing := req.send(s, noSuchUser)

				compare404(t, theirs, missing)
				if strings.Contains(theirs.Body.String(), ownerDraft) || strings.Contains(theirs.Body.String(), "Weekly trust check-in") {
					t.Errorf("the 404 shows the owner's work\n%s", theirs.Body.String())
				}
				if after := authzState(t, a); after != before {
					t.Errorf("the refused requests changed the database:\nbefore %s\nafter  %s", before, after)
				}
				if d, ok := draftOf(t, a, w.Assignment); !ok || d.ClientID != w.Client.ID || d.Note != ownerDraft {
					t.Errorf("the owner's draft is now %+v (present %v)", d, ok)
				}
				if n := countOf(t, a, `SELECT count(*) FROM pending_drafts`); n != kept {
					t.Errorf("a signed-in client's refused request kept text: %d pending rows, were %d", n, kept)
				}
			})
		}
	}
}

// A cancelled assignment is gone for its own client too: the same 404 as
// one that never existed, and nothing sent or saved to it (R13).
func TestACancelledAssignmentIsNotFoundForItsOwnClient(t *testing.T) {
	for _, req := range portalRequests {
		t.Run(req.name, func(t *testing.T) {
			t.Parallel()
			a := testkit.NewApp(t)
			w := seedMatrix(t, a, true)
			c := a.Login(t, w.Client)
			// The control: while open, the client reaches it.
			if res := c.Get(workPathOf(w.Assignment)); res.Code != http.StatusOK {
				t.Fatalf("the open assignment: status %d", res.Code)
			}
			th := a.Login(t, w.Therapist)
			if res := th.PostForm(fmt.Sprintf("/therapist/assignments/%d/cancel", w.Assignment), url.Values{}); res.Code != http.StatusSeeOther {
				t.Fatalf("cancel: status %d\n%s", res.Code, res.Body.String())
			}
			if st := assignmentStatus(t, a, w.Assignment); st != "cancelled:true" {
				t.Fatalf("after cancelling, status %s", st)
			}
			before := authzState(t, a)

			theirs := req.send(c, w.Assignment)
			missing := req.send(c, noSuchUser)

			compare404(t, theirs, missing)
			if after := authzState(t, a); after != before {
				t.Errorf("requests to a cancelled assignment changed the database:\nbefore %s\nafter  %s", before, after)
			}
			link := fmt.Sprintf(`href="%s"`, workPathOf(w.Assignment))
			for _, p := range []string{"/home", "/home/history"} {
				res := c.Get(p)
				if res.Code != http.StatusOK {
					t.Fatalf("%s: status %d", p, res.Code)
				}
				if strings.Contains(res.Body.String(), link) {
					t.Errorf("%s still links to the cancelled assignment", p)
				}
			}
		})
	}
}

// A client's lists show their own work only: after w.Client sends, their
// history links to it; nobody else's home or history does.
func TestClientListsShowOnlyTheirOwnWork(t *testing.T) {
	a := testkit.NewApp(t)
	w := seedMatrix(t, a, true)
	c := a.Login(t, w.Client)
	link := fmt.Sprintf(`href="%s"`, workPathOf(w.Assignment))
	if res := c.Get("/home"); res.Code != http.StatusOK || !strings.Contains(res.Body.String(), link) {
		t.Fatalf("the owner's home: status %d, links to the assignment: %v", res.Code, strings.Contains(res.Body.String(), link))
	}
	if res := c.PostForm(workPathOf(w.Assignment), sendForm("Sent, for the history.", portalToken())); res.Code != http.StatusSeeOther {
		t.Fatalf("send: status %d\n%s", res.Code, res.Body.String())
	}
	if res := c.Get("/home/history"); res.Code != http.StatusOK || !strings.Contains(res.Body.String(), link) {
		t.Fatalf("the owner's history: status %d, links to the assignment: %v", res.Code, strings.Contains(res.Body.String(), link))
	}
	for _, u := range []account.User{w.Client2, w.OtherClient} {
		s := a.Login(t, u)
		for _, p := range []string{"/home", "/home/history"} {
			res := s.Get(p)
			if res.Code != http.StatusOK {
				t.Fatalf("%s as %s: status %d", p, u.Email, res.Code)
			}
			if strings.Contains(res.Body.String(), link) || strings.Contains(res.Body.String(), "Weekly trust check-in") {
				t.Errorf("%s as %s shows w.Client's work", p, u.Email)
			}
		}
	}
}

// keptText is text with characters that must come back escaped and whole.
const keptText = "I said it at last <b>out loud</b> & she listened — Ελένη, \"heard\""

// keepAnonymously posts text to the assignment with no session, as a
// client whose session ended would, and checks that it was kept: a 303 to
// sign in and back, a kept cookie only this browser holds, one pending row
// holding a hash of it, and nothing written to the assignment.
func keepAnonymously(t *testing.T, a *testkit.App, s *testkit.Session, assignment int64, form url.Values) *httptest.ResponseRecorder {
	t.Helper()
	before := pendingFor(t, a, assignment)
	res := s.PostForm(workPathOf(assignment), form)
	want := "/signin?kept=1&next=" + url.QueryEscape(workPathOf(assignment))
	if res.Code != http.StatusSeeOther || !sameLocation(res.Header().Get("Location"), want) {
		t.Fatalf("anonymous POST: status %d, Location %q; want 303 to %s\n%s", res.Code, res.Header().Get("Location"), want, res.Body.String())
	}
	checkKeptCookie(t, a, res)
	if strings.Contains(res.Body.String(), "out loud") {
		t.Error("the answer to an anonymous POST repeats the text")
	}
	if n := pendingFor(t, a, assignment); n != before+1 {
		t.Fatalf("%d pending rows for the assignment, want %d", n, before+1)
	}
	token := setCookie(res, keptCookie).Value
	if n := countOf(t, a, `SELECT count(*) FROM pending_drafts WHERE token_hash = convert_to($1, 'UTF8')
		OR encode(token_hash, 'hex') = $1 OR strpos(answers::text, $1) > 0`, token); n != 0 {
		t.Errorf("the kept token is stored as it is, not hashed")
	}
	if _, ok := draftOf(t, a, assignment); ok {
		t.Error("an anonymous POST wrote a draft")
	}
	if subs := submissionsOf(t, a, assignment); len(subs) != 0 {
		t.Errorf("an anonymous POST sent %d submissions", len(subs))
	}
	return res
}

func checkKeptCookie(t *testing.T, a *testkit.App, res *httptest.ResponseRecorder) {
	t.Helper()
	ck := setCookie(res, keptCookie)
	if ck == nil || len(ck.Value) < 20 {
		t.Fatalf("no kept cookie with a token: %v", res.Header().Values("Set-Cookie"))
	}
	if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.Secure != a.Config.HTTPS() ||
		ck.MaxAge <= 0 || ck.MaxAge > int((24*time.Hour).Seconds()) {
		t.Errorf("kept cookie %q: want HttpOnly, SameSite=Lax, Path=/, Secure over HTTPS, Max-Age at most a day", ck.String())
	}
}

func checkKeptCookieCleared(t *testing.T, res *httptest.ResponseRecorder) {
	t.Helper()
	if ck := setCookie(res, keptCookie); ck == nil || ck.MaxAge >= 0 {
		t.Errorf("sign-in did not clear the kept cookie: %v", res.Header().Values("Set-Cookie"))
	}
}

// Text posted after the session ended comes back to its own client after
// they sign in again, as a draft in the form, never sent for them (FT5);
// the kept token works once.
func TestKeptTextIsRestoredToItsOwnClientAfterSigningIn(t *testing.T) {
	a := testkit.NewApp(t)
	w := seedMatrix(t, a, true)
	path := workPathOf(w.Assignment)
	s := a.Anonymous(t)
	res := keepAnonymously(t, a, s, w.Assignment, sendForm(keptText, portalToken()))
	token := setCookie(res, keptCookie).Value

	in := signInAt(t, s, res.Header().Get("Location"), w.Client)
	if !sameLocation(in.Header().Get("Location"), path) {
		t.Errorf("signed in to %q, want back at %s", in.Header().Get("Location"), path)
	}
	checkKeptCookieCleared(t, in)
	if n := pendingFor(t, a, w.Assignment); n != 0 {
		t.Errorf("%d pending rows left after restoring", n)
	}
	if d, ok := draftOf(t, a, w.Assignment); !ok || d.ClientID != w.Client.ID || d.Note != keptText || d.Overall != "9" {
		t.Errorf("draft after restoring: %+v (present %v); want w.Client's with the kept text", d, ok)
	}
	if subs := submissionsOf(t, a, w.Assignment); len(subs) != 0 {
		t.Errorf("the kept send was sent for the client (%d submissions): it must wait for them", len(subs))
	}
	if st := assignmentStatus(t, a, w.Assignment); st != "open:true" {
		t.Errorf("assignment status %s, want still open", st)
	}
	page := s.Get(path)
	if page.Code != http.StatusOK {
		t.Fatalf("the restored form: status %d", page.Code)
	}
	body := page.Body.String()
	if !strings.Contains(body, ">"+html.EscapeString(keptText)+"</textarea>") {
		t.Errorf("the form does not show the kept text in its field\n%s", body)
	}
	if !strings.Contains(body, `name="a.overall" value="9" checked`) {
		t.Error("the form does not show the kept rating")
	}
	if !strings.Contains(body, "Welcome back") {
		t.Error("no word that the text was kept")
	}

	// The token works once: replayed after the client moved on, it
	// restores nothing over their newer draft.
	if res := postWith(s, path+"/draft", url.Values{"a.note": {"Newer words."}}, asScript); res.Code != http.StatusOK {
		t.Fatalf("autosave: status %d", res.Code)
	}
	if res := s.PostForm("/signout", url.Values{}); res.Code != http.StatusSeeOther {
		t.Fatalf("sign out: status %d", res.Code)
	}
	replay := a.Anonymous(t)
	r := httptest.NewRequest(http.MethodPost, "/signin", strings.NewReader(url.Values{"email": {w.Client.Email}, "password": {testkit.Password}}.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	r.AddCookie(&http.Cookie{Name: keptCookie, Value: token})
	again := replay.Do(r)
	if again.Code != http.StatusSeeOther || !sameLocation(again.Header().Get("Location"), "/home") {
		t.Errorf("sign-in with a used kept token: status %d, Location %q; want 303 to /home", again.Code, again.Header().Get("Location"))
	}
	if d, ok := draftOf(t, a, w.Assignment); !ok || d.Note != "Newer words." {
		t.Errorf("a replayed kept token changed the draft to %+v (present %v)", d, ok)
	}
}

// Autosave from the script, with the session ended, is kept too and
// answered 401 in JSON, so the page can say so; signing in (even without
// a next) brings the client to it.
func TestAutosaveWithAnEndedSessionIsKeptAndAnswered401(t *testing.T) {
	a := testkit.NewApp(t)
	w := seedMatrix(t, a, true)
	s := a.Anonymous(t)
	res := postWith(s, workPathOf(w.Assignment)+"/draft", url.Values{"a.note": {keptText}}, asScript)
	if res.Code != http.StatusUnauthorized {
		t.Fatalf("status %d, want 401\n%s", res.Code, res.Body.String())
	}
	if ct := res.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q, want JSON", ct)
	}
	var got struct {
		SignedOut bool `json:"signed_out"`
		Kept      bool `json:"kept"`
	}
	if err := json.Unmarshal(res.Body.Bytes(), &got); err != nil || !got.SignedOut || !got.Kept {
		t.Errorf("body %s (err %v), want signed_out and kept", res.Body.String(), err)
	}
	checkKeptCookie(t, a, res)
	if n := pendingFor(t, a, w.Assignment); n != 1 {
		t.Fatalf("%d pending rows, want 1", n)
	}
	if _, ok := draftOf(t, a, w.Assignment); ok {
		t.Fatal("an anonymous autosave wrote a draft")
	}

	in := s.PostForm("/signin", url.Values{"email": {w.Client.Email}, "password": {testkit.Password}})
	if in.Code != http.StatusSeeOther || !sameLocation(in.Header().Get("Location"), workPathOf(w.Assignment)) {
		t.Errorf("sign-in: status %d, Location %q; want 303 to the assignment", in.Code, in.Header().Get("Location"))
	}
	if d, ok := draftOf(t, a, w.Assignment); !ok || d.ClientID != w.Client.ID || d.Note != keptText {
		t.Errorf("draft after restoring: %+v (present %v)", d, ok)
	}
}

// Text kept on w.Client's assignment never reaches anyone else's hands or
// anyone else's assignment: another client signing in, in the same
// browser, lands on their own home, and the text is discarded, not
// written anywhere (FT5 abuse).
func TestKeptTextIsDiscardedWhenAnotherClientSignsIn(t *testing.T) {
	others := []struct {
		name string
		pick func(w testkit.World) account.User
	}{
		{"a client of the same therapist", func(w testkit.World) account.User { return w.Client2 }},
		{"a client of another therapist", func(w testkit.World) account.User { return w.OtherClient }},
	}
	for _, o := range others {
		t.Run(o.name, func(t *testing.T) {
			t.Parallel()
			a := testkit.NewApp(t)
			w := seedMatrix(t, a, true)
			other := o.pick(w.World)
			s := a.Anonymous(t)
			res := keepAnonymously(t, a, s, w.Assignment, sendForm(keptText, portalToken()))
			state := authzState(t, a)

			in := signInAt(t, s, res.Header().Get("Location"), other)
			if !sameLocation(in.Header().Get("Location"), "/home") {
				t.Errorf("%s signed in to %q, want their home", other.Email, in.Header().Get("Location"))
			}
			checkKeptCookieCleared(t, in)
			// The kept text is not taken by someone else's sign-in: it stays
			// untouched (its cookie is gone, so it can only expire).
			if n := pendingFor(t, a, w.Assignment); n != 1 {
				t.Errorf("%d pending rows: another client's sign-in must leave the kept text untouched", n)
			}
			if after := authzState(t, a); after != state {
				t.Errorf("signing in with someone else's kept text changed the work:\nbefore %s\nafter  %s", state, after)
			}
			if n := countOf(t, a, `SELECT count(*) FROM drafts`); n != 0 {
				t.Errorf("%d drafts exist: the kept text was written somewhere", n)
			}
			for _, p := range []string{"/home", workPathOf(w.Assignment)} {
				if body := s.Get(p).Body.String(); strings.Contains(body, "out loud") {
					t.Errorf("%s as %s shows the kept text", p, other.Email)
				}
			}
			if res := s.Get(workPathOf(w.Assignment)); res.Code != http.StatusNotFound {
				t.Errorf("w.Client's assignment as %s: status %d, want 404", other.Email, res.Code)
			}

			// Nor does it come back to w.Client later: it is gone.
			c := a.Anonymous(t)
			in = c.PostForm("/signin", url.Values{"email": {w.Client.Email}, "password": {testkit.Password}})
			if in.Code != http.StatusSeeOther || !sameLocation(in.Header().Get("Location"), "/home") {
				t.Errorf("w.Client's sign-in: status %d, Location %q", in.Code, in.Header().Get("Location"))
			}
			if body := c.Get(workPathOf(w.Assignment)).Body.String(); strings.Contains(body, "out loud") {
				t.Error("the discarded text reached w.Client's form from another browser")
			}
		})
	}
}

// The kept cookie is not a way in: without signing in it reads nothing
// back, not the assignment, not the lists, not the text (FT5).
func TestKeptCookieAloneReadsNothing(t *testing.T) {
	a := testkit.NewApp(t)
	w := seedMatrix(t, a, true)
	s := a.Anonymous(t)
	res := keepAnonymously(t, a, s, w.Assignment, sendForm(keptText, portalToken()))
	for _, p := range []string{workPathOf(w.Assignment), workPathOf(w.Assignment) + "?change=1", "/home", "/home/history"} {
		got := s.Get(p)
		if got.Code != http.StatusSeeOther || !sameLocation(got.Header().Get("Location"), "/signin?next="+url.QueryEscape(p)) {
			t.Errorf("GET %s with only the kept cookie: status %d, Location %q; want 303 to sign in", p, got.Code, got.Header().Get("Location"))
		}
		if strings.Contains(got.Body.String(), "out loud") {
			t.Errorf("GET %s shows the kept text", p)
		}
	}
	page := s.Get(res.Header().Get("Location"))
	if page.Code != http.StatusOK || !strings.Contains(page.Body.String(), "everything you wrote is safe") {
		t.Errorf("the sign-in page after keeping: status %d, without the reassurance", page.Code)
	}
	if strings.Contains(page.Body.String(), "out loud") || strings.Contains(page.Body.String(), "Weekly trust check-in") {
		t.Error("the sign-in page shows the kept text or the assignment")
	}
	again := postWith(s, workPathOf(w.Assignment)+"/draft", url.Values{}, asScript)
	if again.Code != http.StatusUnauthorized || strings.Contains(again.Body.String(), "out loud") {
		t.Errorf("an empty anonymous autosave: status %d, body %s", again.Code, again.Body.String())
	}
	if _, ok := draftOf(t, a, w.Assignment); ok {
		t.Error("a draft was written without signing in")
	}
}

// Kept text waits a day for its client, not longer (FT5).
func TestKeptTextOlderThanADayIsNotRestored(t *testing.T) {
	for _, tc := range []struct {
		age      string
		restored bool
	}{
		{"23 hours", true}, // the control: the same path restores when fresh
		{"25 hours", false},
	} {
		t.Run(tc.age, func(t *testing.T) {
			t.Parallel()
			a := testkit.NewApp(t)
			w := seedMatrix(t, a, true)
			s := a.Anonymous(t)
			res := keepAnonymously(t, a, s, w.Assignment, sendForm(keptText, portalToken()))
			if _, err := a.DB.Exec(`UPDATE pending_drafts SET created_at = now() - $1::interval WHERE assignment_id = $2`, tc.age, w.Assignment); err != nil {
				t.Fatal(err)
			}

			in := signInAt(t, s, res.Header().Get("Location"), w.Client)
			checkKeptCookieCleared(t, in)
			d, ok := draftOf(t, a, w.Assignment)
			page := s.Get(workPathOf(w.Assignment))
			if page.Code != http.StatusOK {
				t.Fatalf("the assignment: status %d", page.Code)
			}
			shown := strings.Contains(page.Body.String(), "out loud")
			if tc.restored {
				if !ok || d.Note != keptText || !shown {
					t.Errorf("text kept %s ago: draft %+v (present %v), shown %v; want restored", tc.age, d, ok, shown)
				}
				return
			}
			if ok || shown {
				t.Errorf("text kept %s ago was restored: draft %+v, shown %v", tc.age, d, shown)
			}
		})
	}
}

// A cross-site POST is refused before anything is kept (R16): no row, no
// cookie.
func TestCrossSiteAnonymousPostKeepsNothing(t *testing.T) {
	a := testkit.NewApp(t)
	w := seedMatrix(t, a, true)
	s := a.Anonymous(t)
	for _, suffix := range []string{"", "/draft"} {
		r := httptest.NewRequest(http.MethodPost, workPathOf(w.Assignment)+suffix, strings.NewReader(sendForm(keptText, portalToken()).Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Sec-Fetch-Site", "cross-site")
		res := s.Do(r)
		if res.Code != http.StatusForbidden {
			t.Errorf("cross-site POST %s: status %d, want 403", suffix, res.Code)
		}
		if setCookie(res, keptCookie) != nil {
			t.Errorf("cross-site POST %s set a kept cookie", suffix)
		}
	}
	if n := countOf(t, a, `SELECT count(*) FROM pending_drafts`); n != 0 {
		t.Errorf("cross-site POSTs kept %d texts", n)
	}
}

// A kept cookie that was never issued restores nothing and costs nothing.
func TestForgedKeptCookieRestoresNothing(t *testing.T) {
	a := testkit.NewApp(t)
	w := seedMatrix(t, a, true)
	s := a.Anonymous(t)
	r := httptest.NewRequest(http.MethodPost, "/signin", strings.NewReader(url.Values{"email": {w.Client.Email}, "password": {testkit.Password}}.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	r.AddCookie(&http.Cookie{Name: keptCookie, Value: "forged-token-never-issued"})
	res := s.Do(r)
	if res.Code != http.StatusSeeOther || !sameLocation(res.Header().Get("Location"), "/home") {
		t.Errorf("sign-in with a forged kept cookie: status %d, Location %q; want 303 to /home", res.Code, res.Header().Get("Location"))
	}
	if n := countOf(t, a, `SELECT count(*) FROM drafts`); n != 0 {
		t.Errorf("%d drafts after a forged kept cookie", n)
	}
}

// submissionAudits counts audited submissions of an assignment.
func submissionAudits(t *testing.T, a *testkit.App, assignment int64) int {
	t.Helper()
	return countOf(t, a, `SELECT count(*) FROM audit_log WHERE action = 'submission.created'
		AND target_id IN (SELECT id FROM submissions WHERE assignment_id = $1)`, assignment)
}

// One form sent twice (a double click, a retry, the back button) stores
// one submission; both answers are the same confirmation; what was sent
// stays as it was, and what was typed the second time is not lost (FT4).
func TestSendingOneFormTwiceStoresOneSubmission(t *testing.T) {
	a := testkit.NewApp(t)
	w := seedMatrix(t, a, true)
	c := a.Login(t, w.Client)
	path := workPathOf(w.Assignment)
	page := c.Get(path)
	if page.Code != http.StatusOK {
		t.Fatalf("the form: status %d", page.Code)
	}
	token := portalTokenIn(t, page.Body.String())
	if !uuidRe.MatchString(token) {
		t.Fatalf("the form's token %q is not a UUID", token)
	}

	first := c.PostForm(path, sendForm("Sent once.", token))
	subs := submissionsOf(t, a, w.Assignment)
	second := c.PostForm(path, sendForm("Sent once, then changed after the back button.", token))

	if first.Code != http.StatusSeeOther || !sameLocation(first.Header().Get("Location"), path+"?sent=1") {
		t.Errorf("send 1: status %d, Location %q; want 303 to %s?sent=1", first.Code, first.Header().Get("Location"), path)
	}
	// The same form back with other words: not sent twice, and the client
	// is taken to their kept changes, not told "sent".
	if second.Code != http.StatusSeeOther || !sameLocation(second.Header().Get("Location"), path+"?change=1") {
		t.Errorf("send 2: status %d, Location %q; want 303 to %s?change=1", second.Code, second.Header().Get("Location"), path)
	}
	after := submissionsOf(t, a, w.Assignment)
	if len(subs) != 1 || len(after) != 1 || after[0] != subs[0] || after[0].Version != 1 || after[0].Note != "Sent once." || after[0].FormToken != token {
		t.Fatalf("submissions after the first send %+v, after the second %+v; want one, version 1, unchanged", subs, after)
	}
	if n := countOf(t, a, `SELECT count(*) FROM tracked_values WHERE submission_id = $1`, after[0].ID); n != len(checkInScales) {
		t.Errorf("%d tracked values, want %d", n, len(checkInScales))
	}
	if n := submissionAudits(t, a, w.Assignment); n != 1 {
		t.Errorf("%d submissions audited, want 1", n)
	}
	body := c.Get(path + "?change=1").Body.String()
	if !strings.Contains(body, "your changes were not sent yet") {
		t.Error("the repeated send is not explained")
	}
	if !strings.Contains(body, "then changed after the back button") {
		t.Error("the words typed before the repeated send are lost")
	}
}

// Ten sends of one form at once, in one session, store one submission, and
// every one of them is answered with the confirmation (FT4).
func TestTenConcurrentSendsOfOneFormStoreOne(t *testing.T) {
	a := testkit.NewApp(t)
	w := seedMatrix(t, a, true)
	path := workPathOf(w.Assignment)
	// The session's cookies, taken from the sign-in, so the requests can
	// run at once without sharing a testkit.Session.
	login := httptest.NewRequest(http.MethodPost, "/signin", strings.NewReader(url.Values{"email": {w.Client.Email}, "password": {testkit.Password}}.Encode()))
	login.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	login.Header.Set("Sec-Fetch-Site", "same-origin")
	res := a.Do(login)
	cookies := res.Result().Cookies()
	if res.Code != http.StatusSeeOther || len(cookies) == 0 {
		t.Fatalf("sign in: status %d, cookies %v", res.Code, cookies)
	}
	withCookies := func(r *http.Request) *http.Request {
		for _, c := range cookies {
			r.AddCookie(c)
		}
		return r
	}
	page := a.Do(withCookies(httptest.NewRequest(http.MethodGet, path, nil)))
	if page.Code != http.StatusOK {
		t.Fatalf("the form: status %d", page.Code)
	}
	token := portalTokenIn(t, page.Body.String())
	body := sendForm("Sent by a very eager double click.", token).Encode()

	const n = 10
	results := make([]*httptest.ResponseRecorder, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Sec-Fetch-Site", "same-origin")
		withCookies(r)
		wg.Go(func() {
			<-start
			results[i] = a.Do(r)
		})
	}
	close(start)
	wg.Wait()

	for i, res := range results {
		if res.Code != http.StatusSeeOther || !sameLocation(res.Header().Get("Location"), path+"?sent=1") {
			t.Errorf("send %d: status %d, Location %q; want 303 to %s?sent=1\n%s", i+1, res.Code, res.Header().Get("Location"), path, res.Body.String())
		}
	}
	subs := submissionsOf(t, a, w.Assignment)
	if len(subs) != 1 || subs[0].Version != 1 || subs[0].ClientID != w.Client.ID {
		t.Fatalf("submissions %+v; want exactly one, version 1", subs)
	}
	if got := countOf(t, a, `SELECT count(*) FROM tracked_values WHERE client_id = $1`, w.Client.ID); got != len(checkInScales) {
		t.Errorf("%d tracked values, want %d", got, len(checkInScales))
	}
	if got := submissionAudits(t, a, w.Assignment); got != 1 {
		t.Errorf("%d submissions audited, want 1", got)
	}
	if st := assignmentStatus(t, a, w.Assignment); st != "submitted:true" {
		t.Errorf("assignment status %s, want submitted", st)
	}
}

// A change after sending is a new version, sent with the new form's token;
// the first version stays exactly as it was, and sending the old form
// again adds nothing (R25, FT4).
func TestAChangeAfterSendingIsANewVersionAndTheFirstStays(t *testing.T) {
	a := testkit.NewApp(t)
	w := seedMatrix(t, a, true)
	c := a.Login(t, w.Client)
	path := workPathOf(w.Assignment)
	token1 := portalTokenIn(t, c.Get(path).Body.String())
	if res := c.PostForm(path, sendForm("First words.", token1)); res.Code != http.StatusSeeOther {
		t.Fatalf("first send: status %d\n%s", res.Code, res.Body.String())
	}
	v1 := submissionsOf(t, a, w.Assignment)
	if len(v1) != 1 || v1[0].Version != 1 || v1[0].Note != "First words." {
		t.Fatalf("after the first send: %+v", v1)
	}

	change := c.Get(path + "?change=1")
	if change.Code != http.StatusOK || !strings.Contains(change.Body.String(), "First words.") {
		t.Fatalf("the change form: status %d, with what was sent: %v", change.Code, strings.Contains(change.Body.String(), "First words."))
	}
	token2 := portalTokenIn(t, change.Body.String())
	if token2 == token1 {
		t.Fatal("the change form reuses the sent form's token")
	}
	if res := c.PostForm(path, sendForm("Second words.", token2)); res.Code != http.StatusSeeOther ||
		!sameLocation(res.Header().Get("Location"), path+"?sent=1") {
		t.Fatalf("second send: status %d, Location %q", res.Code, res.Header().Get("Location"))
	}
	// The back button to the first form, sent again.
	if res := c.PostForm(path, sendForm("Third words, on the old form.", token1)); res.Code != http.StatusSeeOther {
		t.Fatalf("old form again: status %d", res.Code)
	}

	subs := submissionsOf(t, a, w.Assignment)
	if len(subs) != 2 {
		t.Fatalf("%d submissions, want 2: %+v", len(subs), subs)
	}
	if subs[0] != v1[0] {
		t.Errorf("version 1 changed:\nwas %+v\nnow %+v", v1[0], subs[0])
	}
	if subs[1].Version != 2 || subs[1].Note != "Second words." || subs[1].ClientID != w.Client.ID || subs[1].ID == subs[0].ID {
		t.Errorf("version 2 is %+v", subs[1])
	}
	if n := submissionAudits(t, a, w.Assignment); n != 2 {
		t.Errorf("%d submissions audited, want 2", n)
	}
	body := c.Get(path).Body.String()
	if !strings.Contains(body, "Second words.") || strings.Contains(body, "Third words") {
		t.Error("the page does not show the latest version as sent")
	}
}

// A send without a token the server could have rendered is refused: back
// to the form by a GET, shown again with every word in it (kept as the
// draft) and a fresh token that then sends (FT4, R21).
func TestSendWithoutAValidFormTokenIsRefusedKeepingTheText(t *testing.T) {
	cases := []struct {
		name  string
		token *string
	}{
		{"no token field", nil},
		{"an empty token", ptrTo("")},
		{"not a UUID", ptrTo("not-a-token")},
		{"a UUID with more after it", ptrTo(portalToken() + "0")},
		{"a UUID and a newline", ptrTo(portalToken() + "\n")},
		{"SQL", ptrTo("' OR '1'='1")},
	}
	const text = "Every word of this must still be here <3"
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := testkit.NewApp(t)
			w := seedMatrix(t, a, true)
			c := a.Login(t, w.Client)
			path := workPathOf(w.Assignment)
			f := portalAnswers(text)
			f.Set("op", "send")
			if tc.token != nil {
				f.Set("form_token", *tc.token)
			}

			res := c.PostForm(path, f)

			if res.Code != http.StatusSeeOther || !sameLocation(res.Header().Get("Location"), path+"?check=1") {
				t.Fatalf("status %d, Location %q; want 303 to %s?check=1\n%s", res.Code, res.Header().Get("Location"), path, res.Body.String())
			}
			body := c.Get(path + "?check=1").Body.String()
			if !strings.Contains(body, ">"+html.EscapeString(text)+"</textarea>") {
				t.Errorf("the text is not kept in its field\n%s", body)
			}
			if !strings.Contains(body, `name="a.overall" value="9" checked`) {
				t.Error("the rating is not kept")
			}
			if !strings.Contains(body, "out of date") {
				t.Error("no message says why the form was refused")
			}
			if subs := submissionsOf(t, a, w.Assignment); len(subs) != 0 {
				t.Fatalf("%d submissions stored from a form without a valid token", len(subs))
			}
			if st := assignmentStatus(t, a, w.Assignment); st != "open:true" {
				t.Errorf("status %s, want open", st)
			}
			fresh := portalTokenIn(t, body)
			if !uuidRe.MatchString(fresh) {
				t.Fatalf("the form came back with the token %q", fresh)
			}
			// The control: the form as shown again sends.
			f.Set("form_token", fresh)
			if res := c.PostForm(path, f); res.Code != http.StatusSeeOther || !sameLocation(res.Header().Get("Location"), path+"?sent=1") {
				t.Fatalf("sending the form as shown again: status %d, Location %q", res.Code, res.Header().Get("Location"))
			}
			if subs := submissionsOf(t, a, w.Assignment); len(subs) != 1 || subs[0].Note != text {
				t.Errorf("after sending again: %+v", subs)
			}
		})
	}
}

func ptrTo(s string) *string { return &s }

// Owner, assignment, status and version fields posted with a portal form
// are ignored: the session says whose, the URL which, the rules the rest
// (R15).
func TestPortalFormsCannotSetOwnersOrStatus(t *testing.T) {
	a := testkit.NewApp(t)
	w := seedMatrix(t, a, true)
	th := a.Login(t, w.Therapist)
	f := assignWeeklyForm(w, &w.Therapist)
	f.Set("clients", strconv.FormatInt(w.Client2.ID, 10))
	if res := th.PostForm("/therapist/assign", f); res.Code != http.StatusSeeOther {
		t.Fatalf("assign to Client2: status %d\n%s", res.Code, res.Body.String())
	}
	var theirs int64
	if err := a.DB.Get(&theirs, `SELECT min(id) FROM assignments WHERE client_id = $1`, w.Client2.ID); err != nil || theirs == 0 {
		t.Fatalf("Client2's assignment: %d, %v", theirs, err)
	}
	otherState := func() string {
		t.Helper()
		var s string
		if err := a.DB.Get(&s, `SELECT concat_ws('|',
			(SELECT string_agg(concat_ws(':', id, status, coalesce(submitted_at::text, '-'), coalesce(reviewed_at::text, '-')), ',' ORDER BY id)
				FROM assignments WHERE client_id = $1 OR id <> $2),
			(SELECT count(*) FROM submissions WHERE client_id <> $3 OR assignment_id <> $2),
			(SELECT count(*) FROM drafts WHERE client_id <> $3 OR assignment_id <> $2))`, w.Client2.ID, w.Assignment, w.Client.ID); err != nil {
			t.Fatal(err)
		}
		return s
	}
	before := otherState()
	id := func(n int64) []string { return []string{strconv.FormatInt(n, 10)} }
	probe := func(f url.Values) url.Values {
		for k, v := range map[string][]string{
			"client_id": id(w.Client2.ID), "assignment_id": id(theirs), "id": id(theirs), "status": {"reviewed"}, "version": {"7"},
			"exercise_version": {"9"}, "submitted_at": {"2020-01-01"}, "reviewed_at": {"2020-01-02"}, "role": {"admin"}, "user_id": id(w.Client2.ID),
		} {
			f[k] = v
		}
		return f
	}
	c := a.Login(t, w.Client)
	path := workPathOf(w.Assignment)
	checkDraft := func(what, note string) {
		t.Helper()
		if d, ok := draftOf(t, a, w.Assignment); !ok || d.ClientID != w.Client.ID || d.Note != note {
			t.Errorf("%s: draft %+v (present %v); want w.Client's on w.Assignment", what, d, ok)
		}
		if after := otherState(); after != before {
			t.Errorf("%s changed other work:\nbefore %s\nafter  %s", what, before, after)
		}
	}

	if res := postWith(c, path+"/draft", probe(url.Values{"a.note": {"Autosaved probe."}}), asScript); res.Code != http.StatusOK {
		t.Fatalf("autosave: status %d\n%s", res.Code, res.Body.String())
	}
	checkDraft("autosave", "Autosaved probe.")

	d := probe(portalAnswers("Saved probe."))
	d.Set("op", "draft")
	if res := c.PostForm(path, d); res.Code != http.StatusSeeOther || !sameLocation(res.Header().Get("Location"), path) {
		t.Fatalf("save a draft: status %d, Location %q\n%s", res.Code, res.Header().Get("Location"), res.Body.String())
	}
	checkDraft("save a draft", "Saved probe.")
	if st := assignmentStatus(t, a, w.Assignment); st != "open:true" {
		t.Errorf("after saving a draft with status=reviewed: %s", st)
	}

	if res := c.PostForm(path, probe(sendForm("Sent probe.", portalToken()))); res.Code != http.StatusSeeOther {
		t.Fatalf("send: status %d\n%s", res.Code, res.Body.String())
	}
	subs := submissionsOf(t, a, w.Assignment)
	if len(subs) != 1 || subs[0].ClientID != w.Client.ID || subs[0].Version != 1 || subs[0].Note != "Sent probe." {
		t.Errorf("the send stored %+v; want one, w.Client's, version 1", subs)
	}
	if st := assignmentStatus(t, a, w.Assignment); st != "submitted:true" {
		t.Errorf("after sending with status=reviewed: %s, want submitted and not reviewed", st)
	}
	if after := otherState(); after != before {
		t.Errorf("the send changed other work:\nbefore %s\nafter  %s", before, after)
	}

	// A version field cannot make a change overwrite version 1.
	again := probe(sendForm("Changed probe.", portalToken()))
	again.Set("version", "1")
	if res := c.PostForm(path, again); res.Code != http.StatusSeeOther {
		t.Fatalf("send a change: status %d\n%s", res.Code, res.Body.String())
	}
	now := submissionsOf(t, a, w.Assignment)
	if len(now) != 2 || len(subs) != 1 || now[0] != subs[0] || now[1].Version != 2 || now[1].Note != "Changed probe." {
		t.Errorf("after a change posted with version=1: %+v", now)
	}
	if after := otherState(); after != before {
		t.Errorf("the change changed other work:\nbefore %s\nafter  %s", before, after)
	}
}

// An autosave from a form that has been sent saves nothing: still in
// flight when the client pressed Send, it must not bring back older words
// as a draft, and typed into a sent form (the back button) it is answered
// 409 so the page says so. "Change my answers" is a new form, saved again.
func TestAutosaveOfASentFormSavesNothingAndSaysSo(t *testing.T) {
	a := testkit.NewApp(t)
	w := seedMatrix(t, a, true)
	c := a.Login(t, w.Client)
	page := c.Get(workPathOf(w.Assignment))
	token := portalTokenIn(t, page.Body.String())

	// Before the send, the form's autosave saves.
	early := url.Values{"a.note": {"Typed before sending."}, "form_token": {token}}
	if res := postWith(c, workPathOf(w.Assignment)+"/draft", early, asScript); res.Code != http.StatusOK {
		t.Fatalf("autosave before sending: status %d", res.Code)
	}
	if res := c.PostForm(workPathOf(w.Assignment), sendForm("What I sent.", token)); res.Code != http.StatusSeeOther {
		t.Fatalf("send: status %d\n%s", res.Code, res.Body.String())
	}
	if _, ok := draftOf(t, a, w.Assignment); ok {
		t.Fatal("a draft is left after sending")
	}

	// The same form's autosave, arriving after the send, saves nothing.
	late := url.Values{"a.note": {"Typed before sending."}, "form_token": {token}}
	res := postWith(c, workPathOf(w.Assignment)+"/draft", late, asScript)
	if res.Code != http.StatusConflict || !strings.Contains(res.Body.String(), `"sent"`) {
		t.Errorf("autosave of a sent form: status %d %s, want 409 sent", res.Code, res.Body.String())
	}
	if d, ok := draftOf(t, a, w.Assignment); ok {
		t.Errorf("an autosave after the send brought back a draft: %+v", d)
	}

	// Changing the answers is a new form with its own token: it saves.
	change := c.Get(workPathOf(w.Assignment) + "?change=1")
	newToken := portalTokenIn(t, change.Body.String())
	if newToken == token {
		t.Fatal("the change form reuses the sent form's token")
	}
	edit := url.Values{"a.note": {"What I sent, and more."}, "form_token": {newToken}}
	if res := postWith(c, workPathOf(w.Assignment)+"/draft", edit, asScript); res.Code != http.StatusOK {
		t.Fatalf("autosave of the change form: status %d", res.Code)
	}
	if d, ok := draftOf(t, a, w.Assignment); !ok || d.Note != "What I sent, and more." {
		t.Errorf("the change form's draft is %+v (present %v)", d, ok)
	}
}
