package reports

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// WriteProgress renders the progress summary for one client and period as
// an A4 PDF to w: who and when, completion figures, the charts, the
// reflections with their feedback, only when s.IncludeNotes is set the
// therapist's private notes (every page is then marked as the therapist's
// copy), and last the tables of the values charted.
func WriteProgress(w io.Writer, s Summary) error {
	cl, err := newCleaner()
	if err != nil {
		return fmt.Errorf("progress summary: %w", err)
	}
	s = cleanSummary(cl, s)

	d := newDoc("Trellis progress summary", s.Location, s.Generated)
	d.copyTag = s.IncludeNotes
	d.running = "Progress summary · " + isolate(s.Client) + " · " + d.period(s.From, s.To)
	d.pdf.AddPage()

	d.titleBlock("Progress summary", s.Practice, s.Client, [][2]string{
		{"Therapist", s.Therapist},
		{"Period", d.period(s.From, s.To)},
		{"Generated", d.datetime(s.Generated)},
	})
	if note := cl.note(); note != "" {
		d.font("", 8.5)
		d.textColour(colMuted)
		d.para(note, margin, contentW, false)
		d.space(2)
	}

	d.heading("Homework in this period", 30)
	d.completion(s.Completion)

	// What a therapist reads first: the trend of each chart, then what
	// the client wrote and the feedback on it; the values behind the
	// charts, which can run to pages, come last.
	plots := make([]plot, len(s.Charts))
	for i, c := range s.Charts {
		from, to := window(s.From, s.To, c.Series)
		plots[i] = plot{Chart: c, from: from, to: d.endOfDay(to)}
		plots[i].Title = "Over the period"
	}
	tables := 0
	for i, pc := range plots {
		if !hasPoints(pc) {
			d.heading(s.Charts[i].Title, 10)
			d.font("", 10)
			d.textColour(colMuted)
			d.para("No values recorded in this period.", margin, contentW, false)
			continue
		}
		tables++
		const plotH = 58
		d.heading(s.Charts[i].Title, d.chartHeight(pc, plotH))
		d.drawChart(pc, plotH)
	}
	if tables > 0 {
		d.font("", 8.5)
		d.textColour(colMuted)
		d.para("Every value charted is listed by date under “"+valuesTitle+"” at the end.", margin, contentW, false)
	}

	if len(s.Measures) > 0 {
		d.measures(s.Measures, 50)
	}

	d.heading(fmt.Sprintf("Reflections (%d)", len(s.Reflections)), 40)
	if len(s.Reflections) == 0 {
		d.font("", 10)
		d.textColour(colMuted)
		d.para("No reflections were selected for this summary.", margin, contentW, false)
	}
	for i, r := range s.Reflections {
		d.reflection(r, i > 0)
	}

	if s.IncludeNotes {
		d.heading("Private notes (therapist only)", 15)
		if len(s.Notes) == 0 {
			d.font("", 10)
			d.textColour(colMuted)
			d.para("No private notes in this period.", margin, contentW, false)
		}
		for _, n := range s.Notes {
			d.need(12)
			d.font("B", 9)
			d.textColour(colMuted)
			d.para(d.datetime(n.At), margin, contentW, false)
			d.font("", 10)
			d.textColour(colText)
			d.prose(n.Text, margin, contentW, false)
			d.space(2.5)
		}
	}

	if tables > 0 {
		d.heading(valuesTitle, 30)
		for i, pc := range plots {
			if !hasPoints(pc) {
				continue
			}
			d.need(30)
			d.font("B", 10.5)
			d.textColour(colHeading)
			d.para(s.Charts[i].Title, margin, contentW, false)
			d.space(1)
			d.valueTable(pc)
		}
	}

	if err := d.finish(w); err != nil {
		return fmt.Errorf("progress summary: %w", err)
	}
	return nil
}

// valuesTitle heads the tables of values at the end.
const valuesTitle = "Values by date"

