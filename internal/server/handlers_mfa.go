package server

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/trellis-app/trellis/internal/account"
	"github.com/trellis-app/trellis/internal/auth"
	"github.com/trellis-app/trellis/internal/policy"
)

// Two-step sign-in in the browser.
//
// A right password on an account with two-step sign-in on does not sign
// in: the session (in PostgreSQL, like every session) holds a half-done
// sign-in for PendingSignInFor, bound to the user's auth version, and the
// code page finishes it. Nothing lives in the app process, so any instance
// can take the next step. The signed-in session is only made, with a new
// id (R8), once the second step is done.

// PendingSignInFor is how long a half-done sign-in waits for its second
// step.
const PendingSignInFor = 10 * time.Minute

// Session keys of a half-done sign-in.
const (
	sessPendingUser  = "pending_user"
	sessPendingAV    = "pending_auth_version"
	sessPendingStep  = "pending_step"
	sessPendingUntil = "pending_until" // unix seconds
	sessPendingNext  = "pending_next"
	sessPendingVia   = "pending_via" // "signin" or "link"
)

// Sealed session values: the new secret during set-up and the recovery
// codes until shown (and, elsewhere, a new link or calendar address to
// show). Sealed with a key derived from the session cookie, so the
// database alone cannot read them.
const (
	sealLabel       = "trellis sealed session value"
	sessMFASetup    = "mfa_setup"
	sessMFARecovery = "mfa_recovery"
	// setupFor is how long a new secret waits to be confirmed.
	setupFor = 30 * time.Minute
	// recoveryShownFor is how long new recovery codes wait to be shown.
	recoveryShownFor = 10 * time.Minute
)

// putSealed keeps v in the session, sealed with a key derived from the
// session cookie (which the database never holds), so only this browser
// can read it back: new authenticator secrets, recovery codes to show, a
// calendar address to show.
func (s *Server) putSealed(c *gin.Context, key string, v any) error {
	ctx := c.Request.Context()
	plain, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("seal %s: %w", key, err)
	}
	sealed, err := auth.Seal(s.sessions.Token(ctx), sealLabel, plain, []byte(key))
	if err != nil {
		return fmt.Errorf("seal %s: %w", key, err)
	}
	s.sessions.Put(ctx, key, sealed)
	return nil
}

// getSealed opens what putSealed kept under key, if it is there.
func (s *Server) getSealed(c *gin.Context, key string, v any) bool {
	ctx := c.Request.Context()
	sealed, ok := s.sessions.Get(ctx, key).([]byte)
	if !ok {
		return false
	}
	plain, err := auth.Open(s.sessions.Token(ctx), sealLabel, sealed, []byte(key))
	return err == nil && json.Unmarshal(plain, v) == nil
}

// beginSignIn goes on after a right password (or a used link): straight
// to a signed-in session, or to the second step the account needs.
func (s *Server) beginSignIn(c *gin.Context, u account.User, step account.Step, next, via string) error {
	if step == account.StepNone {
		to, ok := s.completeSignIn(c, u, next, via == "signin")
		if ok {
			c.Redirect(http.StatusSeeOther, to)
		}
		return nil
	}
	ctx := c.Request.Context()
	// A new id for the half-done sign-in too, and nothing left of any
	// other user this browser was signed in as.
	if err := s.sessions.RenewToken(ctx); err != nil {
		return err
	}
	s.sessions.Remove(ctx, sessUserID)
	s.sessions.Remove(ctx, sessAuthVersion)
	s.sessions.Remove(ctx, sessMFASetup)
	s.sessions.Put(ctx, sessPendingUser, u.ID)
	s.sessions.Put(ctx, sessPendingAV, u.AuthVersion)
	s.sessions.Put(ctx, sessPendingStep, string(step))
	s.sessions.Put(ctx, sessPendingUntil, s.now().Add(PendingSignInFor).Unix())
	s.sessions.Put(ctx, sessPendingNext, next)
	s.sessions.Put(ctx, sessPendingVia, via)
	if step == account.StepEnrol {
		return redirect(c, "/signin/enrol")
	}
	return redirect(c, "/signin/code")
}

func (s *Server) clearPending(c *gin.Context) {
	ctx := c.Request.Context()
	for _, k := range []string{sessPendingUser, sessPendingAV, sessPendingStep, sessPendingUntil, sessPendingNext, sessPendingVia, sessMFASetup} {
		s.sessions.Remove(ctx, k)
	}
}

