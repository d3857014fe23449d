package server_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trellis-app/trellis/internal/account"
	"github.com/trellis-app/trellis/internal/testkit"
	"github.com/trellis-app/trellis/reports"
)

// The texts the export tests look for in the reports.
const (
	exportFirstNote   = "Export: we talked at dinner and I listened."
	exportSecondNote  = "Export: I have thought about ending my life this week."
	exportFeedback    = "Export: thank you, that took courage."
	exportPrivateNote = "Export PRIVATE: watch for avoidance."
)

// exportWorld is the matrix world with history: Client sent the first two
// check-ins of the weekly series (the second with risk language, so it is
// flagged and marked to discuss), Therapist gave feedback and kept a
// private note on the first, and the third is past due.
type exportWorld struct {
	matrixWorld
	first, second, third int64
}

func seedExport(t *testing.T, a *testkit.App) exportWorld {
	t.Helper()
	w := exportWorld{matrixWorld: seedMatrix(t, a, true)}
	var ids []int64
	if err := a.DB.Select(&ids, `SELECT id FROM assignments WHERE series_id = $1 ORDER BY due_on`, w.Series); err != nil || len(ids) != 4 {
		t.Fatalf("occurrences: %v (%d)", err, len(ids))
	}
	w.first, w.second, w.third = ids[0], ids[1], ids[2]
	c := a.Login(t, w.Client)
	sendCheckIn(t, c, a, w.first, exportFirstNote)
	sendCheckIn(t, c, a, w.second, exportSecondNote)
	th := a.Login(t, w.Therapist)
	for path, form := range map[string]url.Values{
		fmt.Sprintf("/therapist/work/%d/feedback", w.first): {"feedback": {exportFeedback}},
		fmt.Sprintf("/therapist/work/%d/notes", w.first):    {"note": {exportPrivateNote}},
		fmt.Sprintf("/therapist/work/%d", w.second):         {"op": {"discuss"}},
	} {
		if res := th.PostForm(path, form); res.Code != http.StatusSeeOther {
			t.Fatalf("%s: status %d\n%s", path, res.Code, res.Body.String())
		}
	}
	var flags string
	if err := a.DB.Get(&flags, `SELECT flags::text FROM submissions WHERE assignment_id = $1`, w.second); err != nil || flags == "{}" {
		t.Fatalf("the second check-in should be flagged: flags %q, err %v", flags, err)
	}
	// The third was due two days ago and was not sent.
	if _, err := a.DB.Exec(`UPDATE assignments SET due_on = current_date - 2, due_at = now() - interval '2 days' WHERE id = $1`, w.third); err != nil {
		t.Fatal(err)
	}
	return w
}

// period is a query string for a period around the seeded series.
func exportPeriod() string {
	return "from=" + dateInDays(-7) + "&to=" + dateInDays(30)
}

func TestProgressSummaryPDFPrintsTheClientsNameFiguresAndNoPrivateNotes(t *testing.T) {
	a := testkit.NewApp(t)
	w := seedExport(t, a)
	th := a.Login(t, w.Therapist)

	res := postExport(th, fmt.Sprintf("/therapist/clients/%d/progress.pdf?%s&all=1", w.Client.ID, exportPeriod()))
	if res.Code != http.StatusOK {
		t.Fatalf("export: status %d\n%s", res.Code, res.Body.String())
	}
	h := res.Header()
	if ct := h.Get("Content-Type"); ct != "application/pdf" {
		t.Errorf("Content-Type %q", ct)
	}
	if cc := h.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", cc)
	}
	// The file name carries the client's id and the date, never a name.
	want := regexp.MustCompile(`^attachment; filename="trellis-progress-` + strconv.FormatInt(w.Client.ID, 10) + `-\d{4}-\d{2}-\d{2}\.pdf"$`)
	if cd := h.Get("Content-Disposition"); !want.MatchString(cd) {
		t.Errorf("Content-Disposition %q", cd)
	}

	text := testkit.PDFText(t, res.Body.Bytes())
	flat := strings.Join(strings.Fields(text), " ")
	for _, s := range []string{
		w.Client.DisplayName, "Theo Therapist", "Test practice",
		exportFirstNote, exportSecondNote, exportFeedback,
		"Weekly trust check-in",
		"Confidential. A summary of homework between sessions, not a clinical assessment.",
	} {
		if !strings.Contains(flat, s) {
			t.Errorf("the PDF lacks %q", s)
		}
	}
	// The period's figures: four given, two sent, both on time.
	from, _ := time.Parse(time.DateOnly, dateInDays(-7))
	to, _ := time.Parse(time.DateOnly, dateInDays(30))
	for _, s := range []string{
		from.Format("2 Jan 2006") + " – " + to.Format("2 Jan 2006"),
		"2 of 4 assignments submitted (50%); 2 of them on time (100%).",
		"submitted · 50%", "on time · 100% of sent",
	} {
		if !strings.Contains(flat, s) {
			t.Errorf("the PDF lacks the figure %q:\n%s", s, flat)
		}
	}
	if strings.Contains(text, "PRIVATE") || strings.Contains(text, "Therapist copy") {
		t.Error("private notes were printed without being asked for")
	}
	if missing := reports.Missing(text); len(missing) > 0 {
		t.Errorf("the report prints runes its font cannot draw: %q", missing)
	}
	if n := auditCount(t, a, "report.exported", w.Client.ID); n != 1 {
		t.Errorf("%d exports audited, want 1", n)
	}
	var detail string
	if err := a.DB.Get(&detail, `SELECT detail::text FROM audit_log WHERE action = 'report.exported'`); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(detail, "Export") || strings.Contains(detail, w.Client.DisplayName) {
		t.Errorf("the audit entry holds text: %s", detail)
	}
}

