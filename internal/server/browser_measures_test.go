package server_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/trellis-app/trellis/internal/measure"
	"github.com/trellis-app/trellis/internal/testkit"
)

// On a 320 px phone the PHQ-9 is one screen of fieldsets, each with its
// legend, that passes axe and needs no sideways scrolling; sent with item 9
// above 0 it shows the crisis line at once. The therapist's measures page
// fits too. With TRELLIS_SCREENSHOTS set, it also saves the README's
// pictures of both.
func TestPHQ9FormAndMeasuresPageAt320Pixels(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	base := a.Listen(t)
	th := a.Login(t, w.Therapist)
	c := a.Login(t, w.Client)
	// An earlier score, so the page has a line and a change to state.
	first := assignBuiltinToday(t, a, th, w.Client.ID, "phq-9", "")
	sendMeasure(t, c, first, 3, 3, 2, 2, 2, 2, 2, 1, 0)
	if _, err := a.DB.Exec(`UPDATE submissions SET submitted_at = now() - interval '14 days' WHERE assignment_id = $1`, first); err != nil {
		t.Fatal(err)
	}
	id := assignBuiltinToday(t, a, th, w.Client.ID, "phq-9", "")
	dir := os.Getenv("TRELLIS_SCREENSHOTS")
	// whole: the full page, else the screen's height only (the phone form
	// is nine questions long).
	shoot := func(b *tab, file string, whole bool) {
		t.Helper()
		if dir == "" {
			return
		}
		shot := chromedp.CaptureScreenshot()
		if whole {
			shot = chromedp.FullScreenshot(100)
		}
		png, err := chromedp.Run(b.Ctx, shot)
		if err != nil {
			t.Fatalf("screenshot %s: %v", file, err)
		}
		if err := os.WriteFile(filepath.Join(dir, file), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	b := newTab(t, base)
	b.do("emulate a 320 px screen", chromedp.EmulateViewport(320, 640))
	b.signIn(w.Client.Email, testkit.Password)
	b.open(workPathOf(id), http.StatusOK)
	if n := b.count(`fieldset legend`); n != len(measure.PHQ9.Items)+1 {
		t.Errorf("%d fieldsets with a legend, want one per question (%d)", n, len(measure.PHQ9.Items)+1)
	}
	if !strings.Contains(b.text("main"), measure.PHQ9.Stem) {
		t.Errorf("the recall period is not shown: %q", b.text("main"))
	}
	b.expectNoSidewaysScroll(320)
	b.expectAccessible("PHQ-9 form at 320 px")
	for i, v := range []string{"1", "1", "1", "1", "0", "1", "1", "0", "1"} {
		b.tick(`input[name="a.` + measure.ItemKey(i+1) + `"][value="` + v + `"]`)
	}
	b.tick(`input[name="a.difficulty"][value="1"]`)
	if _, err := chromedp.Run(b.Ctx, chromedp.Evaluate[bool](`window.scrollTo(0, 0), true`)); err != nil {
		t.Fatal(err)
	}
	shoot(b, "measure-phq9-phone.png", false)
	b.pressAndLoad(`button[name="op"][value="send"]`, http.StatusOK)
	if b.count(`.crisis-line.prominent`) != 1 {
		t.Errorf("sent with item 9 above 0, the crisis line is not shown: %q", b.text("main"))
	}
	b.expectNoSidewaysScroll(320)
	shoot(b, "measure-sent-phone.png", false)

	tb := newTab(t, base)
	tb.do("emulate a 320 px screen", chromedp.EmulateViewport(320, 640))
	tb.signIn(w.Therapist.Email, testkit.Password)
	tb.open(clientPath(w.Client.ID)+"/measures", http.StatusOK)
	tb.expectNoSidewaysScroll(320)
	tb.expectAccessible("measures page at 320 px")
	if !strings.Contains(tb.text("main"), "reliable improvement") {
		t.Errorf("the measures page does not state the change: %q", tb.text("main"))
	}
	tb.do("emulate a desktop screen", chromedp.EmulateViewport(1100, 900))
	tb.open(clientPath(w.Client.ID)+"/measures", http.StatusOK)
	shoot(tb, "measures.png", true)
}
