package reports

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/jung-kurt/gofpdf"
)

// Page geometry in millimetres: A4 with 18 mm margins on every side. The
// running header sits in the top margin's lower half, the footer inside
// the bottom of the text block, so nothing is printed outside the margins
// except the header band.
const (
	pageW    = 210.0
	pageH    = 297.0
	margin   = 18.0
	contentW = pageW - 2*margin
	footerH  = 13.0 // rule + two footer lines, above the bottom margin
	bottomY  = pageH - margin - footerH
)

// Colours: a calm palette matching the web app (#2f5d50 for headings).
type rgb struct{ r, g, b int }

var (
	colHeading = rgb{0x2f, 0x5d, 0x50}
	colText    = rgb{0x22, 0x22, 0x22}
	colMuted   = rgb{0x5f, 0x66, 0x63}
	colRule    = rgb{0xc9, 0xd3, 0xce}
	colGrid    = rgb{0xe3, 0xe8, 0xe5}
	colTint    = rgb{0xee, 0xf4, 0xf1}
	colZebra   = rgb{0xf5, 0xf8, 0xf6}
	colWarn    = rgb{0x9a, 0x3d, 0x12}
	colWarnBg  = rgb{0xfb, 0xed, 0xe4}
)

const (
	confidential = "Confidential. A summary of homework between sessions, not a clinical assessment."
	therapistTag = "Therapist copy — includes private notes"
)

// doc wraps one gofpdf document with the Trellis page furniture and text
// helpers. It is built per report and never shared.
type doc struct {
	pdf       *gofpdf.Fpdf
	loc       *time.Location
	generated time.Time
	running   string // running header on pages after the first
	copyTag   bool   // "therapist copy" band on every page

	style string  // the current DejaVu style ("" or "B") and size in points,
	size  float64 // which runs in the CJK fallback are drawn at too
	cjk   bool    // the CJK fallback font has been added to the document
}

func newDoc(title string, loc *time.Location, generated time.Time) *doc {
	if loc == nil {
		loc = time.UTC
	}
	pdf := gofpdf.New("P", "mm", "A4", "")
	pdf.SetMargins(margin, margin, margin)
	pdf.SetAutoPageBreak(true, pageH-bottomY)
	pdf.SetCellMargin(0)
	// Parsed once; each document gets its own copy of the font file (see
	// pdfFonts). A font that failed to parse is recorded as the document's
	// error, which finish returns.
	fonts, err := pdfFonts()
	if err != nil {
		pdf.SetError(err)
	}
	pdf.AddUTF8FontParsed(fontFamily, "", fonts.regular)
	pdf.AddUTF8FontParsed(fontFamily, "B", fonts.bold)
	// The title shows in a browser tab and file managers: no client name
	// there (R20), the name is inside the document only.
	pdf.SetTitle(title, true)
	pdf.SetCreator("Trellis", true)
	if !generated.IsZero() {
		pdf.SetCreationDate(generated)
		pdf.SetModificationDate(generated)
	}
	pdf.AliasNbPages("{nb}")
	d := &doc{pdf: pdf, loc: loc, generated: generated}
	pdf.SetHeaderFuncMode(d.header, true)
	pdf.SetFooterFunc(d.footer)
	return d
}

func (d *doc) header() {
	p := d.pdf
	// A padded box may be open across the page break; the furniture is
	// laid out without cell padding.
	cm := p.GetCellMargin()
	p.SetCellMargin(0)
	defer p.SetCellMargin(cm)
	if d.copyTag {
		d.fill(colWarnBg)
		p.Rect(margin, 6, contentW, 6, "F")
		d.font("B", 8.5)
		d.textColour(colWarn)
		p.SetXY(margin, 6)
		d.cell(contentW, 6, therapistTag, 0, "C", false)
	}
	if p.PageNo() > 1 && d.running != "" {
		d.font("", 8)
		d.textColour(colMuted)
		p.SetXY(margin, 12.5)
		d.cell(contentW, 3.5, d.fit(d.running, contentW), 0, "L", false)
		d.draw(colRule)
		p.SetLineWidth(0.2)
		p.Line(margin, 16.5, margin+contentW, 16.5)
	}
}

