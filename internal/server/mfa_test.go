package server_test

// Two-step sign-in (#15): enrolment, the second step of a sign-in, replays,
// recovery codes, the lock, the practice's requirement, the admin's reset,
// and an admin-made reset link that still asks for the code (finding 2b).

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"html"
	"image/png"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trellis-app/trellis/internal/account"
	"github.com/trellis-app/trellis/internal/auth"
	"github.com/trellis-app/trellis/internal/server"
	"github.com/trellis-app/trellis/internal/testkit"
)

// mfaClock is the clock of the server and the account service, so a test
// says which authenticator code is current instead of racing the real one.
type mfaClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *mfaClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// step moves the clock on by n authenticator steps (30 seconds each).
func (c *mfaClock) step(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Duration(n) * auth.TOTPPeriod * time.Second)
}

// code is the authenticator's code for secret, steps away from now.
func (c *mfaClock) code(t *testing.T, secret string, steps int) string {
	t.Helper()
	code, err := auth.TOTPCode(secret, c.Now().Add(time.Duration(steps)*auth.TOTPPeriod*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	return code
}

func newMFAApp(t *testing.T) (*testkit.App, testkit.World, *mfaClock) {
	t.Helper()
	// Mid-step, so "two steps away" is exactly that; near the database's
	// clock, which times links.
	clk := &mfaClock{t: time.Now().UTC().Truncate(auth.TOTPPeriod * time.Second).Add(15 * time.Second)}
	a := testkit.NewAppWith(t, func(d *server.Deps) {
		d.Now = clk.Now
		d.Accounts.SetClock(clk.Now)
	})
	return a, a.Seed(t), clk
}

var (
	secretRe   = regexp.MustCompile(`<code class="secret">([A-Z2-7 ]+)</code>`)
	qrRe       = regexp.MustCompile(`<img class="qr" src="data:image/png;base64,((?:[A-Za-z0-9/=]|&#43;){200,})"`)
	whenRe     = regexp.MustCompile(`<p>\d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2}, by`)
	recoveryRe = regexp.MustCompile(`<li><code>([a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4})</code></li>`)
)

// secretOn reads the key shown for typing by hand on a set-up page.
func secretOn(t *testing.T, body string) string {
	t.Helper()
	m := secretRe.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no secret on the set-up page:\n%s", body)
	}
	return strings.ReplaceAll(m[1], " ", "")
}

// recoveryCodesOn follows a 303 to the recovery codes page and reads them.
func recoveryCodesOn(t *testing.T, s *testkit.Session, r *httptest.ResponseRecorder) ([]string, *httptest.ResponseRecorder) {
	t.Helper()
	if r.Code != http.StatusSeeOther || r.Header().Get("Location") != "/account/mfa/recovery-codes" {
		t.Fatalf("confirming set-up = %d → %q, want 303 to the recovery codes\n%s", r.Code, r.Header().Get("Location"), r.Body.String())
	}
	page := s.Get("/account/mfa/recovery-codes")
	if page.Code != http.StatusOK {
		t.Fatalf("recovery codes page = %d", page.Code)
	}
	var codes []string
	for _, m := range recoveryRe.FindAllStringSubmatch(page.Body.String(), -1) {
		codes = append(codes, m[1])
	}
	if len(codes) != auth.RecoveryCodes {
		t.Fatalf("%d recovery codes shown, want %d", len(codes), auth.RecoveryCodes)
	}
	return codes, page
}

// enrolMFA turns two-step sign-in on for the signed-in session s with the
// secret its set-up page shows, and returns the secret and recovery codes.
func enrolMFA(t *testing.T, s *testkit.Session, clk *mfaClock) (string, []string) {
	t.Helper()
	page := s.Get("/account/mfa/setup")
	if page.Code != http.StatusOK {
		t.Fatalf("set-up page = %d", page.Code)
	}
	secret := secretOn(t, page.Body.String())
	codes, _ := recoveryCodesOn(t, s, s.PostForm("/account/mfa/setup", url.Values{"code": {clk.code(t, secret, 0)}}))
	return secret, codes
}

// passwordStep signs in with the password and expects to be sent to the
// step want ("/signin/code" or "/signin/enrol").
func passwordStep(t *testing.T, a *testkit.App, u account.User, want string) *testkit.Session {
	t.Helper()
	s := a.Anonymous(t)
	r := s.PostForm("/signin", url.Values{"email": {u.Email}, "password": {testkit.Password}})
	if r.Code != http.StatusSeeOther || r.Header().Get("Location") != want {
		t.Fatalf("password of %s = %d → %q, want 303 to %s", u.Email, r.Code, r.Header().Get("Location"), want)
	}
	return s
}

func postCode(s *testkit.Session, code string) *httptest.ResponseRecorder {
	return s.PostForm("/signin/code", url.Values{"code": {code}})
}

func TestEnrolmentConfirmsACodeFromTheSecretOnThePage(t *testing.T) {
	a, w, clk := newMFAApp(t)
	s := a.Login(t, w.Therapist)
	elsewhere := a.Login(t, w.Therapist)

	page := s.Get("/account/mfa/setup")
	body := page.Body.String()
	m := qrRe.FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no QR code drawn on the server as an inline PNG")
	}
	raw, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(m[1], "&#43;", "+"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg, err := png.DecodeConfig(bytes.NewReader(raw)); err != nil || cfg.Width != 240 || cfg.Height != 240 {
		t.Errorf("QR code is not a 240 px PNG: %+v (%v)", cfg, err)
	}
	for _, want := range []string{`inputmode="numeric"`, `autocomplete="one-time-code"`, `<label for="code">`} {
		if !strings.Contains(body, want) {
			t.Errorf("code field lacks %s", want)
		}
	}
	secret := secretOn(t, body)
	if again := secretOn(t, s.Get("/account/mfa/setup").Body.String()); again != secret {
		t.Error("reloading the set-up page changed the secret already scanned")
	}

	// A wrong code: shown again beside the field, the same secret, the
	// code not echoed, nothing turned on.
	wrong := clk.code(t, secret, 3)
	bad := s.PostForm("/account/mfa/setup", url.Values{"code": {wrong}})
	if bad.Code != http.StatusUnprocessableEntity || !strings.Contains(bad.Body.String(), `id="code-error"`) {
		t.Fatalf("wrong set-up code = %d, want 422 with the message beside the field\n%s", bad.Code, bad.Body.String())
	}
	if strings.Contains(bad.Body.String(), `value="`+wrong+`"`) || secretOn(t, bad.Body.String()) != secret {
		t.Error("a wrong set-up code was echoed, or the secret changed")
	}
	var n int
	if err := a.DB.Get(&n, `SELECT count(*) FROM user_mfa WHERE user_id = $1`, w.Therapist.ID); err != nil || n != 0 {
		t.Fatalf("two-step sign-in on after a wrong code: %d (%v)", n, err)
	}

	before := s.Cookie()
	codes, shown := recoveryCodesOn(t, s, s.PostForm("/account/mfa/setup", url.Values{"code": {clk.code(t, secret, 0)}}))
	if s.Cookie() == before {
		t.Error("session id not renewed when two-step sign-in was turned on")
	}
	if !strings.Contains(shown.Body.String(), "shown only this once") {
		t.Error("the recovery codes page does not say they are shown once")
	}
	if again := s.Get("/account/mfa/recovery-codes"); again.Code != http.StatusNotFound || recoveryRe.MatchString(again.Body.String()) {
		t.Errorf("recovery codes shown a second time: %d", again.Code)
	}
	var stored []byte
	if err := a.DB.Get(&stored, `SELECT string_agg(code_hash, '' ORDER BY id) FROM mfa_recovery_codes WHERE user_id = $1`, w.Therapist.ID); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(strings.ReplaceAll(codes[0], "-", "")))
	if len(stored) != auth.RecoveryCodes*sha256.Size || !strings.Contains(string(stored), string(sum[:])) || strings.Contains(string(stored), codes[0]) {
		t.Error("recovery codes not stored as SHA-256 hashes only")
	}
	if auditCount(t, a, "mfa.enabled", w.Therapist.ID) != 1 {
		t.Error("turning two-step sign-in on is not audited")
	}
	if r := elsewhere.Get("/therapist"); r.Code != http.StatusSeeOther {
		t.Errorf("another session survived turning two-step sign-in on: %d", r.Code)
	}
	if r := s.Get("/account/mfa"); r.Code != http.StatusOK || !strings.Contains(r.Body.String(), "10 recovery codes left") {
		t.Errorf("status page after set-up = %d", r.Code)
	}
}

