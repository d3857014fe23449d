package server_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/trellis-app/trellis/internal/testkit"
)

// The page with a new link: reloading it shows the same link, focusing the
// field selects all of it, the Copy button copies it; without JavaScript
// the field is still there to select, and nothing sticks out at 320 px.
func TestLinkPageCopiesTheLinkAndSurvivesReload(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	base := a.Listen(t)
	b := newTab(t, base)
	for _, name := range []string{"clipboard-read", "clipboard-write"} {
		b.do("allow "+name, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := cdp.Call(ctx, t, browser.SetPermission, browser.SetPermissionParams{
				Permission: &browser.PermissionDescriptor{Name: name}, Setting: browser.PermissionSettingGranted, Origin: base,
			})
			return err
		}))
	}

	b.signIn(w.Therapist.Email, testkit.Password)
	b.open("/therapist/clients/invite", http.StatusOK)
	b.do("fill in the invitation",
		chromedp.SendKeys(chromedp.CSS("#name"), "Zoë Copy"),
		chromedp.SendKeys(chromedp.CSS("#email"), "zoe.copy@test.example"),
	)
	b.pressAndLoad(`main form button[type="submit"]`, http.StatusOK)
	page := strings.TrimPrefix(b.location(), base)
	if !linkPageRe.MatchString(page) {
		t.Fatalf("the invitation led to %s, want its link page", page)
	}
	link := b.value("#link-url")
	if !strings.Contains(link, "/invite/") {
		t.Fatalf("link field holds %q", link)
	}

	// Focusing the field selects the whole link. (A headless tab has no
	// window focus of its own, so no focus events: emulate it.)
	b.do("give the tab focus", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetFocusEmulationEnabled, emulation.SetFocusEmulationEnabledParams{Enabled: true})
		return err
	}))
	b.do("focus the link", chromedp.Focus(chromedp.CSS("#link-url")))
	b.waitFor("the whole link selected", `(() => { const e = document.getElementById("link-url");
		return e.selectionStart === 0 && e.selectionEnd === e.value.length; })()`, 2*time.Second)

	// The Copy button shows, and copies.
	if !b.shown(`button[data-copy="link-url"]`) {
		t.Fatal("no Copy button with JavaScript on")
	}
	b.do("press Copy", chromedp.Click(chromedp.CSS(`button[data-copy="link-url"]`)))
	b.waitFor("the copy to be confirmed", `document.querySelector('[data-copy-status="link-url"]').textContent.startsWith("Copied")`, 3*time.Second)
	copied, err := chromedp.Run(b.Ctx, chromedp.Evaluate[string](`navigator.clipboard.readText()`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("read the clipboard: %v", err)
	}
	if copied != link {
		t.Errorf("clipboard holds %q, want the link %q", copied, link)
	}

	// Reloading shows the same link and makes no other.
	b.do("reload", chromedp.Reload())
	if got := b.value("#link-url"); got != link {
		t.Errorf("after reloading, the link is %q, want %q", got, link)
	}
	var links int
	if err := a.DB.Get(&links, `SELECT count(*) FROM access_tokens t JOIN users u ON u.id = t.user_id WHERE u.email = 'zoe.copy@test.example'`); err != nil || links != 1 {
		t.Errorf("links made = %d (%v), want 1", links, err)
	}

	// On the narrowest phone, the long link and its button fit.
	b.do("emulate a 320 px screen", chromedp.EmulateViewport(320, 640))
	b.open(page, http.StatusOK)
	b.expectNoSidewaysScroll(320)
	b.expectAccessible("link page at 320 px")

	// Without JavaScript: no button, the readonly field with the link.
	b.disableJavaScript()
	b.open(page, http.StatusOK)
	if b.shown(`button[data-copy="link-url"]`) {
		t.Error("a Copy button that cannot work shows without JavaScript")
	}
	readonly, err := chromedp.Run(b.Ctx, chromedp.Evaluate[bool](`document.getElementById("link-url").readOnly`))
	if err != nil || !readonly || b.value("#link-url") != link {
		t.Errorf("without JavaScript the field is readonly=%v with %q (%v), want the link", readonly, b.value("#link-url"), err)
	}
	b.expectNoSidewaysScroll(320)
	b.expectNoConsoleErrors()
}

