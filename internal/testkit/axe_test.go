package testkit

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The accessibility check must be able to fail: a page with an unlabelled
// input and an image without alt text gives serious violations. It runs
// under a Content-Security-Policy as strict as the app's, which blocks
// inline script (the good page's script proves it is in force), because
// axe-core goes in through the DevTools protocol, not the page.
func TestAxeFindsUnlabelledInputAndImageWithoutAlt(t *testing.T) {
	const csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; base-uri 'none'; object-src 'none'"
	pages := map[string]string{
		"/bad": `<!doctype html><html lang="en"><head><title>Bad</title></head><body><main><h1>Bad</h1>
			<form><input type="text" name="name"></form>
			<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
			</main></body></html>`,
		"/good": `<!doctype html><html lang="en"><head><title>Good</title></head><body><main><h1>Good</h1>
			<form><label for="name">Name</label><input id="name" type="text" name="name"></form>
			<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" alt="A dot">
			<script>document.title = "inline script ran"</script>
			</main></body></html>`,
	}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		page, ok := pages[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Security-Policy", csp)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(page))
	}))
	defer ts.Close()

	b := NewBrowser(t)
	if err := chromedp.Do(b.Ctx, chromedp.Navigate(ts.URL+"/bad")); err != nil {
		t.Fatal(err)
	}
	var serious []string
	for _, v := range Axe(t, b.Ctx) {
		t.Logf("/bad: %s", v)
		if v.Serious() {
			serious = append(serious, v.ID)
		}
	}
	for _, want := range []string{"label", "image-alt"} {
		if !slices.Contains(serious, want) {
			t.Errorf("axe found serious or critical %v on /bad, want %q among them", serious, want)
		}
	}

	// Running twice on one document reuses the injected script.
	if again := Axe(t, b.Ctx); len(again) == 0 {
		t.Error("a second run on /bad found nothing")
	}

	if err := chromedp.Do(b.Ctx, chromedp.Navigate(ts.URL+"/good")); err != nil {
		t.Fatal(err)
	}
	for _, v := range Axe(t, b.Ctx) {
		if v.Serious() {
			t.Errorf("/good: %s", v)
		}
	}

	title, err := chromedp.Run(b.Ctx, chromedp.Title())
	if err != nil {
		t.Fatal(err)
	}
	if title != "Good" {
		t.Fatalf("the inline script ran (title %q): the CSP is not in force, so this test proves nothing about it", title)
	}
	// The blocked inline script is the one CSP violation: axe-core itself
	// tripped none. Console events arrive asynchronously, so wait for it.
	var blocked []string
	for range 50 {
		blocked = nil
		for _, e := range b.ConsoleErrors() {
			if strings.Contains(e, "Content Security Policy") {
				blocked = append(blocked, e)
			}
		}
		if len(blocked) > 0 {
			break
		}
		_ = chromedp.Do(b.Ctx, chromedp.Sleep(50*time.Millisecond))
	}
	if len(blocked) != 1 {
		t.Errorf("want exactly one CSP violation (the inline script), got %d:\n%s", len(blocked), strings.Join(blocked, "\n"))
	}
}