func TestSignInWithACodeRefusesReplaysAndCodesTwoStepsAway(t *testing.T) {
	a, w, clk := newMFAApp(t)
	secret, _ := enrolMFA(t, a.Login(t, w.Therapist), clk)

	s := passwordStep(t, a, w.Therapist, "/signin/code")
	if r := s.Get("/therapist"); r.Code != http.StatusSeeOther {
		t.Fatalf("a right password alone opened the dashboard: %d", r.Code)
	}
	page := s.Get("/signin/code")
	if page.Code != http.StatusOK || !strings.Contains(page.Body.String(), `autocomplete="one-time-code"`) {
		t.Fatalf("code page = %d", page.Code)
	}
	// The code that confirmed the set-up is spent.
	if r := postCode(s, clk.code(t, secret, 0)); r.Code != http.StatusUnauthorized {
		t.Errorf("the set-up code signed in: %d", r.Code)
	}
	for _, steps := range []int{2, -2} {
		if r := postCode(s, clk.code(t, secret, steps)); r.Code != http.StatusUnauthorized {
			t.Errorf("a code %d steps away = %d, want 401", steps, r.Code)
		}
	}
	clk.step(1)
	code := clk.code(t, secret, 0)
	pending := s.Cookie()
	r := postCode(s, code)
	if r.Code != http.StatusSeeOther || r.Header().Get("Location") != "/therapist" {
		t.Fatalf("right code = %d → %q\n%s", r.Code, r.Header().Get("Location"), r.Body.String())
	}
	if s.Cookie() == pending {
		t.Error("session id not renewed after the second step")
	}
	if g := s.Get("/therapist"); g.Code != http.StatusOK {
		t.Fatalf("dashboard after the code = %d", g.Code)
	}

	// The same code again, in another browser: refused, with the same
	// words as a wrong one.
	other := passwordStep(t, a, w.Therapist, "/signin/code")
	replay := postCode(other, code)
	wrong := postCode(other, "000000")
	if replay.Code != http.StatusUnauthorized || stripIDs(replay.Body.String()) != stripIDs(wrong.Body.String()) {
		t.Errorf("replayed code = %d, or answered differently from a wrong one", replay.Code)
	}
	if strings.Contains(replay.Body.String(), `value="`+code+`"`) {
		t.Error("the code was echoed back")
	}
	// One step of clock tolerance: a phone a step ahead still works.
	clk.step(1)
	if r := postCode(other, clk.code(t, secret, 1)); r.Code != http.StatusSeeOther {
		t.Errorf("a code one step ahead = %d, want accepted", r.Code)
	}
	if n := auditCount(t, a, "login.success", w.Therapist.ID); n != 3 { // set-up sign-in + two with codes
		t.Errorf("%d sign-ins audited, want 3", n)
	}
}