// completeSignIn starts the signed-in session and says where to go: to
// text kept for a client, to notices someone else left about their access,
// to next, or home. It answers the error page itself when it fails.
func (s *Server) completeSignIn(c *gin.Context, u account.User, next string, restore bool) (string, bool) {
	s.clearPending(c)
	if err := s.startSession(c, u); err != nil {
		s.fail(c, err)
		return "", false
	}
	if restore {
		if to, presented := s.restoreKept(c, u.Actor()); to != "" {
			return to, true
		} else if presented {
			next = "" // the kept text was not theirs: never follow its link
		}
	}
	notices, err := s.accounts.Notices(c.Request.Context(), u.Actor())
	if err != nil {
		s.fail(c, err)
		return "", false
	}
	if len(notices) > 0 {
		return "/account/notices", true
	}
	if next == "" {
		next = homeFor(u.Role)
	}
	return next, true
}

// pendingSignIn is a half-done sign-in of this session.
type pendingSignIn struct {
	User account.User
	AV   int
	Next string
	Via  string
}

// pending loads this session's half-done sign-in waiting for step. With
// none (or one too old, or no longer valid), it sends the browser to sign
// in again and reports false; a signed-in user goes home.
func (s *Server) pending(c *gin.Context, step account.Step) (pendingSignIn, bool) {
	if u, ok := currentUser(c); ok {
		c.Redirect(http.StatusSeeOther, homeFor(u.Role))
		return pendingSignIn{}, false
	}
	ctx := c.Request.Context()
	id := s.sessions.GetInt64(ctx, sessPendingUser)
	if id == 0 || s.sessions.GetString(ctx, sessPendingStep) != string(step) {
		c.Redirect(http.StatusSeeOther, "/signin")
		return pendingSignIn{}, false
	}
	again := func() (pendingSignIn, bool) {
		s.clearPending(c)
		c.Redirect(http.StatusSeeOther, "/signin?again=1")
		return pendingSignIn{}, false
	}
	if s.now().Unix() > s.sessions.GetInt64(ctx, sessPendingUntil) {
		return again()
	}
	p := pendingSignIn{AV: s.sessions.GetInt(ctx, sessPendingAV), Next: s.sessions.GetString(ctx, sessPendingNext), Via: s.sessions.GetString(ctx, sessPendingVia)}
	u, err := s.accounts.PendingUser(ctx, id, p.AV)
	if errors.Is(err, account.ErrSignInGone) {
		return again()
	}
	if err != nil {
		s.fail(c, err)
		return pendingSignIn{}, false
	}
	p.User = u
	return p, true
}

type codePage struct {
	Page
	Form Form
	// Recovery: the recovery code form was the one used, so it is open.
	Recovery bool
}

var codeFields = []string{"code", "recovery"}

func (s *Server) codePage(c *gin.Context) error {
	if _, ok := s.pending(c, account.StepCode); !ok {
		return nil
	}
	return s.show(c, http.StatusOK, "signin_code", codePage{Page: s.page(c, "Your sign-in code"), Form: emptyForm(codeFields...)})
}

// badCodeMessage is the one answer to a wrong, used or replayed code and
// to a locked account (R3), like the sign-in page's for passwords.
const badCodeMessage = "That code is not right, or it was used already. Type the code your authenticator app shows now. After 10 wrong tries in a row, sign-in pauses for 15 minutes."

// verifyCode is the second step: the per-address limit and the account
// lock apply exactly as to passwords.
func (s *Server) verifyCode(c *gin.Context) error {
	ctx := c.Request.Context()
	key, paused, err := s.signInPaused(c)
	if err != nil || paused {
		return err
	}
	p, ok := s.pending(c, account.StepCode)
	if !ok {
		return nil
	}
	f := newForm(c, codeFields, codeFields...) // a code is never shown again
	code, field := c.PostForm("code"), "code"
	if strings.TrimSpace(code) == "" {
		code, field = c.PostForm("recovery"), "recovery"
	}
	u, err := s.accounts.VerifySecondFactor(ctx, p.User.ID, p.AV, code)
	switch {
	case errors.Is(err, account.ErrBadCode):
		if err := s.loginCounter.Add(ctx, key); err != nil {
			return err
		}
		f.Errors[field] = badCodeMessage
		return s.show(c, http.StatusUnauthorized, "signin_code", codePage{Page: s.page(c, "Your sign-in code"), Form: f, Recovery: field == "recovery"})
	case errors.Is(err, account.ErrSignInGone):
		s.clearPending(c)
		return redirect(c, "/signin?again=1")
	case err != nil:
		return err
	}
	to, ok := s.completeSignIn(c, u, p.Next, p.Via == "signin")
	if ok {
		c.Redirect(http.StatusSeeOther, to)
	}
	return nil
}

