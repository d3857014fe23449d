// Package server is Trellis's HTTP layer: the route table, middleware,
// rendering and the mapping of domain errors to responses. It is the only
// package that imports gin; handlers bind input, call one service method and
// render or redirect.
package server

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/gin-gonic/gin"
	"github.com/jmoiron/sqlx"

	"github.com/trellis-app/trellis/internal/account"
	"github.com/trellis-app/trellis/internal/assignment"
	"github.com/trellis-app/trellis/internal/audit"
	"github.com/trellis-app/trellis/internal/exercise"
	"github.com/trellis-app/trellis/internal/measure"
	"github.com/trellis-app/trellis/internal/notify"
	"github.com/trellis-app/trellis/internal/policy"
	"github.com/trellis-app/trellis/internal/progress"
	"github.com/trellis-app/trellis/internal/reflection"
	"github.com/trellis-app/trellis/internal/review"

	"github.com/trellis-app/trellis/internal/config"
	"github.com/trellis-app/trellis/internal/database"
	"github.com/trellis-app/trellis/web"
)

// Per-address sign-in limit (R3): failed attempts only, so a clinic behind
// one address is not locked out by ordinary use; tight enough to stop
// guessing across many accounts.
const (
	LoginsPerIP   = 30
	LoginIPWindow = 15 * time.Minute
)

// Counter counts events per key over a sliding window (auth.RateCounter).
type Counter interface {
	Count(ctx context.Context, key string, window time.Duration) (int, error)
	Add(ctx context.Context, key string) error
}

// Deps are what the server needs, built once in app.New.
type Deps struct {
	Config   config.Config
	Log      *slog.Logger
	DB       *sqlx.DB
	Sessions *scs.SessionManager
	Accounts *account.Service
	Audit    *audit.Reader
	// Exercises is the exercise library; Assignments the homework given.
	Exercises   *exercise.Service
	Assignments *assignment.Service
	Reflections *reflection.Service
	Reviews     *review.Service
	Progress    *progress.Service
	// Measures scores the standard outcome measures clients send.
	Measures *measure.Service
	// Highlighter marks risk language on the therapist's pages; nil marks
	// nothing.
	Highlighter Highlighter
	// Reminders is clients' email reminder settings.
	Reminders *notify.Reminders
	// LoginCounter counts failed sign-ins per client address (R3), shared
	// by every instance.
	LoginCounter Counter
	// Now is the clock; nil means time.Now. Tests move it to expire idle
	// sessions.
	Now func() time.Time
	// AutosavePause is how long after the client stops typing the portal
	// saves their draft; zero means DefaultAutosavePause. Browser tests
	// shorten it rather than wait out the real pause.
	AutosavePause time.Duration
}

// DefaultAutosavePause is the portal's pause before an autosave.
const DefaultAutosavePause = 2 * time.Second

// Server is the HTTP layer. Build it with New.
type Server struct {
	cfg    config.Config
	log    *slog.Logger
	db     *sqlx.DB
	views  *views
	engine *gin.Engine
	static http.Handler
	rules  map[string]rule

	handler      http.Handler
	sessions     *scs.SessionManager
	accounts     *account.Service
	reminders    *notify.Reminders
	audit        *audit.Reader
	exercises    *exercise.Service
	assignments  *assignment.Service
	reflections  *reflection.Service
	reviews      *review.Service
	progress     *progress.Service
	measures     *measure.Service
	loginCounter Counter
	now          func() time.Time
	// autosavePause is Deps.AutosavePause, given to autosave.js.
	autosavePause time.Duration
	// pdfSlots bounds how many PDFs are made at once (see renderPDF).
	pdfSlots chan struct{}
}

// embeddedViews parses the embedded templates once per process: they are
// the same for every Server, parsed templates are safe to execute from
// many goroutines, and the tests build hundreds of Servers.
var embeddedViews = sync.OnceValues(func() (*views, error) {
	return newViews(mustSub(web.Templates, "templates"), mustSub(web.Static, "static"))
})

