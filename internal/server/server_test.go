package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/trellis-app/trellis/internal/policy"
	"github.com/trellis-app/trellis/internal/testkit"
)

func TestEveryRouteHasAnAccessRule(t *testing.T) {
	a := testkit.NewApp(t)
	routes := a.Server.Routes()
	if len(routes) == 0 {
		t.Fatal("no routes registered")
	}
	for _, r := range routes {
		if r.Rule == "" {
			t.Errorf("%s %s has no access rule (R11: deny by default)", r.Method, r.Path)
		}
		// One permission table: a route that is not public names the
		// policy action its services check, and lets in exactly the
		// roles the table grants it.
		if r.Rule == "public" {
			continue
		}
		want := policy.RolesFor(r.Action)
		if r.Action == "" || len(want) == 0 {
			t.Errorf("%s %s names no policy action the table grants (%q)", r.Method, r.Path, r.Action)
			continue
		}
		names := make([]string, len(want))
		for i, role := range want {
			names[i] = string(role)
		}
		if got := "roles:" + strings.Join(names, ","); r.Rule != got {
			t.Errorf("%s %s lets in %s, but the table grants %s %s", r.Method, r.Path, r.Rule, r.Action, got)
		}
	}
}

func TestSecurityHeadersOnEveryResponse(t *testing.T) {
	a := testkit.NewApp(t)
	for _, path := range []string{"/signin", "/healthz", "/readyz", "/no/such/page", "/static/app.css"} {
		t.Run(path, func(t *testing.T) {
			w := a.Get(t, path)
			h := w.Header()
			csp := h.Get("Content-Security-Policy")
			for _, want := range []string{"default-src 'self'", "script-src 'self'", "frame-ancestors 'none'", "object-src 'none'"} {
				if !strings.Contains(csp, want) {
					t.Errorf("CSP %q lacks %q", csp, want)
				}
			}
			if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "http") {
				t.Errorf("CSP %q allows inline script or another origin", csp)
			}
			for k, want := range map[string]string{
				"X-Content-Type-Options": "nosniff",
				"Referrer-Policy":        "same-origin",
				"X-Frame-Options":        "DENY",
			} {
				if got := h.Get(k); got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
			if h.Get("X-Request-ID") == "" {
				t.Error("no X-Request-ID")
			}
			if h.Get("Strict-Transport-Security") != "" {
				t.Error("HSTS sent over plain http")
			}
			cc := h.Get("Cache-Control")
			if strings.HasPrefix(path, "/static/") {
				if strings.Contains(cc, "no-store") {
					t.Errorf("static Cache-Control = %q", cc)
				}
			} else if cc != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", cc)
			}
		})
	}
}

func TestUnknownPageRenders404ThroughTheLayout(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Get(t, "/no/such/page")
	if w.Code != http.StatusNotFound {
		t.Fatalf("status = %d", w.Code)
	}
	body := w.Body.String()
	if !strings.Contains(body, "<title>Page not found · Trellis</title>") || !strings.Contains(body, `href="/static/app.css?v=`) {
		t.Errorf("404 page not rendered through the layout:\n%s", body)
	}
}

func TestHealthAndReadiness(t *testing.T) {
	a := testkit.NewApp(t)
	if w := a.Get(t, "/healthz"); w.Code != http.StatusOK || w.Body.String() != "ok\n" {
		t.Errorf("/healthz = %d %q", w.Code, w.Body.String())
	}
	if w := a.Get(t, "/readyz"); w.Code != http.StatusOK || w.Body.String() != "ready\n" {
		t.Errorf("/readyz = %d %q", w.Code, w.Body.String())
	}
}

func TestSignInPageInTheBrowser(t *testing.T) {
	a := testkit.NewApp(t)
	base := a.Listen(t)
	b := testkit.NewBrowser(t)

	if err := chromedp.Do(b.Ctx, chromedp.Navigate(base+"/signin")); err != nil {
		t.Fatalf("load sign-in page: %v", err)
	}
	title, err := chromedp.Run(b.Ctx, chromedp.Title())
	if err != nil {
		t.Fatal(err)
	}
	if title != "Sign in · Trellis" {
		t.Errorf("title = %q", title)
	}
	heading, err := chromedp.Run(b.Ctx, chromedp.Text(chromedp.CSS("h1")))
	if err != nil {
		t.Fatal(err)
	}
	if heading != "Sign in" {
		t.Errorf("h1 = %q", heading)
	}
	// The stylesheet applied (it is same-origin, so CSP allowed it).
	bg, err := chromedp.Run(b.Ctx, chromedp.Evaluate[string](`getComputedStyle(document.body).backgroundColor`))
	if err != nil {
		t.Fatal(err)
	}
	if bg != "rgb(247, 245, 240)" {
		t.Errorf("body background = %q: app.css did not load", bg)
	}
	if errs := b.ConsoleErrors(); len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}
}
