package server

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/trellis-app/trellis/internal/account"
	"github.com/trellis-app/trellis/internal/auth"
	"github.com/trellis-app/trellis/internal/errkind"
)

func (s *Server) home(c *gin.Context) error {
	if u, ok := currentUser(c); ok {
		return redirect(c, homeFor(u.Role))
	}
	return redirect(c, "/signin")
}

type signinPage struct {
	Page
	Form    Form
	Next    string
	Message string
	Notice  string
}

var signinFields = []string{"email", "password"}

func (s *Server) signinPage(c *gin.Context) error {
	if u, ok := currentUser(c); ok {
		return redirect(c, homeFor(u.Role))
	}
	p := signinPage{Page: s.page(c, "Sign in"), Form: emptyForm(signinFields...), Next: safeNext(c.Query("next"))}
	switch {
	case c.Query("expired") == "1":
		p.Notice = "You were signed out after a while without activity, to keep your account safe. Please sign in again."
	case c.Query("signed_out") == "1":
		p.Notice = "You are signed out."
	case c.Query("existing") == "1":
		p.Notice = "This email address already has a Trellis account, so no new account was made and the password of that account is unchanged. Sign in with the password you already have. If it is not the account you were invited to, ask the person who invited you how to go on."
	case c.Query("password_set") == "1":
		p.Notice = "Your password is set. You can sign in now."
	case c.Query("again") == "1":
		p.Notice = "Please sign in again: the sign-in was not finished in time, or something about the account changed."
	case c.Query("kept") == "1":
		p.Notice = "You were signed out, but everything you wrote is safe. Sign in to carry on where you left off."
	}
	return s.show(c, http.StatusOK, "signin", p)
}

// signInPaused checks the per-address limit of sign-in attempts (R3), the
// same for passwords and codes: when it is reached it answers 429 and says
// so. key is the address's counter, for counting this attempt.
func (s *Server) signInPaused(c *gin.Context) (key string, paused bool, err error) {
	key = "signin:" + auth.ClientKey(c.ClientIP())
	failures, err := s.loginCounter.Count(c.Request.Context(), key, LoginIPWindow)
	if err != nil {
		return key, false, err
	}
	if failures >= LoginsPerIP {
		c.Header("Retry-After", strconv.Itoa(int(LoginIPWindow.Seconds())))
		s.renderError(c, http.StatusTooManyRequests)
		return key, true, nil
	}
	return key, false, nil
}

// signin checks the per-IP limit (R3), then the email and password. Every
// failure shows the same message (R4).
func (s *Server) signin(c *gin.Context) error {
	ctx := c.Request.Context()
	key, paused, err := s.signInPaused(c)
	if err != nil || paused {
		return err
	}
	f := newForm(c, signinFields, "password")
	next := safeNext(c.PostForm("next"))
	u, step, err := s.accounts.Authenticate(ctx, f.Values["email"], c.PostForm("password"))
	if errors.Is(err, account.ErrBadCredentials) {
		if err := s.loginCounter.Add(ctx, key); err != nil {
			return err
		}
	}
	switch {
	case errors.Is(err, account.ErrBadCredentials):
		s.render(c, http.StatusUnauthorized, "signin", signinPage{Page: s.page(c, "Sign in"), Form: f, Next: next,
			Message: "That email and password do not match an account. Please check them and try again. After 10 tries in a row, sign-in pauses for 15 minutes."})
		return nil
	case err != nil:
		return err
	}
	return s.beginSignIn(c, u, step, next, "signin")
}

// signout destroys the session server-side (R9).
func (s *Server) signout(c *gin.Context) error {
	// The session ends first: a failure to write the audit row must not
	// leave it alive.
	if err := s.sessions.Destroy(c.Request.Context()); err != nil {
		return err
	}
	if err := s.accounts.RecordLogout(c.Request.Context(), actor(c)); err != nil {
		return err
	}
	return redirect(c, "/signin?signed_out=1")
}

type linkPage struct {
	Page
	Purpose string
	Valid   bool
	Name    string
	Form    Form
}

var passwordFields = []string{"password", "confirm"}

func linkTitle(purpose string) string {
	if purpose == "invite" {
		return "Join Trellis"
	}
	return "Choose a new password"
}