func TestARecoveryCodeWorksOnce(t *testing.T) {
	a, w, clk := newMFAApp(t)
	secret, codes := enrolMFA(t, a.Login(t, w.Therapist), clk)

	s := passwordStep(t, a, w.Therapist, "/signin/code")
	// Typed as people type it from paper: capitals, spaces.
	typed := strings.ToUpper(strings.ReplaceAll(codes[3], "-", " "))
	if r := s.PostForm("/signin/code", url.Values{"recovery": {typed}}); r.Code != http.StatusSeeOther || r.Header().Get("Location") != "/therapist" {
		t.Fatalf("recovery code = %d → %q", r.Code, r.Header().Get("Location"))
	}
	again := passwordStep(t, a, w.Therapist, "/signin/code")
	r := again.PostForm("/signin/code", url.Values{"recovery": {codes[3]}})
	if r.Code != http.StatusUnauthorized {
		t.Fatalf("used recovery code again = %d, want 401", r.Code)
	}
	if !strings.Contains(r.Body.String(), `id="recovery-error"`) || !strings.Contains(r.Body.String(), "<details class=\"recovery\" open>") {
		t.Error("the refusal is not beside the recovery code field")
	}
	if r := again.PostForm("/signin/code", url.Values{"recovery": {codes[4]}}); r.Code != http.StatusSeeOther {
		t.Errorf("another recovery code = %d", r.Code)
	}
	if s := again.Get("/account/mfa"); !strings.Contains(s.Body.String(), "8 recovery codes left") {
		t.Error("the status page does not count the codes used")
	}

	// New codes, with a current code from the app: the old ones stop.
	if r := again.PostForm("/account/mfa/recovery-codes", url.Values{"new_code": {"000000"}}); r.Code != http.StatusUnprocessableEntity || !strings.Contains(r.Body.String(), `id="new_code-error"`) {
		t.Errorf("new codes with a wrong code = %d", r.Code)
	}
	clk.step(1)
	fresh, _ := recoveryCodesOn(t, again, again.PostForm("/account/mfa/recovery-codes", url.Values{"new_code": {clk.code(t, secret, 0)}}))
	if auditCount(t, a, "mfa.recovery_codes", w.Therapist.ID) != 1 {
		t.Error("new recovery codes not audited")
	}
	old := passwordStep(t, a, w.Therapist, "/signin/code")
	if r := old.PostForm("/signin/code", url.Values{"recovery": {codes[5]}}); r.Code != http.StatusUnauthorized {
		t.Errorf("an old recovery code after new ones = %d", r.Code)
	}
	if r := old.PostForm("/signin/code", url.Values{"recovery": {fresh[0]}}); r.Code != http.StatusSeeOther {
		t.Errorf("a new recovery code = %d", r.Code)
	}
}

