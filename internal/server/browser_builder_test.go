package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/trellis-app/trellis/internal/testkit"
)

// A therapist builds an exercise in the browser with JavaScript switched
// off, as the builder is meant to work: every button posts the whole form.
// They add a scale and a single-choice question, reorder them, preview the
// exercise as the client will see it, save it, and assign it weekly to a
// client. One step is done with the keyboard alone.
func TestTherapistBuildsPreviewsAndAssignsAnExerciseWeekly(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	base := a.Listen(t)
	b := newTab(t, base)
	b.disableJavaScript()

	const (
		title      = "Evening trust note · εμπιστοσύνη"
		intro      = "Take a quiet minute before bed to notice how trust felt today."
		textLabel  = "What happened today that touched on trust?"
		scaleLabel = "How much did you trust your partner today?"
		lowLabel   = "Not at all"
		highLabel  = "Completely"
		pickLabel  = "Where did you notice it most?"
	)
	options := []string{"At home", "At work", "With friends"}

	// Dashboard → library → builder.
	b.signIn(w.Therapist.Email, testkit.Password)
	b.expectPage("/therapist", "Dashboard · Trellis", "Dashboard")
	b.clickAndLoad(`main a.button[href="/therapist/exercises"]`, http.StatusOK)
	b.expectPage("/therapist/exercises", "Exercise library · Trellis", "Exercise library")
	b.clickAndLoad(`main a.button[href="/therapist/exercises/new"]`, http.StatusOK)
	b.expectPage("/therapist/exercises/new", "Exercise builder · Trellis", "Build a new exercise")
	b.expectNoScripts()
	if n := b.count("li.builder-field"); n != 1 {
		t.Fatalf("a new exercise starts with %d questions, want 1 to fill in", n)
	}

	// The texts, the first question, and a scale question.
	b.do("fill in the exercise and its first question",
		chromedp.SendKeys(chromedp.CSS("#title"), title),
		chromedp.SendKeys(chromedp.CSS("#intro"), intro),
		chromedp.SendKeys(chromedp.CSS(byName("f0.label")), textLabel),
		chromedp.SetValue(chromedp.CSS("#add_type"), "scale"),
	)
	b.pressAndLoad(`button[name="op"][value="add"]`, http.StatusOK)
	b.expectPage("/therapist/exercises/new", "Exercise builder · Trellis", "Build a new exercise")
	if got := b.text("#field-1 legend"); !strings.HasPrefix(got, "Question 2 · Scale") {
		t.Errorf("the added question is headed %q, want Question 2 · Scale", got)
	}
	// Adding a question posts the whole form: nothing typed is lost.
	b.expectValues(map[string]string{"#title": title, "#intro": intro, byName("f0.label"): textLabel})

	// Previewing with the new question's label still empty is refused,
	// with the reason beside the field and the form kept.
	b.pressAndLoad(`button[name="op"][value="preview"]`, http.StatusUnprocessableEntity)
	b.expectPage("/therapist/exercises/new", "Exercise builder · Trellis", "Build a new exercise")
	if got := b.text(`#error-summary a[href="#f1.label"]`); got != "Question 2: Enter the question." {
		t.Errorf("error summary entry for the scale's label = %q, want %q", got, "Question 2: Enter the question.")
	}
	if got := b.text(`[id="f1.label-error"]`); !strings.Contains(got, "Enter the question.") {
		t.Errorf("error beside the scale's label = %q", got)
	}
	if b.count(`[id="f1.label"][aria-invalid="true"][aria-describedby~="f1.label-error"]`) != 1 {
		t.Error("the scale's label input is not aria-invalid and described by its error")
	}
	if b.count("#preview") != 0 {
		t.Error("a refused preview still shows a preview")
	}
	b.expectValues(map[string]string{"#title": title, "#intro": intro, byName("f0.label"): textLabel})

	b.do("fill in the scale",
		chromedp.SendKeys(chromedp.CSS(byName("f1.label")), scaleLabel),
		chromedp.Clear(chromedp.CSS(byName("f1.min"))),
		chromedp.SendKeys(chromedp.CSS(byName("f1.min")), "0"),
		chromedp.Clear(chromedp.CSS(byName("f1.max"))),
		chromedp.SendKeys(chromedp.CSS(byName("f1.max")), "10"),
		chromedp.SendKeys(chromedp.CSS(byName("f1.min_label")), lowLabel),
		chromedp.SendKeys(chromedp.CSS(byName("f1.max_label")), highLabel),
		chromedp.SetValue(chromedp.CSS("#add_type"), "choice"),
	)
	b.tick(byName("f1.required"))
	b.tick(byName("f1.tracked"))

	// Add the single-choice question with the keyboard alone: focus the
	// button and press Enter.
	b.keyAndLoad(`button[name="op"][value="add"]`, "\r", http.StatusOK)
	b.expectPage("/therapist/exercises/new", "Exercise builder · Trellis", "Build a new exercise")
	if got := b.text("#field-2 legend"); !strings.HasPrefix(got, "Question 3 · Single choice") {
		t.Errorf("the question added by keyboard is headed %q, want Question 3 · Single choice", got)
	}
	b.do("fill in the single-choice question",
		chromedp.SendKeys(chromedp.CSS(byName("f2.label")), pickLabel),
		chromedp.SendKeys(chromedp.CSS(byName("f2.options")), strings.Join(options, "\n")),
	)
	if got := b.value(byName("f2.options")); got != strings.Join(options, "\n") {
		t.Errorf("options typed one per line read back as %q", got)
	}
	textKey, scaleKey, pickKey := b.value(byName("f0.key")), b.value(byName("f1.key")), b.value(byName("f2.key"))

	// Move the scale up to be the first question.
	b.pressAndLoad(`button[name="op"][value="up-1"]`, http.StatusOK)
	b.expectPage("/therapist/exercises/new", "Exercise builder · Trellis", "Build a new exercise")
	if got := b.text("#field-0 legend"); !strings.HasPrefix(got, "Question 1 · Scale") {
		t.Errorf("after moving the scale up, question 1 is %q", got)
	}
	b.expectValues(map[string]string{
		byName("f0.key"): scaleKey, byName("f0.label"): scaleLabel, byName("f0.min"): "0", byName("f0.max"): "10",
		byName("f0.min_label"): lowLabel, byName("f0.max_label"): highLabel,
		byName("f1.key"): textKey, byName("f1.label"): textLabel,
		byName("f2.key"): pickKey, byName("f2.label"): pickLabel, byName("f2.options"): strings.Join(options, "\n"),
	})
	if b.count(byName("f0.required")+":checked") != 1 || b.count(byName("f0.tracked")+":checked") != 1 {
		t.Error("the scale lost its ticks (must answer, track over time) when it moved")
	}

	// The preview shows the client's view, in the new order.
	b.pressAndLoad(`button[name="op"][value="preview"]`, http.StatusOK)
	b.expectPage("/therapist/exercises/new", "Exercise builder · Trellis", "Build a new exercise")
	if got := b.text("#preview h3"); got != title {
		t.Errorf("preview title = %q, want %q", got, title)
	}
	if got := b.text("#preview .intro"); got != intro {
		t.Errorf("preview introduction = %q, want %q", got, intro)
	}
	wantQuestions := []string{scaleLabel, textLabel + " (optional)", pickLabel + " (optional)"}
	if got := b.texts("#preview fieldset.field.answer > legend, #preview div.field.answer > label"); !slices.Equal(got, wantQuestions) {
		t.Errorf("preview questions = %q, want %q", got, wantQuestions)
	}
	scale := `#preview input[type="radio"][name="a.` + scaleKey + `"]`
	var steps []string
	for i := 0; i <= 10; i++ {
		steps = append(steps, strconv.Itoa(i))
	}
	if got := b.values(scale); !slices.Equal(got, steps) {
		t.Errorf("preview scale offers %q, want radio buttons %q", got, steps)
	}
	// The preview can be tried out, but never sent.
	if n := b.count(`#preview button:disabled`); n != 1 || b.count(`#preview button:enabled`) != 0 {
		t.Errorf("the preview's send button is not disabled (%d disabled)", n)
	}
	if got, want := b.text("#preview .scale-legend"), "0 = "+lowLabel+" · 10 = "+highLabel; got != want {
		t.Errorf("preview scale legend = %q, want %q", got, want)
	}
	if got := b.texts(`#preview [id="a.` + pickKey + `"] label.choice`); !slices.Equal(got, options) {
		t.Errorf("preview options = %q, want %q", got, options)
	}
	if n := b.count(`#preview input[type="radio"][name="a.` + pickKey + `"]`); n != len(options) {
		t.Errorf("preview has %d radio buttons for the single choice, want %d", n, len(options))
	}
	if b.count(`#preview textarea[name="a.`+textKey+`"]`) != 1 {
		t.Errorf("preview has no text box for %q", textLabel)
	}

	// Save: the exercise page, at version 1.
	b.pressAndLoad(`button[name="op"][value="save"]`, http.StatusOK)
	loc := b.location()
	exerciseID, err := strconv.ParseInt(strings.TrimPrefix(loc, base+"/therapist/exercises/"), 10, 64)
	if err != nil {
		t.Fatalf("after saving, at %s, want an exercise page", loc)
	}
	exercisePath := "/therapist/exercises/" + strconv.FormatInt(exerciseID, 10)
	b.expectPage(exercisePath, "Exercise · Trellis", title)
	if got := b.text("main .notice"); !strings.HasPrefix(got, "Exercise saved") {
		t.Errorf("notice after saving = %q, want it to say Exercise saved", got)
	}
	if got := b.text("main > p.muted"); !strings.Contains(got, "showing version 1") {
		t.Errorf("exercise page says %q, want version 1", got)
	}
	if got := b.texts("main .preview fieldset.field.answer > legend, main .preview div.field.answer > label"); !slices.Equal(got, wantQuestions) {
		t.Errorf("saved exercise shows questions %q, want %q", got, wantQuestions)
	}

	// Assign it weekly, four times, to one client.
	b.clickAndLoad(`main a.button[href="/therapist/assign?exercise=`+strconv.FormatInt(exerciseID, 10)+`"]`, http.StatusOK)
	b.expectPage("/therapist/assign?exercise="+strconv.FormatInt(exerciseID, 10), "Assign homework · Trellis", "Assign homework")
	b.expectNoScripts()
	if got := b.value("#exercise"); got != strconv.FormatInt(exerciseID, 10) {
		t.Errorf("assign form has exercise %q chosen, want the new one (%d)", got, exerciseID)
	}
	if got := b.evalStrings(`[...document.querySelectorAll(%s)].map(o => o.textContent)`, "#exercise option:checked"); len(got) != 1 || !strings.HasPrefix(got[0], title) {
		t.Errorf("assign form shows %q chosen, want %q", got, title)
	}
	first := time.Now().UTC().AddDate(0, 0, 10)
	client := strconv.FormatInt(w.Client.ID, 10)
	b.tick(`input[name="clients"][value="` + client + `"]`)
	b.tick(`input[name="recurrence"][value="weekly"]`)
	b.tick(`input[name="end"][value="count"]`)
	b.do("fill in the schedule",
		chromedp.Clear(chromedp.CSS("#count")),
		chromedp.SendKeys(chromedp.CSS("#count"), "4"),
		chromedp.SetValue(chromedp.CSS("#first_due"), first.Format(time.DateOnly)),
	)
	b.pressAndLoad(`form.assign button[type="submit"]`, http.StatusOK)
	b.expectPage("/therapist/clients/"+client, "Client · Trellis", w.Client.DisplayName)
	if got := b.text("main .notice"); got != "Homework assigned." {
		t.Errorf("notice after assigning = %q", got)
	}
	// The series is one row, its next occurrence, with the three after it
	// folded under it.
	rows := b.rows("main table tbody tr")
	if len(rows) != 1 {
		t.Fatalf("client page lists %d rows, want 1 for the series: %q", len(rows), rows)
	}
	last := first.AddDate(0, 0, 21).Format("2 Jan 2006")
	if r := rows[0]; len(r) < 4 || !strings.HasPrefix(r[0], title) || r[1] != first.Format("2 Jan 2006") || r[2] != "Open" ||
		r[3] != "Weekly\nThen 3 more, until "+last {
		t.Errorf("series row = %q, want %s due %s, Open, Weekly, then 3 more until %s", r, title, first.Format("2 Jan 2006"), last)
	}
	b.do("unfold the series", chromedp.Click(chromedp.CSS("main table tbody details summary")))
	later := b.texts("main table tbody details li")
	for i := range 3 {
		wantDue := first.AddDate(0, 0, 7*(i+1)).Format("2 Jan 2006")
		if i >= len(later) || !strings.HasPrefix(later[i], wantDue) {
			t.Errorf("folded occurrence %d = %q, want due %s", i+1, later, wantDue)
		}
	}

	// This test asked for one 422 page, the refused preview.
	b.expectNoConsoleErrors(
		"Failed to load resource: the server responded with a status of 422",
	)
}

