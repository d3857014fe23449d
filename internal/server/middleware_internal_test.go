package server

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/gin-gonic/gin"

	"github.com/trellis-app/trellis/internal/config"
)

// newBareServer builds the router without a database, for middleware tests
// that add their own routes.
func newBareServer(t *testing.T, logOut io.Writer) *Server {
	t.Helper()
	cfg, err := config.Load(func(k string) string {
		if k == config.VarDatabaseURL {
			return "postgres://unused/"
		}
		if k == config.VarMaxBodyBytes {
			return "4096"
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Deps{
		Config:       cfg,
		Log:          slog.New(slog.NewJSONHandler(logOut, nil)),
		Sessions:     scs.New(), // in memory: these tests never sign in
		LoginCounter: noCounter{},
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestPanicRendersPlain500WithoutInternals(t *testing.T) {
	var logs strings.Builder
	s := newBareServer(t, &logs)
	s.handle(http.MethodGet, "/boom", public, func(c *gin.Context) error {
		panic("secret internal detail: /etc/trellis/db.go:42 SELECT * FROM users")
	})
	w := httptest.NewRecorder()
	s.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/boom", nil))

	if w.Code != http.StatusInternalServerError {
		t.Fatalf("status = %d, want 500", w.Code)
	}
	body := w.Body.String()
	for _, leak := range []string{"secret internal detail", "db.go", "SELECT", "goroutine", "panic"} {
		if strings.Contains(body, leak) {
			t.Errorf("500 page leaks %q", leak)
		}
	}
	id := w.Header().Get("X-Request-ID")
	if id == "" || !strings.Contains(body, id) {
		t.Errorf("500 page does not show the request id %q", id)
	}
	if !strings.Contains(body, "Something went wrong on our side") || !strings.Contains(body, "<title>") {
		t.Errorf("500 page not rendered through the layout:\n%s", body)
	}
	if !strings.Contains(logs.String(), "secret internal detail") || !strings.Contains(logs.String(), id) {
		t.Errorf("the panic and its request id should be in the log, got:\n%s", logs.String())
	}
	if w.Header().Get("Content-Security-Policy") == "" {
		t.Error("500 page lacks the security headers")
	}
}

func TestOversizedBodiesGet413(t *testing.T) {
	s := newBareServer(t, io.Discard)
	s.handle(http.MethodPost, "/form", public, func(c *gin.Context) error {
		if err := c.Request.ParseForm(); err != nil {
			return err
		}
		c.String(http.StatusOK, "ok")
		return nil
	})
	big := "note=" + strings.Repeat("a", 10_000)

	t.Run("declared length over the cap", func(t *testing.T) {
		r := httptest.NewRequest(http.MethodPost, "/form", strings.NewReader(big))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code != http.StatusRequestEntityTooLarge {
			t.Fatalf("status = %d, want 413", w.Code)
		}
		if !strings.Contains(w.Body.String(), "too much to send at once") {
			t.Errorf("413 page not rendered: %s", w.Body.String())
		}
	})
	t.Run("streamed body with no declared length", func(t *testing.T) {
		r := httptest.NewRequest(http.MethodPost, "/form", io.NopCloser(strings.NewReader(big)))
		r.ContentLength = -1
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code != http.StatusRequestEntityTooLarge {
			t.Fatalf("status = %d, want 413", w.Code)
		}
	})
	t.Run("small body passes", func(t *testing.T) {
		r := httptest.NewRequest(http.MethodPost, "/form", strings.NewReader("note=hello"))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			t.Fatalf("status = %d, want 200", w.Code)
		}
	})
}

func TestCrossOriginPostsAreRefused(t *testing.T) {
	s := newBareServer(t, io.Discard)
	s.handle(http.MethodPost, "/form", public, func(c *gin.Context) error { c.String(http.StatusOK, "done"); return nil })
	tests := []struct {
		name    string
		headers map[string]string
		want    int
	}{
		{"same origin by fetch metadata", map[string]string{"Sec-Fetch-Site": "same-origin"}, http.StatusOK},
		{"cross site by fetch metadata", map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"foreign origin header", map[string]string{"Origin": "https://evil.example"}, http.StatusForbidden},
		{"no browser headers (curl)", nil, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:8080/form", strings.NewReader(""))
			for k, v := range tt.headers {
				r.Header.Set(k, v)
			}
			w := httptest.NewRecorder()
			s.ServeHTTP(w, r)
			if w.Code != tt.want {
				t.Fatalf("status = %d, want %d", w.Code, tt.want)
			}
		})
	}
}

// noCounter counts nothing: these tests never sign in.
type noCounter struct{}

func (noCounter) Count(context.Context, string, time.Duration) (int, error) { return 0, nil }
func (noCounter) Add(context.Context, string) error                         { return nil }
