package server_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trellis-app/trellis/internal/account"
	"github.com/trellis-app/trellis/internal/auth"
	"github.com/trellis-app/trellis/internal/server"
	"github.com/trellis-app/trellis/internal/testkit"
)

var requestIDRe = regexp.MustCompile(`[0-9a-f]{24}`)

// stripIDs removes per-request ids so two pages can be compared byte for byte.
func stripIDs(s string) string { return requestIDRe.ReplaceAllString(s, "ID") }

func signinAs(s *testkit.Session, email, password string) *http.Response {
	w := s.PostForm("/signin", url.Values{"email": {email}, "password": {password}})
	return w.Result()
}

func bodyOf(t *testing.T, r *http.Response) string {
	t.Helper()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := r.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return b.String()
}

func auditCount(t *testing.T, a *testkit.App, action string, target int64) int {
	t.Helper()
	var n int
	if err := a.DB.Get(&n, `SELECT count(*) FROM audit_log WHERE action = $1 AND target_id = $2`, action, target); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSignInLandsEachRoleOnItsHome(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	for _, tt := range []struct {
		user account.User
		home string
	}{{w.Admin, "/admin/users"}, {w.Therapist, "/therapist"}, {w.Client, "/home"}} {
		s := a.Anonymous(t)
		r := signinAs(s, tt.user.Email, testkit.Password)
		if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != tt.home {
			t.Errorf("%s: %d → %q, want 303 → %s", tt.user.Role, r.StatusCode, r.Header.Get("Location"), tt.home)
		}
		if got := s.Get(tt.home); got.Code != http.StatusOK {
			t.Errorf("%s home = %d", tt.user.Role, got.Code)
		}
	}
}

func TestSignInReturnsToTheRequestedPageButNeverOffSite(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	s := a.Anonymous(t)
	first := s.Get("/account/password")
	if first.Code != http.StatusSeeOther || first.Header().Get("Location") != "/signin?next=%2Faccount%2Fpassword" {
		t.Fatalf("anonymous /account/password = %d %q", first.Code, first.Header().Get("Location"))
	}
	r := s.PostForm("/signin", url.Values{"email": {w.Client.Email}, "password": {testkit.Password}, "next": {"/account/password"}})
	if r.Header().Get("Location") != "/account/password" {
		t.Errorf("next ignored: %q", r.Header().Get("Location"))
	}
	for _, evil := range []string{"//evil.example/x", "https://evil.example", "/\\evil.example"} {
		s := a.Anonymous(t)
		r := s.PostForm("/signin", url.Values{"email": {w.Client.Email}, "password": {testkit.Password}, "next": {evil}})
		if r.Header().Get("Location") != "/home" {
			t.Errorf("next=%q sent the user to %q", evil, r.Header().Get("Location"))
		}
	}
}

func TestSessionIDChangesAtSignIn(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	s := a.Login(t, w.Client)
	before := s.Cookie()
	if before == "" {
		t.Fatal("no session cookie after sign-in")
	}
	// Signing in again (or as someone else) on the same browser must not
	// keep a session id that was known before (R8: no fixation).
	signinAs(s, w.Client.Email, testkit.Password)
	after := s.Cookie()
	if after == "" || after == before {
		t.Fatalf("session id kept across sign-in: %q → %q", before, after)
	}
	old := a.Anonymous(t)
	if r := old.Do(cookieReq(before, "/home")); r.Code != http.StatusSeeOther {
		t.Errorf("the replaced session id still works: %d", r.Code)
	}
}

func cookieReq(token, path string) *http.Request {
	r, _ := http.NewRequest(http.MethodGet, path, nil)
	r.AddCookie(&http.Cookie{Name: "trellis_session", Value: token})
	return r
}

func TestSessionCookieAndStoredToken(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	s := a.Anonymous(t)
	r := s.PostForm("/signin", url.Values{"email": {w.Therapist.Email}, "password": {testkit.Password}})
	var c *http.Cookie
	for _, ck := range r.Result().Cookies() {
		if ck.Name == "trellis_session" {
			c = ck
		}
	}
	if c == nil {
		t.Fatal("no trellis_session cookie")
	}
	if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" {
		t.Errorf("cookie flags: HttpOnly=%v SameSite=%v Path=%q", c.HttpOnly, c.SameSite, c.Path)
	}
	sum := sha256.Sum256([]byte(c.Value))
	var n int
	if err := a.DB.Get(&n, `SELECT count(*) FROM sessions WHERE token = $1`, hex.EncodeToString(sum[:])); err != nil || n != 1 {
		t.Errorf("hashed token rows = %d (%v), want 1", n, err)
	}
	if err := a.DB.Get(&n, `SELECT count(*) FROM sessions WHERE token = $1`, c.Value); err != nil || n != 0 {
		t.Errorf("the raw token is stored (%d rows)", n)
	}
}

func TestHTTPSCookieIsHostPrefixedAndSecureWithHSTS(t *testing.T) {
	a := testkit.NewAppWith(t, func(d *server.Deps) {
		d.Config.BaseURL, _ = url.Parse("https://trellis.example.org")
		d.Sessions = server.NewSessionManager(d.Config, auth.NewSessionStore(d.DB))
	})
	w := a.Seed(t)
	r := a.Anonymous(t).PostForm("/signin", url.Values{"email": {w.Client.Email}, "password": {testkit.Password}})
	var found bool
	for _, c := range r.Result().Cookies() {
		if c.Name == "__Host-trellis_session" {
			found = true
			if !c.Secure || !c.HttpOnly || c.Path != "/" || c.Domain != "" {
				t.Errorf("__Host- cookie flags: %+v", c)
			}
		}
	}
	if !found {
		t.Errorf("no __Host-trellis_session cookie over HTTPS: %v", r.Result().Cookies())
	}
	if got := r.Header().Get("Strict-Transport-Security"); !strings.Contains(got, "max-age=") {
		t.Errorf("HSTS = %q over HTTPS", got)
	}
}

