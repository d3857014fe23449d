package server_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/trellis-app/trellis/internal/testkit"
)

// Every page a client can reach passes axe-core's WCAG 2.2 A and AA rules
// and best practices with no serious or critical violation, in each state
// it can be in: empty, refused with errors, sent, and on a 320 px phone.
// Clients may use screen readers, magnifiers or only a keyboard, and a
// barrier here stands between them and their homework.
func TestClientPagesHaveNoSeriousAccessibilityViolations(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)

	// The client's therapist gives two built-in exercises, due today, and
	// makes an invitation link and a reset link: real data on every page.
	therapist := a.Login(t, w.Therapist)
	checkIn := assignBuiltinToday(t, a, therapist, w.Client.ID, "weekly-trust-check-in", "")
	talk := assignBuiltinToday(t, a, therapist, w.Client.ID, "honest-conversation", "Take your time with this one — Ελένη.")
	r := makeLink(t, therapist, "/therapist/clients/invite", url.Values{"name": {"Zoë Ελένη"}, "email": {"zoe.eleni@test.example"}})
	invite, _ := linkFrom(t, r.Body.String())
	r = makeLink(t, therapist, "/therapist/clients/"+strconv.FormatInt(w.Client2.ID, 10)+"/reset", nil)
	reset, _ := linkFrom(t, r.Body.String())

	b := newTab(t, a.Listen(t))

	// Signed out: signing in, joining, resetting.
	b.open("/signin", http.StatusOK)
	b.expectAccessible("sign-in page")
	b.do("type a wrong password",
		chromedp.SendKeys(chromedp.CSS("#email"), w.Client.Email),
		chromedp.SendKeys(chromedp.CSS("#password"), "not my password at all"),
	)
	b.clickAndLoad(`form[action="/signin"] button[type="submit"]`, http.StatusUnauthorized)
	b.expectAccessible("sign-in page refusing a wrong password")

	b.open(invite, http.StatusOK)
	b.expectAccessible("invitation page")
	b.do("type a short password",
		chromedp.SendKeys(chromedp.CSS("#password"), "short pw"),
		chromedp.SendKeys(chromedp.CSS("#confirm"), "short pw"),
	)
	b.clickAndLoad(`main form button[type="submit"]`, http.StatusUnprocessableEntity)
	b.expectAccessible("invitation page refusing a short password")
	b.open(reset, http.StatusOK)
	b.expectAccessible("reset page")
	b.open("/invite/thisTokenNeverExisted0000000000000000000000", http.StatusNotFound)
	b.expectAccessible("spent or unknown link page")

	// Signed in as the client.
	b.signIn(w.Client.Email, testkit.Password)
	b.expectClientHome(w.Client.DisplayName)
	b.expectAccessible("home with homework due")
	b.open("/home/history", http.StatusOK)
	b.expectAccessible("history, nothing sent yet")

	for _, id := range []int64{checkIn, talk} {
		page := "/home/assignments/" + strconv.FormatInt(id, 10)
		b.open(page, http.StatusOK)
		b.expectAccessible("assignment form " + page)
		b.pressAndLoad(`button[name="op"][value="send"]`, http.StatusOK)
		if b.count("#error-summary") != 1 {
			t.Errorf("%s sent empty shows no error summary: %q", page, b.text("main"))
		}
		b.expectAccessible("assignment form " + page + " refusing an incomplete answer")
	}

	// The check-in, answered in full and sent.
	page := "/home/assignments/" + strconv.FormatInt(checkIn, 10)
	b.open(page, http.StatusOK)
	b.answerEverything()
	b.pressAndLoad(`button[name="op"][value="send"]`, http.StatusOK)
	if got := b.location(); got != b.base+page+"?sent=1" {
		t.Fatalf("after sending, at %s, want %s?sent=1; page says %q", got, page, b.text("main"))
	}
	b.expectAccessible("confirmation after sending " + page)
	b.open(page, http.StatusOK)
	if b.count("dl.sent-answers") != 1 {
		t.Errorf("%s after sending shows no sent answers: %q", page, b.text("main"))
	}
	b.expectAccessible("sent answers " + page)
	b.open(page+"?change=1", http.StatusOK)
	b.expectAccessible("changing sent answers " + page)
	b.open("/home", http.StatusOK)
	b.expectAccessible("home with something sent")
	b.open("/home/history", http.StatusOK)
	b.expectAccessible("history with something sent")
	if r := therapist.PostForm("/therapist/clients/"+strconv.FormatInt(w.Client.ID, 10)+"/sharing", url.Values{"shared": {"1"}}); r.Code != http.StatusSeeOther {
		t.Fatalf("share progress: %d", r.Code)
	}
	b.open("/home/progress", http.StatusOK)
	b.expectAccessible("my progress, with a check-in charted")

	b.open("/account/password", http.StatusOK)
	b.expectAccessible("change password page")
	b.pressAndLoad(`main form button[type="submit"]`, http.StatusUnprocessableEntity)
	b.expectAccessible("change password page refusing an empty form")
	b.open("/account/reminders", http.StatusOK)
	b.expectAccessible("reminders and calendar page")
	b.pressAndLoad(`main form[action="/account/calendar"] button[value="make"]`, http.StatusOK)
	b.expectAccessible("reminders page showing a new calendar address")
	b.open("/stop/"+strings.Repeat("A", 43), http.StatusOK)
	b.expectAccessible("the stop page a reminder links to")

	// The narrowest common phone: reflow must not hide or overlap anything.
	b.do("emulate a 320 px screen", chromedp.EmulateViewport(320, 640))
	b.open("/home", http.StatusOK)
	b.expectAccessible("home at 320 px")
	page = "/home/assignments/" + strconv.FormatInt(talk, 10)
	b.open(page, http.StatusOK)
	b.expectAccessible("assignment form " + page + " at 320 px")
	b.open("/home/progress", http.StatusOK)
	b.expectAccessible("my progress at 320 px")
	b.open("/account/reminders", http.StatusOK)
	b.expectAccessible("reminders page at 320 px")
	b.do("restore the screen", chromedp.ResetViewport())
}