func (d *doc) footer() {
	p := d.pdf
	cm := p.GetCellMargin()
	p.SetCellMargin(0)
	defer p.SetCellMargin(cm)
	y := bottomY + 2
	d.draw(colRule)
	p.SetLineWidth(0.2)
	p.Line(margin, y, margin+contentW, y)
	d.font("", 7.5)
	d.textColour(colMuted)
	p.SetXY(margin, y+1.2)
	d.cell(contentW, 4, confidential, 0, "C", false)
	p.SetXY(margin, y+5.5)
	d.cell(contentW/2, 4, "Generated "+d.datetime(d.generated), 0, "L", false)
	// "{nb}" is replaced by the page count when the document is closed.
	d.cell(contentW/2, 4, fmt.Sprintf("Page %d of {nb}", p.PageNo()), 0, "R", false)
}

// finish writes the document, reporting any error gofpdf recorded while
// drawing as well as a failed write.
func (d *doc) finish(w io.Writer) error {
	if err := d.pdf.Error(); err != nil {
		return err
	}
	if err := d.pdf.Output(w); err != nil {
		return err
	}
	return nil
}

func (d *doc) font(style string, size float64) {
	d.style, d.size = style, size
	d.pdf.SetFont(fontFamily, style, size)
}
func (d *doc) textColour(c rgb) { d.pdf.SetTextColor(c.r, c.g, c.b) }
func (d *doc) draw(c rgb)       { d.pdf.SetDrawColor(c.r, c.g, c.b) }
func (d *doc) fill(c rgb)       { d.pdf.SetFillColor(c.r, c.g, c.b) }

// lineH is the leading for the current font size: 1.4 × the size in mm.
func (d *doc) lineH() float64 {
	pt, _ := d.pdf.GetFontSize()
	return pt * 0.3528 * 1.4
}

// need starts a new page when less than h mm is left, so a heading is not
// left alone at the foot of a page. On a fresh page it does nothing: a
// block taller than a page starts there and flows on.
func (d *doc) need(h float64) {
	if y := d.pdf.GetY(); y+h > bottomY && y > margin+1 {
		d.pdf.AddPage()
	}
}

func (d *doc) space(h float64) {
	if d.pdf.GetY()+h <= bottomY {
		d.pdf.SetY(d.pdf.GetY() + h)
	}
}

// textLine is one line of wrapped text, in logical order, and whether
// its paragraph reads right to left.
type textLine struct {
	text string
	rtl  bool
}

// wrap breaks text into lines no wider than width (mm) in the current
// font: at spaces where it can, inside a word only when the word alone is
// wider than the line. Explicit line breaks are kept; runs of blank lines
// collapse to one. Widths are summed in font units exactly as gofpdf
// measures them, so every line's width is at most width.
func (d *doc) wrap(text string, width float64) []string {
	lines := d.wrapLines(text, width)
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = l.text
	}
	return out
}

// wrapLines is wrap, with each line's paragraph direction.
func (d *doc) wrapLines(text string, width float64) []textLine {
	_, size := d.pdf.GetFontSize() // in mm, the unit gofpdf measures widths in
	limit := int(width * 1000 / size)
	if limit < 1 {
		limit = 1
	}
	space := d.symWidth(" ")
	var out []textLine
	blank := false
	for _, para := range strings.Split(text, "\n") {
		if strings.Trim(para, " ") == "" {
			if !blank && len(out) > 0 {
				out = append(out, textLine{})
			}
			blank = true
			continue
		}
		blank = false
		rtl := rtlBase(para)
		var line strings.Builder
		lw := 0
		// The words are what lies between spaces, taken one by one (a
		// slice of them per paragraph was a tenth of what a report
		// allocated).
		for rest := para; rest != ""; {
			var w string
			w, rest, _ = strings.Cut(rest, " ")
			if w == "" {
				continue
			}
			ww := d.symWidth(w)
			if line.Len() > 0 {
				if lw+space+ww <= limit {
					line.WriteByte(' ')
					line.WriteString(w)
					lw += space + ww
					continue
				}
				out = append(out, textLine{line.String(), rtl})
				line.Reset()
				lw = 0
			}
			// A word wider than a line is cut where it must be.
			for ww > limit {
				head, rest := d.cut(w, limit)
				out = append(out, textLine{head, rtl})
				w = rest
				ww = d.symWidth(w)
			}
			line.WriteString(w)
			lw = ww
		}
		out = append(out, textLine{line.String(), rtl})
	}
	for len(out) > 0 && out[len(out)-1].text == "" {
		out = out[:len(out)-1]
	}
	return out
}