// Wrong codes count toward the account's lock exactly as wrong passwords
// do; the 10th locks, and the locked account answers exactly as a wrong
// code. Typing the right password again buys no more guesses.
func TestWrongCodesCountTowardTheLock(t *testing.T) {
	a, w, clk := newMFAApp(t)
	secret, _ := enrolMFA(t, a.Login(t, w.Therapist), clk)
	clk.step(1)

	s := passwordStep(t, a, w.Therapist, "/signin/code")
	first := postCode(s, "111111")
	if first.Code != http.StatusUnauthorized {
		t.Fatalf("wrong code = %d", first.Code)
	}
	wrongBody := stripIDs(first.Body.String())
	for i := 2; i <= 5; i++ {
		postCode(s, "111111")
	}
	// The right password again, halfway: the failures stand.
	s = passwordStep(t, a, w.Therapist, "/signin/code")
	for i := 6; i < account.MaxFailures; i++ {
		if r := postCode(s, "111111"); r.Code != http.StatusUnauthorized {
			t.Fatalf("wrong code %d = %d", i, r.Code)
		}
	}
	tenth := postCode(s, "111111")
	if tenth.Code != http.StatusUnauthorized || stripIDs(tenth.Body.String()) != wrongBody {
		t.Fatalf("10th wrong code = %d, or answered differently", tenth.Code)
	}
	if auditCount(t, a, "login.locked", w.Therapist.ID) != 1 {
		t.Error("the lock is not audited")
	}
	locked := postCode(s, clk.code(t, secret, 0))
	if locked.Code != http.StatusUnauthorized || stripIDs(locked.Body.String()) != wrongBody {
		t.Errorf("right code on a locked account = %d, or answered differently from a wrong code", locked.Code)
	}
	// The password step is locked too, answering as a wrong password.
	wrongPw := signinAs(a.Anonymous(t), w.Client.Email, "not the password")
	lockedPw := signinAs(a.Anonymous(t), w.Therapist.Email, testkit.Password)
	if lockedPw.StatusCode != http.StatusUnauthorized ||
		stripIDs(bodyOf(t, lockedPw)) != strings.Replace(stripIDs(bodyOf(t, wrongPw)), w.Client.Email, w.Therapist.Email, 1) {
		t.Errorf("password on the locked account = %d, or answered differently from a wrong one", lockedPw.StatusCode)
	}
}