func TestSignOutDestroysTheSessionServerSide(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	s := a.Login(t, w.Therapist)
	token := s.Cookie()
	if r := s.PostForm("/signout", nil); r.Code != http.StatusSeeOther || r.Header().Get("Location") != "/signin?signed_out=1" {
		t.Fatalf("signout = %d %q", r.Code, r.Header().Get("Location"))
	}
	var n int
	if err := a.DB.Get(&n, `SELECT count(*) FROM sessions WHERE NOT revoked`); err != nil || n != 0 {
		t.Errorf("live sessions left after sign-out: %d (%v)", n, err)
	}
	// Someone who copied the cookie cannot use it.
	if r := a.Anonymous(t).Do(cookieReq(token, "/therapist")); r.Code != http.StatusSeeOther {
		t.Errorf("old cookie after sign-out: %d, want 303 to sign in", r.Code)
	}
	if auditCount(t, a, "logout", w.Therapist.ID) != 1 {
		t.Error("sign-out not audited")
	}
	if r := a.Anonymous(t).Get("/signout"); r.Code != http.StatusNotFound {
		t.Errorf("GET /signout = %d: sign-out must be a POST", r.Code)
	}
}

func TestIdleSessionsExpireStaffSoonerThanClients(t *testing.T) {
	var mu sync.Mutex
	now := time.Now()
	a := testkit.NewAppWith(t, func(d *server.Deps) {
		d.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	})
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	w := a.Seed(t)
	staff := a.Login(t, w.Therapist)
	client := a.Login(t, w.Client)

	advance(server.StaffIdle - time.Minute)
	if r := staff.Get("/therapist"); r.Code != http.StatusOK {
		t.Fatalf("therapist active within the idle limit: %d", r.Code)
	}
	if r := client.Get("/home"); r.Code != http.StatusOK {
		t.Fatalf("client active within the idle limit: %d", r.Code)
	}
	advance(server.StaffIdle + time.Minute) // idle since the last request
	r := staff.Get("/therapist")
	if r.Code != http.StatusSeeOther || !strings.Contains(r.Header().Get("Location"), "expired=1") {
		t.Fatalf("therapist idle %v: %d %q, want 303 to sign in with the expired notice", server.StaffIdle+time.Minute, r.Code, r.Header().Get("Location"))
	}
	page := staff.Get(r.Header().Get("Location"))
	if !strings.Contains(page.Body.String(), "signed out after a while without activity") {
		t.Error("the sign-in page does not say why")
	}
	// The client has been idle as long as the therapist: still inside
	// ClientIdle.
	if r := client.Get("/home"); r.Code != http.StatusOK {
		t.Errorf("client idle %v: %d, want still signed in (limit %v)", server.StaffIdle+time.Minute, r.Code, server.ClientIdle)
	}
	advance(server.ClientIdle + time.Minute)
	if r := client.Get("/home"); r.Code != http.StatusSeeOther {
		t.Errorf("client idle past %v: %d, want signed out", server.ClientIdle, r.Code)
	}
}

func TestDisablingAUserEndsTheirSessionsAtOnce(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	therapist := a.Login(t, w.Therapist)
	admin := a.Login(t, w.Admin)
	if r := admin.PostForm("/admin/users/"+itoa(w.Therapist.ID)+"/disable", nil); r.Code != http.StatusSeeOther {
		t.Fatalf("disable = %d", r.Code)
	}
	if r := therapist.Get("/therapist"); r.Code != http.StatusSeeOther {
		t.Fatalf("disabled therapist's next request = %d, want 303 to sign in", r.Code)
	}
	// Signing in again, the right password answers exactly as a wrong one
	// (#15 finding 9): otherwise anyone holding a password could learn the
	// account exists and was disabled.
	right := signinAs(a.Anonymous(t), w.Therapist.Email, testkit.Password)
	wrong := signinAs(a.Anonymous(t), w.Therapist.Email, "wrong password here")
	if right.StatusCode != http.StatusUnauthorized || wrong.StatusCode != http.StatusUnauthorized {
		t.Errorf("disabled sign-in: right password %d, wrong %d, want 401 for both", right.StatusCode, wrong.StatusCode)
	}
	if rb, wb := stripIDs(bodyOf(t, right)), stripIDs(bodyOf(t, wrong)); rb != wb {
		t.Error("a disabled account's right password answers differently from a wrong one")
	}
	if auditCount(t, a, "user.disabled", w.Therapist.ID) != 1 {
		t.Error("disable not audited")
	}
	if r := admin.PostForm("/admin/users/"+itoa(w.Therapist.ID)+"/enable", nil); r.Code != http.StatusSeeOther {
		t.Fatalf("enable = %d", r.Code)
	}
	a.Login(t, w.Therapist)
	// An admin cannot lock themselves out.
	admin.PostForm("/admin/users/"+itoa(w.Admin.ID)+"/disable", nil)
	if u := a.User(t, w.Admin.ID); u.Status != account.StatusActive {
		t.Error("admin disabled their own account")
	}
}

func TestRemovingAClientEndsTheirAccessAndKeepsTheRecord(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	client := a.Login(t, w.Client)
	therapist := a.Login(t, w.Therapist)
	if r := therapist.PostForm("/therapist/clients/"+itoa(w.Client.ID)+"/remove", nil); r.Code != http.StatusSeeOther {
		t.Fatalf("remove = %d", r.Code)
	}
	if r := client.Get("/home"); r.Code != http.StatusSeeOther {
		t.Errorf("removed client's next request = %d, want signed out", r.Code)
	}
	if r := signinAs(a.Anonymous(t), w.Client.Email, testkit.Password); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("removed client signs in: %d, want 401, as a wrong password", r.StatusCode)
	}
	if u := a.User(t, w.Client.ID); u.TherapistID != nil || u.Email != w.Client.Email {
		t.Errorf("record after removal: %+v", u)
	}
	if r := therapist.Get("/therapist/clients/" + itoa(w.Client.ID)); r.Code != http.StatusNotFound {
		t.Errorf("removed client's page = %d, want 404", r.Code)
	}
	// The admin can move them into a caseload again, with the receiving
	// therapist's consent.
	moveClient(t, a, w, w.Client, w.Therapist2)
	a.Login(t, w.Client)
	if r := a.Login(t, w.Therapist2).Get("/therapist/clients/" + itoa(w.Client.ID)); r.Code != http.StatusOK {
		t.Errorf("new therapist sees the moved client: %d", r.Code)
	}
}

var linkRe = regexp.MustCompile(`value="(http://[^"]+/(invite|reset)/([A-Za-z0-9_-]+))"`)