// cut splits w after the longest prefix (at least one rune) no wider than
// limit font units.
func (d *doc) cut(w string, limit int) (string, string) {
	total := 0
	for i, r := range w {
		total += d.symWidth(string(r))
		if total > limit {
			if i == 0 {
				n := len(string(r))
				return w[:n], w[n:]
			}
			return w[:i], w[i:]
		}
	}
	return w, ""
}

// fit shortens s with an ellipsis until it fits width in the current font.
func (d *doc) fit(s string, width float64) string {
	if d.width(s) <= width {
		return s
	}
	r := []rune(s)
	for len(r) > 0 && d.width(string(r)+"…") > width {
		r = r[:len(r)-1]
	}
	return string(r) + "…"
}

// para prints text wrapped to width from x (mm), line by line, so a long
// answer flows across as many pages as it needs. The cell margin, when
// set for a padded box, is kept free on both sides.
func (d *doc) para(text string, x, width float64, fill bool) {
	d.lines(text, x, width, fill, false)
}

// prose is para for what people wrote: a paragraph that reads right to
// left is also aligned to the right.
func (d *doc) prose(text string, x, width float64, fill bool) {
	d.lines(text, x, width, fill, true)
}

func (d *doc) lines(text string, x, width float64, fill, alignRTL bool) {
	lh := d.lineH()
	for _, l := range d.wrapLines(text, width-2*d.pdf.GetCellMargin()) {
		align := "L"
		if alignRTL && l.rtl {
			align = "R"
		}
		d.pdf.SetX(x)
		d.cellDir(width, lh, l.text, 2, align, fill, l.rtl)
	}
}

// The text layer: every string reaches the page through cell, which puts
// right-to-left text into visual order and draws each run of it in the
// font that has its glyphs; widths are measured the same way.

// inCJK reports whether r is drawn in the CJK fallback: the runes DejaVu
// lacks and the fallback has (the cleaner has replaced the others).
func inCJK(bits *fontCoverage, r rune) bool {
	return r >= 0x2E80 && !covered(&bits.main, r) && covered(&bits.cjk, r)
}

// fontRun is a stretch of text drawn in one font.
type fontRun struct {
	text string
	cjk  bool
}

// runs splits s where the font changes; nil when it is all DejaVu, the
// common case.
func (d *doc) runs(s string) []fontRun {
	// Runes from U+2E80 up, the only ones inCJK takes, are led by a byte
	// of 0xE2 or more in UTF-8: text without one (most, and every word is
	// measured) is all DejaVu.
	if !hasLeadAtLeast(s, 0xE2) {
		return nil
	}
	bits, err := coverage()
	if err != nil {
		return nil
	}
	var out []fontRun
	start, cur := 0, false
	for i, r := range s {
		c := inCJK(bits, r)
		if c != cur && i > start {
			out = append(out, fontRun{s[start:i], cur})
			start = i
		}
		cur = c
	}
	if out == nil && !cur {
		return nil
	}
	return append(out, fontRun{s[start:], cur})
}

func hasLeadAtLeast(s string, b byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= b {
			return true
		}
	}
	return false
}