// The builder's Preview and Save buttons stay in sight at the bottom of
// the screen while the form scrolls under them. A keyboard user tabbing
// through the form must still see where the focus is: no focused control
// may be hidden entirely behind those buttons (WCAG 2.2, 2.4.11 Focus Not
// Obscured).
func TestKeyboardFocusInTheBuilderIsNeverHidden(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	base := a.Listen(t)
	b := newTab(t, base)

	b.signIn(w.Therapist.Email, testkit.Password)
	b.open("/therapist/exercises/new", http.StatusOK)
	for _, typ := range []string{"scale", "choice"} {
		b.do("choose "+typ, chromedp.SetValue(chromedp.CSS("#add_type"), typ))
		b.pressAndLoad(`button[name="op"][value="add"]`, http.StatusOK)
	}
	if n := b.count("li.builder-field"); n != 3 {
		t.Fatalf("the builder has %d questions, want 3", n)
	}

	// Tab from the top of the page (the skip link) to the end of the form.
	b.do("focus the skip link", chromedp.Evaluate[chromedp.Void](`document.querySelector(".skip-link").focus()`))
	reached := map[string]bool{}
	for range 100 {
		b.do("press Tab", chromedp.KeyEvent("\t"))
		got, err := chromedp.Run(b.Ctx, chromedp.Evaluate[[]string](`(() => {
			const e = document.activeElement;
			if (!e || e === document.body) return ["", ""];
			const name = e.name ? e.name + (e.value && e.tagName === "BUTTON" ? "=" + e.value : "") : e.id || e.tagName.toLowerCase();
			// WCAG 2.4.11: the focused control is on screen and nothing is
			// drawn over it (hit-test its visible middle).
			const r = e.getBoundingClientRect();
			const top = Math.max(r.top, 0), bottom = Math.min(r.bottom, window.innerHeight);
			if (bottom - top < 1) return [name, "focused " + name + " is off screen (top " + Math.round(r.top) + ")"];
			const x = Math.min(Math.max(r.left + r.width / 2, 0), window.innerWidth - 1), y = (top + bottom) / 2;
			const hit = document.elementFromPoint(x, y);
			if (hit && (hit === e || e.contains(hit) || hit.contains(e) || (e.labels && [...e.labels].some(l => l.contains(hit))))) return [name, ""];
			return [name, "focused " + name + " is covered by " + (hit ? hit.tagName.toLowerCase() + "." + hit.className : "nothing") +
				" at (" + Math.round(x) + ", " + Math.round(y) + ") in a window " + window.innerHeight + " px high"];
		})()`))
		if err != nil {
			t.Fatal(err)
		}
		if got[0] == "" {
			break
		}
		reached[got[0]] = true
		if got[1] != "" {
			t.Error(got[1])
		}
	}
	// The walk went through the whole form, to its last button.
	for _, name := range []string{"title", "f0.label", "f1.label", "f2.options", "op=add", "op=save"} {
		if !reached[name] {
			t.Errorf("tabbing through the builder never reached %s", name)
		}
	}
}

