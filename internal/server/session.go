package server

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/gin-gonic/gin"

	"github.com/trellis-app/trellis/internal/account"
	"github.com/trellis-app/trellis/internal/audit"
	"github.com/trellis-app/trellis/internal/auth"
	"github.com/trellis-app/trellis/internal/config"
	"github.com/trellis-app/trellis/internal/errkind"
	"github.com/trellis-app/trellis/internal/policy"
)

// Session lifetimes (R9). Clients get a longer idle allowance than staff
// because they may spend a long while writing one reflection.
const (
	SessionLifetime = 12 * time.Hour
	StaffIdle       = 30 * time.Minute
	ClientIdle      = 60 * time.Minute
	// seenEvery limits how often a session is rewritten just to note
	// activity.
	seenEvery = time.Minute
)

// Session keys.
const (
	sessUserID      = "user_id"
	sessAuthVersion = "auth_version"
	sessSeen        = "seen" // unix seconds: scs's gob codec knows int64 without registration
)

// NewSessionManager configures scs for Trellis: sessions in PostgreSQL
// through store, a cookie that is HttpOnly, SameSite=Lax, and __Host-
// prefixed and Secure over HTTPS (R7).
func NewSessionManager(cfg config.Config, store scs.CtxStore) *scs.SessionManager {
	sm := scs.New()
	sm.Store = store
	sm.Lifetime = SessionLifetime
	sm.Cookie.Name = "trellis_session"
	if cfg.HTTPS() {
		sm.Cookie.Name = "__Host-trellis_session"
		sm.Cookie.Secure = true
	}
	sm.Cookie.HttpOnly = true
	sm.Cookie.SameSite = http.SameSiteLaxMode
	sm.Cookie.Path = "/"
	sm.Cookie.Persist = false // gone when the browser closes
	return sm
}

const principalKey = "trellis.principal"

// principal is who the request acts for (user and practice, loaded once
// by loadUser), if anyone is signed in.
func principal(c *gin.Context) (account.Principal, bool) {
	v, ok := c.Get(principalKey)
	if !ok {
		return account.Principal{}, false
	}
	p, ok := v.(account.Principal)
	return p, ok
}

// currentUser is the signed-in user, if any.
func currentUser(c *gin.Context) (account.User, bool) {
	p, ok := principal(c)
	return p.User, ok
}

func actor(c *gin.Context) policy.Actor {
	p, _ := principal(c)
	return p.Actor()
}

const expiredKey = "trellis.session_expired"

// loadUser resolves the session to a user on every request. A session whose
// user is disabled, removed from a caseload, or whose auth version moved on
// (password reset, role change) ends here, on its next request (R10). So
// does one idle for too long (R9).
func (s *Server) loadUser() gin.HandlerFunc {
	return func(c *gin.Context) {
		if sessionless(c.Request.URL.Path) {
			c.Next()
			return
		}
		ctx := c.Request.Context()
		c.Request = c.Request.WithContext(audit.WithIP(ctx, c.ClientIP()))
		ctx = c.Request.Context()
		id := s.sessions.GetInt64(ctx, sessUserID)
		if id == 0 {
			c.Next()
			return
		}
		p, err := s.accounts.SessionPrincipal(ctx, id)
		u := p.User
		if err != nil && !errors.Is(err, errkind.ErrNotFound) {
			if isPortalPost(c.Request) {
				// A client was sending their words: show every one back.
				s.fail(c, keepingText(err))
				return
			}
			s.fail(c, err)
			return
		}
		end := func() {
			if err := s.sessions.Destroy(ctx); err != nil {
				s.log.WarnContext(ctx, "destroy session", "request_id", requestID(c), "err", err)
			}
		}
		if err != nil || !u.CanSignIn() || u.AuthVersion != s.sessions.GetInt(ctx, sessAuthVersion) {
			end()
			c.Next()
			return
		}
		idle := StaffIdle
		if u.Role == policy.Client {
			idle = ClientIdle
		}
		seen := time.Unix(s.sessions.GetInt64(ctx, sessSeen), 0)
		now := s.now()
		if now.Sub(seen) > idle {
			end()
			c.Set(expiredKey, true)
			c.Next()
			return
		}
		if now.Sub(seen) > seenEvery {
			s.sessions.Put(ctx, sessSeen, now.Unix())
		}
		p.PasswordHash = nil // pages never need it
		c.Set(principalKey, p)
		c.Set(userIDKey, u.ID)
		c.Next()
	}
}

