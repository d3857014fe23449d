package server

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/trellis-app/trellis/internal/exercise"
	"github.com/trellis-app/trellis/internal/progress"
	"github.com/trellis-app/trellis/reports"
)

// Charts are drawn on the server as SVG: no chart library, no script.
// Each line has its own colour, dash pattern and marker shape (the PDF
// reports' styles, reports.Style, so paper and screen agree), so the
// chart does not rely on colour alone, and every chart has a data table
// beside it.
//
// The chart is as wide as the screen but its labels keep their size: the
// plot has no viewBox of its own (positions across are percentages, down
// are pixels), only the lines are drawn in a stretched 1000-wide box with
// strokes that do not stretch, markers are placed by percentage and drawn
// at their own size, and the values' axis is a narrow SVG of its own
// beside it. A single scaled viewBox drew 11 px labels at 5 px on a phone.

const (
	chartH     = 260        // px
	plotW      = 1000       // user units across the lines' stretched box
	padT, padB = 14, 36     // px above and below the plot
	padX       = 0.015      // of the width, left and right of the dates
	minorEvery = 3          // on a phone, one date label in three is shown
	labelY     = chartH - 8 // the date labels' baseline, px
	strokeW    = 2.5        // a line's width; an emphasised one is reports.EmphasisWidth times this
	markerR    = 3.5        // px
	dodge      = 3.0        // px between lines drawn side by side where their values agree
)

// ChartView is an SVG chart ready for the template.
type ChartView struct {
	ID      string // unique on the page, for the heading's id
	Title   string
	CheckIn bool
	H       int
	PlotW   int
	LabelY  int
	Lines   []LineView
	YTicks  []Tick
	XTicks  []Tick
	// Table is the same data as rows of date × series, for screen readers
	// and anyone who prefers numbers.
	Header []string
	Rows   []TableRow
	Empty  bool
}

// LineView is one series' line.
type LineView struct {
	Label, Colour, Dash, Points string
	Width                       float64
	// Emphasis: overall trust, drawn thick and solid under the others.
	Emphasis bool
	// Swatch is the marker's outline in the legend's 34 × 10 box, empty
	// for a circle.
	Swatch string
	// Shape is the marker's outline around (0, 0), empty for a circle;
	// each dot places it.
	Shape string
	Dots  []DotView
}

// DotView is one value, with its own tooltip.
type DotView struct {
	X     float64 // percent of the width
	Y     float64 // px
	Title string
}

// markerPoints is a marker's outline at (x, y) as SVG polygon points, ""
// for the circle.
func markerPoints(m reports.Marker, x, y, r float64) string {
	var pts []string
	for _, p := range m.Outline() {
		pts = append(pts, fmt.Sprintf("%g,%g", round(x+p[0]*r), round(y+p[1]*r)))
	}
	return strings.Join(pts, " ")
}

// Tick is an axis label.
type Tick struct {
	Pos    float64 // px down for a value, percent across for a date
	Label  string
	Anchor string // SVG text-anchor: the last date label ends at the edge
	// Minor date labels are left out on a narrow screen, where they would
	// run into each other.
	Minor bool
}

// TableRow is one date's values.
type TableRow struct {
	Date   string
	Values []string
}