func TestMFARequiredAfterTheGracePeriodForcesEnrolment(t *testing.T) {
	a, w, clk := newMFAApp(t)
	admin := a.Login(t, w.Admin)

	bad := admin.PostForm("/admin/practice/mfa", url.Values{"mfa_required_from": {"next week"}})
	if bad.Code != http.StatusUnprocessableEntity || !strings.Contains(bad.Body.String(), `id="mfa_required_from-error"`) ||
		!strings.Contains(bad.Body.String(), `value="next week"`) {
		t.Fatalf("a bad date = %d, want 422 beside the field with the input kept", bad.Code)
	}
	inAWeek := clk.Now().AddDate(0, 0, 7).Format("2006-01-02")
	if r := admin.PostForm("/admin/practice/mfa", url.Values{"mfa_required_from": {inAWeek}}); r.Code != http.StatusSeeOther {
		t.Fatalf("require from %s = %d", inAWeek, r.Code)
	}
	if auditCount(t, a, "mfa.requirement", w.PracticeID) != 1 {
		t.Error("the requirement is not audited")
	}

	// During the grace period: signed in, and reminded.
	during := a.Login(t, w.Therapist)
	if r := during.Get("/therapist"); r.Code != http.StatusOK || !strings.Contains(r.Body.String(), "requires two-step sign-in from "+clk.Now().AddDate(0, 0, 7).Format("2 Jan 2006")) {
		t.Fatalf("dashboard during the grace period = %d, no reminder", r.Code)
	}
	if r := a.Login(t, w.Client).Get("/home"); strings.Contains(r.Body.String(), "two-step") {
		t.Error("a client was reminded of the staff requirement")
	}

	invitation := makeLink(t, admin, "/admin/users/invite", url.Values{"name": {"Nora Newcomer"}, "email": {"nora@test.example"}, "role": {"therapist"}})
	invite, _ := linkFrom(t, invitation.Body.String())

	// After it: a right password leads to set-up, not the dashboard.
	clk.t = clk.Now().AddDate(0, 0, 8)
	s := passwordStep(t, a, w.Therapist, "/signin/enrol")
	if r := s.Get("/therapist"); r.Code != http.StatusSeeOther {
		t.Fatalf("dashboard before set-up = %d", r.Code)
	}
	page := s.Get("/signin/enrol")
	if page.Code != http.StatusOK || !strings.Contains(page.Body.String(), "Your practice requires two-step sign-in") {
		t.Fatalf("enrolment page = %d", page.Code)
	}
	secret := secretOn(t, page.Body.String())
	if r := s.PostForm("/signin/enrol", url.Values{"code": {"123"}}); r.Code != http.StatusUnprocessableEntity || !strings.Contains(r.Body.String(), `id="code-error"`) {
		t.Errorf("wrong code at enrolment = %d", r.Code)
	}
	codes, _ := recoveryCodesOn(t, s, s.PostForm("/signin/enrol", url.Values{"code": {clk.code(t, secret, 0)}}))
	if len(codes) == 0 || s.Get("/therapist").Code != http.StatusOK {
		t.Fatal("not signed in after setting up two-step sign-in")
	}
	// A colleague invited before the day who joins after it sets it up
	// before their first page.
	joiner := a.Anonymous(t)
	if r := joiner.PostForm(invite, url.Values{"password": {newPassphrase}, "confirm": {newPassphrase}}); r.Code != http.StatusSeeOther || r.Header().Get("Location") != "/signin/enrol" {
		t.Errorf("joining after the grace period = %d → %q, want the set-up", r.Code, r.Header().Get("Location"))
	}
	// Clients are not bound by the staff requirement.
	if r := signinAs(a.Anonymous(t), w.Client.Email, testkit.Password); r.Header.Get("Location") != "/home" {
		t.Errorf("client sign-in went to %q", r.Header.Get("Location"))
	}
}

