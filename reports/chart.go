package reports

import (
	"math"
	"sort"
	"strconv"
	"time"
)

// plot is a chart already cleaned for printing, with its time window.
type plot struct {
	Chart
	from, to time.Time // x axis, from ≤ to
}

// window returns the x range for points: the given period when it is set,
// else the span of the data. The end is widened to the end of its day so a
// point dated on the last day of the period is inside.
func window(from, to time.Time, series []Series) (time.Time, time.Time) {
	if from.IsZero() || to.IsZero() || !to.After(from) {
		from, to = time.Time{}, time.Time{}
		for _, s := range series {
			for _, p := range s.Points {
				if from.IsZero() || p.At.Before(from) {
					from = p.At
				}
				if to.IsZero() || p.At.After(to) {
					to = p.At
				}
			}
		}
	}
	if !to.After(from) {
		to = from.Add(24 * time.Hour)
	}
	return from, to
}

func (d *doc) endOfDay(t time.Time) time.Time {
	t = t.In(d.loc)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, d.loc).AddDate(0, 0, 1).Add(-time.Second)
}

// chartHeight is the space a chart takes: title, plot, axis labels, legend.
func (d *doc) chartHeight(c plot, plotH float64) float64 {
	return 7 + plotH + 6 + d.legendHeight(c.Series)
}

// drawChart draws a line chart with vector strokes: gridlines and value
// labels on the y axis, dates on the x axis, one coloured line per series
// with point markers, and a legend.
func (d *doc) drawChart(c plot, plotH float64) {
	p := d.pdf
	d.need(d.chartHeight(c, plotH))

	// Title and unit.
	d.font("B", 10.5)
	d.textColour(colHeading)
	title := c.Title
	if c.Unit != "" {
		title += "  ·  " + c.Unit
	}
	d.para(title, margin, contentW, false)
	top := p.GetY() + 1.5

	lo, hi := c.Min, c.Max
	if hi <= lo {
		lo, hi = minMax(c.Series)
		if hi <= lo {
			hi = lo + 1
		}
	}
	const yLabelW = 9
	x0, x1 := margin+yLabelW, margin+contentW-2
	y0, y1 := top, top+plotH
	yOf := func(v int) float64 {
		v = max(lo, min(hi, v))
		return y1 - float64(v-lo)/float64(hi-lo)*plotH
	}
	span := c.to.Sub(c.from).Seconds()
	xOf := func(t time.Time) float64 {
		return x0 + t.Sub(c.from).Seconds()/span*(x1-x0)
	}

	// Horizontal gridlines with value labels.
	step := niceStep(hi-lo, 5)
	d.font("", 7.5)
	p.SetLineWidth(0.15)
	for v := lo + (step-lo%step)%step; v <= hi; v += step {
		y := yOf(v)
		d.draw(colGrid)
		p.Line(x0, y, x1, y)
		d.textColour(colMuted)
		p.SetXY(margin, y-1.75)
		p.CellFormat(yLabelW-1.5, 3.5, strconv.Itoa(v), "", 0, "R", false, 0, "")
	}

	// Date ticks along the x axis; labels kept inside the text block.
	ticks, layout := d.timeTicks(c.from, c.to, (x1-x0)/17)
	for _, t := range ticks {
		x := xOf(t)
		d.draw(colGrid)
		p.Line(x, y0, x, y1)
		d.draw(colMuted)
		p.Line(x, y1, x, y1+1.2)
		label := t.In(d.loc).Format(layout)
		w := p.GetStringWidth(label)
		lx := math.Max(margin, math.Min(x-w/2, margin+contentW-w))
		d.textColour(colMuted)
		p.SetXY(lx, y1+1.5)
		p.CellFormat(w, 3.5, label, "", 0, "L", false, 0, "")
	}

	// Axes.
	d.draw(colMuted)
	p.SetLineWidth(0.25)
	p.Line(x0, y0, x0, y1)
	p.Line(x0, y1, x1, y1)

	// Series.
	for i, s := range c.Series {
		d.seriesPen(i)
		var px, py float64
		first := true
		inside := 0
		for _, pt := range s.Points {
			if pt.At.Before(c.from) || pt.At.After(c.to) {
				continue
			}
			inside++
			x, y := xOf(pt.At), yOf(pt.Value)
			if !first {
				p.Line(px, py, x, y)
			}
			px, py, first = x, y, false
		}
		if inside <= 60 {
			col := seriesColours[i%len(seriesColours)]
			d.fill(col)
			p.SetDashPattern(nil, 0)
			for _, pt := range s.Points {
				if pt.At.Before(c.from) || pt.At.After(c.to) {
					continue
				}
				p.Circle(xOf(pt.At), yOf(pt.Value), 0.55, "F")
			}
		}
	}
	p.SetDashPattern(nil, 0)
	p.SetLineWidth(0.2)

	p.SetXY(margin, y1+6)
	d.legend(c.Series)
	p.SetY(p.GetY() + 2)
}