// byName selects the element with that name attribute; builder names
// hold dots, which would need escaping in an id selector.
func byName(name string) string { return `[name="` + name + `"]` }

// disableJavaScript turns script execution off in the tab for the rest of
// the test, so every step goes the way a browser without scripts goes.
func (b *tab) disableJavaScript() {
	b.t.Helper()
	b.do("switch JavaScript off", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
		return err
	}))
	// Prove it: a page whose script would rename it keeps its name.
	b.do("load a page with a script", chromedp.Navigate(`data:text/html,<title>still</title><script>document.title = "ran"</script>`))
	if title, err := chromedp.Run(b.Ctx, chromedp.Title()); err != nil || title != "still" {
		b.t.Fatalf("JavaScript is still on: the test page's title is %q (%v)", title, err)
	}
}

// expectNoScripts fails when the page has any script element: its no-JS
// path must be its only path.
func (b *tab) expectNoScripts() {
	b.t.Helper()
	n, err := chromedp.Run(b.Ctx, chromedp.Evaluate[int](`document.scripts.length`))
	if err != nil {
		b.t.Fatal(err)
	}
	if n != 0 {
		b.t.Errorf("%s has %d script elements, want none", b.location(), n)
	}
}

// keyAndLoad focuses an element, presses keys on it and waits for the page
// that loads.
func (b *tab) keyAndLoad(sel, keys string, wantStatus int64) {
	b.t.Helper()
	resp, err := chromedp.RunResponse(b.Ctx, chromedp.Focus(chromedp.CSS(sel)), chromedp.KeyEvent(keys))
	if err != nil {
		b.t.Fatalf("press %q on %s: %v", keys, sel, err)
	}
	b.checkStatus(resp.URL, resp.Status, wantStatus)
}