func TestAdminResetOfMFAIsAuditedShownAndForcesReEnrolment(t *testing.T) {
	a, w, clk := newMFAApp(t)
	therapist := a.Login(t, w.Therapist)
	enrolMFA(t, therapist, clk)
	admin := a.Login(t, w.Admin)

	if r := admin.Get("/admin/users"); !strings.Contains(r.Body.String(), "/admin/users/"+itoa(w.Therapist.ID)+"/mfa-reset") {
		t.Error("the people page offers no reset of the therapist's two-step sign-in")
	}
	if r := admin.Get("/admin/users/" + itoa(w.Therapist.ID) + "/mfa-reset"); r.Code != http.StatusOK {
		t.Fatalf("confirm page = %d", r.Code)
	}
	// A client's sign-in is not the admin's business (R14).
	if r := admin.PostForm("/admin/users/"+itoa(w.Client.ID)+"/mfa-reset", nil); r.Code != http.StatusSeeOther || auditCount(t, a, "mfa.reset", w.Client.ID) != 0 {
		t.Errorf("admin reset a client's two-step sign-in: %d", r.Code)
	}
	if r := a.Login(t, w.Outsider).PostForm("/admin/users/"+itoa(w.Therapist.ID)+"/mfa-reset", nil); r.Code != http.StatusNotFound {
		t.Errorf("another practice's admin = %d, want 404", r.Code)
	}
	if r := admin.PostForm("/admin/users/"+itoa(w.Therapist.ID)+"/mfa-reset", nil); r.Code != http.StatusSeeOther {
		t.Fatalf("reset = %d", r.Code)
	}
	var actor int64
	if err := a.DB.Get(&actor, `SELECT actor_id FROM audit_log WHERE action = 'mfa.reset' AND target_id = $1`, w.Therapist.ID); err != nil || actor != w.Admin.ID {
		t.Fatalf("reset audited by %d (%v), want the admin %d", actor, err, w.Admin.ID)
	}
	if r := therapist.Get("/therapist"); r.Code != http.StatusSeeOther {
		t.Errorf("the therapist's session survived the reset: %d", r.Code)
	}

	s := passwordStep(t, a, w.Therapist, "/signin/enrol")
	page := s.Get("/signin/enrol")
	if !strings.Contains(page.Body.String(), "Your two-step sign-in was reset") {
		t.Error("the enrolment page does not say it was reset")
	}
	secret := secretOn(t, page.Body.String())
	_, shown := recoveryCodesOn(t, s, s.PostForm("/signin/enrol", url.Values{"code": {clk.code(t, secret, 0)}}))
	if !strings.Contains(shown.Body.String(), `href="/account/notices"`) {
		t.Fatal("after the recovery codes, the notice is not next")
	}
	notices := s.Get("/account/notices")
	body := html.UnescapeString(notices.Body.String())
	if !strings.Contains(body, "Your two-step sign-in was reset") || !strings.Contains(body, "Ada Admin (practice admin)") || !whenRe.MatchString(body) {
		t.Fatalf("notice does not say who reset it and when:\n%s", body)
	}
	readNotices(t, a, s, w.Therapist)
}

// readNotices marks every notice shown read, checks it is audited, and
// that the next sign-in goes straight home.
func readNotices(t *testing.T, a *testkit.App, s *testkit.Session, u account.User) {
	t.Helper()
	re := regexp.MustCompile(`action="(/account/notices/\d+/read)"`)
	for range 5 {
		m := re.FindStringSubmatch(s.Get("/account/notices").Body.String())
		if m == nil {
			break
		}
		if r := s.PostForm(m[1], nil); r.Code != http.StatusSeeOther {
			t.Fatalf("read notice = %d", r.Code)
		}
		if r := s.PostForm(m[1], nil); r.Code != http.StatusNotFound {
			t.Errorf("reading a notice twice = %d, want 404", r.Code)
		}
	}
	if auditCount(t, a, "notice.read", u.ID) == 0 {
		t.Error("reading the notice is not audited")
	}
	if r := s.Get("/account/notices"); !strings.Contains(r.Body.String(), "Nothing new") {
		t.Error("a read notice is still shown")
	}
}

