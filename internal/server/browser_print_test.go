package server_test

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/trellis-app/trellis/internal/testkit"
)

// printPage prints what the tab shows as the browser's Print command
// would on A4 (the page's own @page size and margins, backgrounds on) and
// returns the text of each printed page. TRELLIS_PRINT_OUT, when it names
// a directory, keeps the PDF there to look at.
func (b *tab) printPage(name string) []string {
	b.t.Helper()
	pdf, err := chromedp.Run(b.Ctx, chromedp.PrintToPDF(chromedp.PDFPaper(chromedp.PaperA4), chromedp.PDFPreferCSSPageSize(), chromedp.PDFPrintBackground()))
	if err != nil {
		b.t.Fatalf("print %s: %v", name, err)
	}
	if dir := os.Getenv("TRELLIS_PRINT_OUT"); dir != "" {
		_ = os.WriteFile(filepath.Join(dir, name+".pdf"), pdf, 0o600)
	}
	pages := testkit.PDFPages(testkit.PDFText(b.t, pdf))
	if len(pages) == 0 {
		b.t.Fatalf("printing %s gave no pages", name)
	}
	return pages
}

func flatText(s string) string { return strings.Join(strings.Fields(s), " ") }

// Printing the progress page leaves the period form and the export button
// off the paper and puts the first chart on page 1, under the completion
// figures.
func TestPrintedProgressPageStartsWithTheChartAndLeavesTheFormOff(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	client := seededClient(t, a, w.Therapist, 12)
	b := newTab(t, a.Listen(t))
	b.signIn(w.Therapist.Email, testkit.Password)
	b.open(fmt.Sprintf("/therapist/clients/%d/progress?%s", client.ID, twelveWeeks()), http.StatusOK)
	if b.count("form.filters") != 1 {
		t.Fatal("the progress page has no period form to leave off")
	}

	pages := b.printPage("progress")
	all := flatText(strings.Join(pages, " "))
	for _, s := range []string{"Show", "Export a PDF summary"} {
		if strings.Contains(all, s) {
			t.Errorf("the printout shows %q from the form and buttons", s)
		}
	}
	if m := regexp.MustCompile(`From \S*\d`).FindString(all); m != "" {
		t.Errorf("the printout shows the period form: %q", m)
	}
	first := flatText(pages[0])
	for _, s := range []string{
		"Progress: Seed Client 0001",
		// The period, which the form showed on screen.
		"Period: " + time.Now().AddDate(0, 0, -7*13).Format("2 Jan 2006") + " – " + time.Now().Format("2 Jan 2006"),
		"Completion",
		"Weekly trust check-in",
		// The chart's axis and legend are text in the PDF.
		"Overall, how much did you trust this relationship this week?",
	} {
		if !strings.Contains(first, s) {
			t.Errorf("page 1 of %d lacks %q:\n%s", len(pages), s, first)
		}
	}
	b.expectNoConsoleErrors()
}

// A short session report prints on one page with its trend chart.
func TestPrintedShortSessionReportFitsOnePageWithItsTrend(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	// Eight weeks of check-ins and a session ten days ago, as the demo
	// has: since then one check-in sent, one waiting, one overdue.
	client := seededClient(t, a, w.Therapist, 8)
	if res := a.Login(t, w.Therapist).PostForm(fmt.Sprintf("/therapist/clients/%d/sessions", client.ID), url.Values{"held_on": {dateInDays(-10)}}); res.Code != http.StatusSeeOther {
		t.Fatalf("record the session: %d", res.Code)
	}
	b := newTab(t, a.Listen(t))
	b.signIn(w.Therapist.Email, testkit.Password)
	b.open(fmt.Sprintf("/therapist/clients/%d/session-report", client.ID), http.StatusOK)
	if b.count("main section.chart svg.chart-svg") != 1 {
		t.Fatalf("the session report shows no trend chart: %q", b.text("main"))
	}

	pages := b.printPage("session-report")
	if len(pages) != 1 {
		for i, p := range pages {
			t.Logf("page %d:\n%s", i+1, p)
		}
		t.Fatalf("a short session report prints on %d pages, want 1", len(pages))
	}
	first := flatText(pages[0])
	for _, s := range []string{client.DisplayName, "To discuss in session", "Check-in trend", "Overall trust (weekly check-in)", "Confidential."} {
		if !strings.Contains(first, s) {
			t.Errorf("the printed page lacks %q:\n%s", s, first)
		}
	}
	if strings.Contains(first, "Print this page") {
		t.Error("the printing hint is on the paper")
	}
}
