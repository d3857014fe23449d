package reports

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// maxSessionPages is the session report's length: it is read at the start
// of a session, so it stays short and says what it left out.
const maxSessionPages = 2

// WriteSession renders the printed session report to w: what happened
// since the last recorded session (items to discuss, flagged and overdue
// homework, submissions) and the check-in trend, on at most two A4 pages.
// Items that do not fit are counted in a closing line instead.
func WriteSession(w io.Writer, r SessionReport) error {
	cl, err := newCleaner()
	if err != nil {
		return fmt.Errorf("session report: %w", err)
	}
	r = cleanSession(cl, r)

	d := newDoc("Trellis session report", r.Location, r.Generated)
	d.running = "Session report · " + isolate(r.Client)
	// The length is managed here, never by automatic page breaks.
	d.pdf.SetAutoPageBreak(false, 0)
	d.pdf.AddPage()

	since := "Everything so far (no session recorded yet)"
	if !r.LastSession.IsZero() {
		since = "Everything since the last session, " + d.date(r.LastSession)
	}
	facts := [][2]string{{"Therapist", r.Therapist}, {"Covers", since}}
	if !r.NextSession.IsZero() {
		facts = append(facts, [2]string{"Next session", d.date(r.NextSession)}) // a day, not a time
	}
	facts = append(facts, [2]string{"Generated", d.datetime(r.Generated)})
	d.titleBlock("Session report", r.Practice, r.Client, facts)
	if note := cl.note(); note != "" {
		d.font("", 8.5)
		d.textColour(colMuted)
		d.para(note, margin, contentW, false)
		d.space(2)
	}

	d.counts([]count{
		{len(r.Discuss), "to discuss"},
		{len(r.Flagged), "flagged"},
		{len(r.Overdue), "overdue"},
		{len(r.Submitted), "submitted"},
	})
	d.trend(r)
	d.sessionMeasures(r.Measures)

	sections := []struct {
		title string
		items []Item
		empty string
		kind  string
	}{
		{"To discuss in session", r.Discuss, "Nothing marked “discuss in session”.", "to discuss"},
		{"Flagged submissions", r.Flagged, "No flagged submissions.", "flagged"},
		{"Overdue", r.Overdue, "Nothing overdue.", "overdue"},
		{"Submitted since the last session", r.Submitted, "Nothing submitted since the last session.", "submitted"},
	}
	var omitted []string
	for _, s := range sections {
		shown := 0
		if d.room(headingH + itemMinH) {
			d.sessionHeading(s.title)
			if len(s.items) == 0 {
				d.font("", 9.5)
				d.textColour(colMuted)
				d.para(s.empty, margin, contentW, false)
			}
			for _, it := range s.items {
				if !d.item(it, r.Generated) {
					break
				}
				shown++
			}
		}
		if n := len(s.items) - shown; n > 0 {
			omitted = append(omitted, fmt.Sprintf("%d %s", n, s.kind))
		}
	}
	if len(omitted) > 0 {
		d.font("B", 9)
		d.textColour(colWarn)
		d.pdf.SetY(d.pdf.GetY() + 1)
		d.para("Not shown for space: "+strings.Join(omitted, ", ")+". The full list is in Trellis.", margin, contentW, false)
	}

	if err := d.finish(w); err != nil {
		return fmt.Errorf("session report: %w", err)
	}
	return nil
}

// Long titles and details are shortened before layout so one item cannot
// take a page.
const (
	maxTitleRunes  = 160
	maxDetailRunes = 420
)

func cleanSession(cl *cleaner, r SessionReport) SessionReport {
	r.Practice = shorten(cl.line(r.Practice), maxTitleRunes)
	r.Therapist = shorten(cl.line(r.Therapist), maxTitleRunes)
	r.Client = shorten(cl.line(r.Client), maxTitleRunes)
	items := func(in []Item) []Item {
		out := make([]Item, len(in))
		for i, it := range in {
			it.Title = shorten(cl.line(it.Title), maxTitleRunes)
			it.Detail = shorten(cl.text(it.Detail, true), maxDetailRunes)
			out[i] = it
		}
		return out
	}
	r.Submitted, r.Overdue, r.Flagged, r.Discuss = items(r.Submitted), items(r.Overdue), items(r.Flagged), items(r.Discuss)
	r.CheckIns = sortedPoints(r.CheckIns)
	return r
}

// shorten cuts s to at most n runes, at a space when one is near, and
// marks the cut with an ellipsis.
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	cut := n - 1
	for i := cut; i > n*3/4; i-- {
		if r[i] == ' ' {
			cut = i
			break
		}
	}
	return strings.TrimRight(string(r[:cut]), " \n") + "…"
}

// room reports whether h mm fit on the page, turning to the second page
// when the first is full. The last page keeps a line free for the note of
// what was left out.
func (d *doc) room(h float64) bool {
	limit := bottomY
	if d.pdf.PageNo() >= maxSessionPages {
		limit -= 7
	}
	if d.pdf.GetY()+h <= limit {
		return true
	}
	if d.pdf.PageNo() < maxSessionPages {
		d.pdf.AddPage()
		return true
	}
	return false
}

const (
	headingH = 10.0
	itemMinH = 10.0
)

func (d *doc) sessionHeading(title string) {
	p := d.pdf
	d.space(2)
	d.font("B", 12)
	d.textColour(colHeading)
	p.SetX(margin)
	d.cell(contentW, 6, d.fit(title, contentW), 2, "L", false)
	d.draw(colRule)
	p.SetLineWidth(0.3)
	y := p.GetY() + 0.5
	p.Line(margin, y, margin+contentW, y)
	p.SetY(y + 2)
}