// The staff pages a therapist and an admin use every day meet the same
// bar: no serious or critical axe-core violation.
func TestStaffPagesHaveNoSeriousAccessibilityViolations(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	therapist := a.Login(t, w.Therapist)
	checkIn := assignBuiltinToday(t, a, therapist, w.Client.ID, "weekly-trust-check-in", "")
	assignBuiltinToday(t, a, therapist, w.Client2.ID, "honest-conversation", "")
	var exercise, series int64
	if err := a.DB.Get(&exercise, `SELECT exercise_id FROM assignments WHERE id = $1`, checkIn); err != nil {
		t.Fatal(err)
	}
	if err := a.DB.Get(&series, `SELECT series_id FROM assignments WHERE id = $1`, checkIn); err != nil {
		t.Fatal(err)
	}

	// Moves proposed to and from Therapist: the dashboard shows one
	// waiting for their answer and one of their own clients.
	for _, m := range [][2]int64{{w.OtherClient.ID, w.Therapist.ID}, {w.Client2.ID, w.Therapist2.ID}} {
		if _, err := a.DB.Exec(`INSERT INTO client_transfers (practice_id, client_id, from_therapist_id, to_therapist_id, proposed_by)
			SELECT practice_id, id, therapist_id, $2, $3 FROM users WHERE id = $1`, m[0], m[1], w.Admin.ID); err != nil {
			t.Fatal(err)
		}
	}

	b := newTab(t, a.Listen(t))
	b.signIn(w.Therapist.Email, testkit.Password)
	b.expectPage("/therapist", "Dashboard · Trellis", "Dashboard")
	if b.count(".transfers-waiting form") != 2 || b.count(".transfer-pending") != 1 {
		t.Errorf("the dashboard does not show both moves: %q", b.text("main"))
	}
	b.expectAccessible("therapist dashboard with moves waiting")
	for _, path := range []string{
		"/therapist/exercises",
		"/therapist/exercises/" + strconv.FormatInt(exercise, 10),
		"/therapist/series/" + strconv.FormatInt(series, 10),
		"/therapist/clients/" + strconv.FormatInt(w.Client.ID, 10),
		"/therapist/clients/" + strconv.FormatInt(w.Client.ID, 10) + "/progress",
		"/therapist/clients/" + strconv.FormatInt(w.Client.ID, 10) + "/reports",
		"/therapist/clients/" + strconv.FormatInt(w.Client.ID, 10) + "/session-report",
	} {
		b.open(path, http.StatusOK)
		b.expectAccessible(path)
	}
	// The export form as a refused export shows it again (the same page).
	b.open("/therapist/clients/"+strconv.FormatInt(w.Client.ID, 10)+"/reports?from=31/01/2026", http.StatusUnprocessableEntity)
	b.expectAccessible("export form refusing a wrong date")

	b.open("/therapist/assign", http.StatusOK)
	b.expectAccessible("assign form")
	b.pressAndLoad(`form.assign button[type="submit"]`, http.StatusUnprocessableEntity)
	b.expectAccessible("assign form refusing an empty form")
	b.open("/therapist/clients/invite", http.StatusOK)
	b.pressAndLoad(`main form button[type="submit"]`, http.StatusUnprocessableEntity)
	b.expectAccessible("client invitation refusing an empty form")
	b.do("fill in the invitation",
		chromedp.SendKeys(chromedp.CSS("#name"), "Zoë Ελένη"),
		chromedp.SendKeys(chromedp.CSS("#email"), "zoe.eleni@test.example"),
	)
	b.pressAndLoad(`main form button[type="submit"]`, http.StatusOK)
	b.expectAccessible("invitation link ready")

	b.open("/therapist/exercises/new", http.StatusOK)
	b.expectAccessible("builder, new exercise")
	b.pressAndLoad(`button[name="op"][value="save"]`, http.StatusUnprocessableEntity)
	b.expectAccessible("builder refusing an empty exercise")
	b.do("fill in the exercise",
		chromedp.SendKeys(chromedp.CSS("#title"), "Evening trust note"),
		chromedp.SendKeys(chromedp.CSS("#purpose"), "A short daily note on trust."),
		chromedp.SendKeys(chromedp.CSS(byName("f0.label")), "What happened today that touched on trust?"),
		chromedp.SetValue(chromedp.CSS("#add_type"), "scale"),
	)
	b.pressAndLoad(`button[name="op"][value="add"]`, http.StatusOK)
	b.do("fill in the scale",
		chromedp.SendKeys(chromedp.CSS(byName("f1.label")), "How much did you trust your partner today?"),
		chromedp.SendKeys(chromedp.CSS(byName("f1.min_label")), "Not at all"),
		chromedp.SendKeys(chromedp.CSS(byName("f1.max_label")), "Completely"),
	)
	b.pressAndLoad(`button[name="op"][value="preview"]`, http.StatusOK)
	if b.count("#preview") != 1 {
		t.Fatalf("the builder shows no preview: %q", b.text("main"))
	}
	b.expectAccessible("builder with a preview")
	b.signOut()

	b.signIn(w.Admin.Email, testkit.Password)
	b.expectPage("/admin/users", "People · Trellis", "People")
	b.expectAccessible("admin people page")
	for _, path := range []string{
		"/admin/users/invite",
		"/admin/practice",
		"/admin/audit",
		"/admin/users/" + strconv.FormatInt(w.Client.ID, 10) + "/transfer",
		"/admin/users/" + strconv.FormatInt(w.Client2.ID, 10) + "/transfer", // a move waiting
		"/admin/users/" + strconv.FormatInt(w.Therapist.ID, 10) + "/disable",
	} {
		b.open(path, http.StatusOK)
		b.expectAccessible(path)
	}
	b.open("/admin/audit?from=not-a-date", http.StatusUnprocessableEntity)
	b.expectAccessible("audit log refusing a bad date")
}