// setupSecret is a new authenticator secret kept in the session until a
// code from it is confirmed.
type setupSecret struct {
	UserID int64     `json:"user_id"`
	Secret string    `json:"secret"`
	URI    string    `json:"uri"`
	Until  time.Time `json:"until"`
}

// setup returns the session's secret being set up for u, making a new one
// when there is none (or it is too old). Reloading the page shows the same
// one, so the QR code already scanned stays right.
func (s *Server) setup(c *gin.Context, u account.User) (setupSecret, error) {
	var st setupSecret
	if s.getSealed(c, sessMFASetup, &st) && st.UserID == u.ID && s.now().Before(st.Until) {
		return st, nil
	}
	e, err := s.accounts.NewEnrolment(u)
	if err != nil {
		return setupSecret{}, err
	}
	st = setupSecret{UserID: u.ID, Secret: e.Secret, URI: e.URI, Until: s.now().Add(setupFor)}
	return st, s.putSealed(c, sessMFASetup, st)
}

type setupPage struct {
	Page
	Action string
	// AtSignIn: set-up stands between a sign-in and the person's pages.
	AtSignIn bool
	// Reset: set-up is needed because someone reset it (else the practice requires it).
	Reset bool
	QR    template.URL // a data: URI of the PNG, allowed by the CSP's img-src
	// SecretGroups is the secret in groups of four, for typing by hand.
	SecretGroups []string
	Form         Form
}

func (s *Server) renderSetup(c *gin.Context, status int, u account.User, atSignIn bool, f Form) error {
	st, err := s.setup(c, u)
	if err != nil {
		return err
	}
	png, err := auth.TOTPQR(st.URI, 240)
	if err != nil {
		return err
	}
	p := setupPage{Page: s.page(c, "Set up two-step sign-in"), Action: "/account/mfa/setup", AtSignIn: atSignIn, Reset: u.MFAEnrolRequired,
		QR: template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png)), Form: f}
	if atSignIn {
		p.Action = "/signin/enrol"
	}
	for i := 0; i < len(st.Secret); i += 4 {
		p.SecretGroups = append(p.SecretGroups, st.Secret[i:min(i+4, len(st.Secret))])
	}
	return s.show(c, status, "mfa_setup", p)
}

// enrolPage is set-up that a sign-in must pass through: the practice
// requires two-step sign-in, or someone reset it.
func (s *Server) enrolPage(c *gin.Context) error {
	p, ok := s.pending(c, account.StepEnrol)
	if !ok {
		return nil
	}
	return s.renderSetup(c, http.StatusOK, p.User, true, emptyForm("code"))
}

func (s *Server) enrolAtSignIn(c *gin.Context) error {
	p, ok := s.pending(c, account.StepEnrol)
	if !ok {
		return nil
	}
	var st setupSecret
	if !s.getSealed(c, sessMFASetup, &st) || st.UserID != p.User.ID {
		c.Redirect(http.StatusSeeOther, "/signin/enrol") // the page shows a fresh one
		return nil
	}
	f := newForm(c, []string{"code"}, "code")
	u, codes, err := s.accounts.EnrolAtSignIn(c.Request.Context(), p.User.ID, p.AV, st.Secret, c.PostForm("code"))
	switch {
	case f.withErrors(err):
		return s.renderSetup(c, http.StatusUnprocessableEntity, p.User, true, f)
	case errors.Is(err, account.ErrSignInGone):
		s.clearPending(c)
		return redirect(c, "/signin?again=1")
	case err != nil:
		return err
	}
	to, ok := s.completeSignIn(c, u, p.Next, p.Via == "signin")
	if !ok {
		return nil
	}
	return s.showRecoveryCodes(c, codes, to)
}

