package server_test

// Outcome measures through the router (issue 19): PHQ-9 item 9 raises the
// risk flag whatever the total, shows the client the crisis line and puts
// the submission at the top of the inbox; measures cannot be copied; the
// therapist's measures page charts the totals with their bands and says
// whether the change is reliable.

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/trellis-app/trellis/internal/measure"
	"github.com/trellis-app/trellis/internal/testkit"
)

// sendMeasure sends item answers (-1 leaves an item out) to an open
// measure as the signed-in client and returns the confirmation page.
func sendMeasure(t *testing.T, c *testkit.Session, id int64, items ...int) string {
	t.Helper()
	f := url.Values{"op": {"send"}, "form_token": {portalTokenIn(t, page(t, c, workPathOf(id), http.StatusOK))}}
	for i, v := range items {
		if v >= 0 {
			f.Set("a."+measure.ItemKey(i+1), strconv.Itoa(v))
		}
	}
	f.Set("a."+measure.DifficultyKey, "1")
	res := c.PostForm(workPathOf(id), f)
	if res.Code != http.StatusSeeOther || res.Header().Get("Location") != workPathOf(id)+"?sent=1" {
		t.Fatalf("send measure %d: status %d, Location %q\n%s", id, res.Code, res.Header().Get("Location"), res.Body.String())
	}
	return page(t, c, workPathOf(id)+"?sent=1", http.StatusOK)
}

func TestPHQ9ItemNineAtOneWithTotalThreeRaisesTheFlagShowsTheCrisisLineAndTopsTheInbox(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	th := a.Login(t, w.Therapist)
	phq := assignBuiltinToday(t, a, th, w.Client.ID, "phq-9", "")
	checkIn := assignBuiltinToday(t, a, th, w.Client.ID, "weekly-trust-check-in", "")
	c := a.Login(t, w.Client)

	// Item 1 and item 9 at "Several days": a total of 3, the minimal band.
	sent := sendMeasure(t, c, phq, 1, 0, 0, 0, 0, 0, 0, 1, 1)
	if !strings.Contains(sent, `class="crisis-line prominent"`) {
		t.Errorf("the client's confirmation does not show the crisis line prominently\n%s", sent)
	}
	var flags string
	if err := a.DB.Get(&flags, `SELECT array_to_string(flags, '|') FROM submissions WHERE assignment_id = $1`, phq); err != nil {
		t.Fatal(err)
	}
	if flags != measure.PHQ9.RiskFlag() {
		t.Errorf("flags = %q, want %q", flags, measure.PHQ9.RiskFlag())
	}
	// Sent later, so newer: without the flag it would be listed first.
	sendCheckIn(t, c, a, checkIn, "A calm week.")

	rows, _ := inboxRows(t, page(t, th, "/therapist/inbox", http.StatusOK))
	if len(rows) != 2 || rows[0].ID != phq || !strings.Contains(rows[0].Status, "Flagged: look") {
		t.Fatalf("inbox = %+v, want the PHQ-9 (%d) first and marked flagged", rows, phq)
	}
	review := page(t, th, reviewPath(phq), http.StatusOK)
	if !strings.Contains(review, "PHQ-9 item 9") || !strings.Contains(review, "whatever the total") {
		t.Errorf("the review page does not say why the PHQ-9 is flagged\n%s", review)
	}
	measures := page(t, th, clientPath(w.Client.ID)+"/measures", http.StatusOK)
	if !strings.Contains(measures, "Latest total: <strong>3</strong> of 27, minimal") {
		t.Errorf("the measures page does not show the total of 3 (minimal)\n%s", measures)
	}
}

func TestMeasuresCannotBeCopied(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	th := a.Login(t, w.Therapist)
	var id int64
	if err := a.DB.Get(&id, `SELECT id FROM exercises WHERE builtin_key = 'phq-9'`); err != nil {
		t.Fatal(err)
	}
	before := countOf(t, a, `SELECT count(*) FROM exercises`)
	res := th.PostForm(fmt.Sprintf("/therapist/exercises/%d/duplicate", id), url.Values{})
	if res.Code != http.StatusForbidden {
		t.Errorf("copy PHQ-9: status %d, want 403", res.Code)
	}
	if n := countOf(t, a, `SELECT count(*) FROM exercises`); n != before {
		t.Errorf("copying a measure made an exercise: %d → %d", before, n)
	}
}