func linkFrom(t *testing.T, body string) (path, token string) {
	t.Helper()
	m := linkRe.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no link on the page:\n%s", body)
	}
	return "/" + m[2] + "/" + m[3], m[3]
}

var linkPageRe = regexp.MustCompile(`^/links/[A-Za-z0-9_-]{43}$`)

// makeLink posts form to path, which makes an invite or reset link, and
// follows the answer (303 to the page showing the link, POST/redirect/GET)
// as the staff member who made it. It returns the page.
func makeLink(t *testing.T, s *testkit.Session, path string, form url.Values) *httptest.ResponseRecorder {
	t.Helper()
	r := s.PostForm(path, form)
	if r.Code != http.StatusSeeOther || !linkPageRe.MatchString(r.Header().Get("Location")) {
		t.Fatalf("POST %s = %d → %q, want 303 to a link page\n%s", path, r.Code, r.Header().Get("Location"), r.Body.String())
	}
	page := s.Get(r.Header().Get("Location"))
	if page.Code != http.StatusOK {
		t.Fatalf("link page = %d\n%s", page.Code, page.Body.String())
	}
	return page
}

// An invite for a client removed before they joined stopped nothing: the
// account became active with no therapist (#15 finding 7).
// Someone invited is not yet a client: they are withdrawn from the
// invitations list (their client routes are 404, invitations_test.go).
func TestWithdrawingAnInvitationBeforeTheyJoinRevokesItsLink(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	therapist := a.Login(t, w.Therapist)
	r := makeLink(t, therapist, "/therapist/clients/invite", url.Values{"name": {"Noor"}, "email": {"noor@test.example"}})
	path, _ := linkFrom(t, r.Body.String())
	var id int64
	if err := a.DB.Get(&id, `SELECT id FROM users WHERE email = 'noor@test.example'`); err != nil {
		t.Fatal(err)
	}
	if g := a.Anonymous(t).Get(path); g.Code != http.StatusOK {
		t.Fatalf("invite page before removal = %d", g.Code)
	}
	if r := therapist.PostForm(clientPath(id)+"/remove", nil); r.Code != http.StatusNotFound {
		t.Errorf("removing someone invited as a client = %d, want 404", r.Code)
	}
	ref := rowRef(therapist.Get("/therapist").Body.String(), "Noor")
	seeOtherTo(t, therapist, "/invitations/withdraw", url.Values{"invitation": {ref}}, "/therapist#invitations-title")

	revoked := a.Anonymous(t).Get(path)
	never := a.Anonymous(t).Get("/invite/thisTokenNeverExisted0000000000000000000000")
	if revoked.Code != http.StatusNotFound || stripIDs(revoked.Body.String()) != stripIDs(never.Body.String()) {
		t.Errorf("invite withdrawn = %d, want the 404 of a link that never existed", revoked.Code)
	}
	if p := a.Anonymous(t).PostForm(path, url.Values{"password": {"a fine long passphrase"}, "confirm": {"a fine long passphrase"}}); p.Code != http.StatusNotFound {
		t.Errorf("accepting a withdrawn invite = %d, want 404", p.Code)
	}
	var status string
	if err := a.DB.Get(&status, `SELECT status FROM users WHERE id = $1`, id); err != nil || status == "active" {
		t.Errorf("status after withdrawal = %q (%v), want not active", status, err)
	}
}

func TestInviteLinkIsSingleUseHashedAndExpires(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	therapist := a.Login(t, w.Therapist)
	r := makeLink(t, therapist, "/therapist/clients/invite", url.Values{"name": {"Zoë Ελένη"}, "email": {"zoe.new@test.example"}})
	path, token := linkFrom(t, r.Body.String())
	raw, _ := base64.RawURLEncoding.DecodeString(token)
	if len(raw) != 32 {
		t.Errorf("token has %d bytes of randomness, want 32", len(raw))
	}
	var stored int
	sum := sha256.Sum256([]byte(token))
	if err := a.DB.Get(&stored, `SELECT count(*) FROM access_tokens WHERE token_hash = $1 AND expires_at BETWEEN now() + interval '71 hours' AND now() + interval '73 hours'`, sum[:]); err != nil || stored != 1 {
		t.Fatalf("hashed invite with 72 h expiry stored %d times (%v)", stored, err)
	}

	anon := a.Anonymous(t)
	if g := anon.Get(path); g.Code != http.StatusOK || !strings.Contains(g.Body.String(), "Welcome, Zoë Ελένη") {
		t.Fatalf("invite page = %d", g.Code)
	}
	// A bad password re-renders with the message beside the field.
	bad := anon.PostForm(path, url.Values{"password": {"short"}, "confirm": {"short"}})
	if bad.Code != http.StatusUnprocessableEntity || !strings.Contains(bad.Body.String(), `id="password-error"`) {
		t.Fatalf("short password = %d", bad.Code)
	}
	ok := anon.PostForm(path, url.Values{"password": {"a fine long passphrase"}, "confirm": {"a fine long passphrase"}})
	if ok.Code != http.StatusSeeOther || ok.Header().Get("Location") != "/home" {
		t.Fatalf("accept = %d %q, want 303 to the new client's home", ok.Code, ok.Header().Get("Location"))
	}
	if r := signinAs(a.Anonymous(t), "zoe.new@test.example", "a fine long passphrase"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("new client cannot sign in: %d", r.StatusCode)
	}
	// Used: the same answer as a link that never existed (R4, R5).
	used := a.Anonymous(t).Get(path)
	never := a.Anonymous(t).Get("/invite/thisTokenNeverExisted0000000000000000000000")
	if used.Code != http.StatusNotFound || stripIDs(used.Body.String()) != stripIDs(never.Body.String()) {
		t.Errorf("used link = %d, differs from an unknown one", used.Code)
	}
	if re := a.Anonymous(t).PostForm(path, url.Values{"password": {"another long passphrase"}, "confirm": {"another long passphrase"}}); re.Code != http.StatusNotFound {
		t.Errorf("reusing the link = %d, want 404", re.Code)
	}

	// Expired: also the same answer.
	r = makeLink(t, therapist, "/therapist/clients/invite", url.Values{"name": {"Late"}, "email": {"late@test.example"}})
	path2, _ := linkFrom(t, r.Body.String())
	if _, err := a.DB.Exec(`UPDATE access_tokens SET expires_at = now() - interval '1 second' WHERE used_at IS NULL`); err != nil {
		t.Fatal(err)
	}
	expired := a.Anonymous(t).Get(path2)
	if expired.Code != http.StatusNotFound || stripIDs(expired.Body.String()) != stripIDs(never.Body.String()) {
		t.Errorf("expired link = %d, differs from an unknown one", expired.Code)
	}
}

