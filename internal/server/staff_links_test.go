package server_test

// Choosing a password, and the links that let people choose one (#14): the
// password check, the link page after POST/redirect/GET, and signing in
// once a password is set.

import (
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trellis-app/trellis/internal/server"
	"github.com/trellis-app/trellis/internal/testkit"
)

// Long common passwords, and common words with digits stuck on, are
// refused wherever a password is chosen, with the reason beside the field;
// a passphrase of unrelated words is not.
func TestLongCommonPasswordsAreRefusedBesideTheField(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	therapist := a.Login(t, w.Therapist)
	page := makeLink(t, therapist, "/therapist/clients/invite", url.Values{"name": {"Zoë New"}, "email": {"zoe.new@test.example"}})
	invite, _ := linkFrom(t, page.Body.String())
	client := a.Anonymous(t)
	common := []string{"password1234", "iloveyou1234", "qwertyuiop12"}
	for _, pw := range common {
		r := client.PostForm(invite, url.Values{"password": {pw}, "confirm": {pw}})
		if r.Code != http.StatusUnprocessableEntity {
			t.Fatalf("%q on the invite link = %d, want 422", pw, r.Code)
		}
		msg, ok := errorBeside(r.Body.String(), "password")
		if !ok || !strings.Contains(msg, "easy to guess") {
			t.Errorf("%q: message beside the password field = %q, want it to say the password is easy to guess", pw, msg)
		}
		if !strings.Contains(r.Body.String(), `href="#password"`) {
			t.Errorf("%q: the error summary does not lead to the password field", pw)
		}
		// Passwords are never echoed into a page: the field comes back
		// empty, the form and its message are kept.
		if strings.Contains(r.Body.String(), pw) {
			t.Errorf("%q was echoed back into the page", pw)
		}
	}
	// The same check when changing one's password.
	r := therapist.PostForm("/account/password", url.Values{"current": {testkit.Password}, "password": {"password1234"}, "confirm": {"password1234"}})
	if msg, _ := errorBeside(r.Body.String(), "password"); r.Code != http.StatusUnprocessableEntity || !strings.Contains(msg, "easy to guess") {
		t.Errorf("changing to password1234 = %d, message %q", r.Code, msg)
	}
	// A genuinely strong passphrase passes.
	const strong = "lantern orchard quietly hums"
	if r := client.PostForm(invite, url.Values{"password": {strong}, "confirm": {strong}}); r.Code != http.StatusSeeOther {
		t.Fatalf("a strong passphrase = %d, want accepted\n%s", r.Code, r.Body.String())
	}
}

// errorBeside finds the message the "field" template shows beside a
// field.
func errorBeside(body, field string) (string, bool) {
	m := regexp.MustCompile(`<p class="field-error" id="` + regexp.QuoteMeta(field) + `-error">(?:<span class="visually-hidden">Error:</span>)?\s*([^<]*)</p>`).FindStringSubmatch(body)
	if m == nil {
		return "", false
	}
	return m[1], true
}

// captureLogs builds an app whose log is kept for the test to read.
func captureLogs(t *testing.T, adjust func(d *server.Deps)) (*testkit.App, *safeBuffer) {
	t.Helper()
	var logs safeBuffer
	a := testkit.NewAppWith(t, func(d *server.Deps) {
		d.Log = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		if adjust != nil {
			adjust(d)
		}
	})
	return a, &logs
}

