package server_test

import (
	"fmt"
	"math"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"

	"github.com/trellis-app/trellis/internal/account"
	"github.com/trellis-app/trellis/internal/testkit"
	"github.com/trellis-app/trellis/internal/testkit/pdfdoc"
	"github.com/trellis-app/trellis/reports"
)

// seededClient gives the therapist one client with weeks of check-ins
// from testkit.SeedCaseload, whose values make identical lines: respect,
// empathy and overall trust agree every week, and so do consistency and
// forgiveness.
func seededClient(t *testing.T, a *testkit.App, therapist account.User, weeks int) account.User {
	t.Helper()
	a.SeedCaseload(t, therapist, 1, weeks)
	var id int64
	if err := a.DB.Get(&id, `SELECT max(id) FROM users WHERE therapist_id = $1 AND role = 'client'`, therapist.ID); err != nil {
		t.Fatal(err)
	}
	return a.User(t, id)
}

func twelveWeeks() string {
	return "from=" + dateInDays(-7*13) + "&to=" + dateInDays(0)
}

func exportPDF(t *testing.T, s *testkit.Session, path string) []byte {
	t.Helper()
	res := postExport(s, path)
	if res.Code != http.StatusOK || res.Header().Get("Content-Type") != "application/pdf" {
		t.Fatalf("%s: status %d, %q\n%.300s", path, res.Code, res.Header().Get("Content-Type"), res.Body.String())
	}
	return res.Body.Bytes()
}

// On the exported PDF, the check-in's six lines are six paths through
// different points although three of them, and two others, carry the same
// values, and overall trust is the thick solid one.
func TestProgressPDFDrawsIdenticalCheckInLinesApartWithOverallTrustThick(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	client := seededClient(t, a, w.Therapist, 12)
	pdf := exportPDF(t, a.Login(t, w.Therapist), fmt.Sprintf("/therapist/clients/%d/progress.pdf?%s&all=1", client.ID, twelveWeeks()))

	doc, err := pdfdoc.Parse(pdf)
	if err != nil {
		t.Fatal(err)
	}
	var lines []pdfdoc.Path
	for _, p := range pdfdoc.Paths(doc.Pages[0]) {
		if len(p.Points) > 2 {
			lines = append(lines, p)
		}
	}
	if len(lines) != 6 {
		t.Fatalf("page 1 draws %d lines, want the check-in's six", len(lines))
	}
	for i := range lines {
		for j := range i {
			if slices.Equal(lines[i].Points, lines[j].Points) {
				t.Errorf("lines %d and %d are drawn through the same points: one hides the other", j, i)
			}
		}
	}
	// Overall trust is the check-in's last question: the sixth style.
	thick := slices.MaxFunc(lines, func(a, b pdfdoc.Path) int { return int(a.Width*100) - int(b.Width*100) })
	c := reports.Style(5).Colour
	var r, g, b int
	if _, err := fmt.Sscanf(c, "#%02x%02x%02x", &r, &g, &b); err != nil {
		t.Fatal(err)
	}
	if math.Abs(thick.Colour[0]-float64(r)/255) > 0.003 || math.Abs(thick.Colour[1]-float64(g)/255) > 0.003 || len(thick.Dash) != 0 {
		t.Errorf("the thickest line is %v, dashes %v; want overall trust's %s, solid", thick.Colour, thick.Dash, c)
	}
	dashes := map[string]bool{}
	for _, l := range lines {
		dashes[fmt.Sprint(l.Dash, math.Round(l.Width))] = true
	}
	if len(dashes) != 6 {
		t.Errorf("%d distinct dash patterns and widths among the six lines", len(dashes))
	}
}

