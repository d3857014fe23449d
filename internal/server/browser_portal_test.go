package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/trellis-app/trellis/internal/account"
	"github.com/trellis-app/trellis/internal/app"
	"github.com/trellis-app/trellis/internal/demo"
	"github.com/trellis-app/trellis/internal/policy"
	"github.com/trellis-app/trellis/internal/server"
	"github.com/trellis-app/trellis/internal/testkit"
)

// The client's side of Trellis in a real browser: the weekly trust
// check-in answered, saved as it is typed, found again, sent once; with
// scripts off, with the keyboard alone, across an ended session, on a
// 320 px phone.

const checkInTitle = "Weekly trust check-in"

// checkInScaleKeys are the check-in's six 0–10 scales, in form order; its
// last question is the optional note, a.note.
var checkInScaleKeys = []string{"open_communication", "respect", "consistency", "empathy", "forgiveness", "overall"}

const checkInNoteLabel = "What is one thing that helped or hurt trust this week?"

// savedAtRe is what the save status says once a draft is on the server.
var savedAtRe = regexp.MustCompile(`^Saved [0-2][0-9]:[0-5][0-9]$`)

const signedOutKeptStatus = "You were signed out, but your text is kept."

// assignCheckInDueToday has w.Therapist give w.Client the built-in weekly
// trust check-in, once, due today, through the real assign form, and
// returns the assignment's id.
func assignCheckInDueToday(t *testing.T, a *testkit.App, w testkit.World) int64 {
	t.Helper()
	r := a.Login(t, w.Therapist).PostForm("/therapist/assign", url.Values{
		"exercise":   {strconv.FormatInt(checkInID(t, a), 10)},
		"clients":    {strconv.FormatInt(w.Client.ID, 10)},
		"recurrence": {"once"},
		"first_due":  {time.Now().UTC().Format(time.DateOnly)}, // the test practice's time zone is UTC
	})
	if r.Code != http.StatusSeeOther {
		t.Fatalf("assign the check-in: status %d\n%s", r.Code, r.Body.String())
	}
	var id int64
	if err := a.DB.Get(&id, `SELECT a.id FROM assignments a JOIN exercises e ON e.id = a.exercise_id
		WHERE a.client_id = $1 AND e.builtin_key = 'weekly-trust-check-in' AND a.status = 'open'`, w.Client.ID); err != nil {
		t.Fatalf("find the assigned check-in: %v", err)
	}
	return id
}

func assignmentPage(id int64) string { return "/home/assignments/" + strconv.FormatInt(id, 10) }

// checkInAnswers is what a client chose and wrote, as the server stores
// it: field key → values. Line breaks are compared as "\n" (a posted form
// sends CRLF, a script's request sends LF).
func checkInAnswers(scales map[string]int, note string) map[string][]string {
	out := map[string][]string{}
	for k, n := range scales {
		out[k] = []string{strconv.Itoa(n)}
	}
	if note != "" {
		out["note"] = []string{note}
	}
	return out
}

func sameAnswers(got, want map[string][]string) bool {
	return maps.EqualFunc(got, want, func(g, w []string) bool {
		return slices.EqualFunc(g, w, func(a, b string) bool { return strings.ReplaceAll(a, "\r\n", "\n") == b })
	})
}

// draftIn reads the client's draft of an assignment from the database.
func draftIn(t *testing.T, a *testkit.App, id int64) (answers map[string][]string, savedAt time.Time, ok bool) {
	t.Helper()
	var d struct {
		Answers []byte    `db:"answers"`
		SavedAt time.Time `db:"saved_at"`
	}
	err := a.DB.Get(&d, `SELECT answers, saved_at FROM drafts WHERE assignment_id = $1`, id)
	if err != nil {
		return nil, time.Time{}, false
	}
	if err := json.Unmarshal(d.Answers, &answers); err != nil {
		t.Fatalf("decode draft of %d: %v", id, err)
	}
	return answers, d.SavedAt, true
}