// A new link is made by one POST and shown by GETs: reloading shows the
// same link and makes no other. Only its maker's browser can show it, only
// for a while, and the raw link never sits in a URL, a log or the
// database.
func TestLinkPageSurvivesReloadForItsMakerOnly(t *testing.T) {
	var mu sync.Mutex
	now := time.Now()
	a, logs := captureLogs(t, func(d *server.Deps) {
		d.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	})
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	w := a.Seed(t)
	therapist := a.Login(t, w.Therapist)
	const name = "Zoë Reload"
	r := therapist.PostForm("/therapist/clients/invite", url.Values{"name": {name}, "email": {"zoe.reload@test.example"}})
	loc := r.Header().Get("Location")
	if r.Code != http.StatusSeeOther || !linkPageRe.MatchString(loc) {
		t.Fatalf("invite = %d → %q, want 303 to a link page", r.Code, loc)
	}
	first := therapist.Get(loc)
	_, token := linkFrom(t, first.Body.String())
	if !strings.Contains(first.Body.String(), "This invitation for "+name+" works once") {
		t.Errorf("link page does not name the invitation:\n%s", first.Body.String())
	}
	// Reloading, twice: the same link, and still one invitation.
	for range 2 {
		again := therapist.Get(loc)
		if _, tok := linkFrom(t, again.Body.String()); again.Code != http.StatusOK || tok != token {
			t.Fatalf("reload = %d with another link", again.Code)
		}
	}
	var links, invites int
	if err := a.DB.Get(&links, `SELECT count(*) FROM access_tokens t JOIN users u ON u.id = t.user_id WHERE u.email = 'zoe.reload@test.example'`); err != nil {
		t.Fatal(err)
	}
	if invites = auditCountAction(t, a, "invite.created"); links != 1 || invites != 1 {
		t.Errorf("after reloading: %d links, %d invitations audited; want 1 and 1", links, invites)
	}
	if strings.Contains(loc, token) {
		t.Error("the raw token is in the link page's URL")
	}
	// The raw link is nowhere in the database: not in the sessions (the
	// page is sealed with the session cookie's secret), not in the links.
	var stored int
	if err := a.DB.Get(&stored, `SELECT count(*) FROM sessions WHERE position(convert_to($1, 'UTF8') IN data) > 0 OR position(convert_to($2, 'UTF8') IN data) > 0`, token, name); err != nil {
		t.Fatal(err)
	}
	if stored != 0 {
		t.Errorf("%d sessions hold the raw link or the name in the clear", stored)
	}
	var inDB int
	if err := a.DB.Get(&inDB, `SELECT count(*) FROM access_tokens WHERE position(convert_to($1, 'UTF8') IN token_hash) > 0`, token); err != nil || inDB != 0 {
		t.Errorf("the raw token is stored (%d, %v)", inDB, err)
	}
	if strings.Contains(logs.String(), token) {
		t.Error("the raw token is in the log")
	}

	// Nobody else can show it: not the same therapist in another browser,
	// not another therapist, not the admin.
	for _, other := range []*testkit.Session{a.Login(t, w.Therapist), a.Login(t, w.Therapist2), a.Login(t, w.Admin)} {
		if g := other.Get(loc); g.Code != http.StatusNotFound || strings.Contains(g.Body.String(), token) {
			t.Errorf("another browser's GET %s = %d, want 404 without the link", loc, g.Code)
		}
	}
	// Only for a while.
	advance(server.LinkPageFor - time.Minute)
	if g := therapist.Get(loc); g.Code != http.StatusOK {
		t.Errorf("link page within %v = %d", server.LinkPageFor, g.Code)
	}
	advance(2 * time.Minute)
	gone := therapist.Get(loc)
	if gone.Code != http.StatusNotFound || strings.Contains(gone.Body.String(), token) || !strings.Contains(gone.Body.String(), "make a new one") {
		t.Errorf("link page after %v = %d, want 404 saying to make a new link", server.LinkPageFor, gone.Code)
	}
	// The link itself still works for its 72 hours.
	if g := a.Anonymous(t).Get("/invite/" + token); g.Code != http.StatusOK {
		t.Errorf("the invite link = %d after its page has gone", g.Code)
	}
}

// Setting a password from an invite or reset link signs the person in,
// with a session id of its own (R8): no asking for the email again.
func TestSettingAPasswordFromALinkSignsThePersonIn(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	therapist := a.Login(t, w.Therapist)
	page := makeLink(t, therapist, "/therapist/clients/invite", url.Values{"name": {"Zoë Joins"}, "email": {"zoe.joins@test.example"}})
	invite, _ := linkFrom(t, page.Body.String())

	// The browser the link is opened in was signed in as someone else.
	browser := a.Login(t, w.Client2)
	before := browser.Cookie()
	const pw = "lantern orchard quietly hums"
	r := browser.PostForm(invite, url.Values{"password": {pw}, "confirm": {pw}})
	if r.Code != http.StatusSeeOther || r.Header().Get("Location") != "/home" {
		t.Fatalf("set password = %d → %q, want 303 to /home", r.Code, r.Header().Get("Location"))
	}
	if after := browser.Cookie(); after == "" || after == before {
		t.Fatalf("session id not renewed: %q → %q", before, after)
	}
	home := browser.Get("/home")
	if home.Code != http.StatusOK || !strings.Contains(home.Body.String(), "Hello, Zoë Joins") || !strings.Contains(home.Body.String(), "you are signed in") {
		t.Fatalf("home after joining = %d\n%s", home.Code, home.Body.String())
	}
	if old := a.Anonymous(t).Do(cookieReq(before, "/home")); old.Code != http.StatusSeeOther {
		t.Errorf("the session from before still works: %d", old.Code)
	}
	var id int64
	if err := a.DB.Get(&id, `SELECT id FROM users WHERE email = 'zoe.joins@test.example'`); err != nil {
		t.Fatal(err)
	}
	if auditCount(t, a, "invite.accepted", id) != 1 || auditCount(t, a, "login.success", id) != 1 {
		t.Error("joining and signing in are not both audited")
	}

	// A reset link does the same; one an admin made first shows the
	// person that the admin reset their access (#15 finding 2b).
	page = makeLink(t, a.Login(t, w.Admin), "/admin/users/"+itoa(w.Therapist2.ID)+"/reset", nil)
	reset, _ := linkFrom(t, page.Body.String())
	r = a.Anonymous(t).PostForm(reset, url.Values{"password": {"my brand new passphrase"}, "confirm": {"my brand new passphrase"}})
	if r.Code != http.StatusSeeOther || r.Header().Get("Location") != "/account/notices" {
		t.Errorf("reset = %d → %q, want 303 to /account/notices", r.Code, r.Header().Get("Location"))
	}
}
