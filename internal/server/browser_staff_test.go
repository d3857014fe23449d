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
	if errs := b.unexpectedConsoleErrors(); len(errs) > 0 {
		t.Errorf("console errors:\n%s", strings.Join(errs, "\n"))
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