func TestResetLinkEndsEveryOtherSession(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	oldSession := a.Login(t, w.Client)
	therapist := a.Login(t, w.Therapist)
	r := makeLink(t, therapist, "/therapist/clients/"+itoa(w.Client.ID)+"/reset", nil)
	path, token := linkFrom(t, r.Body.String())
	if !strings.HasPrefix(path, "/reset/") {
		t.Fatalf("active client got %s, want a reset link", path)
	}
	sum := sha256.Sum256([]byte(token))
	var ok bool
	if err := a.DB.Get(&ok, `SELECT expires_at BETWEEN now() + interval '29 minutes' AND now() + interval '31 minutes' FROM access_tokens WHERE token_hash = $1`, sum[:]); err != nil || !ok {
		t.Errorf("reset link expiry not 30 minutes (%v)", err)
	}
	set := a.Anonymous(t).PostForm(path, url.Values{"password": {"my brand new passphrase"}, "confirm": {"my brand new passphrase"}})
	if set.Code != http.StatusSeeOther {
		t.Fatalf("use reset link = %d\n%s", set.Code, set.Body.String())
	}
	if g := oldSession.Get("/home"); g.Code != http.StatusSeeOther {
		t.Errorf("session from before the reset still works: %d", g.Code)
	}
	if r := signinAs(a.Anonymous(t), w.Client.Email, testkit.Password); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("old password still works: %d", r.StatusCode)
	}
	if r := signinAs(a.Anonymous(t), w.Client.Email, "my brand new passphrase"); r.StatusCode != http.StatusSeeOther {
		t.Errorf("new password does not work: %d", r.StatusCode)
	}
	if auditCount(t, a, "reset.created", w.Client.ID) != 1 || auditCount(t, a, "reset.completed", w.Client.ID) != 1 {
		t.Error("reset not audited")
	}
}

func TestChangePasswordKeepsThisSessionAndEndsOthers(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	here := a.Login(t, w.Therapist)
	elsewhere := a.Login(t, w.Therapist)
	before := here.Cookie()

	bad := here.PostForm("/account/password", url.Values{"current": {"not it"}, "password": {"password1234"}, "confirm": {"different"}})
	if bad.Code != http.StatusUnprocessableEntity {
		t.Fatalf("bad change = %d", bad.Code)
	}
	for _, id := range []string{`id="current-error"`, `id="confirm-error"`} {
		if !strings.Contains(bad.Body.String(), id) {
			t.Errorf("no %s beside the field", id)
		}
	}
	if strings.Contains(bad.Body.String(), "password1234") {
		t.Error("a password was echoed back into the form")
	}
	good := here.PostForm("/account/password", url.Values{"current": {testkit.Password}, "password": {"a fresh long passphrase"}, "confirm": {"a fresh long passphrase"}})
	if good.Code != http.StatusSeeOther {
		t.Fatalf("change = %d\n%s", good.Code, good.Body.String())
	}
	if here.Cookie() == before {
		t.Error("session id not renewed on password change")
	}
	if r := here.Get("/therapist"); r.Code != http.StatusOK || !strings.Contains(r.Body.String(), "Your password is changed") {
		t.Errorf("this session after the change: %d", r.Code)
	}
	if r := elsewhere.Get("/therapist"); r.Code != http.StatusSeeOther {
		t.Errorf("other session after the change: %d, want signed out", r.Code)
	}
}

func TestLockoutAfterTenFailuresLooksLikeAWrongPassword(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	wrong := signinAs(a.Anonymous(t), w.Client.Email, "wrong password 1")
	wrongBody := stripIDs(bodyOf(t, wrong))
	unknown := signinAs(a.Anonymous(t), "nobody@test.example", "wrong password 1")
	if unknown.StatusCode != wrong.StatusCode || stripIDs(bodyOf(t, unknown)) != strings.Replace(wrongBody, w.Client.Email, "nobody@test.example", 1) {
		t.Errorf("unknown email answers differently from a wrong password (R4)")
	}
	for i := 2; i <= account.MaxFailures; i++ {
		signinAs(a.Anonymous(t), w.Client.Email, "wrong password")
	}
	locked := signinAs(a.Anonymous(t), w.Client.Email, testkit.Password)
	if locked.StatusCode != http.StatusUnauthorized {
		t.Fatalf("right password on a locked account = %d, want 401", locked.StatusCode)
	}
	if stripIDs(bodyOf(t, locked)) != wrongBody {
		t.Error("a locked account answers differently from a wrong password (R3)")
	}
	if auditCount(t, a, "login.locked", w.Client.ID) != 1 {
		t.Error("lock not audited")
	}
	// 15 minutes later it opens again.
	if _, err := a.DB.Exec(`UPDATE users SET locked_until = now() - interval '1 second' WHERE id = $1`, w.Client.ID); err != nil {
		t.Fatal(err)
	}
	if r := signinAs(a.Anonymous(t), w.Client.Email, testkit.Password); r.StatusCode != http.StatusSeeOther {
		t.Errorf("after the lock: %d", r.StatusCode)
	}
}

// Only failures count toward a lock (#15 finding 5): each attempt is
// counted before its password is checked, so the 10th, when right, once
// set the lock and the 11th right sign-in failed.
func TestARightPasswordOnTheLastAllowedTryDoesNotLock(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	for i := 1; i < account.MaxFailures; i++ {
		if r := signinAs(a.Anonymous(t), w.Client.Email, "wrong password"); r.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong try %d = %d", i, r.StatusCode)
		}
	}
	for i, want := range []int{http.StatusSeeOther, http.StatusSeeOther} {
		if r := signinAs(a.Anonymous(t), w.Client.Email, testkit.Password); r.StatusCode != want {
			t.Fatalf("right password, sign-in %d after %d failures = %d, want %d", i+1, account.MaxFailures-1, r.StatusCode, want)
		}
	}
	var locked bool
	if err := a.DB.Get(&locked, `SELECT locked_until IS NOT NULL FROM users WHERE id = $1`, w.Client.ID); err != nil || locked {
		t.Errorf("locked = %v (%v) after a right password, want no lock", locked, err)
	}
	if n := auditCount(t, a, "login.locked", w.Client.ID); n != 0 {
		t.Errorf("%d lock audits, want none", n)
	}
}