// expectOneSubmission checks that the assignment was stored as sent
// exactly once, with these answers, its six scales tracked once, and no
// draft left behind.
func expectOneSubmission(t *testing.T, a *testkit.App, id int64, want map[string][]string) {
	t.Helper()
	var subs []struct {
		Answers []byte `db:"answers"`
		Version int    `db:"version"`
	}
	if err := a.DB.Select(&subs, `SELECT answers, version FROM submissions WHERE assignment_id = $1`, id); err != nil {
		t.Fatal(err)
	}
	if len(subs) != 1 {
		t.Fatalf("assignment %d has %d submissions, want exactly 1", id, len(subs))
	}
	var got map[string][]string
	if err := json.Unmarshal(subs[0].Answers, &got); err != nil {
		t.Fatal(err)
	}
	if !sameAnswers(got, want) || subs[0].Version != 1 {
		t.Errorf("submission (version %d) stored %q, want version 1 with %q", subs[0].Version, got, want)
	}
	var tracked, drafts int
	var status string
	if err := a.DB.Get(&tracked, `SELECT count(*) FROM tracked_values v JOIN submissions s ON s.id = v.submission_id WHERE s.assignment_id = $1`, id); err != nil {
		t.Fatal(err)
	}
	if err := a.DB.Get(&drafts, `SELECT count(*) FROM drafts WHERE assignment_id = $1`, id); err != nil {
		t.Fatal(err)
	}
	if err := a.DB.Get(&status, `SELECT status FROM assignments WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	if tracked != len(checkInScaleKeys) || drafts != 0 || status != "submitted" {
		t.Errorf("after sending: %d tracked values (want %d), %d drafts left (want 0), status %q (want submitted)",
			tracked, len(checkInScaleKeys), drafts, status)
	}
}

// scaleBox selects the label of the number box n of a scale.
func scaleBox(key string, n int) string {
	return fmt.Sprintf(`label.scale-step:has(> input[name="a.%s"][value="%d"])`, key, n)
}

// chooseScaleBox clicks number box n of a scale where a person sees it:
// the box drawn by the label's span (the radio button is invisible).
func (b *tab) chooseScaleBox(key string, n int) {
	b.t.Helper()
	box := scaleBox(key, n)
	b.scrollToMiddle(box)
	b.do(fmt.Sprintf("click box %d of %s", n, key), chromedp.Click(chromedp.CSS(box+" > span")))
	if got := b.values(`input[name="a.` + key + `"]:checked`); !slices.Equal(got, []string{strconv.Itoa(n)}) {
		b.t.Errorf("after clicking box %d of %s, the scale has %q chosen", n, key, got)
	}
}

// expectCheckInAnswers checks the form shows these answers: the chosen
// box of each scale (and none on the others), and the note's text.
func (b *tab) expectCheckInAnswers(scales map[string]int, note string) {
	b.t.Helper()
	for _, key := range checkInScaleKeys {
		var want []string
		if n, ok := scales[key]; ok {
			want = []string{strconv.Itoa(n)}
		}
		if got := b.values(`input[name="a.` + key + `"]:checked`); !slices.Equal(got, want) {
			b.t.Errorf("%s has %q chosen, want %q", key, got, want)
		}
	}
	if got := b.value(byName("a.note")); got != note {
		b.t.Errorf("the note reads %q, want %q", got, note)
	}
}

// waitForAutosave waits up to 8 s until the save status says "Saved HH:MM"
// and the server holds exactly these answers as the draft, saved at that
// time of day on the practice's clock. It returns the status.
func (b *tab) waitForAutosave(a *testkit.App, id int64, want map[string][]string) string {
	b.t.Helper()
	var zone string
	if err := a.DB.Get(&zone, `SELECT p.time_zone FROM practices p JOIN users u ON u.practice_id = p.id
		JOIN assignments a ON a.client_id = u.id WHERE a.id = $1`, id); err != nil {
		b.t.Fatal(err)
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		b.t.Fatal(err)
	}
	deadline := time.Now().Add(8 * time.Second)
	for {
		status := b.text("#save-status")
		got, at, ok := draftIn(b.t, a, id)
		if ok && sameAnswers(got, want) && status == "Saved "+at.In(loc).Format("15:04") {
			return status
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("after 8 s the save status says %q and the server's draft (saved %v, found %v) is %q; want \"Saved HH:MM\" and %q",
				status, at, ok, got, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitForStatus waits up to 8 s until the save status starts with prefix.
func (b *tab) waitForStatus(prefix string) string {
	b.t.Helper()
	deadline := time.Now().Add(8 * time.Second)
	for {
		status := b.text("#save-status")
		if strings.HasPrefix(status, prefix) {
			return status
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("after 8 s the save status says %q, want it to start with %q", status, prefix)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitFor polls a script condition until it holds, across page loads
// (while a page loads, the condition cannot run and counts as false).
func (b *tab) waitFor(what, cond string, timeout time.Duration) {
	b.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, err := chromedp.Run(b.Ctx, chromedp.Evaluate[bool](cond))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("after %s, still waiting for %s (at %s, last error %v)", timeout, what, b.location(), err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// focusedControl names the focused element: "name=value" for a radio
// button or a button, its name or id otherwise, "" for none.
func (b *tab) focusedControl() string {
	b.t.Helper()
	got, err := chromedp.Run(b.Ctx, chromedp.Evaluate[string](`(() => {
		const e = document.activeElement;
		if (!e || e === document.body) return "";
		const name = e.name || e.id || e.tagName.toLowerCase();
		return (e.type === "radio" || e.tagName === "BUTTON") ? name + "=" + e.value : name;
	})()`))
	if err != nil {
		b.t.Fatal(err)
	}
	return got
}

// press sends keys to whatever has the focus.
func (b *tab) press(what, keys string) {
	b.t.Helper()
	b.do(what, chromedp.KeyEvent(keys))
}

// countRequests counts the requests the tab sends with this method to
// exactly this URL, from now on.
func (b *tab) countRequests(method, u string) func() int {
	b.t.Helper()
	var mu sync.Mutex
	n := 0
	if err := chromedp.Listen(b.Ctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok && e.Request.Method == method && e.Request.URL == u {
			mu.Lock()
			n++
			mu.Unlock()
		}
	}); err != nil {
		b.t.Fatal(err)
	}
	return func() int {
		mu.Lock()
		defer mu.Unlock()
		return n
	}
}

// shortAutosavePause stands in for autosave's two seconds where a test
// would wait them out: TestClientFillsInTheWeeklyCheckInWithAutosave shows
// autosave.js waits the pause the server gives it, and
// TestWorkPageGivesAutosaveThePause that the server's own is two seconds.
const shortAutosavePause = 200 * time.Millisecond

// newAppWithShortAutosave is testkit.NewApp with shortAutosavePause.
func newAppWithShortAutosave(t *testing.T) *testkit.App {
	t.Helper()
	return testkit.NewAppWith(t, func(d *server.Deps) { d.AutosavePause = shortAutosavePause })
}

// recordTimers makes every page the tab opens from now on note the delay
// of each timer it sets, before the page's own scripts run; the returned
// function reads the current page's delays, in milliseconds.
func (b *tab) recordTimers() func() []int64 {
	b.t.Helper()
	b.do("record timers", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: `
			window.timerDelays = [];
			(function (setTimeout) {
				window.setTimeout = function (f, ms) { window.timerDelays.push(ms); return setTimeout.apply(window, arguments); };
			})(window.setTimeout);`})
		return err
	}))
	return func() []int64 {
		b.t.Helper()
		d, err := chromedp.Run(b.Ctx, chromedp.Evaluate[[]int64](`window.timerDelays`))
		if err != nil {
			b.t.Fatalf("read the page's timers: %v", err)
		}
		return d
	}
}

// expectSentPage checks the confirmation after sending: the thanks, and
// the answers read-only, in the form's order, with no form left to send.
func (b *tab) expectSentPage(id int64, scales map[string]int, note string) {
	b.t.Helper()
	b.expectPage(assignmentPage(id)+"?sent=1", "What you sent · Trellis", checkInTitle)
	if got := b.text(".confirmation h2"); got != "Sent. Thank you." {
		b.t.Errorf("confirmation heading = %q, want %q", got, "Sent. Thank you.")
	}
	var want []string
	for _, k := range checkInScaleKeys {
		want = append(want, strconv.Itoa(scales[k])+" out of 10")
	}
	want = append(want, note)
	if got := b.texts("dl.sent-answers > dd"); !slices.Equal(got, want) {
		b.t.Errorf("sent answers read %q, want %q", got, want)
	}
	if got := b.texts("dl.sent-answers > dt"); len(got) != 7 || got[6] != checkInNoteLabel {
		b.t.Errorf("sent answers are headed %q, want 7 questions ending with %q", got, checkInNoteLabel)
	}
	if n := b.count("form.exercise-form, main input, main textarea"); n != 0 {
		b.t.Errorf("the confirmation still shows %d form elements, want the answers read-only", n)
	}
	if b.count(`main a.button[href="`+assignmentPage(id)+`?change=1"]`) != 1 {
		b.t.Error("the confirmation offers no way to change the answers")
	}
}

// heldAnswer holds the browser's first POST at the response stage: the
// server has answered it, the browser has not seen the answer yet.
type heldAnswer struct {
	b      *tab
	held   chan fetch.RequestID
	done   chan struct{}
	once   sync.Once
	wg     sync.WaitGroup
	paused chan *fetch.EventRequestPaused
}

// holdFirstPostAnswer intercepts documents (the Fetch domain) until stop:
// the answer to the first POST is held until stop, every other request
// goes on at once.
func (b *tab) holdFirstPostAnswer() *heldAnswer {
	b.t.Helper()
	h := &heldAnswer{b: b, held: make(chan fetch.RequestID, 1), done: make(chan struct{}), paused: make(chan *fetch.EventRequestPaused, 64)}
	if err := chromedp.Listen(b.Ctx, func(ev any) {
		if e, ok := ev.(*fetch.EventRequestPaused); ok {
			select {
			case h.paused <- e:
			default:
			}
		}
	}); err != nil {
		b.t.Fatal(err)
	}
	proceed := func(id fetch.RequestID) {
		// A request the browser has since cancelled cannot go on: fine.
		_ = chromedp.Do(b.Ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := cdp.Call(ctx, t, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: id})
			return err
		}))
	}
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		holding := true
		var first fetch.RequestID
		for {
			select {
			case e := <-h.paused:
				if holding && e.Request.Method == http.MethodPost {
					holding = false
					first = e.RequestID
					h.held <- first
					continue
				}
				proceed(e.RequestID)
			case <-h.done:
				if first != "" {
					proceed(first)
				}
				return
			}
		}
	}()
	// A test that fails before stop still lets the goroutine end.
	b.t.Cleanup(func() { h.once.Do(func() { close(h.done) }) })
	b.do("intercept documents", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{
			{URLPattern: "*", ResourceType: network.ResourceTypeDocument, RequestStage: fetch.RequestStageResponse},
		}})
		return err
	}))
	return h
}

// waitHeld waits until the first POST's answer is held.
func (h *heldAnswer) waitHeld(t *testing.T) {
	t.Helper()
	select {
	case <-h.held:
	case <-time.After(10 * time.Second):
		t.Fatal("no POST answer was held within 10 s")
	}
}

// stop lets the held answer go and ends the interception.
func (h *heldAnswer) stop(t *testing.T) {
	t.Helper()
	h.once.Do(func() { close(h.done) })
	h.wg.Wait()
	if err := chromedp.Do(h.b.Ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, fetch.Disable, cdp.Empty{})
		return err
	})); err != nil {
		t.Fatal(err)
	}
}

// withoutConsoleErrors drops every console error that contains one of
// the fragments (an expected status that may occur any number of times).
func withoutConsoleErrors(errs []string, fragments ...string) []string {
	return slices.DeleteFunc(errs, func(e string) bool {
		return slices.ContainsFunc(fragments, func(f string) bool { return strings.Contains(e, f) })
	})
}

// A client finds this week's check-in on their home page, chooses numbers
// by tapping the boxes, writes a note and sees it saved on the server as
// they go; the draft is there when they come back to it; sending shows a
// thank-you and what they sent, stored once.
func TestClientFillsInTheWeeklyCheckInWithAutosave(t *testing.T) {
	a := newAppWithShortAutosave(t)
	w := a.Seed(t)
	base := a.Listen(t)
	id := assignCheckInDueToday(t, a, w)
	page := assignmentPage(id)
	b := newTab(t, base)
	timers := b.recordTimers()

	b.signIn(w.Client.Email, testkit.Password)
	b.expectClientHome(w.Client.DisplayName)
	item := `section[aria-labelledby="week-title"] li:has(a[href="` + page + `"])`
	if got := b.text(item + " h3"); got != checkInTitle {
		t.Errorf("Due in the next 7 days lists %q, want %q", got, checkInTitle)
	}
	b.clickAndLoad(item+" a", http.StatusOK)
	b.expectPage(page, "Your homework · Trellis", checkInTitle)
	b.expectCheckInAnswers(nil, "")
	if got := b.text("#save-status"); got != "" {
		t.Errorf("a form never saved says %q", got)
	}

	// Three numbers chosen by tapping their boxes; the chosen box looks
	// chosen, not only to a screen reader.
	scales := map[string]int{"open_communication": 6, "respect": 8, "consistency": 4}
	for _, k := range checkInScaleKeys[:3] {
		b.chooseScaleBox(k, scales[k])
	}
	looks, err := chromedp.Run(b.Ctx, chromedp.Evaluate[[]string](`[`+
		`getComputedStyle(document.querySelector('input[name="a.respect"][value="8"] + span')).backgroundColor,`+
		`getComputedStyle(document.querySelector('input[name="a.respect"][value="7"] + span')).backgroundColor]`))
	if err != nil {
		t.Fatal(err)
	}
	if looks[0] == looks[1] {
		t.Errorf("the chosen box looks like the others (background %s)", looks[0])
	}

	note := "Ελένη: on Sunday we talked about money without shouting.\nHe kept his promise about Friday."
	b.do("write the note", chromedp.SendKeys(chromedp.CSS(byName("a.note")), note))
	saved := b.waitForAutosave(a, id, checkInAnswers(scales, note))
	// It saved after the pause the server gave it, not a pause of its own:
	// what lets the test without JavaScript wait the short pause only.
	if d := timers(); !slices.Contains(d, shortAutosavePause.Milliseconds()) || slices.Contains(d, server.DefaultAutosavePause.Milliseconds()) {
		t.Errorf("the page set timers of %v ms, want autosave's %d ms from the server and none of the default %d",
			slices.Compact(slices.Sorted(slices.Values(d))), shortAutosavePause.Milliseconds(), server.DefaultAutosavePause.Milliseconds())
	}

	// Back home, the check-in says a draft is saved; opened again (a new
	// page load: Chrome's own reload would restore the typed values
	// itself and hide a server that lost them), every answer is there.
	b.clickAndLoad(`main a[href="/home"]`, http.StatusOK)
	b.expectClientHome(w.Client.DisplayName)
	if got := b.text(item + " .badge"); got != "Draft saved" {
		t.Errorf("home shows %q beside the check-in, want Draft saved", got)
	}
	b.clickAndLoad(item+" a", http.StatusOK)
	b.expectPage(page, "Your homework · Trellis", checkInTitle)
	b.expectCheckInAnswers(scales, note)
	if got := b.text("#save-status"); got != saved {
		t.Errorf("the reopened form says %q, want %q", got, saved)
	}

	// The rest, and send.
	for k, n := range map[string]int{"empathy": 5, "forgiveness": 3, "overall": 7} {
		scales[k] = n
		b.chooseScaleBox(k, n)
	}
	b.pressAndLoad(`button[name="op"][value="send"]`, http.StatusOK)
	b.expectSentPage(id, scales, note)
	expectOneSubmission(t, a, id, checkInAnswers(scales, note))

	b.clickAndLoad(`main a[href="/home"]`, http.StatusOK)
	if got := b.text(`section[aria-labelledby="week-title"]`); !strings.Contains(got, "Nothing due in the next 7 days.") {
		t.Errorf("after sending, Due in the next 7 days shows %q", got)
	}
	if got := b.text(`section[aria-labelledby="sent-title"] a[href="` + page + `"]`); got != checkInTitle {
		t.Errorf("What you sent lists %q, want the check-in", got)
	}

	b.expectNoConsoleErrors()
}

// The whole check-in with the keyboard alone: Tab into each scale, arrow
// keys to choose (Space for the first box), type the note, Tab to Send and
// press Enter. The focused box is visibly marked.
func TestClientAnswersTheCheckInWithTheKeyboardAlone(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	base := a.Listen(t)
	id := assignCheckInDueToday(t, a, w)
	page := assignmentPage(id)
	b := newTab(t, base)

	b.signIn(w.Client.Email, testkit.Password)
	b.open(page, http.StatusOK)
	b.expectPage(page, "Your homework · Trellis", checkInTitle)

	// From the top of the page to the first scale.
	b.do("focus the skip link", chromedp.Evaluate[chromedp.Void](`document.querySelector(".skip-link").focus()`))
	var path []string
	for len(path) < 30 {
		b.press("press Tab", kb.Tab)
		path = append(path, b.focusedControl())
		if path[len(path)-1] == "a.open_communication=0" {
			break
		}
	}
	if got := path[len(path)-1]; got != "a.open_communication=0" {
		t.Fatalf("tabbing from the top never reached the first scale; focus went %q", path)
	}

	scales := map[string]int{"open_communication": 6, "respect": 0, "consistency": 3, "empathy": 10, "forgiveness": 2, "overall": 8}
	for _, key := range checkInScaleKeys {
		if got := b.focusedControl(); got != "a."+key+"=0" {
			t.Fatalf("focus is on %q, want the first box of %s", got, key)
		}
		switch n := scales[key]; {
		case n == 0:
			b.press("press Space", " ")
		case key == "overall":
			// One too far, then back: arrows move the choice both ways.
			for range n + 1 {
				b.press("press →", kb.ArrowRight)
			}
			b.press("press ←", kb.ArrowLeft)
		default:
			for range n {
				b.press("press →", kb.ArrowRight)
			}
		}
		want := "a." + key + "=" + strconv.Itoa(scales[key])
		if got := b.focusedControl(); got != want {
			t.Errorf("after the keys, focus is on %q, want %q", got, want)
		}
		if got := b.values(`input[name="a.` + key + `"]:checked`); !slices.Equal(got, []string{strconv.Itoa(scales[key])}) {
			t.Errorf("%s has %q chosen by keyboard, want %d", key, got, scales[key])
		}
		outline, err := chromedp.Run(b.Ctx, chromedp.Evaluate[string](`getComputedStyle(document.activeElement.nextElementSibling).outlineStyle`))
		if err != nil {
			t.Fatal(err)
		}
		if outline == "none" || outline == "" {
			t.Errorf("the focused box of %s has no visible focus outline", key)
		}
		b.press("press Tab", kb.Tab)
	}
	if got := b.focusedControl(); got != "a.note" {
		t.Fatalf("after the last scale, Tab went to %q, want the note", got)
	}
	note := "Typed without a mouse. Ευχαριστώ."
	b.press("type the note", note)
	b.press("press Tab", kb.Tab)
	if got := b.focusedControl(); got != "op=send" {
		t.Fatalf("after the note, Tab went to %q, want the Send button", got)
	}
	resp, err := chromedp.RunResponse(b.Ctx, chromedp.KeyEvent(kb.Enter))
	if err != nil {
		t.Fatalf("press Enter on Send: %v", err)
	}
	b.checkStatus(resp.URL, resp.Status, http.StatusOK)
	b.expectSentPage(id, scales, note)
	expectOneSubmission(t, a, id, checkInAnswers(scales, note))

	b.expectNoConsoleErrors()
}

// Without JavaScript nothing saves on its own, but "Save and finish later"
// keeps every answer on the server; a send with answers missing is refused
// with the reasons and nothing lost; the full send works.
func TestClientWithoutJavaScriptSavesAndSendsTheCheckIn(t *testing.T) {
	a := newAppWithShortAutosave(t)
	w := a.Seed(t)
	base := a.Listen(t)
	id := assignCheckInDueToday(t, a, w)
	page := assignmentPage(id)
	b := newTab(t, base)
	autosaves := b.countRequests(http.MethodPost, base+page+"/draft")
	b.disableJavaScript()

	b.signIn(w.Client.Email, testkit.Password)
	b.expectClientHome(w.Client.DisplayName)
	b.clickAndLoad(`section[aria-labelledby="week-title"] a[href="`+page+`"]`, http.StatusOK)
	b.expectPage(page, "Your homework · Trellis", checkInTitle)

	scales := map[string]int{"open_communication": 2, "respect": 5, "consistency": 9}
	for _, k := range checkInScaleKeys[:3] {
		b.chooseScaleBox(k, scales[k])
	}
	note := "Written with scripts off.\nSecond line — Ελένη."
	b.do("write the note", chromedp.SendKeys(chromedp.CSS(byName("a.note")), note))
	time.Sleep(5 * shortAutosavePause) // well past autosave's pause: it must not run
	if n := autosaves(); n != 0 {
		t.Errorf("with JavaScript off, %d autosave requests were sent", n)
	}
	if _, _, ok := draftIn(t, a, id); ok {
		t.Error("a draft was saved before the client pressed Save")
	}

	b.pressAndLoad(`button[name="op"][value="draft"]`, http.StatusOK)
	b.expectPage(page, "Your homework · Trellis", checkInTitle)
	if got := b.text("main > p.notice"); !strings.HasPrefix(got, "Saved.") {
		t.Errorf("after Save and finish later, the notice says %q, want it to start with Saved.", got)
	}
	if got := b.text("#save-status"); !savedAtRe.MatchString(got) {
		t.Errorf("after saving, the status says %q, want Saved HH:MM", got)
	}
	b.expectCheckInAnswers(scales, note)
	got, _, ok := draftIn(t, a, id)
	if !ok || !sameAnswers(got, checkInAnswers(scales, note)) {
		t.Errorf("the server's draft is %q (found %v), want %q", got, ok, checkInAnswers(scales, note))
	}

	// Opened again: still there.
	b.open(page, http.StatusOK)
	b.expectCheckInAnswers(scales, note)

	// Sent with three scales unanswered: refused, back at the form by a
	// GET, each reason beside its scale and listed at the top by question,
	// the summary focused (no script needed), every answer kept, nothing
	// stored.
	b.pressAndLoad(`button[name="op"][value="send"]`, http.StatusOK)
	b.expectPage(page+"?check=1", "Your homework · Trellis", checkInTitle)
	if got := b.text("#error-summary"); !strings.Contains(got, "Everything you wrote is still here.") {
		t.Errorf("error summary = %q", got)
	}
	if got := b.focusedControl(); got != "error-summary" {
		t.Errorf("after the refused send, focus is on %q, want the error summary", got)
	}
	for _, k := range checkInScaleKeys[3:] {
		label := b.text(`fieldset[id="a.` + k + `"] > legend`)
		if got := b.text(`#error-summary a[href="#a.` + k + `"]`); got != label+" Please choose an answer here." {
			t.Errorf("error summary entry for %s = %q, want the question %q and what to do", k, got, label)
		}
		if got := b.text(`[id="a.` + k + `-error"]`); !strings.Contains(got, "Please choose an answer here.") {
			t.Errorf("error beside %s = %q", k, got)
		}
		if b.count(`fieldset[id="a.`+k+`"][aria-describedby~="a.`+k+`-error"]`) != 1 {
			t.Errorf("the %s scale is not described by its error", k)
		}
	}
	b.expectCheckInAnswers(scales, note)
	var sent int
	if err := a.DB.Get(&sent, `SELECT count(*) FROM submissions WHERE assignment_id = $1`, id); err != nil || sent != 0 {
		t.Errorf("a refused send stored %d submissions (%v)", sent, err)
	}

	for k, n := range map[string]int{"empathy": 6, "forgiveness": 7, "overall": 5} {
		scales[k] = n
		b.chooseScaleBox(k, n)
	}
	b.pressAndLoad(`button[name="op"][value="send"]`, http.StatusOK)
	b.expectSentPage(id, scales, note)
	expectOneSubmission(t, a, id, checkInAnswers(scales, note))
	if n := autosaves(); n != 0 {
		t.Errorf("with JavaScript off, %d autosave requests were sent", n)
	}

	b.expectNoConsoleErrors()
}