// New builds the router with every route and middleware.
func New(d Deps) (*Server, error) {
	parsed, err := embeddedViews()
	if err != nil {
		return nil, err
	}
	v := &views{pages: parsed.pages, staticHash: parsed.staticHash, highlighter: d.Highlighter}
	// Gin keeps its mode in a package variable; release mode keeps it from
	// printing its own route log and warnings.
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	e.HandleMethodNotAllowed = false
	e.RedirectTrailingSlash = false
	e.RedirectFixedPath = false
	e.ContextWithFallback = true
	// Trust no proxy unless configured: otherwise anyone could choose the
	// client IP that login throttling counts (R22).
	if err := e.SetTrustedProxies(d.Config.TrustedProxies); err != nil {
		return nil, fmt.Errorf("trusted proxies: %w", err)
	}

	s := &Server{
		cfg:    d.Config,
		log:    d.Log,
		db:     d.DB,
		views:  v,
		engine: e,
		static: http.StripPrefix("/static/", http.FileServerFS(mustSub(web.Static, "static"))),
		rules:  map[string]rule{},

		sessions:    d.Sessions,
		accounts:    d.Accounts,
		reminders:   d.Reminders,
		audit:       d.Audit,
		exercises:   d.Exercises,
		assignments: d.Assignments,
		reflections: d.Reflections,
		reviews:     d.Reviews,
		progress:    d.Progress,
		measures:    d.Measures,
		now:         d.Now,
		pdfSlots:    make(chan struct{}, runtime.GOMAXPROCS(0)),
	}
	if s.reminders == nil {
		s.reminders = notify.NewReminders(d.DB, nil) // no email: reminders cannot be turned on
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.autosavePause = d.AutosavePause
	if s.autosavePause <= 0 {
		s.autosavePause = DefaultAutosavePause
	}
	s.loginCounter = d.LoginCounter
	e.Use(withRequestID(), s.logRequests(), s.recoverPanics(), s.securityHeaders(), s.limitBodies(), s.crossOrigin(), s.loadUser())
	e.NoRoute(func(c *gin.Context) { s.renderError(c, http.StatusNotFound) })
	s.routes()
	// Sessions wrap the router so the session is saved before the response
	// is written; a store failure gets the 503 page.
	s.sessions.ErrorFunc = s.sessionError
	s.handler = s.sessions.LoadAndSave(e)
	return s, nil
}

// ServeHTTP makes the server an http.Handler. The request id is made here,
// outside the session layer, so even a session-store failure page has one.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := newRequestID()
	w.Header().Set("X-Request-ID", id)
	// Every request's work is bounded from the moment it arrives
	// (TRELLIS_REQUEST_TIMEOUT), session loading and saving included: waits
	// for a pooled connection, a hashing or PDF slot, or a slow query end
	// with 503, not a hang (FT1, FT2).
	timeout := s.cfg.RequestTimeout
	if timeout <= 0 {
		timeout = config.DefaultRequestTimeout // a Config not made by Load
	}
	ctx, cancel := context.WithTimeout(context.WithValue(r.Context(), requestIDCtxKey{}, id), timeout)
	defer cancel()
	r = r.WithContext(ctx)
	if sessionless(r.URL.Path) {
		// Static files and health checks never touch the session store: no
		// cookie on a cacheable response, no query per asset, and they work
		// while PostgreSQL is down.
		s.engine.ServeHTTP(w, r)
		return
	}
	s.handler.ServeHTTP(w, r)
}

// sessionless reports whether path is served without a session.
func sessionless(path string) bool {
	return strings.HasPrefix(path, "/static/") || path == "/healthz" || path == "/readyz"
}

// sessionError answers when the session store fails outside gin's chain
// (loading before a request, saving after it): PostgreSQL is unreachable,
// so 503 with the usual page and headers.
func (s *Server) sessionError(w http.ResponseWriter, r *http.Request, err error) {
	status := http.StatusServiceUnavailable
	if !database.IsUnavailable(err) {
		status = http.StatusInternalServerError
	}
	s.log.WarnContext(r.Context(), "session store failed", "status", status, "err", err)
	if status == http.StatusServiceUnavailable && isPortalPost(r) {
		// A client was sending their words: show every one of them back.
		s.renderUnsaved(w, r, w.Header().Get("X-Request-ID"), status)
		return
	}
	setSecurityHeaders(w.Header(), s.cfg.HTTPS(), r.URL.Path)
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "5")
	}
	ctype, body := s.errorPage(status, w.Header().Get("X-Request-ID"))
	w.Header().Set("Content-Type", ctype)
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// RouteInfo describes one registered route and its access rule.
type RouteInfo struct {
	Method string
	Path   string
	// Rule names who may use the route; empty when no rule was registered.
	Rule string
	// Action is the policy action the route is for (empty when public).
	Action policy.Action
}

// Routes lists every route the router knows, with its access rule, so a
// test can fail on any route registered without one (R11).
func (s *Server) Routes() []RouteInfo {
	var out []RouteInfo
	for _, r := range s.engine.Routes() {
		rule := s.rules[r.Method+" "+r.Path]
		out = append(out, RouteInfo{Method: r.Method, Path: r.Path, Rule: rule.String(), Action: rule.action})
	}
	return out
}

func mustSub(fsys fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		panic(err) // only on a programming error: dir is a constant
	}
	return sub
}

func (s *Server) healthz(c *gin.Context) error {
	c.Data(http.StatusOK, "text/plain; charset=utf-8", []byte("ok\n"))
	return nil
}

// readyz tells a load balancer whether this instance can serve: it pings
// PostgreSQL with a short timeout, so it recovers by itself when the
// database comes back.
func (s *Server) readyz(c *gin.Context) error {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
	defer cancel()
	if err := database.Ping(ctx, s.db, time.Second); err != nil {
		s.log.WarnContext(ctx, "not ready", "request_id", requestID(c), "err", err)
		c.Data(http.StatusServiceUnavailable, "text/plain; charset=utf-8", []byte("database unavailable\n"))
		return nil
	}
	c.Data(http.StatusOK, "text/plain; charset=utf-8", []byte("ready\n"))
	return nil
}

func (s *Server) serveStatic(c *gin.Context) error {
	if strings.HasSuffix(c.Request.URL.Path, "/") {
		s.renderError(c, http.StatusNotFound) // no directory listings
		return nil
	}
	// Names carry a content hash (?v=), so a year of caching is safe.
	if c.Query("v") != "" {
		c.Header("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		c.Header("Cache-Control", "public, max-age=3600")
	}
	s.static.ServeHTTP(c.Writer, c.Request)
	return nil
}