func (d *doc) seriesPen(i int) {
	col := seriesColours[i%len(seriesColours)]
	d.draw(col)
	d.pdf.SetLineWidth(0.45)
	if i >= len(seriesColours) {
		d.pdf.SetDashPattern([]float64{1.6, 0.9}, 0)
	} else {
		d.pdf.SetDashPattern(nil, 0)
	}
}

const legendRow = 4.6

// legendItems lays the legend out in rows; widths are the names' widths,
// each item being an 8 mm swatch and its name.
func (d *doc) legendItems(series []Series) (rows int, widths []float64) {
	d.font("", 8.5)
	x := 0.0
	rows = 1
	for _, s := range series {
		w := math.Min(d.pdf.GetStringWidth(s.Name), contentW-8)
		if x > 0 && x+8+w > contentW {
			rows++
			x = 0
		}
		widths = append(widths, w)
		x += 8 + w + 6
	}
	return rows, widths
}

func (d *doc) legendHeight(series []Series) float64 {
	if len(series) == 0 {
		return 0
	}
	rows, _ := d.legendItems(series)
	return float64(rows)*legendRow + 2
}

func (d *doc) legend(series []Series) {
	if len(series) == 0 {
		return
	}
	p := d.pdf
	_, widths := d.legendItems(series)
	x, y := margin, p.GetY()
	for i, s := range series {
		w := widths[i]
		if x > margin && x+8+w > margin+contentW {
			x = margin
			y += legendRow
		}
		d.seriesPen(i)
		p.SetLineWidth(0.8)
		p.Line(x, y+legendRow/2, x+6, y+legendRow/2)
		p.SetDashPattern(nil, 0)
		d.font("", 8.5)
		d.textColour(colText)
		p.SetXY(x+8, y)
		p.CellFormat(w, legendRow, d.fit(s.Name, w), "", 0, "L", false, 0, "")
		x += 8 + w + 6
	}
	p.SetXY(margin, y+legendRow)
}

func minMax(series []Series) (int, int) {
	lo, hi := math.MaxInt, math.MinInt
	for _, s := range series {
		for _, p := range s.Points {
			lo, hi = min(lo, p.Value), max(hi, p.Value)
		}
	}
	if lo > hi {
		return 0, 1
	}
	return lo, hi
}

// niceStep is a gridline step of 1, 2 or 5 × 10^k giving about n lines.
func niceStep(span, n int) int {
	if span <= n {
		return 1
	}
	raw := float64(span) / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*mag >= raw {
			return int(m * mag)
		}
	}
	return int(10 * mag)
}

// timeTicks picks date ticks between from and to, at most maxTicks: days,
// Mondays, fortnights or months, with a label layout to match.
func (d *doc) timeTicks(from, to time.Time, maxTicks float64) ([]time.Time, string) {
	from, to = from.In(d.loc), to.In(d.loc)
	day := time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, d.loc)
	days := to.Sub(from).Hours() / 24
	for _, n := range []int{1, 2, 7, 14} {
		if days/float64(n) > maxTicks {
			continue
		}
		start := day
		if n >= 7 { // weeks start on Monday
			for start.Weekday() != time.Monday {
				start = start.AddDate(0, 0, 1)
			}
		}
		var out []time.Time
		for t := start; !t.After(to); t = t.AddDate(0, 0, n) {
			if !t.Before(from) {
				out = append(out, t)
			}
		}
		return out, "2 Jan"
	}
	months := days / 30.4
	step := 12
	for _, n := range []int{1, 2, 3, 6} {
		if months/float64(n) <= maxTicks {
			step = n
			break
		}
	}
	start := time.Date(from.Year(), from.Month(), 1, 0, 0, 0, 0, d.loc)
	var out []time.Time
	for t := start; !t.After(to); t = t.AddDate(0, step, 0) {
		if !t.Before(from) {
			out = append(out, t)
		}
	}
	return out, "Jan 2006"
}

