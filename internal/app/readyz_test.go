package app_test

import (
	"context"
	"html"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/trellis-app/trellis/internal/app"
	"github.com/trellis-app/trellis/internal/database"
	"github.com/trellis-app/trellis/internal/pgcluster"
	"github.com/trellis-app/trellis/internal/testkit"
)

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestReadyzFollowsTheDatabase stops and restarts a PostgreSQL cluster of its
// own under a running Trellis: /readyz answers 503 while it is down and 200
// once it is back, without restarting Trellis.
func TestReadyzFollowsTheDatabase(t *testing.T) {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "trellis-readyz-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	cluster := &pgcluster.Cluster{
		Dir:      dir,
		Port:     freePort(t),
		Settings: []string{"fsync = off"},
		Log:      t.Logf,
	}
	if err := cluster.Start(ctx); err != nil {
		t.Fatalf("start cluster: %v", err)
	}
	t.Cleanup(func() { _ = cluster.Stop(context.Background()) })

	db, err := database.Open(ctx, cluster.URL(), database.Options{MaxOpenConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := database.Migrate(ctx, db.DB, testkit.Logger(t)); err != nil {
		t.Fatal(err)
	}
	srv, err := app.New(testkit.Config(t, cluster.URL()), db, testkit.Logger(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	readyz := func() (int, time.Duration) {
		start := time.Now()
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/readyz", nil))
		return w.Code, time.Since(start)
	}

	if code, _ := readyz(); code != http.StatusOK {
		t.Fatalf("/readyz with the database up = %d, want 200", code)
	}
	if err := cluster.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	code, took := readyz()
	if code != http.StatusServiceUnavailable {
		t.Fatalf("/readyz with the database down = %d, want 503", code)
	}
	t.Logf("/readyz answered 503 in %v with the database down", took)

	// Pages that need the database answer 503 with the usual page, not 500
	// and not a hang: a signed-in request (the session store fails first)
	// and a sign-in attempt.
	withCookie := httptest.NewRequest(http.MethodGet, "/home", nil)
	withCookie.AddCookie(&http.Cookie{Name: "trellis_session", Value: "some-session"})
	signin := httptest.NewRequest(http.MethodPost, "/signin", strings.NewReader("email=a%40b.example&password=whatever+it+is"))
	signin.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	// A client sending their words sees every one of them back, with a
	// button to send them again, and nothing from the database.
	words := "Everything I wrote while the database was away — Ελένη"
	send := httptest.NewRequest(http.MethodPost, "/home/assignments/7", strings.NewReader(url.Values{
		"a.note": {words}, "a.overall": {"6"}, "op": {"send"}, "form_token": {"1b9e5ef7-be85-407b-8f1b-b8a7bc3198fa"}}.Encode()))
	send.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	send.AddCookie(&http.Cookie{Name: "trellis_session", Value: "some-session"})
	sw := httptest.NewRecorder()
	srv.ServeHTTP(sw, send)
	if sw.Code != http.StatusServiceUnavailable {
		t.Errorf("send with the database down = %d, want 503", sw.Code)
	}
	for _, want := range []string{"your text is still here", html.EscapeString(words), `name="a.overall" rows="4">6</textarea>`, `name="form_token" value="1b9e5ef7-be85-407b-8f1b-b8a7bc3198fa"`, "Try again", `action="/home/assignments/7"`} {
		if !strings.Contains(sw.Body.String(), want) {
			t.Errorf("could-not-save page lacks %s", want)
		}
	}
	for name, r := range map[string]*http.Request{"session": withCookie, "sign-in": signin} {
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, r)
		if w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), "briefly unavailable") {
			t.Errorf("%s with the database down = %d, want the 503 page", name, w.Code)
		}
		if id := w.Header().Get("X-Request-ID"); id == "" || !strings.Contains(w.Body.String(), id) {
			t.Errorf("%s: 503 page without its request id", name)
		}
		if w.Header().Get("Content-Security-Policy") == "" {
			t.Errorf("%s: 503 page without security headers", name)
		}
	}

	if err := cluster.Start(ctx); err != nil {
		t.Fatal(err)
	}
	// The pool may hold connections the restart broke; readiness must come
	// back by itself within a few tries.
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, _ := readyz()
		if code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz still %d after the database came back", code)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