// An admin-made reset link sets the password only: the code is still
// needed, so the admin cannot sign in as the therapist; and the therapist
// is told, once, that the admin reset it (#15 finding 2b).
func TestAdminMadeResetLinkStillAsksForTheCodeAndIsShownOnce(t *testing.T) {
	a, w, clk := newMFAApp(t)
	secret, _ := enrolMFA(t, a.Login(t, w.Therapist), clk)
	clk.step(1)
	page := makeLink(t, a.Login(t, w.Admin), "/admin/users/"+itoa(w.Therapist.ID)+"/reset", nil)
	reset, _ := linkFrom(t, page.Body.String())

	const pw = "a passphrase the admin chose"
	s := a.Anonymous(t)
	r := s.PostForm(reset, url.Values{"password": {pw}, "confirm": {pw}})
	if r.Code != http.StatusSeeOther || r.Header().Get("Location") != "/signin/code" {
		t.Fatalf("reset link = %d → %q, want 303 to the code step", r.Code, r.Header().Get("Location"))
	}
	if g := s.Get("/therapist"); g.Code != http.StatusSeeOther {
		t.Fatalf("the reset link alone opened the dashboard: %d", g.Code)
	}
	if n := auditCount(t, a, "login.success", w.Therapist.ID); n != 1 { // only the set-up's own sign-in
		t.Errorf("%d sign-ins audited before the code, want 1", n)
	}
	if r := postCode(s, "222222"); r.Code != http.StatusUnauthorized {
		t.Errorf("wrong code after a reset = %d", r.Code)
	}
	r = postCode(s, clk.code(t, secret, 0))
	if r.Code != http.StatusSeeOther || r.Header().Get("Location") != "/account/notices" {
		t.Fatalf("code after the reset = %d → %q, want the notice", r.Code, r.Header().Get("Location"))
	}
	body := html.UnescapeString(s.Get("/account/notices").Body.String())
	if !strings.Contains(body, "Your password was reset") || !strings.Contains(body, "sign-in link made by Ada Admin (practice admin)") {
		t.Fatalf("notice does not say the admin reset the password:\n%s", body)
	}
	readNotices(t, a, s, w.Therapist)

	clk.step(1)
	again := a.Anonymous(t)
	if r := again.PostForm("/signin", url.Values{"email": {w.Therapist.Email}, "password": {pw}}); r.Header().Get("Location") != "/signin/code" {
		t.Fatalf("sign-in after = %q", r.Header().Get("Location"))
	}
	if r := postCode(again, clk.code(t, secret, 0)); r.Header().Get("Location") != "/therapist" {
		t.Errorf("the read notice was shown again: %q", r.Header().Get("Location"))
	}
}

// A half-done sign-in lasts PendingSignInFor and belongs to its session.
func TestAHalfDoneSignInExpiresAndStaysInItsSession(t *testing.T) {
	a, w, clk := newMFAApp(t)
	secret, _ := enrolMFA(t, a.Login(t, w.Therapist), clk)
	s := passwordStep(t, a, w.Therapist, "/signin/code")
	if r := postCode(a.Anonymous(t), clk.code(t, secret, 1)); r.Code != http.StatusSeeOther || r.Header().Get("Location") != "/signin" {
		t.Errorf("a code without a half-done sign-in = %d → %q", r.Code, r.Header().Get("Location"))
	}
	clk.t = clk.Now().Add(server.PendingSignInFor + time.Minute)
	if r := postCode(s, clk.code(t, secret, 0)); r.Code != http.StatusSeeOther || r.Header().Get("Location") != "/signin?again=1" {
		t.Errorf("an expired half-done sign-in = %d → %q", r.Code, r.Header().Get("Location"))
	}
	if r := s.Get("/therapist"); r.Code != http.StatusSeeOther {
		t.Errorf("signed in after all: %d", r.Code)
	}
}

// Clients may turn it on for themselves; it is off by default.
func TestAClientMayTurnOnTwoStepSignIn(t *testing.T) {
	a, w, clk := newMFAApp(t)
	s := a.Login(t, w.Client)
	if r := s.Get("/account/mfa"); r.Code != http.StatusOK || !strings.Contains(r.Body.String(), "Off") {
		t.Fatalf("client's account page = %d", r.Code)
	}
	secret, _ := enrolMFA(t, s, clk)
	clk.step(1)
	c := passwordStep(t, a, w.Client, "/signin/code")
	if r := postCode(c, clk.code(t, secret, 0)); r.Header().Get("Location") != "/home" {
		t.Errorf("client code = %q", r.Header().Get("Location"))
	}

	// Lost phone and codes: the admin may not help (R14), another
	// therapist cannot see them; their own therapist turns it off.
	path := "/therapist/clients/" + itoa(w.Client.ID) + "/mfa-reset"
	if r := a.Login(t, w.Therapist2).PostForm(path, nil); r.Code != http.StatusNotFound {
		t.Errorf("another therapist = %d, want 404", r.Code)
	}
	if r := a.Login(t, w.Admin).PostForm("/admin/users/"+itoa(w.Client.ID)+"/mfa-reset", nil); r.Code != http.StatusSeeOther || auditCount(t, a, "mfa.reset", w.Client.ID) != 0 {
		t.Errorf("the admin reset a client's two-step sign-in: %d", r.Code)
	}
	therapist := a.Login(t, w.Therapist)
	if r := therapist.Get("/therapist/clients/" + itoa(w.Client.ID)); !strings.Contains(r.Body.String(), `action="`+path+`"`) {
		t.Error("the client's page offers no way to turn it off")
	}
	if r := therapist.PostForm(path, nil); r.Code != http.StatusSeeOther || auditCount(t, a, "mfa.reset", w.Client.ID) != 1 {
		t.Fatalf("their therapist's reset = %d, or not audited", r.Code)
	}
	back := a.Anonymous(t)
	if r := back.PostForm("/signin", url.Values{"email": {w.Client.Email}, "password": {testkit.Password}}); r.Header().Get("Location") != "/account/notices" {
		t.Fatalf("client sign-in after the reset = %q, want the notice (and no forced set-up)", r.Header().Get("Location"))
	}
	if body := html.UnescapeString(back.Get("/account/notices").Body.String()); !strings.Contains(body, "by Theo Therapist (your therapist)") {
		t.Errorf("the notice does not name the therapist:\n%s", body)
	}
}