// After a refused send, Back and Reload never post the answers again (no
// "Confirm form resubmission"): the refused send was answered with a
// redirect to the form, which shows the words as they were posted, from
// the server's draft, with the reasons.
func TestBackAndReloadAfterARefusedSendDoNotPostAgain(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	base := a.Listen(t)
	id := assignCheckInDueToday(t, a, w)
	page := assignmentPage(id)
	b := newTab(t, base)

	b.signIn(w.Client.Email, testkit.Password)
	b.open(page, http.StatusOK)
	scales := map[string]int{"open_communication": 4, "respect": 6}
	for _, k := range checkInScaleKeys[:2] {
		b.chooseScaleBox(k, scales[k])
	}
	note := "Sent too soon, with four scales still to answer."
	b.do("write the note", chromedp.SendKeys(chromedp.CSS(byName("a.note")), note))
	b.pressAndLoad(`button[name="op"][value="send"]`, http.StatusOK)
	b.expectPage(page+"?check=1", "Your homework · Trellis", checkInTitle)
	if n := b.count("#error-summary li"); n != 4 {
		t.Errorf("the refused send lists %d problems, want 4", n)
	}
	if got := b.focusedControl(); got != "error-summary" {
		t.Errorf("focus is on %q, want the error summary", got)
	}

	posts := b.countRequests(http.MethodPost, base+page)
	b.clickAndLoad(`main a[href="/home"]`, http.StatusOK)
	b.do("go back", chromedp.Evaluate[chromedp.Void](`history.back()`))
	b.waitFor("the refused form again", `location.href === `+strconv.Quote(base+page+"?check=1")+` && document.readyState === "complete" && !!document.querySelector("#error-summary")`, 10*time.Second)
	// (A page reached by history.back is read by script: chromedp's own
	// node lookups wait for a navigation it did not start.)
	if got := b.values(byName("a.note")); !slices.Equal(got, []string{note}) {
		t.Errorf("back at the refused form, the note reads %q, want %q", got, note)
	}
	if got := b.values(`input[name="a.respect"]:checked`); !slices.Equal(got, []string{"6"}) {
		t.Errorf("back at the refused form, respect has %q chosen, want 6", got)
	}
	b.do("reload", chromedp.Reload())
	b.expectPage(page+"?check=1", "Your homework · Trellis", checkInTitle)
	b.expectCheckInAnswers(scales, note)
	if n := posts(); n != 0 {
		t.Errorf("Back and Reload posted the form %d times, want 0", n)
	}
	if got := b.count("#error-summary li"); got != 4 {
		t.Errorf("after Back and Reload, %d problems are listed, want 4", got)
	}
	var sent int
	if err := a.DB.Get(&sent, `SELECT count(*) FROM submissions WHERE assignment_id = $1`, id); err != nil || sent != 0 {
		t.Errorf("%d submissions stored (%v), want none", sent, err)
	}
	b.expectNoConsoleErrors()
}