// valueRows is a chart's values as a table: one row per day that has any
// value, one column per series ("–" where a series has none that day).
func (d *doc) valueRows(c plot) (days []time.Time, cells [][]string) {
	byDay := map[string]int{}
	for si, s := range c.Series {
		for _, pt := range s.Points {
			if pt.At.Before(c.from) || pt.At.After(c.to) {
				continue
			}
			key := pt.At.In(d.loc).Format("2006-01-02")
			row, ok := byDay[key]
			if !ok {
				row = len(days)
				byDay[key] = row
				days = append(days, pt.At)
				cells = append(cells, make([]string, len(c.Series)))
			}
			cells[row][si] = strconv.Itoa(pt.Value)
		}
	}
	idx := make([]int, len(days))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return days[idx[a]].Before(days[idx[b]]) })
	sd := make([]time.Time, len(days))
	sc := make([][]string, len(days))
	for i, j := range idx {
		sd[i], sc[i] = days[j], cells[j]
		for k, v := range sc[i] {
			if v == "" {
				sc[i][k] = "–"
			}
		}
	}
	return sd, sc
}

// valueTable prints the values behind a chart, repeating the column
// headings on every page it runs onto.
func (d *doc) valueTable(c plot) {
	p := d.pdf
	days, cells := d.valueRows(c)
	if len(days) == 0 {
		return
	}
	const dateW, rowH = 26.0, 5.0
	colW := (contentW - dateW) / float64(len(c.Series))

	d.font("B", 8)
	headLines := make([][]string, len(c.Series))
	maxLines := 1
	for i, s := range c.Series {
		headLines[i] = d.wrap(s.Name, colW-2)
		if len(headLines[i]) > 3 { // keep headings short; the legend has the full names
			headLines[i] = headLines[i][:3]
			headLines[i][2] = d.fit(headLines[i][2]+"…", colW-2)
		}
		maxLines = max(maxLines, len(headLines[i]))
	}
	headH := float64(maxLines)*3.5 + 2

	header := func() {
		y := p.GetY()
		d.fill(colTint)
		p.Rect(margin, y, contentW, headH, "F")
		d.font("B", 8)
		d.textColour(colHeading)
		p.SetXY(margin+1.5, y+1)
		p.CellFormat(dateW-1.5, 3.5, "Date", "", 0, "L", false, 0, "")
		for i, lines := range headLines {
			for j, l := range lines {
				p.SetXY(margin+dateW+float64(i)*colW+1, y+1+float64(j)*3.5)
				p.CellFormat(colW-2, 3.5, l, "", 0, "C", false, 0, "")
			}
		}
		p.SetXY(margin, y+headH)
	}

	d.need(headH + 3*rowH)
	header()
	for r, day := range days {
		if p.GetY()+rowH > bottomY {
			p.AddPage()
			header()
		}
		y := p.GetY()
		if r%2 == 1 {
			d.fill(colZebra)
			p.Rect(margin, y, contentW, rowH, "F")
		}
		d.font("", 8.5)
		d.textColour(colText)
		p.SetXY(margin+1.5, y)
		p.CellFormat(dateW-1.5, rowH, d.date(day), "", 0, "L", false, 0, "")
		for i, v := range cells[r] {
			p.SetXY(margin+dateW+float64(i)*colW, y)
			p.CellFormat(colW, rowH, v, "", 0, "C", false, 0, "")
		}
		p.SetXY(margin, y+rowH)
	}
	d.draw(colRule)
	p.SetLineWidth(0.2)
	p.Line(margin, p.GetY(), margin+contentW, p.GetY())
	p.SetY(p.GetY() + 3)
}
