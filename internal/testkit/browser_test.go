package testkit

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// The harness must catch what browser tests rely on it for: a script
// error and a CSP violation both show up as console errors.
func TestBrowserReportsConsoleErrorsAndCSPViolations(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		if r.URL.Path == "/csp" {
			w.Header().Set("Content-Security-Policy", "script-src 'self'")
			_, _ = w.Write([]byte(`<title>csp</title><script>document.title = "ran"</script>`))
			return
		}
		_, _ = w.Write([]byte(`<title>err</title><script>null.boom</script>`))
	}))
	defer ts.Close()

	b := NewBrowser(t)
	if err := chromedp.Do(b.Ctx, chromedp.Navigate(ts.URL+"/csp")); err != nil {
		t.Fatal(err)
	}
	title, err := chromedp.Run(b.Ctx, chromedp.Title())
	if err != nil {
		t.Fatal(err)
	}
	if title != "csp" {
		t.Fatalf("inline script ran despite CSP (title %q)", title)
	}
	if err := chromedp.Do(b.Ctx, chromedp.Navigate(ts.URL+"/err")); err != nil {
		t.Fatal(err)
	}
	// Console events arrive asynchronously; poll the page until both are in.
	var errs []string
	for range 50 {
		errs = b.ConsoleErrors()
		if len(errs) >= 2 {
			break
		}
		_ = chromedp.Do(b.Ctx, chromedp.Sleep(50_000_000))
	}
	joined := strings.Join(errs, "\n")
	if !strings.Contains(joined, "Content Security Policy") {
		t.Errorf("no CSP violation among console errors:\n%s", joined)
	}
	if !strings.Contains(joined, "null") {
		t.Errorf("no script exception among console errors:\n%s", joined)
	}
}