// pressAndLoad scrolls a button into the middle of the screen, as a person
// does to see what they click, checks nothing covers it, clicks it and
// waits for the page it loads.
func (b *tab) pressAndLoad(sel string, wantStatus int64) {
	b.t.Helper()
	b.scrollToMiddle(sel)
	b.clickAndLoad(sel, wantStatus)
}

// tick clicks a checkbox or radio button the way pressAndLoad clicks a
// button, and checks it is then checked.
func (b *tab) tick(sel string) {
	b.t.Helper()
	b.scrollToMiddle(sel)
	b.do("click "+sel, chromedp.Click(chromedp.CSS(sel)))
	if b.count(sel+":checked") != 1 {
		b.t.Errorf("%s is not checked after clicking it", sel)
	}
}

// scrollToMiddle scrolls the element to the middle of the screen and fails
// when something else is drawn over its centre, where a click would land.
func (b *tab) scrollToMiddle(sel string) {
	b.t.Helper()
	q, err := json.Marshal(sel)
	if err != nil {
		b.t.Fatal(err)
	}
	cover, err := chromedp.Run(b.Ctx, chromedp.Evaluate[string](`(() => {
		const e = document.querySelector(`+string(q)+`);
		if (!e) return "missing";
		e.scrollIntoView({block: "center"});
		const r = e.getBoundingClientRect();
		const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
		if (hit && (e.contains(hit) || (hit.control === e))) return "";
		return hit ? hit.outerHTML.slice(0, 120) : "nothing";
	})()`))
	if err != nil {
		b.t.Fatalf("scroll to %s: %v", sel, err)
	}
	if cover != "" {
		b.t.Fatalf("%s on %s is covered at its centre by %s", sel, b.location(), cover)
	}
}

