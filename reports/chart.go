package reports

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/jung-kurt/gofpdf"
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
// labels on the y axis, dates on the x axis, one line per series in the
// colour, dash pattern and marker of Style, and a legend.
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

	// Bands first, under everything: each covers its values from half a
	// point below to half above, as on the web chart.
	yOfF := func(v float64) float64 {
		v = math.Max(float64(lo), math.Min(float64(hi), v))
		return y1 - (v-float64(lo))/float64(hi-lo)*plotH
	}
	for i, b := range c.Bands {
		top, bottom := yOfF(float64(b.Max)+0.5), yOfF(float64(b.Min)-0.5)
		d.fill(hexColour(BandFills[i%len(BandFills)]))
		p.Rect(x0, top, x1-x0, bottom-top, "F")
		d.font("", 6.5)
		d.textColour(colMuted)
		label := fmt.Sprintf("%s (%d–%d)", b.Name, b.Min, b.Max)
		p.SetXY(x1-d.width(label)-1, (top+bottom)/2-1.5)
		d.cell(d.width(label), 3, label, 0, "R", false)
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
		d.cell(yLabelW-1.5, 3.5, strconv.Itoa(v), 0, "R", false)
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
		w := d.width(label)
		lx := math.Max(margin, math.Min(x-w/2, margin+contentW-w))
		d.textColour(colMuted)
		p.SetXY(lx, y1+1.5)
		d.cell(w, 3.5, label, 0, "L", false)
	}

	// Axes.
	d.draw(colMuted)
	p.SetLineWidth(0.25)
	p.Line(x0, y0, x0, y1)
	p.Line(x0, y1, x1, y1)
	if c.CutOff > 0 {
		y := yOfF(float64(c.CutOff) - 0.5)
		d.draw(hexColour(CutOffColour))
		p.SetLineWidth(0.35)
		p.SetDashPattern([]float64{1.6, 1.1}, 0)
		p.Line(x0, y, x1, y)
		p.SetDashPattern(nil, 0)
	}

	// Series. Values that several lines share at one time are drawn side
	// by side, centred on the value, so identical lines stay visible.
	type at struct {
		t int64
		v int
	}
	shared := map[at][]int{}
	inside := func(pt Point) bool { return !pt.At.Before(c.from) && !pt.At.After(c.to) }
	for i, s := range c.Series {
		for _, pt := range s.Points {
			if !inside(pt) {
				continue
			}
			k := at{pt.At.UnixNano(), pt.Value}
			if g := shared[k]; len(g) == 0 || g[len(g)-1] != i {
				shared[k] = append(g, i)
			}
		}
	}
	pos := func(i int, pt Point) (float64, float64) {
		y := yOf(pt.Value)
		if g := shared[at{pt.At.UnixNano(), pt.Value}]; len(g) > 1 {
			y += (float64(slices.Index(g, i)) - float64(len(g)-1)/2) * dodgeStep
		}
		return xOf(pt.At), y
	}
	// Emphasised lines first, under the others.
	order := make([]int, 0, len(c.Series))
	for pass := range 2 {
		for i, s := range c.Series {
			if s.Emphasis == (pass == 0) {
				order = append(order, i)
			}
		}
	}
	for _, i := range order {
		d.seriesPen(i, c.Series[i].Emphasis)
		n := 0
		for _, pt := range c.Series[i].Points {
			if !inside(pt) {
				continue
			}
			x, y := pos(i, pt)
			if n == 0 {
				p.MoveTo(x, y)
			} else {
				p.LineTo(x, y)
			}
			n++
		}
		if n > 1 {
			p.DrawPath("D")
		}
	}
	// Markers on top of every line, while there is room for them.
	p.SetDashPattern(nil, 0)
	for _, i := range order {
		s := c.Series[i]
		n := 0
		for _, pt := range s.Points {
			if inside(pt) {
				n++
			}
		}
		if n > 60 {
			continue
		}
		for _, pt := range s.Points {
			if inside(pt) {
				x, y := pos(i, pt)
				d.marker(i, x, y)
			}
		}
	}
	p.SetDashPattern(nil, 0)
	p.SetLineWidth(0.2)

	p.SetXY(margin, y1+6)
	d.legend(c.Series)
	p.SetY(p.GetY() + 2)
}

