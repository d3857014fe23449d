package server_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/trellis-app/trellis/internal/testkit"
)

// Two-step sign-in in a real browser: every page of it passes axe-core
// with no serious violation, fits a 320 px phone without sideways
// scrolling, needs no script (the QR code is a server-drawn image), and a
// refused code is shown beside its field with the field left empty.
func TestTwoStepSignInPagesAreAccessibleAt320px(t *testing.T) {
	a, w, clk := newMFAApp(t)
	b := newTab(t, a.Listen(t))
	b.do("emulate a 320 px screen", chromedp.EmulateViewport(320, 640))
	check := func(what string) {
		t.Helper()
		b.expectAccessible(what)
		b.expectNoSidewaysScroll(320)
		b.expectNoScripts()
	}

	b.signIn(w.Therapist.Email, testkit.Password)
	b.open("/account/mfa", http.StatusOK)
	check("two-step sign-in status, off")
	b.open("/account/mfa/setup", http.StatusOK)
	check("set-up page")
	loaded, err := chromedp.Run(b.Ctx, chromedp.Evaluate[bool](`(() => { const i = document.querySelector("img.qr"); return i.complete && i.naturalWidth === 240; })()`))
	if err != nil || !loaded {
		t.Fatalf("the QR code image did not load under the CSP (%v)", err)
	}
	secret := strings.ReplaceAll(b.text("code.secret"), " ", "")
	b.do("type a wrong code", chromedp.SendKeys(chromedp.CSS("#code"), "000000"))
	b.pressAndLoad(`main form button[type="submit"]`, http.StatusUnprocessableEntity)
	check("set-up page refusing a wrong code")
	if b.value("#code") != "" || b.text("#code-error") == "" {
		t.Errorf("refused code: value %q kept, error %q", b.value("#code"), b.text("#code-error"))
	}
	b.do("type the right code", chromedp.SendKeys(chromedp.CSS("#code"), clk.code(t, secret, 0)))
	b.pressAndLoad(`main form button[type="submit"]`, http.StatusOK)
	b.expectPage("/account/mfa/recovery-codes", "Your recovery codes · Trellis", "Your recovery codes")
	check("recovery codes")
	b.open("/account/mfa", http.StatusOK)
	check("two-step sign-in status, on, with the form to turn it off")
	b.pressAndLoad(`form[action="/account/mfa/off"] button[type="submit"]`, http.StatusUnprocessableEntity)
	check("turning it off refused without a code")
	b.signOut()

	clk.step(1)
	b.open("/signin", http.StatusOK)
	b.do("fill in the sign-in form",
		chromedp.SendKeys(chromedp.CSS("#email"), w.Therapist.Email),
		chromedp.SendKeys(chromedp.CSS("#password"), testkit.Password),
	)
	b.clickAndLoad(`form[action="/signin"] button[type="submit"]`, http.StatusOK)
	b.expectPage("/signin/code", "Your sign-in code · Trellis", "Your sign-in code")
	check("code step")
	b.do("type a wrong code", chromedp.SendKeys(chromedp.CSS("#code"), "123456"))
	b.pressAndLoad(`form[action="/signin/code"] button.primary`, http.StatusUnauthorized)
	check("code step refusing a wrong code")
	if b.value("#code") != "" || !strings.Contains(b.text("#code-error"), "not right") {
		t.Errorf("refused code: value %q kept, error %q", b.value("#code"), b.text("#code-error"))
	}
	b.do("open the recovery code form", chromedp.Click(chromedp.CSS("details.recovery summary")))
	check("code step with the recovery code form open")
	b.do("type the right code", chromedp.SendKeys(chromedp.CSS("#code"), clk.code(t, secret, 0)))
	b.pressAndLoad(`form[action="/signin/code"] button.primary`, http.StatusOK)
	b.expectPage("/therapist", "Dashboard · Trellis", "Dashboard")
	b.signOut()

	// The admin resets it: the confirm page, then the therapist's notice
	// and enrolment at their next sign-in.
	b.signIn(w.Admin.Email, testkit.Password)
	b.open("/admin/users/"+strconv.FormatInt(w.Therapist.ID, 10)+"/mfa-reset", http.StatusOK)
	check("admin's reset confirmation")
	b.pressAndLoad(`main form button[type="submit"]`, http.StatusOK)
	b.open("/admin/practice", http.StatusOK)
	b.do("leave the date empty", chromedp.SetValue(chromedp.CSS("#mfa_required_from"), ""))
	b.pressAndLoad(`form[action="/admin/practice/mfa"] button[type="submit"]`, http.StatusOK)
	check("practice settings with the requirement")
	b.signOut()

	b.open("/signin", http.StatusOK)
	b.do("fill in the sign-in form",
		chromedp.SendKeys(chromedp.CSS("#email"), w.Therapist.Email),
		chromedp.SendKeys(chromedp.CSS("#password"), testkit.Password),
	)
	b.clickAndLoad(`form[action="/signin"] button[type="submit"]`, http.StatusOK)
	b.expectPage("/signin/enrol", "Set up two-step sign-in · Trellis", "Set up two-step sign-in")
	check("enrolment at sign-in")
	secret = strings.ReplaceAll(b.text("code.secret"), " ", "")
	b.do("type the code", chromedp.SendKeys(chromedp.CSS("#code"), clk.code(t, secret, 0)))
	b.pressAndLoad(`main form button[type="submit"]`, http.StatusOK)
	b.pressAndLoad(`main a.button.primary`, http.StatusOK)
	b.expectPage("/account/notices", "Changes to your sign-in · Trellis", "Changes to your sign-in")
	check("notice of the reset")
	b.pressAndLoad(`main form button[type="submit"]`, http.StatusOK)
	b.expectPage("/therapist", "Dashboard · Trellis", "Dashboard")
}