// The client's session ends while they write (FT5). Autosave says they
// were signed out but their text is kept; they go on writing and press
// Send; the sign-in page says their writing is safe; signing in brings
// them back to the form with every word, including those typed after the
// session ended, and they send it.
func TestSessionExpiresMidWritingLosesNothing(t *testing.T) {
	a := newAppWithShortAutosave(t)
	w := a.Seed(t)
	base := a.Listen(t)
	id := assignCheckInDueToday(t, a, w)
	page := assignmentPage(id)
	b := newTab(t, base)

	b.signIn(w.Client.Email, testkit.Password)
	b.open(page, http.StatusOK)
	scales := map[string]int{"open_communication": 3, "respect": 4, "consistency": 5}
	for _, k := range checkInScaleKeys[:3] {
		b.chooseScaleBox(k, scales[k])
	}
	before := "Before the session ended: a hard week, but we kept talking."
	b.do("write the note", chromedp.SendKeys(chromedp.CSS(byName("a.note")), before))
	b.waitForAutosave(a, id, checkInAnswers(scales, before))

	// The server ends every session (as a sign-out elsewhere or the idle
	// limit would); the browser still holds its cookie.
	if _, err := a.DB.Exec(`UPDATE sessions SET revoked = true`); err != nil {
		t.Fatal(err)
	}

	for k, n := range map[string]int{"empathy": 6, "forgiveness": 7, "overall": 8} {
		scales[k] = n
		b.chooseScaleBox(k, n)
	}
	after := "\nAfter it ended: this line must not be lost either. Ελένη."
	b.do("write more", chromedp.SendKeys(chromedp.CSS(byName("a.note")), after))
	note := before + after
	b.waitForStatus(signedOutKeptStatus)
	var kept int
	if err := a.DB.Get(&kept, `SELECT count(*) FROM pending_drafts WHERE assignment_id = $1`, id); err != nil {
		t.Fatal(err)
	}
	if kept == 0 {
		t.Error("autosave after the session ended kept nothing on the server")
	}
	if got, _, _ := draftIn(t, a, id); !sameAnswers(got, checkInAnswers(map[string]int{"open_communication": 3, "respect": 4, "consistency": 5}, before)) {
		t.Errorf("a signed-out request changed the client's draft to %q", got)
	}

	b.pressAndLoad(`button[name="op"][value="send"]`, http.StatusOK)
	b.expectPage("/signin?"+url.Values{"kept": {"1"}, "next": {page}}.Encode(), "Sign in · Trellis", "Sign in")
	if got := b.text("main .notice"); got != "You were signed out, but everything you wrote is safe. Sign in to carry on where you left off." {
		t.Errorf("sign-in notice = %q", got)
	}
	var sent int
	if err := a.DB.Get(&sent, `SELECT count(*) FROM submissions WHERE assignment_id = $1`, id); err != nil || sent != 0 {
		t.Errorf("a send without a session stored %d submissions (%v)", sent, err)
	}

	b.fillSignIn(w.Client.Email, testkit.Password)
	b.expectPage(page, "Your homework · Trellis", checkInTitle)
	if got := b.text("main > p.notice"); !strings.HasPrefix(got, "Welcome back.") || !strings.Contains(got, "Everything you wrote is here") {
		t.Errorf("after signing in again, the notice says %q, want the Welcome back message", got)
	}
	b.expectCheckInAnswers(scales, note)
	if got := b.text("#save-status"); !savedAtRe.MatchString(got) {
		t.Errorf("the restored form's status says %q, want Saved HH:MM", got)
	}

	b.pressAndLoad(`button[name="op"][value="send"]`, http.StatusOK)
	b.expectSentPage(id, scales, note)
	expectOneSubmission(t, a, id, checkInAnswers(scales, note))

	// The browser logs the autosave that met the ended session.
	if errs := withoutConsoleErrors(b.unexpectedConsoleErrors(),
		"Failed to load resource: the server responded with a status of 401",
	); len(errs) > 0 {
		t.Errorf("console errors:\n%s", strings.Join(errs, "\n"))
	}
}