// item prints one entry if it fits; it reports false when it did not.
func (d *doc) item(it Item, now time.Time) bool {
	p := d.pdf
	const indent = 4.0
	w := contentW - indent

	d.font("B", 10)
	title := d.wrap(it.Title, w)
	if len(title) > 2 {
		title = title[:2]
		title[1] = d.fit(title[1]+"…", w)
	}
	titleH := float64(len(title)) * d.lineH()

	d.font("", 8.5)
	meta := d.itemMeta(it, now)
	metaH := 0.0
	if meta != "" {
		metaH = d.lineH()
	}

	d.font("", 9.5)
	detail := d.wrapLines(it.Detail, w)
	detailH := float64(len(detail)) * d.lineH()

	if !d.room(titleH + metaH + detailH + 2) {
		return false
	}
	y := p.GetY()
	d.fill(colHeading)
	p.Rect(margin, y+1.4, 1.6, 1.6, "F")

	d.font("B", 10)
	d.textColour(colText)
	for _, l := range title {
		p.SetX(margin + indent)
		d.cell(w, d.lineH(), l, 2, "L", false)
	}
	if meta != "" {
		d.font("", 8.5)
		d.textColour(colMuted)
		p.SetX(margin + indent)
		d.cell(w, d.lineH(), d.fit(meta, w), 2, "L", false)
	}
	d.font("", 9.5)
	d.textColour(colText)
	for _, l := range detail {
		p.SetX(margin + indent)
		d.cellDir(w, d.lineH(), l.text, 2, "L", false, l.rtl)
	}
	p.SetY(p.GetY() + 2)
	return true
}

func (d *doc) itemMeta(it Item, now time.Time) string {
	var parts []string
	if !it.Due.IsZero() {
		parts = append(parts, "due "+d.date(it.Due))
	}
	switch {
	case !it.Submitted.IsZero():
		parts = append(parts, "submitted "+d.datetime(it.Submitted))
	case !it.Due.IsZero() && !now.IsZero() && now.After(it.Due):
		days := d.daysBetween(it.Due, now)
		switch days {
		case 0:
			parts = append(parts, "overdue since today")
		case 1:
			parts = append(parts, "1 day overdue")
		default:
			parts = append(parts, strconv.Itoa(days)+" days overdue")
		}
	}
	if len(parts) == 0 {
		return ""
	}
	s := strings.Join(parts, " · ")
	return strings.ToUpper(s[:1]) + s[1:]
}

type count struct {
	n     int
	label string
}

// counts prints a row of small figure boxes.
func (d *doc) counts(cs []count) {
	p := d.pdf
	const gap, h = 3.0, 13.0
	bw := (contentW - gap*float64(len(cs)-1)) / float64(len(cs))
	y := p.GetY()
	for i, c := range cs {
		x := margin + float64(i)*(bw+gap)
		d.fill(colTint)
		p.Rect(x, y, bw, h, "F")
		d.font("B", 14)
		d.textColour(colHeading)
		p.SetXY(x+3, y+1.5)
		d.cell(bw-6, 6, strconv.Itoa(c.n), 0, "L", false)
		d.font("", 8.5)
		d.textColour(colMuted)
		p.SetXY(x+3, y+7.5)
		d.cell(bw-6, 4, d.fit(c.label, bw-6), 0, "L", false)
	}
	p.SetXY(margin, y+h+2)
}

// trend draws the small check-in chart and a sentence summing it up.
func (d *doc) trend(r SessionReport) {
	d.sessionHeading("Check-in trend")
	if len(r.CheckIns) == 0 {
		d.font("", 9.5)
		d.textColour(colMuted)
		d.para("No check-ins recorded.", margin, contentW, false)
		return
	}
	series := []Series{{Name: "Overall trust (weekly check-in)", Points: r.CheckIns}}
	from, to := window(time.Time{}, time.Time{}, series)
	pc := plot{Chart: Chart{Min: r.CheckInMin, Max: r.CheckInMax, Series: series}, from: from, to: d.endOfDay(to)}
	d.drawChart(pc, 26)

	first, last := r.CheckIns[0], r.CheckIns[len(r.CheckIns)-1]
	sum := 0
	for _, p := range r.CheckIns {
		sum += p.Value
	}
	avg := float64(sum) / float64(len(r.CheckIns))
	count := fmt.Sprintf("%d check-ins", len(r.CheckIns))
	if len(r.CheckIns) == 1 {
		count = "1 check-in"
	}
	s := fmt.Sprintf("Latest %d on %s; average %.1f over %s", last.Value, d.date(last.At), avg, count)
	if len(r.CheckIns) > 1 {
		s += fmt.Sprintf("; %+d since %s", last.Value-first.Value, d.date(first.At))
	}
	d.font("", 9.5)
	d.textColour(colText)
	d.para(s+".", margin, contentW, false)
	d.space(1)
}

// daysBetween counts calendar days from a to b where the report is read:
// due on 28 April, read on 1 May, is three days overdue.
func (d *doc) daysBetween(a, b time.Time) int {
	a, b = a.In(d.loc), b.In(d.loc)
	da := time.Date(a.Year(), a.Month(), a.Day(), 12, 0, 0, 0, time.UTC)
	db := time.Date(b.Year(), b.Month(), b.Day(), 12, 0, 0, 0, time.UTC)
	return int(db.Sub(da).Hours() / 24)
}