func TestMeasuresPageChartsBandsAndSaysWhetherTheChangeIsReliable(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	th := a.Login(t, w.Therapist)
	c := a.Login(t, w.Client)
	first := assignBuiltinToday(t, a, th, w.Client.ID, "phq-9", "")
	sendMeasure(t, c, first, 3, 3, 2, 2, 2, 2, 2, 2, 0) // 18, moderately severe
	// The session is recorded between the two scores.
	if _, err := a.DB.Exec(`UPDATE submissions SET submitted_at = now() - interval '14 days' WHERE assignment_id = $1`, first); err != nil {
		t.Fatal(err)
	}
	if _, err := a.DB.Exec(`INSERT INTO clinical_sessions (client_id, therapist_id, held_on) VALUES ($1, $2, current_date - 7)`, w.Client.ID, w.Therapist.ID); err != nil {
		t.Fatal(err)
	}
	second := assignBuiltinToday(t, a, th, w.Client.ID, "phq-9", "")
	sendMeasure(t, c, second, 1, 1, 1, 1, 1, 1, 1, -1, 0) // 8 answered sum 7: 7/8 × 9 = 7.875, prorated 8, mild

	body := page(t, th, clientPath(w.Client.ID)+"/measures", http.StatusOK)
	for _, want := range []string{
		"Latest total: <strong>8</strong> of 27, mild (prorated)",
		"Since the first score (18 on", "<strong>reliable improvement</strong> (RCI -5.57)",
		"Since the last session (18 on",
		`class="cut-off"`, `class="totals"`, "moderately severe (15–19)",
		"rounded to the nearest whole number", "Kocalevent",
		"Difficulty (not scored)", "Somewhat difficult",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the measures page lacks %q", want)
		}
	}
	if n := strings.Count(body, `<rect class="band"`); n != len(measure.PHQ9.Bands) {
		t.Errorf("%d bands shaded, want %d", n, len(measure.PHQ9.Bands))
	}
	if strings.Contains(body, "measure-risk-unanswered") {
		t.Error("item 9 was answered, yet the page says it was not")
	}
	report := page(t, th, clientPath(w.Client.ID)+"/session-report", http.StatusOK)
	for _, want := range []string{"Since the last session (18 on", "<strong>reliable improvement</strong> (RCI -5.57)", `class="cut-off"`, "not a clinical assessment"} {
		if !strings.Contains(report, want) {
			t.Errorf("the session report page lacks %q", want)
		}
	}
	// A newest PHQ-9 with item 9 left out: no flag, but the therapist
	// is told to ask.
	third := assignBuiltinToday(t, a, th, w.Client.ID, "phq-9", "")
	sendMeasure(t, c, third, 1, 1, 1, 1, 1, 1, 1, 1, -1)
	if body := page(t, th, clientPath(w.Client.ID)+"/measures", http.StatusOK); !strings.Contains(body, "<strong>Question 9 was not answered</strong>") {
		t.Error("the measures page does not say item 9 of the newest PHQ-9 was left out")
	}
	// Another therapist cannot see them.
	if res := a.Login(t, w.Therapist2).Get(clientPath(w.Client.ID) + "/measures"); res.Code != http.StatusNotFound {
		t.Errorf("another therapist: status %d, want 404", res.Code)
	}
}