// The same client's progress page draws the same styles in SVG: overall
// trust thick, solid and first (under the others), every line through its
// own points, markers of five shapes besides the circle.
func TestProgressPageDrawsIdenticalLinesApartWithTheReportsStyles(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	client := seededClient(t, a, w.Therapist, 12)
	res := a.Login(t, w.Therapist).Get(fmt.Sprintf("/therapist/clients/%d/progress?%s", client.ID, twelveWeeks()))
	if res.Code != http.StatusOK {
		t.Fatalf("progress page: %d", res.Code)
	}
	body := res.Body.String()
	// The first chart's plot, up to its frame's end (the legend follows).
	svg := body[strings.Index(body, `<svg class="chart-svg"`):]
	svg = svg[:strings.Index(svg, "</div>")]
	lines := regexp.MustCompile(`<polyline points="([^"]+)" fill="none" stroke="(#[0-9a-f]{6})" stroke-width="([\d.]+)" vector-effect="non-scaling-stroke"( stroke-dasharray="([^"]+)")?`).FindAllStringSubmatch(svg, -1)
	if len(lines) != 6 {
		t.Fatalf("the check-in chart draws %d lines, want 6", len(lines))
	}
	if lines[0][2] != reports.Style(5).Colour || lines[0][3] != "5" || lines[0][4] != "" {
		t.Errorf("first line drawn: %q, want overall trust's %s, 5 wide, solid", lines[0][0], reports.Style(5).Colour)
	}
	seen := map[string]bool{}
	for i, l := range lines {
		if seen[l[1]] {
			t.Errorf("line %d is drawn through the same points as another", i)
		}
		seen[l[1]] = true
		if i > 0 && l[2] != reports.Style(i-1).Colour {
			t.Errorf("line %d is %s, want %s", i, l[2], reports.Style(i-1).Colour)
		}
	}
	if circles, n := strings.Count(svg, "<circle "), strings.Count(svg, "<polygon "); circles < 10 || n != 5*circles {
		t.Errorf("%d circle and %d polygon markers; want the five non-circle shapes at every value", circles, n)
	}
}

// A client named in Chinese, Japanese, Arabic or Hebrew gets both PDFs
// with their name read back in logical order and a glyph for every rune
// in the font it is printed in.
func TestReportsPrintNamesInCJKArabicAndHebrew(t *testing.T) {
	a := testkit.NewApp(t)
	w := seedExport(t, a)
	th := a.Login(t, w.Therapist)
	for _, name := range []string{"王小明", "佐藤 花子", "ليلى حداد", "נועה לוי"} {
		if _, err := a.DB.Exec(`UPDATE users SET display_name = $1 WHERE id = $2`, name, w.Client.ID); err != nil {
			t.Fatal(err)
		}
		for _, path := range []string{
			fmt.Sprintf("/therapist/clients/%d/progress.pdf?%s&all=1", w.Client.ID, exportPeriod()),
			fmt.Sprintf("/therapist/clients/%d/session-report.pdf", w.Client.ID),
		} {
			pdf := exportPDF(t, th, path)
			text := readBack(testkit.PDFText(t, pdf))
			if !strings.Contains(text, name) {
				t.Errorf("%s: %q not read back from:\n%.400s", path, name, text)
			}
			if strings.ContainsRune(text, reports.Replacement) {
				t.Errorf("%s: %q printed with replacement characters", path, name)
			}
			doc, err := pdfdoc.Parse(pdf)
			if err != nil {
				t.Fatal(err)
			}
			missing, err := doc.Glyphless()
			if err != nil {
				t.Fatal(err)
			}
			for font, rs := range missing {
				t.Errorf("%s: font %s shows %q without a glyph", path, font, rs)
			}
		}
	}
}

// readBack is extracted text as a reader copies it: Arabic presentation
// forms as letters (NFKC), without pdftotext's embedding marks.
func readBack(s string) string {
	s = strings.Map(func(r rune) rune {
		if r >= 0x202A && r <= 0x202E {
			return -1
		}
		return r
	}, s)
	return norm.NFKC.String(s)
}

// The exported summary leads with the chart and the reflections and ends
// with the table of values.
func TestProgressPDFEndsWithTheTableOfValues(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	client := seededClient(t, a, w.Therapist, 12)
	pdf := exportPDF(t, a.Login(t, w.Therapist), fmt.Sprintf("/therapist/clients/%d/progress.pdf?%s&all=1", client.ID, twelveWeeks()))
	pages := testkit.PDFPages(testkit.PDFText(t, pdf))
	flat := strings.Join(strings.Fields(strings.Join(pages, " ")), " ")
	refl := strings.Index(flat, "Reflections (")
	values := strings.Index(flat, "Values by date Weekly trust check-in Date")
	if refl < 0 || values < refl {
		t.Errorf("the reflections at %d, the table of values at %d: want the table after them", refl, values)
	}
	// A table row: a date and the six values.
	rows := regexp.MustCompile(`\d{1,2} [A-Z][a-z]{2} \d{4}( (\d+|–)){6} `).FindAllStringIndex(flat, -1)
	if len(rows) < 10 || rows[0][0] < values {
		t.Errorf("%d table rows, the first at %d, before the table's heading at %d", len(rows), rows[0][0], values)
	}
	if !strings.Contains(pages[0], "Overall, how much did you trust") {
		t.Error("the check-in chart is not on page 1")
	}
	if strings.Contains(flat, "…") {
		t.Error("something is cut short with an ellipsis")
	}
}
