package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/trellis-app/trellis/internal/account"
	"github.com/trellis-app/trellis/internal/app"
	"github.com/trellis-app/trellis/internal/demo"
	"github.com/trellis-app/trellis/internal/testkit"
)

// A client joins the way a real one does: their therapist makes the invite
// link in the browser, the client opens it, gets a too-short password
// explained beside the field, sets a good one, which signs them in, and can
// sign out and in again.
func TestClientAcceptsInviteSetsPasswordSignsOutAndBackIn(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	base := a.Listen(t)
	b := newTab(t, base)

	const (
		name     = "Zoë Ελένη"
		email    = "zoe.eleni@test.example"
		password = "lantern orchard quietly hums"
	)

	// The therapist signs in and invites the client.
	b.signIn(w.Therapist.Email, testkit.Password)
	b.expectPage("/therapist", "Dashboard · Trellis", "Dashboard")
	b.clickAndLoad(`a[href="/therapist/clients/invite"]`, http.StatusOK)
	b.expectPage("/therapist/clients/invite", "Invite a client · Trellis", "Invite a client")
	b.do("fill in the invitation",
		chromedp.SendKeys(chromedp.CSS("#name"), name),
		chromedp.SendKeys(chromedp.CSS("#email"), email),
	)
	b.clickAndLoad(`main form button[type="submit"]`, http.StatusOK)
	linkPage := strings.TrimPrefix(b.location(), b.base)
	if !linkPageRe.MatchString(linkPage) {
		t.Fatalf("the invitation led to %s, want its link page (POST/redirect/GET)", linkPage)
	}
	b.expectPage(linkPage, "Link ready to pass on · Trellis", "Link ready to pass on")
	if got := b.text("main .card p"); !strings.Contains(got, "This invitation for "+name+" works once") {
		t.Errorf("link page says %q, want it to name the invitation for %s", got, name)
	}
	link, err := chromedp.Run(b.Ctx, chromedp.Value(chromedp.CSS("input#link-url")))
	if err != nil {
		t.Fatalf("read the invite link: %v", err)
	}
	// The link is built from TRELLIS_BASE_URL, which is not the test
	// listener's address: check its form, then follow its path here.
	wantPrefix := a.Config.BaseURL.String() + "/invite/"
	if !strings.HasPrefix(link, wantPrefix) || len(link) < len(wantPrefix)+20 {
		t.Fatalf("invite link = %q, want %s followed by a long token", link, wantPrefix)
	}
	u, err := url.Parse(link)
	if err != nil {
		t.Fatalf("parse invite link %q: %v", link, err)
	}
	invite := u.Path

	// The dashboard lists the invitation, apart from the caseload.
	b.clickAndLoad(`main a.button[href="/therapist"]`, http.StatusOK)
	b.expectPage("/therapist", "Dashboard · Trellis", "Dashboard")
	if got := b.text("main .invitations"); !strings.Contains(got, name) {
		t.Errorf("invitations = %q, want %s listed", got, name)
	}
	if got := b.text("main table tbody"); strings.Contains(got, name) {
		t.Errorf("caseload = %q lists %s before they joined", got, name)
	}
	b.signOut()

	// The client opens the link.
	b.open(invite, http.StatusOK)
	b.expectPage(invite, "Join Trellis · Trellis", "Join Trellis")
	if got := b.text("main .lede"); !strings.Contains(got, "Welcome, "+name+".") {
		t.Errorf("invite page greets with %q, want %q", got, "Welcome, "+name+".")
	}

	// A too-short password is refused, with the reason beside the field
	// and in the summary at the top.
	b.do("type a short password",
		chromedp.SendKeys(chromedp.CSS("#password"), "short pw"),
		chromedp.SendKeys(chromedp.CSS("#confirm"), "short pw"),
	)
	b.clickAndLoad(`main form button[type="submit"]`, http.StatusUnprocessableEntity)
	b.expectPage(invite, "Join Trellis · Trellis", "Join Trellis")
	const tooShort = "at least 12 characters"
	if got := b.text("#password-error"); !strings.Contains(got, tooShort) {
		t.Errorf("error beside the password field = %q, want it to say %q", got, tooShort)
	}
	beside, err := chromedp.Run(b.Ctx, chromedp.Evaluate[bool](`(() => {
		const input = document.getElementById("password"), msg = document.getElementById("password-error");
		return !!input && !!msg && input.closest(".field") === msg.closest(".field") &&
			input.getAttribute("aria-invalid") === "true" &&
			(input.getAttribute("aria-describedby") || "").split(/\s+/).includes("password-error");
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	if !beside {
		t.Error("the password error is not in the password field's block, or the input is not aria-invalid and described by it")
	}
	if got := b.text(`#error-summary a[href="#password"]`); !strings.Contains(got, tooShort) {
		t.Errorf("error summary entry for the password = %q, want it to say %q", got, tooShort)
	}
	if got := b.value("#password"); got != "" {
		t.Errorf("the refused password was echoed back into the field (%d characters)", len(got))
	}

	// A good password, typed twice, finishes joining.
	b.do("type a good password",
		chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.SendKeys(chromedp.CSS("#confirm"), password),
	)
	// Setting it signs the client in: no need to type the email again.
	b.clickAndLoad(`main form button[type="submit"]`, http.StatusOK)
	b.expectClientHome(name)
	if got := b.text("main .notice"); got != "Your password is set and you are signed in. Welcome to Trellis." {
		t.Errorf("notice = %q", got)
	}
	b.signOut()

	// The link worked once and is spent now.
	b.open(invite, http.StatusNotFound)
	if got := b.text("main .card"); !strings.Contains(got, "This link is not valid any more.") {
		t.Errorf("used invite link shows %q, want it to say the link is not valid any more", got)
	}

	// The client signs in with the new password and sees their home.
	b.signIn(email, password)
	b.expectClientHome(name)

	// Signing out ends the session on the server: home asks to sign in
	// again, and signing in there leads back home.
	b.signOut()
	b.open("/home", http.StatusOK)
	b.expectPage("/signin?next=%2Fhome", "Sign in · Trellis", "Sign in")
	b.fillSignIn(email, password)
	b.expectClientHome(name)

	// Chromium logs every document with an error status; this test asked
	// for one 422 and one 404 page. Anything else is a real error.
	b.expectNoConsoleErrors(
		"Failed to load resource: the server responded with a status of 422",
		"Failed to load resource: the server responded with a status of 404",
	)
}

// The pages a client sees first work on the narrowest common phone: no
// sideways scrolling at 320 CSS pixels.
func Test320PixelWideScreenNeedsNoSidewaysScrolling(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	base := a.Listen(t)
	b := newTab(t, base)
	b.do("emulate a 320 px screen", chromedp.EmulateViewport(320, 640))

	b.open("/signin", http.StatusOK)
	b.expectPage("/signin", "Sign in · Trellis", "Sign in")
	b.expectNoSidewaysScroll(320)

	// Ελένη Παπαδοπούλου: a long name in the largest heading.
	b.fillSignIn(w.Client.Email, testkit.Password)
	b.expectClientHome(w.Client.DisplayName)
	b.expectNoSidewaysScroll(320)

	b.expectNoConsoleErrors()
}

// TestScreenshots writes the README's screenshots of the demo practice. It
// is a generator, not a check, so it runs only when asked:
//
//	TRELLIS_SCREENSHOTS=$PWD/web/screenshots go test -run TestScreenshots ./internal/server/
//
// (go test runs in the package directory, so give an absolute path.)
func TestScreenshots(t *testing.T) {
	dir := os.Getenv("TRELLIS_SCREENSHOTS")
	if dir == "" {
		t.Skip("TRELLIS_SCREENSHOTS is not set: this test only generates the README screenshots, into the directory it names")
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		t.Fatalf("TRELLIS_SCREENSHOTS=%q is not a directory (%v)", dir, err)
	}
	a := testkit.NewApp(t)
	svc, err := app.NewServices(a.DB)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Accounts.SeedDemo(context.Background()); err != nil {
		t.Fatalf("seed the demo practice: %v", err)
	}
	if _, err := demo.Homework(context.Background(), a.DB, account.DemoPracticeName); err != nil {
		t.Fatalf("seed the demo homework: %v", err)
	}
	logins := map[string]account.DemoLogin{}
	for _, l := range account.DemoLogins {
		if _, seen := logins[string(l.Role)]; !seen {
			logins[string(l.Role)] = l
		}
	}
	base := a.Listen(t)
	b := newTab(t, base)

	shoot := func(file string) {
		t.Helper()
		png, err := chromedp.Run(b.Ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", file, err)
		}
		if err := os.WriteFile(filepath.Join(dir, file), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	b.open("/signin", http.StatusOK)
	shoot("signin.png")

	b.fillSignIn(logins["therapist"].Email, account.DemoPassword)
	b.expectPage("/therapist", "Dashboard · Trellis", "Dashboard")

	// Homework given through the assign form: the weekly check-in to three
	// clients, and a one-off exercise to one of them.
	builtin := func(key string) string {
		t.Helper()
		var id int64
		if err := a.DB.Get(&id, `SELECT id FROM exercises WHERE builtin_key = $1`, key); err != nil {
			t.Fatalf("find the built-in exercise %s: %v", key, err)
		}
		return strconv.FormatInt(id, 10)
	}
	checkIn := builtin("weekly-trust-check-in")
	b.open("/therapist/assign?exercise="+checkIn, http.StatusOK)
	for i := 1; i <= 3; i++ {
		b.tick(`#clients label.choice:nth-of-type(` + strconv.Itoa(i) + `) input`)
	}
	b.tick(`input[name="recurrence"][value="weekly"]`)
	b.pressAndLoad(`form.assign button[type="submit"]`, http.StatusOK)
	b.expectPage("/therapist", "Dashboard · Trellis", "Dashboard")
	b.open("/therapist/assign?exercise="+builtin("trust-thought-record"), http.StatusOK)
	b.tick(`#clients label.choice:nth-of-type(1) input`)
	b.pressAndLoad(`form.assign button[type="submit"]`, http.StatusOK)
	b.open("/therapist", http.StatusOK)
	shoot("dashboard.png")

	b.open("/therapist/exercises", http.StatusOK)
	shoot("library.png")

	// The builder with three questions and the preview below them.
	b.open("/therapist/exercises/new", http.StatusOK)
	b.do("fill in the exercise",
		chromedp.SendKeys(chromedp.CSS("#title"), "Evening trust note"),
		chromedp.SendKeys(chromedp.CSS("#purpose"), "A short daily note on trust, to talk over in session."),
		chromedp.SendKeys(chromedp.CSS("#intro"), "Take a quiet minute before bed to notice how trust felt today."),
		chromedp.SendKeys(chromedp.CSS(byName("f0.label")), "What happened today that touched on trust?"),
		chromedp.SetValue(chromedp.CSS("#add_type"), "scale"),
	)
	b.pressAndLoad(`button[name="op"][value="add"]`, http.StatusOK)
	b.do("fill in the scale",
		chromedp.SendKeys(chromedp.CSS(byName("f1.label")), "How much did you trust your partner today?"),
		chromedp.SendKeys(chromedp.CSS(byName("f1.min_label")), "Not at all"),
		chromedp.SendKeys(chromedp.CSS(byName("f1.max_label")), "Completely"),
		chromedp.SetValue(chromedp.CSS("#add_type"), "choice"),
	)
	b.tick(byName("f1.tracked"))
	b.pressAndLoad(`button[name="op"][value="add"]`, http.StatusOK)
	b.do("fill in the choice",
		chromedp.SendKeys(chromedp.CSS(byName("f2.label")), "Where did you notice it most?"),
		chromedp.SendKeys(chromedp.CSS(byName("f2.options")), "At home\nAt work\nWith friends"),
	)
	b.pressAndLoad(`button[name="op"][value="preview"]`, http.StatusOK)
	if b.count("#preview") != 1 {
		t.Fatalf("the builder shows no preview: %q", b.text("main"))
	}
	// Preview and Save stick to the bottom of the window; in a window as
	// tall as the page they sit where they belong, at the end of the form.
	height, err := chromedp.Run(b.Ctx, chromedp.Evaluate[int](`document.documentElement.scrollHeight`))
	if err != nil {
		t.Fatal(err)
	}
	b.do("make the window as tall as the builder", chromedp.EmulateViewport(1280, int64(height)))
	shoot("builder.png")
	b.do("restore the window", chromedp.ResetViewport())

	b.open("/therapist/exercises/"+checkIn, http.StatusOK)
	shoot("exercise-preview.png")

	// Progress, reports and the printed session report of the first
	// demo client, who has eight weeks of check-ins.
	var first int64
	if err := a.DB.Get(&first, `SELECT id FROM users WHERE email = $1`, logins["client"].Email); err != nil {
		t.Fatal(err)
	}
	client := "/therapist/clients/" + strconv.FormatInt(first, 10)
	b.open(client+"/progress", http.StatusOK)
	shoot("progress.png")
	b.open(client+"/reports", http.StatusOK)
	shoot("reports.png")
	b.open(client+"/session-report", http.StatusOK)
	shoot("session-report.png")
	b.signOut()

	b.fillSignIn(logins["admin"].Email, account.DemoPassword)
	b.expectPage("/admin/users", "People · Trellis", "People")
	shoot("admin-people.png")
	b.signOut()

	b.do("emulate a phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	b.fillSignIn(logins["client"].Email, account.DemoPassword)
	b.expectClientHome(logins["client"].Name)
	shoot("client-home-phone.png")

	// The client's weekly check-in, partly answered and saved as they go,
	// then sent.
	var work int64
	if err := a.DB.Get(&work, `SELECT a.id FROM assignments a
		JOIN users u ON u.id = a.client_id JOIN exercises e ON e.id = a.exercise_id
		WHERE u.email = $1 AND e.builtin_key = 'weekly-trust-check-in' AND a.status = 'open'
		ORDER BY a.due_on LIMIT 1`, logins["client"].Email); err != nil {
		t.Fatalf("find %s's weekly check-in: %v", logins["client"].Email, err)
	}
	page := assignmentPage(work)
	b.open(page, http.StatusOK)
	scales := map[string]int{"open_communication": 6, "respect": 7, "consistency": 4}
	for _, k := range checkInScaleKeys[:3] {
		b.chooseScaleBox(k, scales[k])
	}
	note := "We talked on Sunday without raising our voices. He kept his promise about Friday."
	b.do("write the note", chromedp.SendKeys(chromedp.CSS(byName("a.note")), note))
	b.waitForAutosave(a, work, checkInAnswers(scales, note))
	b.do("scroll to the top", chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`))
	shoot("client-work-phone.png")
	for k, n := range map[string]int{"empathy": 5, "forgiveness": 6, "overall": 7} {
		scales[k] = n
		b.chooseScaleBox(k, n)
	}
	b.pressAndLoad(`button[name="op"][value="send"]`, http.StatusOK)
	b.expectSentPage(work, scales, note)
	shoot("client-sent.png")
	b.open("/home/progress", http.StatusOK)
	shoot("client-progress-phone.png")
	b.open("/account/reminders", http.StatusOK)
	b.pressAndLoad(`main form[action="/account/calendar"] button[value="make"]`, http.StatusOK)
	shoot("client-reminders-phone.png")
	b.open("/stop/"+strings.Repeat("A", 43), http.StatusOK)
	shoot("stop-page-phone.png")
}

// tab is a browser tab on the running app, with the steps these tests
// take. Every step fails the test when the browser cannot do it.
type tab struct {
	*testkit.Browser
	t    *testing.T
	base string
}

func newTab(t *testing.T, base string) *tab {
	return &tab{Browser: testkit.NewBrowser(t), t: t, base: base}
}

// unexpectedConsoleErrors is the console errors so far, less one
// occurrence of each expected message.
func (b *tab) unexpectedConsoleErrors(expected ...string) []string {
	var out []string
	for _, e := range b.ConsoleErrors() {
		if i := slices.IndexFunc(expected, func(x string) bool { return strings.Contains(e, x) }); i >= 0 {
			expected = slices.Delete(expected, i, i+1)
			continue
		}
		out = append(out, e)
	}
	return out
}

// expectNoConsoleErrors fails the test on any console error so far other
// than one occurrence of each expected message.
func (b *tab) expectNoConsoleErrors(expected ...string) {
	b.t.Helper()
	if errs := b.unexpectedConsoleErrors(expected...); len(errs) > 0 {
		b.t.Errorf("console errors:\n%s", strings.Join(errs, "\n"))
	}
}

// signIn opens the sign-in page and signs in.
func (b *tab) signIn(email, password string) {
	b.t.Helper()
	b.open("/signin", http.StatusOK)
	b.fillSignIn(email, password)
}

// fillSignIn signs in on the sign-in page the tab shows now.
func (b *tab) fillSignIn(email, password string) {
	b.t.Helper()
	b.do("fill in the sign-in form",
		chromedp.WaitVisible(chromedp.CSS(`form[action="/signin"] #email`)),
		chromedp.SendKeys(chromedp.CSS("#email"), email),
		chromedp.SendKeys(chromedp.CSS("#password"), password),
	)
	b.clickAndLoad(`form[action="/signin"] button[type="submit"]`, http.StatusOK)
	if loc := b.location(); strings.Contains(loc, "/signin") {
		b.t.Fatalf("still on %s after signing in as %s: %q", loc, email, b.text("main"))
	}
}

// signOut presses Sign out in the navigation, a POST form.
func (b *tab) signOut() {
	b.t.Helper()
	b.clickAndLoad(`nav form[action="/signout"] button`, http.StatusOK)
	b.expectPage("/signin?signed_out=1", "Sign in · Trellis", "Sign in")
	if got := b.text("main .notice"); got != "You are signed out." {
		b.t.Errorf("after signing out, notice = %q", got)
	}
	if b.count(`form[action="/signout"]`) != 0 {
		b.t.Errorf("the Sign out button is still shown after signing out")
	}
}

// expectClientHome checks the client's home page, with their name and the
// crisis line every client page carries.
func (b *tab) expectClientHome(name string) {
	b.t.Helper()
	b.expectPage("/home", "Your homework · Trellis", "Hello, "+name)
	if got := b.text("aside.crisis-line"); !strings.Contains(got, "Need help now?") {
		b.t.Errorf("crisis line = %q", got)
	}
	if got := b.text("nav.site-nav"); !strings.Contains(got, "My homework") || !strings.Contains(got, "Sign out") {
		b.t.Errorf("client navigation = %q", got)
	}
}

// expectPage checks where the tab is and what the page is called.
func (b *tab) expectPage(wantPath, wantTitle, wantH1 string) {
	b.t.Helper()
	// Builder buttons land on a #fragment (the question they changed); the
	// page is the same.
	if got, _, _ := strings.Cut(b.location(), "#"); got != b.base+wantPath {
		b.t.Fatalf("at %s, want %s (page says %q)", got, b.base+wantPath, b.text("main"))
	}
	title, err := chromedp.Run(b.Ctx, chromedp.Title())
	if err != nil {
		b.t.Fatal(err)
	}
	if title != wantTitle {
		b.t.Errorf("title = %q, want %q", title, wantTitle)
	}
	if got := b.text("h1"); got != wantH1 {
		b.t.Errorf("h1 = %q, want %q", got, wantH1)
	}
}

// expectNoSidewaysScroll fails when the page is wider than the viewport,
// naming the elements that stick out.
func (b *tab) expectNoSidewaysScroll(width int) {
	b.t.Helper()
	inner, err := chromedp.Run(b.Ctx, chromedp.Evaluate[int](`window.innerWidth`))
	if err != nil {
		b.t.Fatal(err)
	}
	if inner != width {
		b.t.Fatalf("viewport is %d px wide, want %d", inner, width)
	}
	sw, err := chromedp.Run(b.Ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
	if err != nil {
		b.t.Fatal(err)
	}
	if sw <= width {
		return
	}
	wide, err := chromedp.Run(b.Ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("body *")]
		.filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)
		.slice(0, 10)
		.map(e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") +
			(typeof e.className === "string" && e.className.trim() ? "." + e.className.trim().split(/\s+/).join(".") : "") +
			" (right edge " + Math.round(e.getBoundingClientRect().right) + ")")`))
	if err != nil {
		b.t.Fatal(err)
	}
	b.t.Errorf("%s scrolls sideways: %d px of content in a %d px screen; too wide: %s",
		b.location(), sw, width, strings.Join(wide, ", "))
}

// open loads path and checks the status of the page it ends on.
func (b *tab) open(path string, wantStatus int64) {
	b.t.Helper()
	resp, err := chromedp.Run(b.Ctx, chromedp.NavigateResponse(b.base+path))
	if err != nil {
		b.t.Fatalf("open %s: %v", path, err)
	}
	b.checkStatus(resp.URL, resp.Status, wantStatus)
}

// clickAndLoad clicks an element that loads a new page, waits for that
// page and checks its status.
func (b *tab) clickAndLoad(sel string, wantStatus int64) {
	b.t.Helper()
	resp, err := chromedp.RunResponse(b.Ctx, chromedp.Click(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("click %s: %v", sel, err)
	}
	b.checkStatus(resp.URL, resp.Status, wantStatus)
}

func (b *tab) checkStatus(url string, got, want int64) {
	b.t.Helper()
	if got != want {
		b.t.Fatalf("%s answered %d, want %d; page says %q", url, got, want, b.text("main"))
	}
}

func (b *tab) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.Ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

func (b *tab) location() string {
	b.t.Helper()
	loc, err := chromedp.Run(b.Ctx, chromedp.Location())
	if err != nil {
		b.t.Fatal(err)
	}
	return loc
}

// text is the rendered text of the first element sel matches; a missing
// element fails the test instead of waiting for it.
func (b *tab) text(sel string) string {
	b.t.Helper()
	if b.count(sel) == 0 {
		b.t.Errorf("no %s on %s", sel, b.location())
		return ""
	}
	s, err := chromedp.Run(b.Ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("read %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

func (b *tab) value(sel string) string {
	b.t.Helper()
	v, err := chromedp.Run(b.Ctx, chromedp.Value(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("read %s: %v", sel, err)
	}
	return v
}

// count is how many elements sel matches now, without waiting.
func (b *tab) count(sel string) int {
	b.t.Helper()
	q, err := json.Marshal(sel)
	if err != nil {
		b.t.Fatal(err)
	}
	n, err := chromedp.Run(b.Ctx, chromedp.Evaluate[int](`document.querySelectorAll(`+string(q)+`).length`))
	if err != nil {
		b.t.Fatalf("count %s: %v", sel, err)
	}
	return n
}