// recoveryHandoff is new recovery codes waiting to be shown, once.
type recoveryHandoff struct {
	Codes []string  `json:"codes"`
	Then  string    `json:"then"`
	Until time.Time `json:"until"`
}

func (s *Server) showRecoveryCodes(c *gin.Context, codes []string, then string) error {
	if err := s.putSealed(c, sessMFARecovery, recoveryHandoff{Codes: codes, Then: then, Until: s.now().Add(recoveryShownFor)}); err != nil {
		return err
	}
	return redirect(c, "/account/mfa/recovery-codes")
}

type recoveryPage struct {
	Page
	Codes []string
	Then  string
	Gone  bool
}

// recoveryCodesPage shows new recovery codes once: they leave the session
// as they are shown, and only their hashes are stored.
func (s *Server) recoveryCodesPage(c *gin.Context) error {
	var h recoveryHandoff
	ok := s.getSealed(c, sessMFARecovery, &h) && s.now().Before(h.Until)
	s.sessions.Remove(c.Request.Context(), sessMFARecovery)
	if !ok {
		return s.show(c, http.StatusNotFound, "mfa_recovery", recoveryPage{Page: s.page(c, "Recovery codes no longer shown"), Then: "/account/mfa", Gone: true})
	}
	return s.show(c, http.StatusOK, "mfa_recovery", recoveryPage{Page: s.page(c, "Your recovery codes"), Codes: h.Codes, Then: h.Then})
}

type mfaPage struct {
	Page
	Status account.MFAStatus
	Form   Form
}

func (s *Server) mfaPage(c *gin.Context) error {
	return s.renderMFA(c, http.StatusOK, emptyForm("new_code", "off_code"))
}

func (s *Server) renderMFA(c *gin.Context, status int, f Form) error {
	st, err := s.accounts.MFAStatus(c.Request.Context(), actor(c))
	if err != nil {
		return err
	}
	return s.show(c, status, "mfa", mfaPage{Page: s.page(c, "Two-step sign-in"), Status: st, Form: f})
}

// disableMFA turns the person's own two-step sign-in off, with a current
// code: this session keeps going with a new id, the others end.
func (s *Server) disableMFA(c *gin.Context) error {
	f := newForm(c, []string{"new_code", "off_code"}, "new_code", "off_code")
	version, err := s.accounts.DisableMFA(c.Request.Context(), actor(c), c.PostForm("off_code"))
	if f.withErrors(err) {
		return s.renderMFA(c, http.StatusUnprocessableEntity, f)
	}
	if err != nil {
		return err
	}
	if err := s.keepSession(c, version); err != nil {
		return err
	}
	return s.redirectWith(c, "/account/mfa", "Two-step sign-in is off. You were signed out everywhere else.")
}

func (s *Server) mfaSetupPage(c *gin.Context) error {
	u, _ := currentUser(c)
	if u.MFAOn {
		return redirect(c, "/account/mfa")
	}
	return s.renderSetup(c, http.StatusOK, u, false, emptyForm("code"))
}

// enableMFA confirms a code from the new secret and turns two-step
// sign-in on: this session keeps going with a new id, the others end.
func (s *Server) enableMFA(c *gin.Context) error {
	u, _ := currentUser(c)
	var st setupSecret
	if !s.getSealed(c, sessMFASetup, &st) || st.UserID != u.ID {
		return redirect(c, "/account/mfa/setup")
	}
	f := newForm(c, []string{"code"}, "code")
	codes, version, err := s.accounts.EnableMFA(c.Request.Context(), actor(c), st.Secret, c.PostForm("code"))
	if f.withErrors(err) {
		return s.renderSetup(c, http.StatusUnprocessableEntity, u, false, f)
	}
	if err != nil {
		return err
	}
	s.sessions.Remove(c.Request.Context(), sessMFASetup)
	if err := s.keepSession(c, version); err != nil {
		return err
	}
	s.flash(c, "Two-step sign-in is on. You were signed out everywhere else.")
	return s.showRecoveryCodes(c, codes, "/account/mfa")
}