// linkPage shows the set-password form of an invite or reset link. An
// unknown, used and expired link all get the same answer (R4, R5).
func (s *Server) linkPage(purpose string) handlerFunc {
	return func(c *gin.Context) error {
		u, err := s.accounts.LinkUser(c.Request.Context(), purpose, c.Param("token"))
		if err != nil && !errors.Is(err, account.ErrLinkInvalid) && !errors.Is(err, errkind.ErrNotFound) {
			return err
		}
		p := linkPage{Page: s.page(c, linkTitle(purpose)), Purpose: purpose, Valid: err == nil, Form: emptyForm(passwordFields...)}
		if err == nil {
			p.Name = u.DisplayName
		}
		status := http.StatusOK
		if !p.Valid {
			status = http.StatusNotFound
		}
		return s.show(c, status, "link", p)
	}
}

func (s *Server) useLink(purpose string) handlerFunc {
	return func(c *gin.Context) error {
		ctx := c.Request.Context()
		token := c.Param("token")
		f := newForm(c, passwordFields, passwordFields...)
		u, step, err := s.accounts.UseLink(ctx, purpose, token, c.PostForm("password"), c.PostForm("confirm"))
		p := linkPage{Page: s.page(c, linkTitle(purpose)), Purpose: purpose, Valid: true, Name: u.DisplayName, Form: f}
		switch {
		case errors.Is(err, account.ErrLinkInvalid) || errors.Is(err, errkind.ErrNotFound):
			p.Valid = false
			return s.show(c, http.StatusNotFound, "link", p)
		case f.withErrors(err):
			return s.show(c, http.StatusUnprocessableEntity, "link", p)
		case errors.Is(err, account.ErrAccountExists):
			// The email already has an account, which nothing here may
			// change: the next step is to sign in with it. As after any
			// use of a link, this browser's old session ends.
			if err := s.sessions.Destroy(ctx); err != nil {
				return err
			}
			return redirect(c, "/signin?existing=1")
		case err != nil:
			return err
		}
		// Any session this browser held belonged to someone else or is
		// now stale: end it, then sign the person in with a new session id
		// (R8), instead of asking for the email they were invited by.
		if err := s.sessions.Destroy(ctx); err != nil {
			return err
		}
		if !u.CanSignIn() {
			// A client no longer in a caseload: their password is set, but
			// signing in must wait for a therapist.
			return redirect(c, "/signin?password_set=1")
		}
		if step != account.StepNone {
			// A link sets the password only: the second step is still
			// asked for (#15 finding 2b).
			return s.beginSignIn(c, u, step, "", "link")
		}
		to, ok := s.completeSignIn(c, u, "", false)
		if !ok {
			return nil
		}
		if purpose == "invite" {
			s.flash(c, "Your password is set and you are signed in. Welcome to Trellis.")
		} else {
			s.flash(c, "Your new password is set and you are signed in.")
		}
		return redirect(c, to)
	}
}

type passwordPage struct {
	Page
	Form Form
	Done bool
}

var changePasswordFields = []string{"current", "password", "confirm"}

func (s *Server) passwordPage(c *gin.Context) error {
	return s.show(c, http.StatusOK, "password", passwordPage{Page: s.page(c, "Change your password"), Form: emptyForm(changePasswordFields...)})
}

// changePassword ends the user's other sessions and keeps this one (R8:
// with a new id).
func (s *Server) changePassword(c *gin.Context) error {
	f := newForm(c, changePasswordFields, changePasswordFields...)
	version, err := s.accounts.ChangePassword(c.Request.Context(), actor(c), account.PasswordChange{
		Current: c.PostForm("current"), New: c.PostForm("password"), Confirm: c.PostForm("confirm"),
	})
	if f.withErrors(err) {
		return s.show(c, http.StatusUnprocessableEntity, "password", passwordPage{Page: s.page(c, "Change your password"), Form: f})
	}
	if err != nil {
		return err
	}
	if err := s.keepSession(c, version); err != nil {
		return err
	}
	s.flash(c, "Your password is changed. You were signed out everywhere else.")
	u, _ := currentUser(c)
	return redirect(c, homeFor(u.Role))
}