// Line widths in mm: the web chart's 2.5-unit stroke on its 640-unit
// chart is about this on an A4 page, and dash lengths scale the same way.
const (
	lineW      = 0.45
	dashScale  = 0.28 // mm per SVG unit of the web chart
	dodgeStep  = 0.9  // mm between lines drawn side by side
	markerSize = 0.85 // marker radius, mm
)

// seriesPen sets colour, width and dash pattern for line i.
func (d *doc) seriesPen(i int, emphasis bool) {
	st := Style(i)
	d.draw(hexColour(st.Colour))
	if emphasis {
		d.pdf.SetLineWidth(lineW * EmphasisWidth)
		d.pdf.SetDashPattern(nil, 0)
		return
	}
	d.pdf.SetLineWidth(lineW)
	dash := make([]float64, len(st.Dash))
	for k, v := range st.Dash {
		dash[k] = v * dashScale
	}
	d.pdf.SetDashPattern(dash, 0)
}

// marker draws line i's marker at (x, y): filled in the line's colour,
// outlined in white so markers drawn over each other stay apart.
func (d *doc) marker(i int, x, y float64) {
	p := d.pdf
	st := Style(i)
	d.fill(hexColour(st.Colour))
	d.draw(rgb{0xff, 0xff, 0xff})
	p.SetLineWidth(0.2)
	pts := st.Marker.Outline()
	if pts == nil {
		p.Circle(x, y, markerSize, "FD")
		return
	}
	poly := make([]gofpdf.PointType, len(pts))
	for k, pt := range pts {
		poly[k] = gofpdf.PointType{X: x + pt[0]*markerSize, Y: y + pt[1]*markerSize}
	}
	p.Polygon(poly, "FD")
}

func hexColour(s string) rgb {
	var c rgb
	if _, err := fmt.Sscanf(s, "#%02x%02x%02x", &c.r, &c.g, &c.b); err != nil {
		return colText
	}
	return c
}

const (
	legendRow = 4.6
	swatchW   = 10.0 // a legend item's line and the gap after it, mm
)

// legendItems lays the legend out in rows; widths are the names' widths,
// each item being a swatch and its name.
func (d *doc) legendItems(series []Series) (rows int, widths []float64) {
	d.font("", 8.5)
	x := 0.0
	rows = 1
	for _, s := range series {
		w := math.Min(d.width(s.Name), contentW-swatchW)
		if x > 0 && x+swatchW+w > contentW {
			rows++
			x = 0
		}
		widths = append(widths, w)
		x += swatchW + w + 6
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
		if x > margin && x+swatchW+w > margin+contentW {
			x = margin
			y += legendRow
		}
		// The swatch is the line as drawn, dash and marker included.
		d.seriesPen(i, s.Emphasis)
		p.Line(x, y+legendRow/2, x+swatchW-1, y+legendRow/2)
		p.SetDashPattern(nil, 0)
		d.marker(i, x+(swatchW-1)/2, y+legendRow/2)
		d.font("", 8.5)
		d.textColour(colText)
		p.SetXY(x+swatchW, y)
		d.cell(w, legendRow, d.fit(s.Name, w), 0, "L", false)
		x += swatchW + w + 6
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
		// Whole names, wrapped: a heading cut short could name two
		// columns alike.
		headLines[i] = d.wrap(s.Name, colW-2)
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
		d.cell(dateW-1.5, 3.5, "Date", 0, "L", false)
		for i, lines := range headLines {
			for j, l := range lines {
				p.SetXY(margin+dateW+float64(i)*colW+1, y+1+float64(j)*3.5)
				d.cell(colW-2, 3.5, l, 0, "C", false)
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
		d.cell(dateW-1.5, rowH, d.date(day), 0, "L", false)
		for i, v := range cells[r] {
			p.SetXY(margin+dateW+float64(i)*colW, y)
			d.cell(colW, rowH, v, 0, "C", false)
		}
		p.SetXY(margin, y+rowH)
	}
	d.draw(colRule)
	p.SetLineWidth(0.2)
	p.Line(margin, p.GetY(), margin+contentW, p.GetY())
	p.SetY(p.GetY() + 3)
}
