package reports

import (
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/trellis-app/trellis/internal/testkit/pdfdoc"
)

// identicalCheckIn is the weekly check-in of a demo client whose answers
// make two pairs of identical lines: Respect = Empathy, Consistency =
// Overall trust.
func identicalCheckIn(weeks int) Summary {
	s := history("Zoë Martin", weeks, 2)
	c := &s.Charts[0]
	names := []string{"Open communication", "Respect", "Consistency", "Empathy", "Forgiveness", "Overall trust"}
	for i := range c.Series {
		c.Series[i].Name = names[i]
		c.Series[i].Emphasis = i == 5
	}
	c.Series[3].Points = slices.Clone(c.Series[1].Points)
	c.Series[5].Points = slices.Clone(c.Series[2].Points)
	s.Charts = s.Charts[:1]
	return s
}

// strokes are page 1's stroked paths of more than two points: the
// chart's lines (gridlines, axes and swatches are single segments).
func strokes(t *testing.T, pdf []byte) []pdfdoc.Path {
	t.Helper()
	doc, err := pdfdoc.Parse(pdf)
	if err != nil {
		t.Fatal(err)
	}
	var out []pdfdoc.Path
	for _, p := range pdfdoc.Paths(doc.Pages[0]) {
		if len(p.Points) > 2 {
			out = append(out, p)
		}
	}
	return out
}

func rgbOf(t *testing.T, hex string) [3]float64 {
	t.Helper()
	c := hexColour(hex)
	return [3]float64{float64(c.r) / 255, float64(c.g) / 255, float64(c.b) / 255}
}

// Each line of the chart is drawn in the web chart's colour with its own
// dash pattern (overall trust solid and twice as thick), as one path, so
// the pattern runs on across points.
func TestChartLinesHaveTheWebChartsColoursAndTheirOwnDashes(t *testing.T) {
	s := identicalCheckIn(26)
	lines := strokes(t, progressPDF(t, s))
	if len(lines) != 6 {
		t.Fatalf("%d multi-point lines on page 1, want the 6 series", len(lines))
	}
	seen := map[string]int{}
	for i := range 6 {
		want := rgbOf(t, Style(i).Colour)
		var line *pdfdoc.Path
		for k := range lines {
			if near(lines[k].Colour, want) {
				line = &lines[k]
			}
		}
		if line == nil {
			t.Errorf("no line in series %d's colour %s", i, Style(i).Colour)
			continue
		}
		// Overall trust is the one solid line as thick as it is.
		dash := fmt.Sprint(line.Dash, math.Round(line.Width))
		if j, dup := seen[dash]; dup {
			t.Errorf("series %d and %d share the dash pattern and width %s", j, i, dash)
		}
		seen[dash] = i
		const mm = 72 / 25.4
		switch {
		case i == 5 && (len(line.Dash) != 0 || math.Abs(line.Width-EmphasisWidth*lineW*mm) > 0.02):
			t.Errorf("overall trust is drawn %.2f pt wide with dashes %v, want solid and %.2f pt", line.Width, line.Dash, EmphasisWidth*lineW*mm)
		case i != 5 && math.Abs(line.Width-lineW*mm) > 0.02:
			t.Errorf("series %d is %.2f pt wide", i, line.Width)
		case i > 0 && i < 5 && len(line.Dash) == 0:
			t.Errorf("series %d is solid, want the web chart's dashes %v", i, Style(i).Dash)
		}
	}
}

func near(a, b [3]float64) bool {
	return math.Abs(a[0]-b[0]) < 0.003 && math.Abs(a[1]-b[1]) < 0.003 && math.Abs(a[2]-b[2]) < 0.003
}