// withCJK runs f with the CJK fallback selected at the current size,
// adding the font to the document the first time it is needed (it is
// large, and most reports never use it).
func (d *doc) withCJK(f func()) {
	if !d.cjk {
		fonts, _ := pdfFonts() // an error is already the document's (newDoc)
		d.pdf.AddUTF8FontParsed(cjkFamily, "", fonts.cjk)
		d.cjk = true
	}
	d.pdf.SetFont(cjkFamily, "", d.size)
	f()
	d.pdf.SetFont(fontFamily, d.style, d.size)
}

// symWidth is s's width in thousandths of the font size, as gofpdf's
// GetStringSymbolWidth measures it, each run in its own font.
func (d *doc) symWidth(s string) int {
	s = dropIsolates(s)
	runs := d.runs(s)
	if runs == nil {
		return d.pdf.GetStringSymbolWidth(s)
	}
	w := 0
	for _, r := range runs {
		if r.cjk {
			d.withCJK(func() { w += d.pdf.GetStringSymbolWidth(r.text) })
		} else {
			w += d.pdf.GetStringSymbolWidth(r.text)
		}
	}
	return w
}

// width is s's width in mm at the current font size.
func (d *doc) width(s string) float64 {
	_, size := d.pdf.GetFontSize()
	return float64(d.symWidth(s)) * size / 1000
}

// cell is gofpdf's CellFormat (no border, no link) for text s in logical
// order, whose direction is its first strong character's.
func (d *doc) cell(w, h float64, s string, ln int, align string, fill bool) {
	d.cellDir(w, h, s, ln, align, fill, rtlBase(s))
}

// cellDir is cell for a line of a paragraph that reads right to left
// when rtl is set.
func (d *doc) cellDir(w, h float64, s string, ln int, align string, fill, rtl bool) {
	p := d.pdf
	s = visual(s, rtl)
	runs := d.runs(s)
	if runs == nil {
		p.CellFormat(w, h, s, "", ln, align, fill, 0, "")
		return
	}
	// An empty cell draws the fill and moves on (to a new page, if it
	// must); the runs are then drawn into it one after the other.
	x := p.GetX()
	p.CellFormat(w, h, "", "", ln, align, fill, 0, "")
	nx, ny := p.GetXY()
	y := ny
	if ln != 0 {
		y -= h
	}
	cm := p.GetCellMargin()
	tx := x + cm
	switch align {
	case "C":
		tx = x + (w-d.width(s))/2
	case "R":
		tx = x + w - cm - d.width(s)
	}
	p.SetCellMargin(0)
	for _, r := range runs {
		draw := func() {
			rw := p.GetStringWidth(r.text)
			p.SetXY(tx, y)
			p.CellFormat(rw, h, r.text, "", 0, "L", false, 0, "")
			tx += rw
		}
		if r.cjk {
			d.withCJK(draw)
		} else {
			draw()
		}
	}
	p.SetCellMargin(cm)
	p.SetXY(nx, ny)
}

// heading prints a section heading, on a new page unless after mm of
// what follows fit below it, so a heading never ends a page alone.
func (d *doc) heading(text string, after float64) {
	d.need(14 + after)
	d.space(3)
	d.font("B", 13)
	d.textColour(colHeading)
	d.para(text, margin, contentW, false)
	d.draw(colRule)
	d.pdf.SetLineWidth(0.3)
	y := d.pdf.GetY() + 0.8
	d.pdf.Line(margin, y, margin+contentW, y)
	d.pdf.SetY(y + 2.5)
}

func (d *doc) date(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(d.loc).Format("2 Jan 2006")
}

func (d *doc) datetime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(d.loc).Format("2 Jan 2006, 15:04 MST")
}

func (d *doc) period(from, to time.Time) string {
	return d.date(from) + " – " + d.date(to)
}

// percent is n of total as a whole percentage, rounded half up.
func percent(n, total int) string {
	if total <= 0 {
		return "—"
	}
	return fmt.Sprintf("%d%%", (n*200+total)/(2*total))
}
