package server_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/trellis-app/trellis/internal/testkit"
)

// The review loop in a real browser: the therapist finds the client's
// check-in in the inbox, writes feedback and a private note and marks it
// reviewed; the client sees that there is new feedback, reads it under
// what they sent, and the private note is nowhere in their page (R14).
func TestTherapistReviewsAndTheClientSeesFeedbackNotNotes(t *testing.T) {
	a := testkit.NewApp(t)
	w := reviewWorld(t, a) // w.Client sent the check-in through the work form
	id := w.Submitted
	base := a.Listen(t)
	b := newTab(t, base)
	feedback := "ΣΧΟΛΙΟ-5150 Ευχαριστώ, Ελένη. You named what helped: let us start there on Tuesday."
	note := "ΙΔΙΩΤΙΚΟ-8080 Possible avoidance around money; Дмитрий mentioned twice. Explore carefully."

	b.signIn(w.Therapist.Email, testkit.Password)
	b.clickAndLoad(`nav a[href="/therapist/inbox"]`, http.StatusOK)
	b.expectPage("/therapist/inbox", "Inbox · Trellis", "Inbox")
	rows := b.rows("main table tbody tr")
	if len(rows) != 1 || len(rows[0]) != 4 || rows[0][0] != w.Client.DisplayName || rows[0][1] != checkInTitle || rows[0][3] != "New" {
		t.Fatalf("the inbox reads %q; want one row: %s, %s, the time, New", rows, w.Client.DisplayName, checkInTitle)
	}
	b.clickAndLoad(`main table a[href="`+reviewPath(id)+`"]`, http.StatusOK)
	b.expectPage(reviewPath(id), "Submission · Trellis", checkInTitle)
	if got := b.texts(".answer-row .answer"); !slices.Contains(got, matrixSentNote) {
		t.Errorf("the submission's answers read %q, want the client's note %q among them", got, matrixSentNote)
	}

	b.scrollToMiddle("#feedback")
	b.do("write feedback", chromedp.SendKeys(chromedp.CSS("#feedback"), feedback))
	b.pressAndLoad(`form[action="`+reviewPath(id)+`/feedback"] button[type="submit"]`, http.StatusOK)
	b.expectPage(reviewPath(id), "Submission · Trellis", checkInTitle)
	if got := b.text("main .notice"); !strings.HasPrefix(got, "Feedback saved.") {
		t.Errorf("after sending feedback the page says %q", got)
	}
	if got := b.value("#feedback"); got != feedback {
		t.Errorf("the feedback box holds %q after saving, want %q", got, feedback)
	}

	b.scrollToMiddle("#note")
	b.do("write a private note", chromedp.SendKeys(chromedp.CSS("#note"), note))
	b.pressAndLoad(`form[action="`+reviewPath(id)+`/notes"] button[type="submit"]`, http.StatusOK)
	b.expectPage(reviewPath(id), "Submission · Trellis", checkInTitle)
	if got := b.texts("#notes .note-body"); !slices.Equal(got, []string{note}) {
		t.Errorf("the private notes read %q, want %q", got, []string{note})
	}

	b.pressAndLoad(`button[name="op"][value="reviewed"]`, http.StatusOK)
	b.expectPage(reviewPath(id), "Submission · Trellis", checkInTitle)
	if got := b.text("main .notice"); got != "Marked as reviewed." {
		t.Errorf("after marking reviewed the page says %q", got)
	}
	if b.count(`button[name="op"][value="unreviewed"]`) != 1 {
		t.Error("a reviewed submission offers no way to mark it not reviewed")
	}
	b.clickAndLoad(`nav a[href="/therapist/inbox"]`, http.StatusOK)
	if rows := b.rows("main table tbody tr"); len(rows) != 1 || rows[0][3] != "Reviewed" {
		t.Errorf("after review the inbox reads %q, want the row Reviewed", rows)
	}
	b.signOut()

	b.fillSignIn(w.Client.Email, testkit.Password)
	b.expectClientHome(w.Client.DisplayName)
	item := `section[aria-labelledby="sent-title"] li:has(a[href="` + workPathOf(id) + `"])`
	if got := b.texts(item + " .badge"); !slices.Equal(got, []string{"Read by your therapist", "New feedback"}) {
		t.Errorf("home shows the check-in with badges %q, want Read by your therapist and New feedback", got)
	}
	b.clickAndLoad(item+" a", http.StatusOK)
	b.expectPage(workPathOf(id), "What you sent · Trellis", checkInTitle)
	if got := b.text("section.feedback .feedback-body"); got != feedback {
		t.Errorf("the feedback reads %q, want %q", got, feedback)
	}
	below, err := chromedp.Run(b.Ctx, chromedp.Evaluate[bool](`!!(document.querySelector("dl.sent-answers").compareDocumentPosition(
		document.querySelector("section.feedback")) & Node.DOCUMENT_POSITION_FOLLOWING)`))
	if err != nil || !below {
		t.Errorf("the feedback is not under the sent answers (err %v)", err)
	}
	marker, _, _ := strings.Cut(note, " ")
	for _, what := range []string{"document.documentElement.outerHTML", "document.body.innerText"} {
		found, err := chromedp.Run(b.Ctx, chromedp.Evaluate[bool](what+`.includes("`+marker+`") || `+what+`.includes("Дмитрий mentioned")`))
		if err != nil {
			t.Fatal(err)
		}
		if found {
			t.Errorf("the client's page carries the private note (%s)", what)
		}
	}

	b.clickAndLoad(`main a[href="/home"]`, http.StatusOK)
	if got := b.texts(item + " .badge"); !slices.Equal(got, []string{"Read by your therapist"}) {
		t.Errorf("after reading the feedback, home shows badges %q, want only Read by your therapist", got)
	}

	b.expectNoConsoleErrors()
}