// The assign form shows only the repeat fields that apply to the chosen
// schedule, with no JavaScript at all; what it assigns shows on the client
// page as one row for the series.
func TestAssignFormShowsOnlyTheRepeatFieldsThatApply(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	b := newTab(t, a.Listen(t))
	b.disableJavaScript()
	b.signIn(w.Therapist.Email, testkit.Password)
	b.open("/therapist/assign?client="+strconv.FormatInt(w.Client.ID, 10), http.StatusOK)

	expect := func(when string, want map[string]bool) {
		t.Helper()
		for sel, shown := range want {
			if got := b.shown(sel); got != shown {
				t.Errorf("%s: %s shown = %v, want %v", when, sel, got, shown)
			}
		}
	}
	expect("once", map[string]bool{"fieldset.repeat": false, "#interval_days": false, "#count": false, "#until": false, "#first_due": true})
	b.tick(`input[name="recurrence"][value="weekly"]`)
	expect("every week, a number of times", map[string]bool{"fieldset.repeat": true, "#interval_days": false, "#count": true, "#until": false})
	b.tick(`input[name="end"][value="until"]`)
	expect("every week, until a date", map[string]bool{"#interval_days": false, "#count": false, "#until": true})
	b.tick(`input[name="recurrence"][value="every_n_days"]`)
	expect("every few days, until a date", map[string]bool{"#interval_days": true, "#count": false, "#until": true})
	b.tick(`input[name="end"][value="count"]`)
	expect("every few days, a number of times", map[string]bool{"#interval_days": true, "#count": true, "#until": false})

	// Assign it: every 3 days, 4 times.
	b.do("choose the check-in", chromedp.SetValue(chromedp.CSS("#exercise"), strconv.FormatInt(checkInID(t, a), 10)))
	b.do("every 3 days, 4 times",
		chromedp.SetValue(chromedp.CSS("#interval_days"), "3"),
		chromedp.SetValue(chromedp.CSS("#count"), "4"),
	)
	b.pressAndLoad(`form.assign button[type="submit"]`, http.StatusOK)
	b.expectPage("/therapist/clients/"+strconv.FormatInt(w.Client.ID, 10), "Client · Trellis", w.Client.DisplayName)
	if rows := b.count("main table tbody tr"); rows != 1 {
		t.Errorf("client page lists %d rows for a series of 4, want 1", rows)
	}
	if got := b.text("main table tbody details summary"); !strings.HasPrefix(got, "Then 3 more, until ") {
		t.Errorf("the series row says %q, want the 3 later ones folded", got)
	}
	// Unfolded, each later one can be cancelled on its own.
	b.do("unfold the series", chromedp.Click(chromedp.CSS("main table tbody details summary")))
	if n := b.count(`main table tbody details form[action^="/therapist/assignments/"]`); n != 3 || !b.shown(`main table tbody details form button`) {
		t.Errorf("unfolded series has %d cancel buttons (shown: %v), want 3", n, b.shown(`main table tbody details form button`))
	}
}

// shown reports whether the first element sel matches takes up room on
// the page (not display: none, nor inside something that is).
func (b *tab) shown(sel string) bool {
	b.t.Helper()
	if b.count(sel) == 0 {
		b.t.Fatalf("no %s on %s", sel, b.location())
	}
	ok, err := chromedp.Run(b.Ctx, chromedp.Evaluate[bool](`document.querySelector(`+strconv.Quote(sel)+`).getClientRects().length > 0`))
	if err != nil {
		b.t.Fatalf("is %s shown: %v", sel, err)
	}
	return ok
}