// Two series with the same values are drawn side by side, not one over
// the other: on the printed page (rasterised, as a reader sees it), the
// plot shows every series' colour, the hidden ones included.
func TestIdenticalSeriesStayVisible(t *testing.T) {
	s := identicalCheckIn(26)
	pdf := progressPDF(t, s)

	// The drawn lines differ, point by point, though the values agree.
	lines := strokes(t, pdf)
	for i := range lines {
		for j := range i {
			if slices.Equal(lines[i].Points, lines[j].Points) {
				t.Errorf("two lines are drawn through the same points")
			}
		}
	}

	// The plot's box on page 1: from below the chart's subtitle to above
	// the legend, as pdftotext -bbox places them.
	top, bottom := -1.0, -1.0
	for _, b := range words(t, pdf) {
		if b.page != 1 {
			continue
		}
		if b.word == "period" && top < 0 {
			top = b.yMax
		}
		if b.word == "Respect" && bottom < 0 && top > 0 {
			bottom = b.yMin
		}
	}
	if top < 0 || bottom < top {
		t.Fatalf("cannot find the plot on page 1 (top %.0f, legend %.0f)", top, bottom)
	}
	const dpi = 150
	path := savePDF(t, "identical.pdf", pdf)
	prefix := filepath.Join(filepath.Dir(path), "identical")
	run(t, "pdftoppm", "-png", "-r", strconv.Itoa(dpi), "-f", "1", "-l", "1", "-singlefile", path, prefix)
	f, err := os.Open(prefix + ".png")
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(f)
	_ = f.Close()
	if err != nil {
		t.Fatal(err)
	}
	px := func(pt float64) int { return int(pt * dpi / 72) }
	// Leave out the axis labels' band above the legend.
	plot := image.Rect(0, px(top), img.Bounds().Dx(), px(bottom)-px(12))
	counts := make([]int, 6)
	colours := make([]rgb, 6)
	for i := range colours {
		colours[i] = hexColour(Style(i).Colour)
	}
	rgba := image.NewRGBA(plot)
	draw.Draw(rgba, plot, img, plot.Min, draw.Src)
	for o := 0; o+3 < len(rgba.Pix); o += 4 {
		r, g, b := int(rgba.Pix[o]), int(rgba.Pix[o+1]), int(rgba.Pix[o+2])
		for i, c := range colours {
			if sq(r-c.r)+sq(g-c.g)+sq(b-c.b) < 28*28 {
				counts[i]++
			}
		}
	}
	for i, n := range counts {
		// A dotted line 26 weeks long shows about a thousand pixels of
		// its colour at this resolution; a hidden one, none.
		if n < 300 {
			t.Errorf("series %d (%s) shows %d pixels of its colour in the plot: hidden", i, s.Charts[0].Series[i].Name, n)
		}
	}
	if t.Failed() {
		t.Logf("pixels per series: %v", counts)
	}
}

func sq(v int) int { return v * v }

// The progress summary leads with what a therapist reads (figures,
// trends, reflections with feedback) and ends with the tables of values.
func TestProgressLeadsWithTrendsAndReflectionsAndEndsWithTheValues(t *testing.T) {
	s := history("Дмитрий Иванов", 52, 12)
	ps := pages(t, progressPDF(t, s))
	text := flat(strings.Join(ps, " "))
	at := func(what string) int {
		i := strings.Index(text, what)
		if i < 0 {
			t.Fatalf("the report lacks %q", what)
		}
		return i
	}
	pageOf := func(what string) int {
		for i, p := range ps {
			if strings.Contains(flat(p), what) {
				return i + 1
			}
		}
		t.Fatalf("no page has %q", what)
		return 0
	}
	// The check-in chart (its legend) is on page 1, the reflections start
	// by page 2, and the first table row comes after the last feedback.
	if p := pageOf("Overall trust"); p != 1 {
		t.Errorf("the check-in chart is on page %d", p)
	}
	if p := pageOf("Reflections (12)"); p > 2 {
		t.Errorf("the reflections start on page %d", p)
	}
	order := []string{
		"Homework in this period",
		"Weekly check-in",
		"Thought records: distress before and after",
		"Reflections (12)",
		"carefully (11).",
		"Values by date Weekly check-in",
		"Date Mood Sleep Energy Connection Calm Overall trust",
		"Date Distress before Distress after",
	}
	for i := 1; i < len(order); i++ {
		if at(order[i-1]) > at(order[i]) {
			t.Errorf("%q comes before %q", order[i], order[i-1])
		}
	}
	// Every date row is in the tables at the end, none before them.
	if strings.Count(text[:at("Values by date Weekly check-in")], "10 May 2024") != 0 {
		t.Error("a table row is printed before the tables at the end")
	}
	if p := pageOf("Values by date Weekly check-in"); p < len(ps)-2 {
		t.Errorf("the tables start on page %d of %d", p, len(ps))
	}
}

// Long column headings are wrapped whole, never cut with "…".
func TestValueTableHeadingsWrapInsteadOfBeingCut(t *testing.T) {
	s := history("Zoë Martin", 8, 1)
	long := "How much did you trust that your partner would keep the promises made this week"
	s.Charts[0].Series[2].Name = long
	ps := pages(t, progressPDF(t, s))
	table := strings.Join(ps, "\n")
	table = table[strings.LastIndex(table, "Values by date"):]
	if strings.Contains(table, "…") {
		t.Errorf("a heading is cut short:\n%s", table)
	}
	// The words of the heading are there in order (pdftotext -layout
	// interleaves the wrapped lines with the other columns' headings).
	f := flat(table)
	pos := 0
	for _, w := range strings.Fields(long) {
		j := strings.Index(f[pos:], w)
		if j < 0 {
			t.Fatalf("the heading lacks %q after position %d:\n%s", w, pos, f[:min(len(f), 600)])
		}
		pos += j + len(w)
	}
}