// expectValues checks the values of form controls, by selector.
func (b *tab) expectValues(want map[string]string) {
	b.t.Helper()
	for sel, v := range want {
		if got := b.value(sel); got != v {
			b.t.Errorf("%s = %q, want %q", sel, got, v)
		}
	}
}

// texts is the rendered text of every element sel matches, trimmed.
func (b *tab) texts(sel string) []string {
	b.t.Helper()
	return b.evalStrings(`[...document.querySelectorAll(%s)].map(e => e.innerText.trim())`, sel)
}

// values is the value of every form control sel matches.
func (b *tab) values(sel string) []string {
	b.t.Helper()
	return b.evalStrings(`[...document.querySelectorAll(%s)].map(e => e.value)`, sel)
}

// rows is the trimmed text of each cell of each row sel matches.
func (b *tab) rows(sel string) [][]string {
	b.t.Helper()
	q, err := json.Marshal(sel)
	if err != nil {
		b.t.Fatal(err)
	}
	out, err := chromedp.Run(b.Ctx, chromedp.Evaluate[[][]string](`[...document.querySelectorAll(`+string(q)+`)]
		.map(r => [...r.cells].map(c => c.innerText.trim()))`))
	if err != nil {
		b.t.Fatalf("read rows %s: %v", sel, err)
	}
	return out
}

func (b *tab) evalStrings(format, sel string) []string {
	b.t.Helper()
	q, err := json.Marshal(sel)
	if err != nil {
		b.t.Fatal(err)
	}
	out, err := chromedp.Run(b.Ctx, chromedp.Evaluate[[]string](strings.Replace(format, "%s", string(q), 1)))
	if err != nil {
		b.t.Fatalf("read %s: %v", sel, err)
	}
	return out
}