// cleanSummary returns a copy of s with every printed string made
// printable. Notes are dropped entirely unless they are to be printed, so
// nothing later can print them by mistake.
func cleanSummary(cl *cleaner, s Summary) Summary {
	s.Practice, s.Therapist, s.Client = cl.line(s.Practice), cl.line(s.Therapist), cl.line(s.Client)
	charts := make([]Chart, len(s.Charts))
	for i, c := range s.Charts {
		c.Title, c.Unit = cl.line(c.Title), cl.line(c.Unit)
		series := make([]Series, len(c.Series))
		for j, se := range c.Series {
			se.Name = cl.line(se.Name)
			se.Points = sortedPoints(se.Points)
			series[j] = se
		}
		c.Series = series
		charts[i] = c
	}
	s.Charts = charts
	refl := make([]Reflection, len(s.Reflections))
	for i, r := range s.Reflections {
		r.Title = cl.line(r.Title)
		r.Flagged = cl.lines(r.Flagged)
		qas := make([]QA, len(r.Answers))
		for j, qa := range r.Answers {
			qas[j] = QA{Question: cl.text(qa.Question, true), Answer: cl.lines(qa.Answer)}
		}
		r.Answers = qas
		fb := make([]Feedback, len(r.Feedback))
		for j, f := range r.Feedback {
			fb[j] = Feedback{Given: f.Given, Text: cl.text(f.Text, true)}
		}
		r.Feedback = fb
		refl[i] = r
	}
	s.Reflections = refl
	if s.IncludeNotes {
		notes := make([]Note, len(s.Notes))
		for i, n := range s.Notes {
			notes[i] = Note{At: n.At, Text: cl.text(n.Text, true)}
		}
		s.Notes = notes
	} else {
		s.Notes = nil
	}
	return s
}

func hasPoints(c plot) bool {
	for _, s := range c.Series {
		for _, p := range s.Points {
			if !p.At.Before(c.from) && !p.At.After(c.to) {
				return true
			}
		}
	}
	return false
}

// titleBlock is the first page's heading: practice, report title, client
// and a few labelled facts.
func (d *doc) titleBlock(title, practice, client string, facts [][2]string) {
	p := d.pdf
	d.font("", 9.5)
	d.textColour(colMuted)
	d.para(practice, margin, contentW, false)
	d.space(1)
	d.font("B", 19)
	d.textColour(colHeading)
	d.para(title, margin, contentW, false)
	d.font("B", 14)
	d.textColour(colText)
	d.para(client, margin, contentW, false)
	d.space(2)
	const labelW = 29
	for _, f := range facts {
		y := p.GetY()
		d.font("B", 9.5)
		d.textColour(colMuted)
		p.SetXY(margin, y)
		d.cell(labelW, d.lineH(), f[0], 0, "L", false)
		d.font("", 9.5)
		d.textColour(colText)
		p.SetY(y)
		d.para(f[1], margin+labelW, contentW-labelW, false)
	}
	d.space(2)
	d.draw(colHeading)
	p.SetLineWidth(0.5)
	p.Line(margin, p.GetY(), margin+contentW, p.GetY())
	d.space(3)
}

// completion prints the period's figures as three boxes and a sentence.
func (d *doc) completion(c Completion) {
	p := d.pdf
	d.need(30)
	boxes := []struct{ n, label string }{
		{strconv.Itoa(c.Assigned), "assigned"},
		{strconv.Itoa(c.Submitted), "submitted · " + percent(c.Submitted, c.Assigned)},
		// On time is a share of what was sent, as on the progress page:
		// how punctual the client is when they do send.
		{strconv.Itoa(c.OnTime), "on time · " + percent(c.OnTime, c.Submitted) + " of sent"},
	}
	const gap, h = 4.0, 18.0
	bw := (contentW - 2*gap) / 3
	y := p.GetY()
	for i, b := range boxes {
		x := margin + float64(i)*(bw+gap)
		d.fill(colTint)
		p.Rect(x, y, bw, h, "F")
		d.font("B", 18)
		d.textColour(colHeading)
		p.SetXY(x+4, y+2.5)
		d.cell(bw-8, 8, b.n, 0, "L", false)
		d.font("", 9)
		d.textColour(colMuted)
		p.SetXY(x+4, y+11)
		d.cell(bw-8, 4.5, d.fit(b.label, bw-8), 0, "L", false)
	}
	p.SetXY(margin, y+h+3)
	d.font("", 10)
	d.textColour(colText)
	var line string
	switch {
	case c.Assigned == 0:
		line = "No homework was due in this period."
	default:
		noun := "assignments"
		if c.Assigned == 1 {
			noun = "assignment"
		}
		line = fmt.Sprintf("%d of %d %s submitted (%s); %d of them on time (%s).",
			c.Submitted, c.Assigned, noun, percent(c.Submitted, c.Assigned), c.OnTime, percent(c.OnTime, c.Submitted))
	}
	d.para(line, margin, contentW, false)
	d.space(2)
}