func TestFailuresOutsideTheWindowDoNotLock(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	for range account.MaxFailures - 1 {
		signinAs(a.Anonymous(t), w.Client.Email, "wrong password")
	}
	if _, err := a.DB.Exec(`UPDATE users SET first_failed_at = now() - interval '16 minutes' WHERE id = $1`, w.Client.ID); err != nil {
		t.Fatal(err)
	}
	signinAs(a.Anonymous(t), w.Client.Email, "wrong password")
	if r := signinAs(a.Anonymous(t), w.Client.Email, testkit.Password); r.StatusCode != http.StatusSeeOther {
		t.Errorf("ten failures spread over more than 15 minutes locked the account: %d", r.StatusCode)
	}
}

func TestPerIPThrottleAnswers429(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	var last int
	for i := 0; i <= server.LoginsPerIP; i++ {
		s := a.Anonymous(t)
		s.IP = "198.51.100.7"
		last = signinAs(s, "guess"+itoa(int64(i))+"@test.example", "wrong password").StatusCode
		if i < server.LoginsPerIP && last != http.StatusUnauthorized {
			t.Fatalf("attempt %d = %d before the limit", i+1, last)
		}
	}
	if last != http.StatusTooManyRequests {
		t.Fatalf("attempt %d from one IP = %d, want 429", server.LoginsPerIP+1, last)
	}
	// Another IP is not affected.
	if r := signinAs(a.Anonymous(t), w.Client.Email, testkit.Password); r.StatusCode != http.StatusSeeOther {
		t.Errorf("another IP = %d", r.StatusCode)
	}
}

func TestAuditLogRecordsSignInsAndIsAppendOnly(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	signinAs(a.Anonymous(t), w.Client.Email, "wrong password")
	s := a.Login(t, w.Client)
	s.PostForm("/signout", nil)
	var rows []struct {
		Action string  `db:"action"`
		IP     *string `db:"ip"`
	}
	if err := a.DB.Select(&rows, `SELECT action, host(ip) AS ip FROM audit_log WHERE target_id = $1 ORDER BY id`, w.Client.ID); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rows {
		got = append(got, r.Action)
		if r.IP == nil || *r.IP != "192.0.2.10" {
			t.Errorf("%s recorded from %v, want the client's IP", r.Action, r.IP)
		}
	}
	if strings.Join(got, ",") != "login.failure,login.success,logout" {
		t.Errorf("audit = %v", got)
	}
	for _, q := range []string{`UPDATE audit_log SET action = 'x'`, `DELETE FROM audit_log`, `TRUNCATE audit_log`} {
		if _, err := a.DB.Exec(q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v, want refused", q, err)
		}
	}
	// No names or emails in the log's rows.
	var leaks int
	if err := a.DB.Get(&leaks, `SELECT count(*) FROM audit_log WHERE detail::text LIKE '%@%' OR detail::text LIKE '%Ελένη%'`); err != nil || leaks != 0 {
		t.Errorf("audit rows with personal data: %d (%v)", leaks, err)
	}
}

func TestAdminAuditPageFiltersAndPages(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	for i := range 60 {
		s := a.Anonymous(t)
		s.IP = "203.0.113." + itoa(int64(i+1)) // stay under the per-IP limit
		signinAs(s, w.Therapist.Email, "wrong password")
		if _, err := a.DB.Exec(`UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1`, w.Therapist.ID); err != nil {
			t.Fatal(err)
		}
	}
	admin := a.Login(t, w.Admin)
	page := admin.Get("/admin/audit?action=login.failure")
	if page.Code != http.StatusOK {
		t.Fatalf("audit page = %d", page.Code)
	}
	if n := strings.Count(page.Body.String(), `data-action="login.failure"`); n != 50 {
		t.Errorf("first page has %d rows, want 50", n)
	}
	if strings.Contains(page.Body.String(), `data-action="login.success"`) {
		t.Error("action filter ignored")
	}
	m := regexp.MustCompile(`href="(/admin/audit\?[^"]+)">Older entries`).FindStringSubmatch(page.Body.String())
	if m == nil {
		t.Fatal("no link to older entries")
	}
	next := admin.Get(strings.ReplaceAll(m[1], "&amp;", "&"))
	if n := strings.Count(next.Body.String(), `data-action="login.failure"`); n != 10 {
		t.Errorf("second page has %d rows, want 10", n)
	}
	if bad := admin.Get("/admin/audit?from=yesterday"); bad.Code != http.StatusUnprocessableEntity || !strings.Contains(bad.Body.String(), `id="from-error"`) || !strings.Contains(bad.Body.String(), `value="yesterday"`) {
		t.Errorf("bad date = %d, want 422 with the message beside the field and the input kept", bad.Code)
	}
	future := admin.Get("/admin/audit?from=2999-01-01")
	if !strings.Contains(future.Body.String(), "Nothing matches") {
		t.Error("date filter ignored")
	}
	// Another practice's admin sees none of it.
	if strings.Contains(a.Login(t, w.Outsider).Get("/admin/audit").Body.String(), `data-action="login.failure"`) {
		t.Error("an admin of another practice reads this practice's log")
	}
}