// newRecoveryCodes replaces the person's recovery codes, with a current
// code, and shows the new ones once.
func (s *Server) newRecoveryCodes(c *gin.Context) error {
	f := newForm(c, []string{"new_code", "off_code"}, "new_code", "off_code")
	codes, err := s.accounts.NewRecoveryCodes(c.Request.Context(), actor(c), c.PostForm("new_code"))
	if f.withErrors(err) {
		return s.renderMFA(c, http.StatusUnprocessableEntity, f)
	}
	if err != nil {
		return err
	}
	return s.showRecoveryCodes(c, codes, "/account/mfa")
}

type noticesPage struct {
	Page
	Notices []account.Notice
}

// noticesPage shows what someone else did to the person's access (a
// password reset with a link an admin made, a reset of two-step sign-in),
// until they mark each read.
func (s *Server) noticesPage(c *gin.Context) error {
	ns, err := s.accounts.Notices(c.Request.Context(), actor(c))
	if err != nil {
		return err
	}
	return s.show(c, http.StatusOK, "notices", noticesPage{Page: s.page(c, "Changes to your sign-in"), Notices: ns})
}

func (s *Server) readNotice(c *gin.Context) error {
	id, ok := s.id(c)
	if !ok {
		return nil
	}
	ctx, a := c.Request.Context(), actor(c)
	if err := s.accounts.ReadNotice(ctx, a, id); err != nil {
		return err
	}
	ns, err := s.accounts.Notices(ctx, a)
	if err != nil {
		return err
	}
	if len(ns) > 0 {
		return redirect(c, "/account/notices")
	}
	return redirect(c, homeFor(a.Role))
}

// mfaResetPage asks before a colleague's two-step sign-in is reset: it
// signs them out and they must set it up again.
func (s *Server) mfaResetPage(c *gin.Context) error {
	id, ok := s.id(c)
	if !ok {
		return nil
	}
	a := actor(c)
	u, err := s.accounts.User(c.Request.Context(), a, id)
	if err != nil {
		return err
	}
	if u.ID == a.UserID || u.Role == policy.Client {
		s.renderError(c, http.StatusNotFound)
		return nil
	}
	return s.show(c, http.StatusOK, "admin_mfa_reset", disablePage{Page: s.page(c, "Reset two-step sign-in"), Person: u})
}

// resetMFA resets two-step sign-in: an admin's for a colleague, a
// therapist's for a client of their caseload.
func (s *Server) resetMFA(c *gin.Context) error {
	id, ok := s.id(c)
	if !ok {
		return nil
	}
	a := actor(c)
	back, done := "/admin/users", "Two-step sign-in is reset. They were signed out and set it up again at their next sign-in; they will be told you did this."
	if a.Role == policy.Therapist {
		back, done = "/therapist/clients/"+strconv.FormatInt(id, 10), "Their two-step sign-in is off. They were signed out, and will be told you did this at their next sign-in."
	}
	err := s.accounts.ResetMFA(c.Request.Context(), a, id)
	if msg, isInvalid := invalidMessage(err); isInvalid {
		return s.redirectWith(c, back, msg)
	}
	if err != nil {
		return err
	}
	return s.redirectWith(c, back, done)
}

func (s *Server) setMFARequirement(c *gin.Context) error {
	mf := newForm(c, []string{"mfa_required_from"})
	err := s.accounts.SetMFARequirement(c.Request.Context(), actor(c), mf.Values["mfa_required_from"])
	if mf.withErrors(err) {
		s.renderPractice(c, http.StatusUnprocessableEntity, savedPractice(c), mf)
		return nil
	}
	if err != nil {
		return err
	}
	if strings.TrimSpace(mf.Values["mfa_required_from"]) == "" {
		s.flash(c, "Two-step sign-in is no longer required of staff.")
	} else {
		s.flash(c, "Two-step sign-in is required of every staff member from that day. Until then they are reminded.")
	}
	return redirect(c, "/admin/practice")
}

// mfaReminder is the line staff without two-step sign-in see on every
// page while their practice requires it (or soon will).
func mfaReminder(u account.User, p account.Practice, now time.Time) string {
	if !u.Role.Staff() || u.MFAOn || p.MFARequiredFrom == nil {
		return ""
	}
	if account.MFARequired(p, now) {
		return "Your practice requires two-step sign-in. Set it up now; without it you will be asked to at your next sign-in."
	}
	return "Your practice requires two-step sign-in from " + p.MFARequiredFrom.UTC().Format("2 Jan 2006") + ". Set it up before then."
}