// The progress summary and the session report print each measure: its
// chart, every score with its items, and what the change says, read back
// with pdftotext. With the practice's NHS thresholds chosen, those are
// stated too.
func TestReportsPrintMeasuresWithTheirChangeStatements(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	th := a.Login(t, w.Therapist)
	c := a.Login(t, w.Client)
	first := assignBuiltinToday(t, a, th, w.Client.ID, "gad-7", "")
	sendMeasure(t, c, first, 3, 3, 2, 2, 2, 2, 2) // 16, severe
	if _, err := a.DB.Exec(`UPDATE submissions SET submitted_at = now() - interval '14 days' WHERE assignment_id = $1`, first); err != nil {
		t.Fatal(err)
	}
	if _, err := a.DB.Exec(`UPDATE practices SET nhs_change_thresholds = true WHERE id = $1`, w.PracticeID); err != nil {
		t.Fatal(err)
	}
	second := assignBuiltinToday(t, a, th, w.Client.ID, "gad-7", "")
	sendMeasure(t, c, second, 1, 1, 1, 1, 1, 1, 0) // 6, mild

	for _, path := range []string{
		fmt.Sprintf("/therapist/clients/%d/progress.pdf?%s", w.Client.ID, exportPeriod()),
		fmt.Sprintf("/therapist/clients/%d/session-report.pdf", w.Client.ID),
	} {
		res := postExport(th, path)
		if res.Code != http.StatusOK {
			t.Fatalf("POST %s: status %d\n%s", path, res.Code, res.Body.String())
		}
		if dir := os.Getenv("TRELLIS_SCREENSHOTS"); dir != "" && strings.Contains(path, "progress") {
			// The README's picture of the summary's first page.
			pdf := filepath.Join(t.TempDir(), "summary.pdf")
			if err := os.WriteFile(pdf, res.Body.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(dir, "measures-pdf")
			if b, err := exec.Command("pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", pdf, out).CombinedOutput(); err != nil {
				t.Fatalf("pdftoppm: %v\n%s", err, b)
			}
		}
		flat := strings.Join(strings.Fields(testkit.PDFText(t, res.Body.Bytes())), " ")
		for _, want := range []string{
			"GAD-7", "Since the first score (16 on", "reliable improvement (RCI -6.25)",
			"by the NHS Talking Therapies threshold of 4 points: reliable improvement",
			"not a clinical assessment",
		} {
			if !strings.Contains(flat, want) {
				t.Errorf("%s lacks %q\n%s", path, want, flat)
			}
		}
		if strings.Contains(path, "progress") {
			for _, want := range []string{"total 16, severe · items 3 3 2 2 2 2 2", "total 6, mild · items 1 1 1 1 1 1 0", "severe (15–21)", "Löwe"} {
				if !strings.Contains(flat, want) {
					t.Errorf("%s lacks %q", path, want)
				}
			}
		}
	}
}

// The NHS Talking Therapies thresholds are the practice's choice: off,
// the measures page states reliable change only; ticked by an admin, it
// states both.
func TestPracticeChoosesTheNHSThresholds(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	th := a.Login(t, w.Therapist)
	c := a.Login(t, w.Client)
	first := assignBuiltinToday(t, a, th, w.Client.ID, "phq-9", "")
	sendMeasure(t, c, first, 2, 2, 2, 2, 1, 1, 1, 1, 0) // 12
	if _, err := a.DB.Exec(`UPDATE submissions SET submitted_at = now() - interval '14 days' WHERE assignment_id = $1`, first); err != nil {
		t.Fatal(err)
	}
	second := assignBuiltinToday(t, a, th, w.Client.ID, "phq-9", "")
	sendMeasure(t, c, second, 1, 1, 1, 1, 1, 1, 1, 0, 0) // 7: −5, reliable by the RCI, not by the NHS's 6
	path := clientPath(w.Client.ID) + "/measures"
	if body := page(t, th, path, http.StatusOK); strings.Contains(body, "NHS Talking Therapies") {
		t.Error("the NHS thresholds are stated though the practice has not chosen them")
	}
	admin := a.Login(t, w.Admin)
	seeOtherTo(t, admin, "/admin/practice", url.Values{"name": {"Test practice"}, "crisis_text": {"Call 999."},
		"time_zone": {"UTC"}, "missed_in_a_row": {"3"}, "nhs_change_thresholds": {"1"}}, "/admin/practice")
	if !strings.Contains(page(t, admin, "/admin/practice", http.StatusOK), `name="nhs_change_thresholds" value="1" aria-describedby="nhs-hint" checked`) {
		t.Error("the practice page does not show the setting ticked")
	}
	body := page(t, th, path, http.StatusOK)
	for _, want := range []string{"<strong>reliable improvement</strong> (RCI -2.79)", "NHS Talking Therapies threshold of 6 points: <strong>no reliable change</strong>"} {
		if !strings.Contains(body, want) {
			t.Errorf("the measures page lacks %q", want)
		}
	}
}

// A client whose therapist shares progress sees their own totals with a
// plain band name, never the clinical labels.
func TestClientSeesOwnScoresInPlainWordsWhenShared(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	th := a.Login(t, w.Therapist)
	c := a.Login(t, w.Client)
	sendMeasure(t, c, assignBuiltinToday(t, a, th, w.Client.ID, "phq-9", ""), 3, 3, 3, 3, 3, 3, 2, 2, 0) // 22, severe
	page(t, c, "/home/progress", http.StatusNotFound)
	if _, err := a.DB.Exec(`UPDATE users SET progress_shared = true WHERE id = $1`, w.Client.ID); err != nil {
		t.Fatal(err)
	}
	body := page(t, c, "/home/progress", http.StatusOK)
	if !strings.Contains(body, "<strong>22</strong> of 27, in the high range") {
		t.Errorf("the client's page does not show their total in plain words\n%s", body)
	}
	main := body[strings.Index(body, "<main"):]
	for _, word := range []string{"severe", "moderately", "minimal", "depress", "diagnos"} {
		if strings.Contains(strings.ToLower(plainText(main)), word) {
			t.Errorf("the client's progress page says %q", word)
		}
	}
}

// Only the therapist marks a flag followed up, with a note that is kept
// and audited; the flag stays on the work, in the inbox and on the page.
func TestFlagFollowUpIsTheTherapistsAuditedNoteAndTheFlagStays(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	th := a.Login(t, w.Therapist)
	c := a.Login(t, w.Client)
	phq := assignBuiltinToday(t, a, th, w.Client.ID, "phq-9", "")
	sendMeasure(t, c, phq, 0, 0, 0, 0, 0, 0, 0, 0, 1)
	path := reviewPath(phq) + "/follow-up"

	// An empty note is refused beside the field, nothing kept.
	res := th.PostForm(path, url.Values{"follow_up": {"  "}})
	if res.Code != http.StatusUnprocessableEntity {
		t.Fatalf("empty note: status %d, want 422", res.Code)
	}
	if body := res.Body.String(); !strings.Contains(body, `id="follow_up-error"><span class="visually-hidden">Error:</span> Write something first.`) {
		t.Error("no message beside the follow-up field")
	}
	// The client cannot mark it; another therapist cannot either.
	if res := c.PostForm(path, url.Values{"follow_up": {"Fine."}}); res.Code == http.StatusSeeOther {
		t.Errorf("the client marked the flag followed up")
	}
	if res := a.Login(t, w.Therapist2).PostForm(path, url.Values{"follow_up": {"Fine."}}); res.Code != http.StatusNotFound {
		t.Errorf("another therapist: status %d, want 404", res.Code)
	}
	if n := countOf(t, a, `SELECT count(*) FROM flag_follow_ups`); n != 0 {
		t.Fatalf("%d follow-ups kept before the therapist's", n)
	}

	const note = "FOLLOW-5521 Phoned the client; agreed a safety plan."
	seeOtherTo(t, th, path, url.Values{"follow_up": {note}}, reviewPath(phq))
	review := page(t, th, reviewPath(phq), http.StatusOK)
	if !strings.Contains(review, note) || !strings.Contains(review, "Flagged for you to look at") {
		t.Error("the review page lacks the note or the flag after the follow-up")
	}
	if n := countOf(t, a, `SELECT count(*) FROM audit_log WHERE action = 'flag.followed_up' AND target_id = $1`, phq); n != 1 {
		t.Errorf("%d audit rows for the follow-up, want 1", n)
	}
	rows, _ := inboxRows(t, page(t, th, "/therapist/inbox?flagged=1", http.StatusOK))
	if len(rows) != 1 || rows[0].ID != phq {
		t.Errorf("after the follow-up the flagged inbox shows %+v, want the PHQ-9", rows)
	}
	// Work that was never flagged has nothing to follow up.
	checkIn := assignBuiltinToday(t, a, th, w.Client.ID, "weekly-trust-check-in", "")
	sendCheckIn(t, c, a, checkIn, "A calm week.")
	if res := th.PostForm(reviewPath(checkIn)+"/follow-up", url.Values{"follow_up": {"Fine."}}); res.Code != http.StatusUnprocessableEntity {
		t.Errorf("follow-up of unflagged work: status %d, want 422", res.Code)
	}
}