// expectAccessible runs axe-core on the page the tab shows and fails the
// test for each serious or critical violation; milder ones, and what axe
// could not decide, are logged for a person to look at.
func (b *tab) expectAccessible(what string) {
	b.t.Helper()
	at := strings.TrimPrefix(b.location(), b.base)
	res := testkit.RunAxe(b.t, b.Ctx)
	for _, v := range res.Violations {
		if v.Serious() {
			b.t.Errorf("%s (%s): %s", what, at, v)
		} else {
			b.t.Logf("%s (%s), not failing: %s", what, at, v)
		}
	}
	for _, v := range res.Incomplete {
		b.t.Logf("%s (%s), axe-core could not decide, needs a look: %s", what, at, v)
	}
}

// answerEverything fills in every question of the exercise form on the
// page: text in text boxes, the first choice of each group, every box of a
// checklist.
func (b *tab) answerEverything() {
	b.t.Helper()
	n, err := chromedp.Run(b.Ctx, chromedp.Evaluate[int](`(() => {
		const form = document.querySelector("form.exercise-form");
		if (!form) return 0;
		let n = 0;
		for (const el of form.querySelectorAll("textarea, input[type=text]")) { el.value = "Something I noticed this week."; n++; }
		for (const el of form.querySelectorAll("input[type=date]")) { el.value = new Date().toISOString().slice(0, 10); n++; }
		for (const el of form.querySelectorAll("input[type=number]")) { el.value = "50"; n++; }
		const groups = new Set();
		for (const el of form.querySelectorAll("input[type=radio]")) {
			if (!groups.has(el.name)) { groups.add(el.name); el.checked = true; n++; }
		}
		for (const el of form.querySelectorAll("input[type=checkbox]")) { el.checked = true; n++; }
		return n;
	})()`))
	if err != nil {
		b.t.Fatalf("answer the exercise: %v", err)
	}
	if n == 0 {
		b.t.Fatalf("no exercise form to answer on %s", b.location())
	}
}

// assignBuiltinToday gives the built-in exercise key to the client, once,
// due today, through the assign form, and returns the assignment's id.
func assignBuiltinToday(t *testing.T, a *testkit.App, therapist *testkit.Session, clientID int64, key, note string) int64 {
	t.Helper()
	var exercise int64
	if err := a.DB.Get(&exercise, `SELECT id FROM exercises WHERE builtin_key = $1`, key); err != nil {
		t.Fatalf("find the built-in exercise %s: %v", key, err)
	}
	// The test practice's time zone is UTC.
	today := time.Now().UTC().Format(time.DateOnly)
	r := therapist.PostForm("/therapist/assign", url.Values{
		"exercise": {strconv.FormatInt(exercise, 10)}, "clients": {strconv.FormatInt(clientID, 10)},
		"recurrence": {"once"}, "first_due": {today}, "note": {note},
	})
	if r.Code != http.StatusSeeOther {
		t.Fatalf("assign %s = %d\n%s", key, r.Code, r.Body.String())
	}
	var id int64
	if err := a.DB.Get(&id, `SELECT id FROM assignments WHERE client_id = $1 AND exercise_id = $2 ORDER BY id DESC LIMIT 1`, clientID, exercise); err != nil {
		t.Fatalf("find the assignment of %s: %v", key, err)
	}
	return id
}
