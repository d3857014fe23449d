package server

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/trellis-app/trellis/internal/measure"
	"github.com/trellis-app/trellis/reports"
)

type measuresPage struct {
	Page
	ClientID   int64
	ClientName string
	Series     []measureView
}

func measureViews(series []measure.Series, loc *time.Location) []measureView {
	var out []measureView
	for _, sr := range series {
		v := measureView{Series: sr, Chart: newMeasureChart(sr, loc), Rule: measure.ProrateRule}
		for i := range sr.Items {
			v.Headers = append(v.Headers, fmt.Sprint(i+1))
		}
		out = append(out, v)
	}
	return out
}

// measureView is one measure's scores drawn and tabled.
type measureView struct {
	measure.Series
	Chart measureChart
	// Headers are the table's item columns: "1" … "9".
	Headers []string
	Rule    string // the prorating rule, stated under the table
}

// measureChart is an SVG of the totals over time: the severity bands
// shaded behind, the clinical cut-off as a dashed line, the totals as a
// line with a marker each. Coordinates are in the viewBox, which scales
// to any width (320 px phones included).
type measureChart struct {
	W, H   int
	Left   int
	Right  int
	Bands  []measureBand
	CutY   float64
	CutOff int
	Line   string
	Dots   []measureDot
	Ticks  []measureTick
	Single bool
	// PlotW is the plot's width; TickX and LabelX place the axis numbers
	// and the band names either side of it.
	PlotW, TickX, LabelX int
}

type measureBand struct {
	Y, H   float64
	Fill   string
	Label  string
	LabelY float64
}

type measureDot struct {
	X, Y  float64
	Title string
}

type measureTick struct {
	Y     float64
	Label int
}

const (
	measureW, measureH           = 640, 240
	measureTop, measureBottom    = 10.0, 210.0
	measureLeft, measureRightPad = 36, 190
)

func newMeasureChart(s measure.Series, loc *time.Location) measureChart {
	ch := measureChart{W: measureW, H: measureH, Left: measureLeft, Right: measureW - measureRightPad, CutOff: s.CutOff}
	ch.PlotW, ch.TickX, ch.LabelX = ch.Right-ch.Left, ch.Left-6, ch.Right+6
	max := float64(s.Max())
	y := func(v float64) float64 { return measureBottom - (measureBottom-measureTop)*v/max }
	for i, b := range s.Bands {
		// A band covers its totals from half a point below to half above.
		top, bottom := y(min(float64(b.Max)+0.5, max)), y(max0(float64(b.Min)-0.5))
		ch.Bands = append(ch.Bands, measureBand{Y: top, H: bottom - top, Fill: reports.BandFills[i%len(reports.BandFills)],
			Label: fmt.Sprintf("%s (%d–%d)", b.Name, b.Min, b.Max), LabelY: (top + bottom) / 2})
	}
	ch.CutY = y(float64(s.CutOff) - 0.5)
	for _, v := range []int{0, s.Bands[1].Min, s.CutOff, s.Bands[len(s.Bands)-1].Min, s.Max()} {
		ch.Ticks = append(ch.Ticks, measureTick{Y: y(float64(v)), Label: v})
	}
	var valid []measure.Point
	for _, p := range s.Points {
		if p.Valid {
			valid = append(valid, p)
		}
	}
	if len(valid) == 0 {
		return ch
	}
	first, last := valid[0].At, valid[len(valid)-1].At
	span := last.Sub(first)
	var pts []string
	for _, p := range valid {
		x := float64(ch.Left+ch.Right) / 2
		if span > 0 {
			x = float64(ch.Left+12) + float64(ch.Right-ch.Left-24)*float64(p.At.Sub(first))/float64(span)
		}
		py := y(float64(p.Total))
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", x, py))
		ch.Dots = append(ch.Dots, measureDot{X: x, Y: py, Title: fmt.Sprintf("%s: %d, %s", p.At.In(loc).Format("2 Jan 2006"), p.Total, p.Band.Name)})
	}
	ch.Line = strings.Join(pts, " ")
	ch.Single = len(valid) == 1
	return ch
}

func max0(v float64) float64 { return max(v, 0) }

// measuresPage shows a client's outcome measures: per measure a chart of
// the totals with the severity bands and the cut-off, the reliable-change
// statements, and every answer by date.
func (s *Server) measuresPage(c *gin.Context) error {
	id, ok := s.id(c)
	if !ok {
		return nil
	}
	name, series, err := s.measures.ClientSeries(c.Request.Context(), actor(c), id)
	if err != nil {
		return err
	}
	p := measuresPage{Page: s.page(c, "Measures: "+name), ClientID: id, ClientName: name}
	p.Series = measureViews(series, p.Location())
	return s.show(c, http.StatusOK, "measures", p)
}

// measureReports loads a client's measures as the PDF reports print them.
func (s *Server) measureReports(c *gin.Context, clientID int64, loc *time.Location) ([]reports.Measure, error) {
	_, series, err := s.measures.ClientSeries(c.Request.Context(), actor(c), clientID)
	if err != nil {
		return nil, err
	}
	var out []reports.Measure
	for _, sr := range series {
		out = append(out, sr.Report(loc))
	}
	return out, nil
}