// Turning it off takes a current code, counts wrong ones like sign-in, and
// is not possible while the practice requires it.
func TestTurningOffTwoStepSignInTakesACode(t *testing.T) {
	a, w, clk := newMFAApp(t)
	s := a.Login(t, w.Client)
	secret, _ := enrolMFA(t, s, clk)
	clk.step(1)
	bad := s.PostForm("/account/mfa/off", url.Values{"off_code": {"999999"}})
	if bad.Code != http.StatusUnprocessableEntity || !strings.Contains(bad.Body.String(), `id="off_code-error"`) || strings.Contains(bad.Body.String(), `value="999999"`) {
		t.Fatalf("wrong code = %d, want 422 beside the field, not echoed", bad.Code)
	}
	var failures int
	if err := a.DB.Get(&failures, `SELECT failed_logins FROM users WHERE id = $1`, w.Client.ID); err != nil || failures != 1 {
		t.Errorf("a wrong code to turn it off counted %d failures (%v), want 1", failures, err)
	}
	if r := s.PostForm("/account/mfa/off", url.Values{"off_code": {clk.code(t, secret, 0)}}); r.Code != http.StatusSeeOther {
		t.Fatalf("right code = %d", r.Code)
	}
	if auditCount(t, a, "mfa.disabled", w.Client.ID) != 1 {
		t.Error("turning it off is not audited")
	}
	if r := signinAs(a.Anonymous(t), w.Client.Email, testkit.Password); r.Header.Get("Location") != "/home" {
		t.Errorf("sign-in after turning it off = %q", r.Header.Get("Location"))
	}

	// Staff whose practice requires it cannot.
	ts := a.Login(t, w.Therapist)
	tsecret, _ := enrolMFA(t, ts, clk)
	if _, err := a.DB.Exec(`UPDATE practices SET mfa_required_from = current_date - 1 WHERE id = $1`, w.PracticeID); err != nil {
		t.Fatal(err)
	}
	clk.step(1)
	if r := ts.PostForm("/account/mfa/off", url.Values{"off_code": {clk.code(t, tsecret, 0)}}); r.Code != http.StatusUnprocessableEntity || !strings.Contains(r.Body.String(), "requires two-step sign-in") {
		t.Errorf("staff turning off a required two-step sign-in = %d", r.Code)
	}
}

// Two sign-ins sending the same code at once: exactly one gets in.
func TestTheSameCodeSentTwiceAtOnceSignsInOnce(t *testing.T) {
	a, w, clk := newMFAApp(t)
	secret, _ := enrolMFA(t, a.Login(t, w.Therapist), clk)
	clk.step(1)
	code := clk.code(t, secret, 0)
	sessions := []*testkit.Session{passwordStep(t, a, w.Therapist, "/signin/code"), passwordStep(t, a, w.Therapist, "/signin/code")}
	codes := make([]int, len(sessions))
	var wg sync.WaitGroup
	for i, s := range sessions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i] = postCode(s, code).Code
		}()
	}
	wg.Wait()
	if !((codes[0] == http.StatusSeeOther) != (codes[1] == http.StatusSeeOther)) {
		t.Errorf("answers %v, want exactly one 303", codes)
	}
}