// A double click on Send (FT4) stores one submission, and so do the back
// button and a retry of the same form after it went through.
func TestDoubleClickOnSendStoresOnce(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	base := a.Listen(t)
	id := assignCheckInDueToday(t, a, w)
	page := assignmentPage(id)
	b := newTab(t, base)

	b.signIn(w.Client.Email, testkit.Password)
	b.open(page, http.StatusOK)
	scales := map[string]int{"open_communication": 7, "respect": 7, "consistency": 6, "empathy": 8, "forgiveness": 5, "overall": 7}
	for _, k := range checkInScaleKeys {
		b.chooseScaleBox(k, scales[k])
	}
	note := "Sent with an impatient double click."
	b.do("write the note", chromedp.SendKeys(chromedp.CSS(byName("a.note")), note))
	// What the browser would post again on a retry: this same form.
	form, err := chromedp.Run(b.Ctx, chromedp.Evaluate[string](`(() => {
		const p = new URLSearchParams(new FormData(document.querySelector("form.exercise-form")));
		p.append("op", "send");
		return p.toString();
	})()`))
	if err != nil {
		t.Fatal(err)
	}

	sends := b.countRequests(http.MethodPost, base+page)
	const send = `button[name="op"][value="send"]`
	b.scrollToMiddle(send)
	at, err := chromedp.Run(b.Ctx, chromedp.Evaluate[[]float64](`(() => {
		const r = document.querySelector('`+send+`').getBoundingClientRect();
		return [r.left + r.width / 2, r.top + r.height / 2];
	})()`))
	if err != nil {
		t.Fatal(err)
	}

	// A slow connection: the server has stored the first click's send, but
	// its answer has not reached the browser, which still shows the form
	// when the second click lands. (Without the hold, against this fast
	// local server, Chromium sent only one request for the two clicks, and
	// the test would prove nothing.)
	release := b.holdFirstPostAnswer()
	b.do("click Send", chromedp.MouseClickXY(at[0], at[1]))
	release.waitHeld(t)
	var stored int
	if err := a.DB.Get(&stored, `SELECT count(*) FROM submissions WHERE assignment_id = $1`, id); err != nil || stored != 1 {
		t.Fatalf("when the first click's answer is held, %d submissions are stored (%v), want 1", stored, err)
	}
	b.do("click Send again (the second click of the double click)", chromedp.MouseClickXY(at[0], at[1], chromedp.ClickCount(2)))
	b.waitFor("the confirmation page", `location.search === "?sent=1" && document.readyState === "complete" && !!document.querySelector(".confirmation")`, 10*time.Second)
	release.stop(t)
	if n := sends(); n != 2 {
		t.Errorf("the double click sent %d POST requests, want 2 (the test did not double-submit)", n)
	}
	b.expectSentPage(id, scales, note)
	// The page shown is the answer to the second send.
	if got := b.text("main > p.notice"); got != "This was already sent, so it was not sent twice." {
		t.Errorf("after a double click, the notice says %q", got)
	}
	expectOneSubmission(t, a, id, checkInAnswers(scales, note))

	// The back button leads to what was sent, or to the old form, whose
	// Send then stores nothing new.
	b.do("go back", chromedp.Evaluate[chromedp.Void](`history.back()`))
	b.waitFor("the page before the confirmation", `location.href === `+strconv.Quote(base+page)+` && document.readyState === "complete"`, 10*time.Second)
	if b.count(send) > 0 {
		t.Log("back shows the old form: sending it again")
		b.pressAndLoad(send, http.StatusOK)
	} else if b.count("dl.sent-answers") != 1 {
		t.Errorf("back at %s shows neither the form nor what was sent: %q", b.location(), b.text("main"))
	}
	expectOneSubmission(t, a, id, checkInAnswers(scales, note))

	// A retry of the very same form after it went through (a timeout, a
	// resend from the browser): it lands on the confirmation, stores
	// nothing and leaves no draft behind.
	q, _ := json.Marshal(form)
	landed, err := chromedp.Run(b.Ctx, chromedp.Evaluate[string](`fetch(`+strconv.Quote(page)+`, {
		method: "POST", body: new URLSearchParams(`+string(q)+`), credentials: "same-origin"
	}).then(r => r.status + " " + r.url)`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	if landed != "200 "+base+page+"?sent=1" {
		t.Errorf("the retried send landed on %q, want 200 at %s?sent=1", landed, page)
	}
	expectOneSubmission(t, a, id, checkInAnswers(scales, note))
	if n := auditCountAction(t, a, "submission.created"); n != 1 {
		t.Errorf("the audit log records %d submissions, want 1", n)
	}

	b.expectNoConsoleErrors()
}

// expectScaleRows checks, on a screen width px wide, that each of the
// check-in's 0–10 scales lays its boxes out in rows of these sizes, in
// order, every box on the screen, at least minWidth px wide and 44 px tall
// (WCAG 2.5.8 asks for 24).
func (b *tab) expectScaleRows(width int, want []int, minWidth float64) {
	b.t.Helper()
	for _, k := range checkInScaleKeys {
		boxes, err := chromedp.Run(b.Ctx, chromedp.Evaluate[[][]float64](`[...document.querySelectorAll('fieldset[id="a.`+k+`"] label.scale-step > span')]
			.map(e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.width, r.height]; })`))
		if err != nil {
			b.t.Fatal(err)
		}
		if len(boxes) != 11 {
			b.t.Fatalf("%s has %d boxes, want 11 (0 to 10)", k, len(boxes))
		}
		var rows []int
		for n, r := range boxes {
			if n == 0 || r[1] > boxes[n-1][1]+1 {
				rows = append(rows, 0)
			}
			rows[len(rows)-1]++
			if r[0] < 0 || r[2] > float64(width) {
				b.t.Errorf("box %d of %s spans %.0f–%.0f px, outside the %d px screen", n, k, r[0], r[2], width)
			}
			if r[3] < minWidth || r[4] < 44 {
				b.t.Errorf("box %d of %s is %.1f×%.1f px at %d px, want at least %.0f×44", n, k, r[3], r[4], width, minWidth)
			}
		}
		if !slices.Equal(rows, want) {
			b.t.Errorf("at %d px the boxes of %s sit in rows of %v, want %v", width, k, rows, want)
		}
	}
}

// On a 375 px phone each 0–10 scale is one row of eleven boxes, each
// still a touch target of at least 24×44 px; on a 320 px one, two even
// rows, never "10" alone on a line.
func TestScalesFitOneRowAt375PixelsAndTwoEvenRowsAt320(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	base := a.Listen(t)
	page := assignmentPage(assignCheckInDueToday(t, a, w))
	b := newTab(t, base)
	b.signIn(w.Client.Email, testkit.Password)
	for _, tc := range []struct {
		width, height int64
		rows          []int
		minWidth      float64
	}{
		{375, 667, []int{11}, 24},
		{320, 568, []int{6, 5}, 40},
	} {
		b.do("emulate a phone", chromedp.EmulateViewport(tc.width, tc.height))
		b.open(page, http.StatusOK)
		b.expectNoSidewaysScroll(int(tc.width))
		b.expectScaleRows(int(tc.width), tc.rows, tc.minWidth)
	}
}

// On a 320 px phone the client's home, the check-in form and what they
// sent need no sideways scrolling; the scale boxes sit on two even rows
// (0–5, 6–10) as large touch targets.
func TestCheckInFitsA320PixelScreen(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	base := a.Listen(t)
	id := assignCheckInDueToday(t, a, w)
	page := assignmentPage(id)
	b := newTab(t, base)
	b.do("emulate a 320 px screen", chromedp.EmulateViewport(320, 640))

	b.signIn(w.Client.Email, testkit.Password)
	b.expectClientHome(w.Client.DisplayName)
	b.expectNoSidewaysScroll(320)
	if b.count(`section[aria-labelledby="week-title"] a[href="`+page+`"]`) != 1 {
		t.Fatalf("home at 320 px does not list the check-in: %q", b.text("main"))
	}

	b.open(page, http.StatusOK)
	b.expectNoSidewaysScroll(320)
	b.expectScaleRows(320, []int{6, 5}, 40)

	scales := map[string]int{"open_communication": 10, "respect": 9, "consistency": 0, "empathy": 4, "forgiveness": 6, "overall": 10}
	for _, k := range checkInScaleKeys {
		b.chooseScaleBox(k, scales[k])
	}
	// A pasted link is one long word: it must wrap, not widen the page.
	note := "Read this together: https://example.org/articles/rebuilding-trust-after-a-breach-of-confidence-in-long-relationships"
	b.do("write the note", chromedp.SendKeys(chromedp.CSS(byName("a.note")), note))
	b.expectNoSidewaysScroll(320)
	b.pressAndLoad(`button[name="op"][value="send"]`, http.StatusOK)
	b.expectSentPage(id, scales, note)
	b.expectNoSidewaysScroll(320)

	b.expectNoConsoleErrors()
}

// "My progress" on a 320 px phone: the chart's labels are drawn at text
// size, not scaled down with the chart (they were about 5 px), the date
// labels do not run into each other, and the table's title is shown
// whole, not clipped by the table's scrolling region.
func TestMyProgressIsReadableAt320Pixels(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	base := a.Listen(t)
	id := assignCheckInDueToday(t, a, w)
	c := a.Login(t, w.Client)
	send(t, c, assignmentPage(id), assignmentPage(id))
	if r := a.Login(t, w.Therapist).PostForm("/therapist/clients/"+strconv.FormatInt(w.Client.ID, 10)+"/sharing", url.Values{"shared": {"1"}}); r.Code != http.StatusSeeOther {
		t.Fatalf("share progress: %d", r.Code)
	}
	b := newTab(t, base)
	b.do("emulate a 320 px screen", chromedp.EmulateViewport(320, 568))
	b.signIn(w.Client.Email, testkit.Password)
	b.open("/home/progress", http.StatusOK)
	b.expectNoSidewaysScroll(320)

	// Each label's font size times the scale its SVG draws it at.
	labels, err := chromedp.Run(b.Ctx, chromedp.Evaluate[[][]float64](`[...document.querySelectorAll("section.chart svg text")]
		.filter(e => getComputedStyle(e).display !== "none")
		.map(e => { const r = e.getBoundingClientRect(); return [parseFloat(getComputedStyle(e).fontSize) * e.getScreenCTM().a, r.left, r.right, r.top]; })`))
	if err != nil {
		t.Fatal(err)
	}
	if len(labels) < 6 {
		t.Fatalf("the chart shows %d labels, want its values and dates", len(labels))
	}
	for _, l := range labels {
		if l[0] < 12 {
			t.Errorf("a chart label is drawn at %.1f px, want at least 12", l[0])
		}
	}
	dates := b.evalStrings(`[...document.querySelectorAll(%s)].filter(e => getComputedStyle(e).display !== "none").map(e => e.textContent)`, "section.chart svg.chart-svg text.tick")
	if len(dates) < 2 {
		t.Errorf("the chart shows the dates %q, want at least the first and the last", dates)
	}
	boxes, err := chromedp.Run(b.Ctx, chromedp.Evaluate[[][]float64](`[...document.querySelectorAll("section.chart svg.chart-svg text.tick")]
		.filter(e => getComputedStyle(e).display !== "none")
		.map(e => { const r = e.getBoundingClientRect(); return [r.left, r.right]; })`))
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(boxes); i++ {
		if boxes[i][0] < boxes[i-1][1]+4 {
			t.Errorf("the date labels %q and %q run into each other (%.0f–%.0f, %.0f–%.0f px)", dates[i-1], dates[i], boxes[i-1][0], boxes[i-1][1], boxes[i][0], boxes[i][1])
		}
	}

	// The table's title, wherever it is, must be inside what every
	// clipping ancestor shows.
	clipped, err := chromedp.Run(b.Ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("section.chart caption, section.chart .table-title")].flatMap(e => {
		const r = e.getBoundingClientRect(), out = [];
		if (r.left < 0 || r.right > window.innerWidth + 0.5) out.push(e.textContent + ": " + Math.round(r.left) + "–" + Math.round(r.right) + " px on a 320 px screen");
		for (let p = e.parentElement; p; p = p.parentElement) {
			const s = getComputedStyle(p);
			if (s.overflowX === "visible") continue;
			const q = p.getBoundingClientRect();
			if (r.left < q.left - 0.5 || r.right > q.right + 0.5) out.push(e.textContent + " overflows " + p.className + " (" + Math.round(r.right) + " > " + Math.round(q.right) + " px)");
		}
		return out;
	})`))
	if err != nil {
		t.Fatal(err)
	}
	if n := b.count("section.chart caption, section.chart .table-title"); n == 0 {
		t.Error("the chart's table has no title")
	}
	for _, c := range clipped {
		t.Errorf("the table's title is clipped: %s", c)
	}
	b.expectNoConsoleErrors()
}

// The demo practice is in the UK, and its crisis line says so: 999,
// Samaritans on 116 123, NHS 111, each a tel: link. On a 375×667 phone the
// crisis box is a compact band near the top of the first screen, not a
// large part of it.
func TestDemoCrisisLineIsBritishAndCompactOnAPhone(t *testing.T) {
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
	var client account.DemoLogin
	for _, l := range account.DemoLogins {
		if l.Role == policy.Client {
			client = l
			break
		}
	}
	base := a.Listen(t)
	b := newTab(t, base)
	b.do("emulate a 375×667 phone", chromedp.EmulateViewport(375, 667, chromedp.EmulateMobile))
	b.signIn(client.Email, account.DemoPassword)
	b.expectClientHome(client.Name)

	text := b.text("aside.crisis-line")
	for _, want := range []string{"999", "Samaritans", "116 123", "NHS 111"} {
		if !strings.Contains(text, want) {
			t.Errorf("the demo's crisis line lacks %q: %q", want, text)
		}
	}
	if strings.Contains(text, "988") {
		t.Errorf("the demo practice in the UK names the US 988 line: %q", text)
	}
	if got := b.evalStrings(`[...document.querySelectorAll(%s)].map(e => e.getAttribute("href") + " " + e.textContent)`, "aside.crisis-line a"); !slices.Equal(got, []string{"tel:999 999", "tel:116123 116 123", "tel:111 111"}) {
		t.Errorf("the crisis line's links are %q, want tel: links for 999, 116 123 and 111", got)
	}

	box, err := chromedp.Run(b.Ctx, chromedp.Evaluate[[]float64](`(() => {
		window.scrollTo(0, 0);
		const r = document.querySelector("aside.crisis-line").getBoundingClientRect();
		return [r.top, r.height, window.innerHeight];
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	share := box[1] / box[2]
	t.Logf("the crisis box is %.0f px tall from %.0f px: %.0f%% of the %.0f px first screen", box[1], box[0], 100*share, box[2])
	if box[0]+box[1] > box[2] {
		t.Errorf("the crisis box ends at %.0f px, below the first screen (%.0f px)", box[0]+box[1], box[2])
	}
	if share > 0.2 {
		t.Errorf("the crisis box takes %.0f%% of the first screen (%.0f of %.0f px), want at most 20%%", 100*share, box[1], box[2])
	}
}