func TestProgressSummaryPrintsPrivateNotesOnlyWhenTickedAndMarksEveryPage(t *testing.T) {
	a := testkit.NewApp(t)
	w := seedExport(t, a)
	th := a.Login(t, w.Therapist)
	res := postExport(th, fmt.Sprintf("/therapist/clients/%d/progress.pdf?%s&all=1&notes=1", w.Client.ID, exportPeriod()))
	if res.Code != http.StatusOK {
		t.Fatalf("export: status %d", res.Code)
	}
	text := testkit.PDFText(t, res.Body.Bytes())
	if !strings.Contains(strings.Join(strings.Fields(text), " "), exportPrivateNote) {
		t.Error("the therapist copy lacks the private note")
	}
	pages := testkit.PDFPages(text)
	if len(pages) == 0 {
		t.Fatal("no pages")
	}
	for i, p := range pages {
		if !strings.Contains(p, "Therapist copy") {
			t.Errorf("page %d of %d is not marked as the therapist's copy", i+1, len(pages))
		}
	}
}

func TestProgressSummaryPrintsOnlyTheChosenReflections(t *testing.T) {
	a := testkit.NewApp(t)
	w := seedExport(t, a)
	th := a.Login(t, w.Therapist)

	// The export page offers both, all ticked.
	page := th.Get(fmt.Sprintf("/therapist/clients/%d/reports?%s", w.Client.ID, exportPeriod()))
	if page.Code != http.StatusOK {
		t.Fatalf("reports page: %d", page.Code)
	}
	for _, id := range []int64{w.first, w.second} {
		if !strings.Contains(page.Body.String(), fmt.Sprintf(`name="r" value="%d" checked`, id)) {
			t.Errorf("reflection %d is not offered, ticked", id)
		}
	}

	// The form sends pick=1 and the ticked ones: unticking the second
	// leaves it out.
	res := postExport(th, fmt.Sprintf("/therapist/clients/%d/progress.pdf?%s&pick=1&r=%d", w.Client.ID, exportPeriod(), w.first))
	if res.Code != http.StatusOK {
		t.Fatalf("export: status %d", res.Code)
	}
	flat := strings.Join(strings.Fields(testkit.PDFText(t, res.Body.Bytes())), " ")
	if !strings.Contains(flat, exportFirstNote) {
		t.Error("the chosen reflection is missing")
	}
	if strings.Contains(flat, exportSecondNote) {
		t.Error("a reflection that was not chosen was printed")
	}
	var logged string
	if err := a.DB.Get(&logged, `SELECT detail->>'reflections' FROM audit_log WHERE action = 'report.exported' ORDER BY id DESC LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("[%d]", w.first); logged != want {
		t.Errorf("the audit log names reflections %s, want %s", logged, want)
	}
	// Nothing ticked prints none.
	none := postExport(th, fmt.Sprintf("/therapist/clients/%d/progress.pdf?%s&pick=1", w.Client.ID, exportPeriod()))
	if text := strings.Join(strings.Fields(testkit.PDFText(t, none.Body.Bytes())), " "); strings.Contains(text, exportFirstNote) || strings.Contains(text, exportSecondNote) {
		t.Error("reflections printed with none ticked")
	}
	// Another client's work cannot be chosen into this client's report.
	other := postExport(th, fmt.Sprintf("/therapist/clients/%d/progress.pdf?%s&pick=1&r=%d", w.Client2.ID, exportPeriod(), w.first))
	if other.Code != http.StatusOK {
		t.Fatalf("export for Client2: status %d", other.Code)
	}
	if strings.Contains(strings.Join(strings.Fields(testkit.PDFText(t, other.Body.Bytes())), " "), exportFirstNote) {
		t.Error("Client's reflection was printed in Client2's report")
	}
}

func TestProgressSummaryWithAWrongPeriodShowsTheFormAgainAndExportsNothing(t *testing.T) {
	a := testkit.NewApp(t)
	w := seedExport(t, a)
	th := a.Login(t, w.Therapist)
	res := postExport(th, fmt.Sprintf("/therapist/clients/%d/progress.pdf?from=2026-13-01&to=yesterday&notes=1&pick=1&r=%d", w.Client.ID, w.first))
	if res.Code != http.StatusUnprocessableEntity {
		t.Fatalf("status %d, want 422", res.Code)
	}
	body := res.Body.String()
	for _, s := range []string{
		`<p class="field-error" id="from-error"><span class="visually-hidden">Error:</span> Enter a date like 2026-01-31.</p>`,
		`value="2026-13-01"`, `value="yesterday"`, // what was typed is kept
		`name="notes" value="1" checked`,
	} {
		if !strings.Contains(body, s) {
			t.Errorf("the form shown again lacks %q", s)
		}
	}
	// The choices are kept too (the list shows the default period's work,
	// in which both check-ins were sent).
	if !strings.Contains(body, fmt.Sprintf(`name="r" value="%d" checked`, w.first)) || strings.Contains(body, fmt.Sprintf(`name="r" value="%d" checked`, w.second)) {
		t.Error("the ticked reflections were not kept")
	}
	if ct := res.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("Content-Type %q", ct)
	}
	if n := auditCount(t, a, "report.exported", w.Client.ID); n != 0 {
		t.Errorf("%d exports audited for a refused export", n)
	}
}

// Names in Greek, Vietnamese and Cyrillic print exactly, with a glyph for
// every letter.
func TestProgressSummaryPrintsNamesInAnyScript(t *testing.T) {
	a := testkit.NewApp(t)
	w := seedMatrix(t, a, false)
	for _, tc := range []struct {
		therapist, client account.User
	}{{w.Therapist, w.Client}, {w.Therapist, w.Client2}, {w.Therapist2, w.OtherClient}} {
		res := postExport(a.Login(t, tc.therapist), fmt.Sprintf("/therapist/clients/%d/progress.pdf", tc.client.ID))
		if res.Code != http.StatusOK {
			t.Fatalf("export %d: status %d", tc.client.ID, res.Code)
		}
		text := testkit.PDFText(t, res.Body.Bytes())
		if !strings.Contains(text, tc.client.DisplayName) {
			t.Errorf("the PDF does not hold %q exactly", tc.client.DisplayName)
		}
		if missing := reports.Missing(text); len(missing) > 0 {
			t.Errorf("%s: no glyph for %q", tc.client.DisplayName, missing)
		}
	}
}

func TestSessionReportCoversWhatHappenedSinceTheLastRecordedSession(t *testing.T) {
	a := testkit.NewApp(t)
	w := seedExport(t, a)
	th := a.Login(t, w.Therapist)
	// The first check-in was sent before the last session; the second after.
	if _, err := a.DB.Exec(`UPDATE assignments SET submitted_at = now() - interval '10 days' WHERE id = $1`, w.first); err != nil {
		t.Fatal(err)
	}
	base := fmt.Sprintf("/therapist/clients/%d", w.Client.ID)
	// A session today is the one the report is printed for: the report
	// still covers everything since the one before.
	for _, day := range []int{-5, 0, 6} {
		res := th.PostForm(base+"/sessions", url.Values{"held_on": {dateInDays(day)}})
		if res.Code != http.StatusSeeOther {
			t.Fatalf("record session: %d\n%s", res.Code, res.Body.String())
		}
	}

	res := th.Get(base + "/session-report")
	if res.Code != http.StatusOK {
		t.Fatalf("session report: %d\n%s", res.Code, res.Body.String())
	}
	body := res.Body.String()
	last, _ := time.Parse(time.DateOnly, dateInDays(-5))
	next, _ := time.Parse(time.DateOnly, dateInDays(0))
	for _, s := range []string{
		"the session of " + last.Format("2 Jan 2006"),
		"<dt>Next session</dt><dd>" + next.Format("2 Jan 2006"),
		`Sent since the last session <span class="count">(1)</span>`,
		`Overdue <span class="count">(1)</span>`,
		`Flagged <span class="count">(1)</span>`,
		`To discuss in session <span class="count">(1)</span>`,
		"Check-in trend", "Overall trust (weekly check-in)",
	} {
		if !strings.Contains(body, s) {
			t.Errorf("the session report lacks %q", s)
		}
	}
	if strings.Contains(body, "PRIVATE") {
		t.Error("the session report shows a private note")
	}

	pdf := postExport(th, base+"/session-report.pdf")
	if pdf.Code != http.StatusOK || pdf.Header().Get("Content-Type") != "application/pdf" {
		t.Fatalf("session report PDF: %d %q", pdf.Code, pdf.Header().Get("Content-Type"))
	}
	if cd := pdf.Header().Get("Content-Disposition"); !strings.Contains(cd, fmt.Sprintf("trellis-session-%d-", w.Client.ID)) || strings.Contains(cd, "Ελένη") {
		t.Errorf("Content-Disposition %q", cd)
	}
	text := testkit.PDFText(t, pdf.Body.Bytes())
	flat := strings.Join(strings.Fields(text), " ")
	for _, s := range []string{w.Client.DisplayName, "Flagged", "Overdue"} {
		if !strings.Contains(flat, s) {
			t.Errorf("the session report PDF lacks %q", s)
		}
	}
	if n := len(testkit.PDFPages(text)); n > 2 {
		t.Errorf("the session report has %d pages, want one or two", n)
	}
	if n := auditCount(t, a, "report.exported", w.Client.ID); n != 2 {
		t.Errorf("%d exports audited, want 2 (the printable page and the PDF)", n)
	}
}

func TestRecordingASessionWithABadDateKeepsWhatWasTyped(t *testing.T) {
	a := testkit.NewApp(t)
	w := seedMatrix(t, a, false)
	th := a.Login(t, w.Therapist)
	base := fmt.Sprintf("/therapist/clients/%d", w.Client.ID)
	before := countOf(t, a, `SELECT count(*) FROM clinical_sessions`)
	for _, tc := range []struct{ typed, message string }{
		{"31/02/2026", "Enter the session&#39;s date, like 2026-01-31."},
		{dateInDays(800), "Enter a date within a year of today."},
	} {
		res := th.PostForm(base+"/sessions", url.Values{"held_on": {tc.typed}})
		if res.Code != http.StatusUnprocessableEntity {
			t.Fatalf("%q: status %d", tc.typed, res.Code)
		}
		body := res.Body.String()
		if !strings.Contains(body, tc.message) || !strings.Contains(body, `value="`+tc.typed+`"`) {
			t.Errorf("%q: message or typed value missing", tc.typed)
		}
	}
	if n := countOf(t, a, `SELECT count(*) FROM clinical_sessions`); n != before {
		t.Errorf("sessions %d → %d after refused dates", before, n)
	}
	// The same day twice is one session.
	for range 2 {
		if res := th.PostForm(base+"/sessions", url.Values{"held_on": {dateInDays(0)}}); res.Code != http.StatusSeeOther {
			t.Fatalf("record: %d", res.Code)
		}
	}
	if n := countOf(t, a, `SELECT count(*) FROM clinical_sessions WHERE client_id = $1 AND held_on = current_date`, w.Client.ID); n != 1 {
		t.Errorf("%d sessions today, want 1", n)
	}
}

// Removing another therapist's client's session answers exactly like
// removing one that does not exist, and removes nothing.
func TestRemovingSomeoneElsesSessionIsTheSame404AsAMissingOne(t *testing.T) {
	a := testkit.NewApp(t)
	w := seedMatrix(t, a, false)
	var theirs int64
	if err := a.DB.Get(&theirs, `INSERT INTO clinical_sessions (client_id, therapist_id, held_on)
		VALUES ($1, $2, current_date) RETURNING id`, w.OtherClient.ID, w.Therapist2.ID); err != nil {
		t.Fatal(err)
	}
	th := a.Login(t, w.Therapist)
	mine := th.PostForm(fmt.Sprintf("/therapist/clients/%d/sessions/%d/remove", w.Client.ID, noSuchUser), url.Values{})
	other := th.PostForm(fmt.Sprintf("/therapist/clients/%d/sessions/%d/remove", w.Client.ID, theirs), url.Values{})
	viaTheirClient := th.PostForm(fmt.Sprintf("/therapist/clients/%d/sessions/%d/remove", w.OtherClient.ID, theirs), url.Values{})
	for name, res := range map[string]int{"missing": mine.Code, "another client's session": other.Code, "through their client": viaTheirClient.Code} {
		if res != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404", name, res)
		}
	}
	if withoutRequestID(mine) != withoutRequestID(other) || withoutRequestID(mine) != withoutRequestID(viaTheirClient) {
		t.Error("the 404s differ")
	}
	if n := countOf(t, a, `SELECT count(*) FROM clinical_sessions WHERE id = $1`, theirs); n != 1 {
		t.Error("another therapist's session was removed")
	}
}

func TestClientSeesTheirProgressOnlyWhenTheirTherapistSharesIt(t *testing.T) {
	a := testkit.NewApp(t)
	w := seedExport(t, a)
	if _, err := a.DB.Exec(`UPDATE users SET progress_shared = false`); err != nil {
		t.Fatal(err)
	}
	c := a.Login(t, w.Client)
	missing := c.Get("/home/no-such-page")
	hidden := c.Get("/home/progress")
	if hidden.Code != http.StatusNotFound || withoutRequestID(hidden) != withoutRequestID(missing) {
		t.Fatalf("unshared progress: status %d, or unlike a missing page", hidden.Code)
	}
	if strings.Contains(c.Get("/home").Body.String(), `href="/home/progress"`) {
		t.Error("the menu offers progress that is not shared")
	}

	th := a.Login(t, w.Therapist)
	res := th.PostForm(fmt.Sprintf("/therapist/clients/%d/sharing", w.Client.ID), url.Values{"shared": {"1"}})
	if res.Code != http.StatusSeeOther {
		t.Fatalf("share: %d", res.Code)
	}
	if !strings.Contains(c.Get("/home").Body.String(), `href="/home/progress"`) {
		t.Error("the menu does not offer the shared progress")
	}
	page := c.Get("/home/progress?" + exportPeriod())
	if page.Code != http.StatusOK {
		t.Fatalf("shared progress: %d", page.Code)
	}
	body := page.Body.String()
	for _, s := range []string{"My progress", "You sent 2 of the 4 exercises", "Weekly trust check-in", "<svg"} {
		if !strings.Contains(body, s) {
			t.Errorf("the client's progress lacks %q", s)
		}
	}
	for _, s := range []string{"PRIVATE", "Flagged", "flag", exportFeedback} {
		if strings.Contains(body, s) {
			t.Errorf("the client's progress shows %q", s)
		}
	}
	// Another client of the same therapist still sees nothing.
	defer func() {
		// Moved to another therapist, who has not chosen to share it, the
		// client no longer sees it.
		moveClient(t, a, w.World, w.Client, w.Therapist2)
		if res := a.Login(t, w.Client).Get("/home/progress"); res.Code != http.StatusNotFound {
			t.Errorf("after a transfer: status %d", res.Code)
		}
	}()
	if res := a.Login(t, w.Client2).Get("/home/progress"); res.Code != http.StatusNotFound {
		t.Errorf("Client2: status %d", res.Code)
	}
	// Turned off again, it is gone; turned on again for the transfer.
	th.PostForm(fmt.Sprintf("/therapist/clients/%d/sharing", w.Client.ID), url.Values{"shared": {"0"}})
	if res := c.Get("/home/progress"); res.Code != http.StatusNotFound {
		t.Errorf("after stopping: status %d", res.Code)
	}
	th.PostForm(fmt.Sprintf("/therapist/clients/%d/sharing", w.Client.ID), url.Values{"shared": {"1"}})
}

// Periods are calendar days in the practice's time zone: in Auckland, work
// sent at 23:30 on the last day is in the period and work sent an hour
// later, the next day there, is not, though both fall on one UTC day.
func TestProgressSummaryPeriodIsInThePracticesTimeZone(t *testing.T) {
	a := testkit.NewApp(t)
	w := seedExport(t, a)
	if _, err := a.DB.Exec(`UPDATE practices SET time_zone = 'Pacific/Auckland' WHERE id = $1`, w.PracticeID); err != nil {
		t.Fatal(err)
	}
	for id, at := range map[int64]string{w.first: "2026-11-20 23:30", w.second: "2026-11-21 00:30"} {
		if _, err := a.DB.Exec(`UPDATE assignments SET submitted_at = ($2::timestamp AT TIME ZONE 'Pacific/Auckland') WHERE id = $1`, id, at); err != nil {
			t.Fatal(err)
		}
	}
	th := a.Login(t, w.Therapist)
	res := postExport(th, fmt.Sprintf("/therapist/clients/%d/progress.pdf?from=2026-11-10&to=2026-11-20", w.Client.ID))
	if res.Code != http.StatusOK {
		t.Fatalf("export: %d", res.Code)
	}
	flat := strings.Join(strings.Fields(testkit.PDFText(t, res.Body.Bytes())), " ")
	if !strings.Contains(flat, exportFirstNote) {
		t.Error("work sent at 23:30 on the period's last day (Auckland) is missing")
	}
	if strings.Contains(flat, exportSecondNote) {
		t.Error("work sent the next day (Auckland) was printed")
	}
	if !strings.Contains(flat, "10 Nov 2026 – 20 Nov 2026") {
		t.Error("the period is not printed as chosen")
	}
}

// postExport posts the report form that path's query describes, as the
// report page's form does: an export is a POST, never a link.
func postExport(s *testkit.Session, path string) *httptest.ResponseRecorder {
	p, q, _ := strings.Cut(path, "?")
	form, err := url.ParseQuery(q)
	if err != nil {
		panic(err)
	}
	return s.PostForm(p, form)
}

// Exports write an audit row, so they are POSTs (R16): a GET of the old
// address, which any site could make a signed-in therapist's browser
// follow, answers 404 with no PDF and no audit row; a cross-site POST is
// refused by the cross-origin check that guards every form; the report
// page's own forms post and get the file.
func TestPDFExportsArePostsAndAGetWritesNoAuditRow(t *testing.T) {
	a := testkit.NewApp(t)
	w := seedExport(t, a)
	th := a.Login(t, w.Therapist)
	base := fmt.Sprintf("/therapist/clients/%d", w.Client.ID)
	exports := []string{base + "/progress.pdf", base + "/session-report.pdf"}
	exported := func() int { return auditCount(t, a, "report.exported", w.Client.ID) }

	for _, path := range exports {
		res := th.Get(path + "?" + exportPeriod())
		if res.Code != http.StatusNotFound || strings.HasPrefix(res.Body.String(), "%PDF") || res.Header().Get("Content-Type") == "application/pdf" {
			t.Errorf("GET %s: status %d, %q; want 404 and no PDF", path, res.Code, res.Header().Get("Content-Type"))
		}
		for name, headers := range map[string]map[string]string{
			"cross-site":            {"Sec-Fetch-Site": "cross-site"},
			"another site's Origin": {"Origin": "https://evil.example"},
			"same-site, not origin": {"Sec-Fetch-Site": "same-site"},
		} {
			r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(exportPeriod()))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for k, v := range headers {
				r.Header.Set(k, v)
			}
			if res := th.Do(r); res.Code != http.StatusForbidden || res.Header().Get("Content-Type") == "application/pdf" {
				t.Errorf("%s POST %s: status %d, want 403 and no PDF", name, path, res.Code)
			}
		}
	}
	if n := exported(); n != 0 {
		t.Fatalf("%d exports audited by refused requests", n)
	}

	page := th.Get(base + "/reports").Body.String()
	for _, form := range []string{
		`<form method="post" action="` + base + `/progress.pdf" novalidate>`,
		`<form method="post" action="` + base + `/session-report.pdf">`,
	} {
		if !strings.Contains(page, form) {
			t.Errorf("the reports page lacks %s", form)
		}
	}
	if !strings.Contains(th.Get(base+"/session-report").Body.String(), `<form method="post" action="`+base+`/session-report.pdf">`) {
		t.Error("the printable session report does not post its PDF download")
	}
	before := exported() // the printable page's view is audited too
	for i, path := range exports {
		res := postExport(th, path+"?"+exportPeriod())
		if res.Code != http.StatusOK || res.Header().Get("Content-Type") != "application/pdf" || !strings.HasPrefix(res.Body.String(), "%PDF") {
			t.Fatalf("POST %s: status %d, %q", path, res.Code, res.Header().Get("Content-Type"))
		}
		if cd, cc := res.Header().Get("Content-Disposition"), res.Header().Get("Cache-Control"); !strings.HasPrefix(cd, "attachment; ") || cc != "no-store" {
			t.Errorf("POST %s: Content-Disposition %q, Cache-Control %q", path, cd, cc)
		}
		if n := exported() - before; n != i+1 {
			t.Errorf("after %d exports, %d audited", i+1, n)
		}
	}
}