// reflection prints one reflection: title, when and which version, why it
// was flagged, each question (bold) and answer, then the feedback.
func (d *doc) reflection(r Reflection, rule bool) {
	p := d.pdf
	d.need(d.reflectionHeadH(r, rule))
	if rule {
		d.draw(colRule)
		p.SetLineWidth(0.2)
		p.Line(margin, p.GetY(), margin+contentW, p.GetY())
		d.space(3)
	}
	d.font("B", 11.5)
	d.textColour(colHeading)
	d.para(r.Title, margin, contentW, false)
	d.font("", 8.5)
	d.textColour(colMuted)
	meta := "Sent " + d.datetime(r.Sent)
	if r.Version > 1 {
		meta += " · version " + strconv.Itoa(r.Version)
	}
	d.para(meta, margin, contentW, false)
	if len(r.Flagged) > 0 {
		d.space(1)
		d.font("B", 9)
		d.textColour(colWarn)
		d.para(flaggedLine(r.Flagged), margin, contentW, false)
	}
	d.space(2)

	for _, qa := range r.Answers {
		d.font("B", 10)
		q := d.wrap(qa.Question, contentW)
		d.need(float64(len(q)+2) * d.lineH())
		d.textColour(colText)
		d.prose(qa.Question, margin, contentW, false)
		d.font("", 10)
		d.answer(qa.Answer)
		d.space(2)
	}

	for _, f := range r.Feedback {
		d.need(16)
		d.font("B", 9)
		d.textColour(colHeading)
		label := "Feedback"
		if !f.Given.IsZero() {
			label += " · " + d.date(f.Given)
		}
		d.para(label, margin, contentW, false)
		d.font("", 10)
		d.textColour(colText)
		d.fill(colTint)
		// A tinted box with 2.5 mm of padding at the sides and 1.2 mm above
		// and below; it may run across pages like any long text.
		const pad = 1.2
		y := p.GetY()
		p.Rect(margin, y, contentW, pad, "F")
		p.SetY(y + pad)
		p.SetCellMargin(2.5)
		d.prose(f.Text, margin, contentW, true)
		p.SetCellMargin(0)
		if y := p.GetY(); y+pad <= bottomY {
			p.Rect(margin, y, contentW, pad, "F")
			p.SetY(y + pad)
		}
		d.space(2)
	}
	d.space(2)
}

// answer prints the entries of one answer: plain paragraphs for a single
// entry, a bulleted list for several (chosen options, list items).
func (d *doc) answer(entries []string) {
	var nonEmpty []string
	for _, a := range entries {
		if strings.TrimSpace(a) != "" {
			nonEmpty = append(nonEmpty, a)
		}
	}
	d.font("", 10)
	if len(nonEmpty) == 0 {
		d.textColour(colMuted)
		d.para("(no answer)", margin, contentW, false)
		return
	}
	d.textColour(colText)
	if len(nonEmpty) == 1 {
		d.prose(nonEmpty[0], margin, contentW, false)
		return
	}
	const indent = 5.0
	lh := d.lineH()
	for _, a := range nonEmpty {
		for i, l := range d.wrapLines(a, contentW-indent) {
			if i == 0 {
				d.need(lh)
				d.pdf.SetX(margin + 1)
				d.cell(indent-1, lh, "•", 0, "L", false)
			}
			d.pdf.SetX(margin + indent)
			d.cellDir(contentW-indent, lh, l.text, 2, "L", false, l.rtl)
		}
	}
}

// reflectionHeadH is the height of a reflection's title, meta and flag
// lines plus its first question and two lines of answer: the part that is
// kept together on one page.
func (d *doc) reflectionHeadH(r Reflection, rule bool) float64 {
	h := 2.0 + 2 // spacing after the meta lines, slack
	if rule {
		h += 3
	}
	d.font("B", 11.5)
	h += float64(len(d.wrap(r.Title, contentW))) * d.lineH()
	d.font("", 8.5)
	h += d.lineH()
	if len(r.Flagged) > 0 {
		d.font("B", 9)
		h += 1 + float64(len(d.wrap(flaggedLine(r.Flagged), contentW)))*d.lineH()
	}
	if len(r.Answers) > 0 {
		d.font("B", 10)
		h += float64(len(d.wrap(r.Answers[0].Question, contentW))+2) * d.lineH()
	}
	return h
}

// sortedPoints returns the points in time order (a copy; the caller's
// slice is left alone), since lines are drawn from point to point.
func sortedPoints(ps []Point) []Point {
	out := slices.Clone(ps)
	slices.SortStableFunc(out, func(a, b Point) int { return a.At.Compare(b.At) })
	return out
}

// flaggedLine says why a reflection was flagged; each reason is the
// client's own words or a phrase in their language, isolated from the
// label around it.
func flaggedLine(reasons []string) string {
	parts := make([]string, len(reasons))
	for i, r := range reasons {
		parts[i] = isolate(r)
	}
	return "Flagged: " + strings.Join(parts, "; ")
}