func TestFormsKeepWhatWasTypedAndShowErrorsBesideFields(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	admin := a.Login(t, w.Admin)
	r := admin.PostForm("/admin/users/invite", url.Values{"name": {"Δήμητρα <b>K</b>"}, "email": {"not-an-email"}, "role": {"therapist"}})
	if r.Code != http.StatusUnprocessableEntity {
		t.Fatalf("invalid invite = %d", r.Code)
	}
	body := r.Body.String()
	for _, want := range []string{`value="Δήμητρα &lt;b&gt;K&lt;/b&gt;"`, `value="not-an-email"`, `id="email-error"`, `href="#email"`, `aria-invalid="true"`, `value="therapist" checked`} {
		if !strings.Contains(body, want) {
			t.Errorf("re-rendered form lacks %s", want)
		}
	}
	dup := admin.PostForm("/admin/users/invite", url.Values{"name": {"Again"}, "email": {w.Client.Email}, "role": {"therapist"}})
	// The admin can see everyone in the practice, so is told plainly.
	if dup.Code != http.StatusUnprocessableEntity || !strings.Contains(dup.Body.String(), "already has an account with this email") {
		t.Errorf("duplicate email = %d", dup.Code)
	}
	settings := admin.PostForm("/admin/practice", url.Values{"name": {""}, "crisis_text": {"Call 999"}, "time_zone": {"Mars/Olympus"}, "missed_in_a_row": {"0"}})
	if settings.Code != http.StatusUnprocessableEntity || !strings.Contains(settings.Body.String(), `id="time_zone-error"`) || !strings.Contains(settings.Body.String(), "Mars/Olympus") {
		t.Errorf("bad settings = %d", settings.Code)
	}
	if b := settings.Body.String(); !strings.Contains(b, `id="missed_in_a_row-error"`) || !strings.Contains(b, "Enter a whole number from 1 to 20.") {
		t.Error("a bad missed-in-a-row number is not refused beside its field")
	}
	ok := admin.PostForm("/admin/practice", url.Values{"name": {"Riverside"}, "crisis_text": {"Call 999 in an emergency."}, "time_zone": {"Europe/London"}, "missed_in_a_row": {"4"}})
	if ok.Code != http.StatusSeeOther {
		t.Fatalf("good settings = %d", ok.Code)
	}
	var missed int
	if err := a.DB.Get(&missed, `SELECT missed_in_a_row FROM practices WHERE id = $1`, w.PracticeID); err != nil || missed != 4 {
		t.Errorf("missed_in_a_row = %d (%v), want 4", missed, err)
	}
	// Clients see the practice's crisis text on their pages.
	if !strings.Contains(a.Login(t, w.Client).Get("/home").Body.String(), `Call <a href="tel:999">999</a> in an emergency.`) {
		t.Error("client home lacks the practice's crisis line")
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestEnablingAnActiveAccountChangesNothing(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	therapist := a.Login(t, w.Therapist)
	admin := a.Login(t, w.Admin)
	if r := admin.PostForm("/admin/users/"+itoa(w.Therapist.ID)+"/enable", nil); r.Code != http.StatusSeeOther {
		t.Fatalf("enable = %d", r.Code)
	}
	if r := therapist.Get("/therapist"); r.Code != http.StatusOK {
		t.Errorf("enabling an already active account signed it out: %d", r.Code)
	}
	if auditCount(t, a, "user.enabled", w.Therapist.ID) != 0 {
		t.Error("a change that changed nothing was audited")
	}
}

func TestFormsCannotSetRolesOwnersOrStatus(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	therapist := a.Login(t, w.Therapist)
	r := therapist.PostForm("/therapist/clients/invite", url.Values{
		"name": {"Mallory"}, "email": {"mallory@test.example"},
		"role": {"admin"}, "therapist_id": {itoa(w.Therapist2.ID)}, "status": {"active"}, "practice_id": {itoa(w.Outsider.PracticeID)},
	})
	if r.Code != http.StatusSeeOther {
		t.Fatalf("invite = %d", r.Code)
	}
	var u struct {
		Role        string `db:"role"`
		Status      string `db:"status"`
		TherapistID int64  `db:"therapist_id"`
		PracticeID  int64  `db:"practice_id"`
	}
	if err := a.DB.Get(&u, `SELECT role, status, therapist_id, practice_id FROM users WHERE email = 'mallory@test.example'`); err != nil {
		t.Fatal(err)
	}
	if u.Role != "client" || u.Status != "invited" || u.TherapistID != w.Therapist.ID || u.PracticeID != w.PracticeID {
		t.Errorf("form fields were taken over the actor's own (R15): %+v", u)
	}
	// An admin may only choose admin or therapist for a colleague.
	admin := a.Login(t, w.Admin)
	bad := admin.PostForm("/admin/users/invite", url.Values{"name": {"X"}, "email": {"x@test.example"}, "role": {"client"}})
	if bad.Code != http.StatusUnprocessableEntity || !strings.Contains(bad.Body.String(), "Choose therapist or practice admin") {
		t.Errorf("staff invite with role=client = %d", bad.Code)
	}
}

func TestInvalidUTF8IsRefusedBesideTheField(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	r := a.Login(t, w.Therapist).PostForm("/therapist/clients/invite", url.Values{"name": {"Bad \xff\xfe name"}, "email": {"ok@test.example"}})
	if r.Code != http.StatusUnprocessableEntity || !strings.Contains(r.Body.String(), `id="name-error"`) {
		t.Fatalf("invalid UTF-8 = %d", r.Code)
	}
	var n int
	if err := a.DB.Get(&n, `SELECT count(*) FROM users WHERE email = 'ok@test.example'`); err != nil || n != 0 {
		t.Errorf("user created from invalid input: %d", n)
	}
}

func TestForwardedForIsNotTrustedFromUnknownProxies(t *testing.T) {
	a := testkit.NewApp(t)
	var last int
	for i := 0; i <= server.LoginsPerIP; i++ {
		s := a.Anonymous(t)
		s.IP = "198.51.100.9"
		r := httptest.NewRequest(http.MethodPost, "/signin", strings.NewReader("email=x%40test.example&password=wrong+password"))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("X-Forwarded-For", "203.0.113."+itoa(int64(i+1)))
		last = s.Do(r).Code
	}
	if last != http.StatusTooManyRequests {
		t.Fatalf("rotating X-Forwarded-For escaped the per-IP limit: %d", last)
	}
}

func TestLogsCarryIDsButNoNamesEmailsOrFormContent(t *testing.T) {
	var logs safeBuffer
	a := testkit.NewAppWith(t, func(d *server.Deps) {
		d.Log = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	w := a.Seed(t)
	signinAs(a.Anonymous(t), w.Client.Email, "a wrong guess at it")
	therapist := a.Login(t, w.Therapist)
	therapist.PostForm("/therapist/clients/invite", url.Values{"name": {"Zoë Secretname"}, "email": {"zoe.secret@test.example"}})
	therapist.Get("/therapist/clients/" + itoa(w.Client.ID))
	therapist.Get("/therapist/clients/999999")
	out := logs.String()
	if !strings.Contains(out, `"route":"/therapist/clients/:id"`) || !strings.Contains(out, `"user_id":`+itoa(w.Therapist.ID)) {
		t.Fatalf("request log lacks route patterns or user ids:\n%s", out)
	}
	for _, secret := range []string{w.Client.Email, w.Client.DisplayName, w.Therapist.Email, "Zoë Secretname", "zoe.secret", "a wrong guess", testkit.Password} {
		if strings.Contains(out, secret) {
			t.Errorf("log contains %q (R20)", secret)
		}
	}
}

type safeBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *safeBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *safeBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// An invitation for an email that already has an account, which the
// inviter may not know of, looks like any invitation from the outside up to
// the point where the person must prove who they are (#15 finding 1, R4):
// the inviter gets the same page, the link opens the same page with the
// same status, and a refused password is refused the same way. Only a
// password that would be set tells them apart: the existing account is
// left exactly as it was, and the person is told to sign in with it.
func TestInvitingAnEmailInUseElsewhereLooksLikeAnyInvitation(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	therapist := a.Login(t, w.Therapist)
	const freshEmail = "brand.new@test.example"
	short := url.Values{"password": {"too short"}, "confirm": {"too short"}}
	good := url.Values{"password": {newPassphrase}, "confirm": {newPassphrase}}
	mask := func(s string, email string) string {
		s = linkRe.ReplaceAllString(s, `value="LINK"`)
		s = regexp.MustCompile(`until [^.:]+:\d\d`).ReplaceAllString(s, "until T")
		s = regexp.MustCompile(`/invite/[A-Za-z0-9_-]+`).ReplaceAllString(s, "/invite/TOKEN")
		return stripIDs(strings.ReplaceAll(s, email, "EMAIL"))
	}
	fresh := makeLink(t, therapist, "/therapist/clients/invite", url.Values{"name": {"Same Name"}, "email": {freshEmail}})
	freshPath, _ := linkFrom(t, fresh.Body.String())
	freshOpen := a.Anonymous(t).Get(freshPath)
	freshShort := a.Anonymous(t).PostForm(freshPath, short)
	if freshOpen.Code != http.StatusOK || freshShort.Code != http.StatusUnprocessableEntity {
		t.Fatalf("a fresh invitation opens with %d and refuses a short password with %d", freshOpen.Code, freshShort.Code)
	}

	// An email that belongs to another practice's admin, and one that is
	// another therapist's client here: neither may be revealed (R4).
	for _, existing := range []account.User{w.Outsider, w.OtherClient} {
		var before struct {
			Hash    string `db:"password_hash"`
			Version int    `db:"auth_version"`
			Status  string `db:"status"`
		}
		if err := a.DB.Get(&before, `SELECT password_hash, auth_version, status FROM users WHERE id = $1`, existing.ID); err != nil {
			t.Fatal(err)
		}
		taken := makeLink(t, therapist, "/therapist/clients/invite", url.Values{"name": {"Same Name"}, "email": {existing.Email}})
		if mask(taken.Body.String(), existing.Email) != mask(fresh.Body.String(), freshEmail) {
			t.Errorf("the inviter's page for an email in use differs from a fresh invitation's")
		}
		path, _ := linkFrom(t, taken.Body.String())
		open := a.Anonymous(t).Get(path)
		if open.Code != freshOpen.Code || mask(open.Body.String(), existing.Email) != mask(freshOpen.Body.String(), freshEmail) {
			t.Errorf("the link for an email in use opens with %d, a fresh one with %d, or their pages differ", open.Code, freshOpen.Code)
		}
		refused := a.Anonymous(t).PostForm(path, short)
		if refused.Code != freshShort.Code || mask(refused.Body.String(), existing.Email) != mask(freshShort.Body.String(), freshEmail) {
			t.Errorf("a short password on the link for an email in use: %d, or a page unlike a fresh link's", refused.Code)
		}

		// A password that would be set: the account is not touched, and the
		// next step is to sign in with it.
		used := a.Anonymous(t).PostForm(path, good)
		if used.Code != http.StatusSeeOther || used.Header().Get("Location") != "/signin?existing=1" {
			t.Fatalf("using the link for an email in use: %d → %q", used.Code, used.Header().Get("Location"))
		}
		var after = before
		if err := a.DB.Get(&after, `SELECT password_hash, auth_version, status FROM users WHERE id = $1`, existing.ID); err != nil {
			t.Fatal(err)
		}
		if after != before {
			t.Errorf("an invitation changed the existing account: %+v → %+v", before, after)
		}
		if r := signinAs(a.Anonymous(t), existing.Email, newPassphrase); r.StatusCode != http.StatusUnauthorized {
			t.Errorf("the invitation's password signs in to the existing account: %d", r.StatusCode)
		}
		if r := signinAs(a.Anonymous(t), existing.Email, testkit.Password); r.StatusCode != http.StatusSeeOther {
			t.Errorf("the existing account's own password no longer signs in: %d", r.StatusCode)
		}
		// Single use, like any link.
		if r := a.Anonymous(t).Get(path); r.Code != http.StatusNotFound {
			t.Errorf("a used link for an email in use opens again: %d", r.Code)
		}
	}
	next := a.Anonymous(t).Get("/signin?existing=1")
	if !strings.Contains(next.Body.String(), "already has a Trellis account") || !strings.Contains(next.Body.String(), "password of that account is unchanged") {
		t.Error("the next step does not tell the person to sign in with their existing account")
	}
	if r := a.Anonymous(t).PostForm(freshPath, good); r.Code != http.StatusSeeOther || r.Header().Get("Location") != "/home" {
		t.Errorf("the fresh invitation: %d → %q", r.Code, r.Header().Get("Location"))
	}

	// Nothing was created for the existing accounts; both are audited,
	// with ids only.
	var n int
	if err := a.DB.Get(&n, `SELECT count(*) FROM users WHERE display_name = 'Same Name'`); err != nil || n != 1 {
		t.Errorf("users named Same Name = %d, want only the fresh one", n)
	}
	if auditCountAction(t, a, "invite.refused") != 2 || auditCountAction(t, a, "invite.used_existing") != 2 {
		t.Error("invitations for emails in use, or their use, not audited")
	}
	var details string
	if err := a.DB.Get(&details, `SELECT string_agg(detail::text, ' ') FROM audit_log WHERE action LIKE 'invite.%'`); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{w.Outsider.Email, w.OtherClient.Email, "Same Name"} {
		if strings.Contains(details, s) {
			t.Errorf("the audit log holds %q", s)
		}
	}
	// A therapist re-inviting their own client is told plainly.
	own := therapist.PostForm("/therapist/clients/invite", url.Values{"name": {"Again"}, "email": {w.Client.Email}})
	if own.Code != http.StatusUnprocessableEntity || !strings.Contains(own.Body.String(), `id="email-error"`) {
		t.Errorf("re-inviting one's own client = %d", own.Code)
	}
}

func auditCountAction(t *testing.T, a *testkit.App, action string) int {
	t.Helper()
	var n int
	if err := a.DB.Get(&n, `SELECT count(*) FROM audit_log WHERE action = $1`, action); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestWithdrawingAnInvitationDisablesItsLink(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	admin := a.Login(t, w.Admin)
	r := makeLink(t, admin, "/admin/users/invite", url.Values{"name": {"Wrong Person"}, "email": {"wrong@test.example"}, "role": {"therapist"}})
	path, _ := linkFrom(t, r.Body.String())
	var id int64
	if err := a.DB.Get(&id, `SELECT id FROM users WHERE email = 'wrong@test.example'`); err != nil {
		t.Fatal(err)
	}
	if d := admin.PostForm("/admin/users/"+itoa(id)+"/disable", nil); d.Code != http.StatusSeeOther {
		t.Fatalf("disable an invited user = %d", d.Code)
	}
	if g := a.Anonymous(t).Get(path); g.Code != http.StatusNotFound {
		t.Errorf("withdrawn invitation's link = %d, want 404", g.Code)
	}
}

func TestAdminCannotMakeASignInLinkForAClient(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	admin := a.Login(t, w.Admin)
	r := admin.PostForm("/admin/users/"+itoa(w.Client.ID)+"/reset", nil)
	if r.Code != http.StatusSeeOther || r.Header().Get("Location") != "/admin/users" {
		t.Fatalf("admin reset of a client = %d → %q, want a redirect to People with a message", r.Code, r.Header().Get("Location"))
	}
	if strings.Contains(admin.Get(r.Header().Get("Location")).Body.String(), "/reset/") {
		t.Error("a reset link for a client was shown to an admin (R14)")
	}
	var n int
	if err := a.DB.Get(&n, `SELECT count(*) FROM access_tokens WHERE user_id = $1`, w.Client.ID); err != nil || n != 0 {
		t.Errorf("links made for the client: %d", n)
	}
	// A therapist's can still be reset by the admin.
	if r := makeLink(t, admin, "/admin/users/"+itoa(w.Therapist.ID)+"/reset", nil); !strings.Contains(r.Body.String(), "/reset/") {
		t.Errorf("admin reset of a therapist shows no reset link")
	}
}

func TestParallelGuessesCannotGetPastTheLock(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	const guesses = 40
	var wg sync.WaitGroup
	var busy atomic.Int64
	statuses := make(chan int, guesses)
	for i := range guesses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := a.Anonymous(t)
			s.IP = "203.0.113." + itoa(int64(i+1))
			r := signinAs(s, w.Client.Email, "wrong guess "+itoa(int64(i)))
			// On a loaded machine a guess may wait out its bounded wait for
			// a hashing slot and be told to try again (503): it is neither
			// checked nor let through, and it is counted as such below.
			if r.StatusCode == http.StatusServiceUnavailable {
				busy.Add(1)
			}
			statuses <- r.StatusCode
		}()
	}
	wg.Wait()
	close(statuses)
	for code := range statuses {
		if code != http.StatusUnauthorized && code != http.StatusServiceUnavailable {
			t.Errorf("a wrong guess answered %d, want 401 (or 503 when no hashing slot came free)", code)
		}
	}
	var failures, locked, refused int
	_ = a.DB.Get(&failures, `SELECT count(*) FROM audit_log WHERE target_id = $1 AND action = 'login.failure' AND NOT detail ? 'locked'`, w.Client.ID)
	_ = a.DB.Get(&locked, `SELECT count(*) FROM audit_log WHERE target_id = $1 AND action = 'login.locked'`, w.Client.ID)
	_ = a.DB.Get(&refused, `SELECT count(*) FROM audit_log WHERE target_id = $1 AND detail ? 'locked'`, w.Client.ID)
	if checked := failures + locked; checked != account.MaxFailures || locked != 1 || refused+int(busy.Load()) != guesses-account.MaxFailures {
		t.Fatalf("of %d parallel guesses, %d were checked (%d locking), %d refused and %d told to try again; want %d checked, 1 locking, the rest refused or told to try again",
			guesses, failures+locked, locked, refused, busy.Load(), account.MaxFailures)
	}
	if r := signinAs(a.Anonymous(t), w.Client.Email, testkit.Password); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("right password during the lock = %d", r.StatusCode)
	}
}

func TestOversizedFormWithoutALengthGets413(t *testing.T) {
	a := testkit.NewApp(t)
	body := "email=x%40test.example&password=" + strings.Repeat("a", 5<<20)
	r := httptest.NewRequest(http.MethodPost, "/signin", io.NopCloser(strings.NewReader(body)))
	r.ContentLength = -1
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if w := a.Do(r); w.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("chunked 5 MB sign-in = %d, want 413", w.Code)
	}
}

func TestStaticFilesCarryNoCookieAndListNoDirectories(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	s := a.Login(t, w.Client)
	r := s.Get("/static/app.css?v=1")
	if r.Code != http.StatusOK || r.Header().Get("Set-Cookie") != "" || r.Header().Get("Vary") == "Cookie" {
		t.Errorf("static file = %d, Set-Cookie %q", r.Code, r.Header().Get("Set-Cookie"))
	}
	if r := s.Get("/static/"); r.Code != http.StatusNotFound {
		t.Errorf("/static/ = %d, want 404 (no listing)", r.Code)
	}
}