func chartView(c progress.Chart, from, to time.Time, zone *time.Location) ChartView {
	v := ChartView{ID: fmt.Sprintf("chart-%d", c.ExerciseID), Title: c.Title, CheckIn: c.CheckIn, H: chartH, PlotW: plotW, LabelY: labelY}
	lo, hi := 0, 1
	for i, s := range c.Series {
		if i == 0 || s.Min < lo {
			lo = s.Min
		}
		if i == 0 || s.Max > hi {
			hi = s.Max
		}
	}
	if hi <= lo {
		hi = lo + 1
	}
	span := to.AddDate(0, 0, 1).Sub(from).Seconds()
	// across is the share of the width for t, from padX to 1 - padX.
	across := func(t time.Time) float64 {
		return padX + t.Sub(from).Seconds()/span*(1-2*padX)
	}
	y := func(val int) float64 {
		f := float64(val-lo) / float64(hi-lo)
		return round(float64(chartH-padB) - f*float64(chartH-padT-padB))
	}
	step := 1
	if hi-lo > 10 {
		step = (hi - lo + 4) / 5
	} else if hi-lo > 5 {
		step = 2
	}
	for val := lo; val <= hi; val += step {
		v.YTicks = append(v.YTicks, Tick{Pos: y(val), Label: fmt.Sprint(val)})
	}
	days := int(to.Sub(from).Hours()/24) + 1
	every := max(1, days/6)
	for d := 0; d <= days; d += every {
		t := from.AddDate(0, 0, d)
		anchor := "middle"
		if d == 0 {
			anchor = "start"
		} else if d+every > days {
			anchor = "end"
		}
		v.XTicks = append(v.XTicks, Tick{Pos: round(100 * across(t)), Label: t.Format("2 Jan"), Anchor: anchor})
	}
	markMinor(v.XTicks)
	// Values several lines share at one time are drawn side by side,
	// centred on the value, so identical lines stay visible.
	type at struct {
		t int64
		v int
	}
	shared := map[at][]int{}
	for i, s := range c.Series {
		for _, p := range s.Points {
			k := at{p.At.UnixNano(), p.Value}
			if g := shared[k]; len(g) == 0 || g[len(g)-1] != i {
				shared[k] = append(g, i)
			}
		}
	}
	dates := map[string]map[int]string{}
	var order []string
	for i, s := range c.Series {
		style := reports.Style(i)
		lv := LineView{Label: s.Label, Colour: style.Colour, Dash: style.DashAttr(), Width: strokeW,
			Swatch: markerPoints(style.Marker, 17, 5, markerR), Shape: markerPoints(style.Marker, 0, 0, markerR)}
		if c.CheckIn && s.Key == exercise.CheckInOverallKey {
			lv.Emphasis, lv.Dash, lv.Width = true, "", strokeW*reports.EmphasisWidth
		}
		var pts []string
		for _, p := range s.Points {
			f, py := across(p.At), y(p.Value)
			if g := shared[at{p.At.UnixNano(), p.Value}]; len(g) > 1 {
				py = round(py + (float64(slices.Index(g, i))-float64(len(g)-1)/2)*dodge)
			}
			pts = append(pts, fmt.Sprintf("%g,%g", round(f*plotW), py))
			when := p.At.In(zone).Format("2 Jan 2006")
			lv.Dots = append(lv.Dots, DotView{X: round(100 * f), Y: py, Title: fmt.Sprintf("%s, %s: %d", s.Label, when, p.Value)})
			if dates[when] == nil {
				dates[when] = map[int]string{}
				order = append(order, when)
			}
			dates[when][i] = fmt.Sprint(p.Value)
		}
		lv.Points = strings.Join(pts, " ")
		v.Lines = append(v.Lines, lv)
		v.Header = append(v.Header, s.Label)
	}
	for _, d := range order {
		row := TableRow{Date: d}
		for i := range c.Series {
			val := dates[d][i]
			if val == "" {
				val = "–"
			}
			row.Values = append(row.Values, val)
		}
		v.Rows = append(v.Rows, row)
	}
	v.Empty = len(order) == 0
	return v
}

// markMinor marks the date labels a phone leaves out: it keeps the first,
// the last and every minorEvery-th between, but none so near the last that
// they would touch.
func markMinor(ticks []Tick) {
	last := len(ticks) - 1
	for i := range ticks {
		ticks[i].Minor = i != 0 && i != last && (i%minorEvery != 0 || last-i < minorEvery)
	}
}

func round(f float64) float64 { return float64(int(f*100+0.5)) / 100 }