// keepSession keeps the signed-in person in this browser after a change
// that ended their other sessions (a new password, two-step sign-in on or
// off): a new session id (R8) holding the new auth version.
func (s *Server) keepSession(c *gin.Context, authVersion int) error {
	ctx := c.Request.Context()
	if err := s.sessions.RenewToken(ctx); err != nil {
		return err
	}
	s.sessions.Put(ctx, sessAuthVersion, authVersion)
	return nil
}

// startSession signs u in: a new session id (R8) holding the user and
// their auth version.
func (s *Server) startSession(c *gin.Context, u account.User) error {
	ctx := c.Request.Context()
	if err := s.sessions.RenewToken(ctx); err != nil {
		return err
	}
	s.sessions.Put(ctx, sessUserID, u.ID)
	s.sessions.Put(ctx, sessAuthVersion, u.AuthVersion)
	s.sessions.Put(ctx, sessSeen, s.now().Unix())
	return nil
}

// rule says who may use a route: anyone, or the roles granted its policy
// action (the table services check too). Every route is registered with
// one; there is no default (R11).
type rule struct {
	public bool
	action policy.Action
	roles  []policy.Role
	// keepText: a POST from a visitor whose session ended is kept, not
	// dropped, for a client to find again after signing in (FT5).
	keepText bool
}

func (r rule) String() string {
	if r.public {
		return "public"
	}
	if len(r.roles) == 0 {
		return ""
	}
	names := make([]string, len(r.roles))
	for i, role := range r.roles {
		names[i] = string(role)
	}
	return "roles:" + strings.Join(names, ",")
}

// public routes are open to anyone.
var public = rule{public: true}

// may is the rule of a route for action: the roles granted it.
func may(action policy.Action) rule {
	return rule{action: action, roles: policy.RolesFor(action)}
}

// mayWrite is may for a route that takes a client's words: a visitor's
// post is kept (see rule.keepText).
func mayWrite(action policy.Action) rule {
	r := may(action)
	r.keepText = true
	return r
}

// require enforces a route's rule: anonymous visitors are sent to sign in
// (and brought back after), a signed-in user of another role gets 403.
func (s *Server) require(r rule) gin.HandlerFunc {
	return func(c *gin.Context) {
		if r.public {
			c.Next()
			return
		}
		u, ok := currentUser(c)
		if !ok && r.keepText && c.Request.Method == http.MethodPost {
			s.keepText(c)
			return
		}
		if !ok {
			q := url.Values{}
			if c.Request.Method == http.MethodGet {
				q.Set("next", c.Request.URL.RequestURI())
			}
			if c.GetBool(expiredKey) {
				q.Set("expired", "1")
			}
			target := "/signin"
			if len(q) > 0 {
				target += "?" + q.Encode()
			}
			c.Redirect(http.StatusSeeOther, target)
			c.Abort()
			return
		}
		if !slices.Contains(r.roles, u.Role) {
			s.renderError(c, http.StatusForbidden)
			return
		}
		c.Next()
	}
}

// homeFor is where a role lands after signing in.
func homeFor(role policy.Role) string {
	switch role {
	case policy.Admin:
		return "/admin/users"
	case policy.Therapist:
		return "/therapist"
	default:
		return "/home"
	}
}

// safeNext accepts only a local path, so a sign-in link cannot send
// someone to another site.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return ""
	}
	u, err := url.Parse(next)
	if err != nil || u.Host != "" || u.Scheme != "" {
		return ""
	}
	return next
}

var _ scs.CtxStore = (*auth.SessionStore)(nil)
