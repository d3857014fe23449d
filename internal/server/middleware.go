package server

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
)

const requestIDKey = "trellis.request_id"

func requestID(c *gin.Context) string {
	return c.GetString(requestIDKey)
}

type requestIDCtxKey struct{}

// newRequestID is a random id for one request, echoed in X-Request-ID and
// on error pages, so a user's report can be matched to a log line. An
// incoming X-Request-ID is not trusted: ids are ours alone.
func newRequestID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// withRequestID hands the id ServeHTTP gave the request to gin's context.
func withRequestID() gin.HandlerFunc {
	return func(c *gin.Context) {
		id, _ := c.Request.Context().Value(requestIDCtxKey{}).(string)
		if id == "" {
			id = newRequestID()
			c.Header("X-Request-ID", id)
		}
		c.Set(requestIDKey, id)
		c.Next()
	}
}

// logRequests writes one line per request: method, route pattern, status,
// duration, request id and (once signed in) user id. Never the URL's
// parameters' values beyond the route pattern, never form contents.
func (s *Server) logRequests() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		route := c.FullPath()
		if route == "" {
			route = "(no route)"
		}
		attrs := []any{
			"method", c.Request.Method,
			"route", route,
			"status", c.Writer.Status(),
			"duration_ms", float64(time.Since(start).Microseconds()) / 1000,
			"request_id", requestID(c),
		}
		if uid, ok := c.Get(userIDKey); ok {
			attrs = append(attrs, "user_id", uid)
		}
		s.log.InfoContext(c.Request.Context(), "request", attrs...)
	}
}

// userIDKey holds the signed-in user's id for the request log.
const userIDKey = "trellis.user_id"

// recoverPanics turns a panic into the plain 500 page with a request id
// (R23). The stack goes to the log, never to the browser.
func (s *Server) recoverPanics() gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			p := recover()
			if p == nil {
				return
			}
			if err, ok := p.(error); ok && errors.Is(err, http.ErrAbortHandler) {
				panic(p)
			}
			s.log.ErrorContext(c.Request.Context(), "panic",
				"request_id", requestID(c), "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			if c.Writer.Written() {
				c.Abort()
				return
			}
			s.renderError(c, http.StatusInternalServerError)
		}()
		c.Next()
	}
}

// csp allows nothing but this origin: no inline script, no third party.
var csp = strings.Join([]string{
	"default-src 'self'",
	"script-src 'self'",
	"style-src 'self'",
	"img-src 'self' data:",
	"font-src 'self'",
	"connect-src 'self'",
	"form-action 'self'",
	"frame-ancestors 'none'",
	"base-uri 'none'",
	"object-src 'none'",
}, "; ")

// setSecurityHeaders writes the headers of R18.
func setSecurityHeaders(h http.Header, https bool, path string) {
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
	if https {
		h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
	}
	// Everything but the static files may hold personal data: never let a
	// browser or proxy keep a copy.
	if !strings.HasPrefix(path, "/static/") {
		h.Set("Cache-Control", "no-store")
	}
}

// securityHeaders sets the headers of R18 on every response.
func (s *Server) securityHeaders() gin.HandlerFunc {
	https := s.cfg.HTTPS()
	return func(c *gin.Context) {
		setSecurityHeaders(c.Writer.Header(), https, c.Request.URL.Path)
		c.Next()
	}
}

// limitBodies caps request bodies (R22). A declared length over the cap is
// refused at once; a form that grows past it while being read is refused
// here too, before any handler sees a truncated form. It also drops U+0000
// from every posted value, the one place for every form: PostgreSQL cannot
// store it in text (a staff name, a note or an exercise title with one was
// a 500 that lost the input), and it never carries meaning.
func (s *Server) limitBodies() gin.HandlerFunc {
	max := s.cfg.MaxBodyBytes
	return func(c *gin.Context) {
		if c.Request.ContentLength > max {
			s.renderError(c, http.StatusRequestEntityTooLarge)
			return
		}
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, max)
		if c.Request.Method == http.MethodPost && strings.HasPrefix(c.ContentType(), "application/x-www-form-urlencoded") {
			if err := c.Request.ParseForm(); err != nil {
				if isTooLarge(err) {
					s.renderError(c, http.StatusRequestEntityTooLarge)
				} else {
					s.renderError(c, http.StatusBadRequest)
				}
				return
			}
			dropNUL(c.Request.PostForm)
			dropNUL(c.Request.Form)
		}
		c.Next()
	}
}

func dropNUL(v url.Values) {
	for _, vals := range v {
		for i, s := range vals {
			if strings.IndexByte(s, 0) >= 0 {
				vals[i] = strings.ReplaceAll(s, "\x00", "")
			}
		}
	}
}

func isTooLarge(err error) bool {
	var mbe *http.MaxBytesError
	return errors.As(err, &mbe)
}

// crossOrigin refuses state-changing requests from other origins (R16),
// using the browser's Sec-Fetch-Site and Origin headers.
func (s *Server) crossOrigin() gin.HandlerFunc {
	cop := http.NewCrossOriginProtection()
	return func(c *gin.Context) {
		if err := cop.Check(c.Request); err != nil {
			s.log.WarnContext(c.Request.Context(), "cross-origin request refused", "request_id", requestID(c), "route", c.FullPath())
			s.renderError(c, http.StatusForbidden)
			return
		}
		c.Next()
	}
}
