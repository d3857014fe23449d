package reports

import (
	"fmt"
	"math"
)

// How a chart's lines look, on screen and on paper alike: the web chart
// (internal/server's SVG) and the PDF take colour, dash pattern and marker
// from here, so a printed chart reads like the page it came from. Lines
// are never told apart by colour alone: each has its own dash pattern and
// marker shape, which survive a greyscale printer and colour blindness.

// Marker is the shape drawn at each value of a line.
type Marker int

// The marker shapes, in the order the series use them.
const (
	MarkerCircle Marker = iota
	MarkerSquare
	MarkerTriangle
	MarkerDiamond
	MarkerTriangleDown
	MarkerHexagon
)

// Outline is the marker's corners around (0, 0) for a marker of radius 1,
// in y-down coordinates (SVG's, and the PDF drawing's in mm); nil for the
// circle.
func (m Marker) Outline() [][2]float64 {
	poly := func(n int, start float64) [][2]float64 {
		out := make([][2]float64, n)
		for i := range out {
			a := start + 2*math.Pi*float64(i)/float64(n)
			out[i] = [2]float64{math.Cos(a), math.Sin(a)}
		}
		return out
	}
	switch m {
	case MarkerSquare:
		const s = 0.85 // a square looks bigger than a circle of one radius
		return [][2]float64{{-s, -s}, {s, -s}, {s, s}, {-s, s}}
	case MarkerTriangle:
		return scale(poly(3, -math.Pi/2), 1.2)
	case MarkerDiamond:
		return scale(poly(4, -math.Pi/2), 1.15)
	case MarkerTriangleDown:
		return scale(poly(3, math.Pi/2), 1.2)
	case MarkerHexagon:
		return scale(poly(6, 0), 1.05)
	}
	return nil
}

func scale(pts [][2]float64, k float64) [][2]float64 {
	for i := range pts {
		pts[i][0] *= k
		pts[i][1] *= k
	}
	return pts
}

// SeriesStyle is how one line of a chart is drawn.
type SeriesStyle struct {
	Colour string    // "#rrggbb"
	Dash   []float64 // lengths on and off in the web chart's SVG units; nil is solid
	Marker Marker
}

// DashAttr is Dash as SVG's stroke-dasharray ("" for solid).
func (s SeriesStyle) DashAttr() string {
	out := ""
	for i, v := range s.Dash {
		if i > 0 {
			out += " "
		}
		out += fmt.Sprint(v)
	}
	return out
}

var seriesStyles = []SeriesStyle{
	{"#2f5d50", nil, MarkerCircle},
	{"#1b4fb8", []float64{6, 3}, MarkerSquare},
	{"#a1261b", []float64{2, 3}, MarkerTriangle},
	{"#7a5200", []float64{10, 4}, MarkerDiamond},
	{"#6b3fa0", []float64{4, 2, 1, 2}, MarkerTriangleDown},
	{"#00707a", []float64{1, 2}, MarkerHexagon},
}

// Style is the style of a chart's i-th line. Past six lines, colours,
// dashes and markers are combined differently, so no two of the first 36
// lines look the same.
func Style(i int) SeriesStyle {
	n := len(seriesStyles)
	k := i / n
	return SeriesStyle{
		Colour: seriesStyles[i%n].Colour,
		Dash:   seriesStyles[(i+k)%n].Dash,
		Marker: seriesStyles[(i+2*k)%n].Marker,
	}
}

// EmphasisWidth is how much thicker an emphasised line (the check-in's
// overall trust, the one question the others explain) is drawn; it is
// drawn solid, under the others.
const EmphasisWidth = 2.0

// BandFills shade a measure's severity bands from calm to warm, on the web
// chart and the PDF alike; light enough that lines and labels keep their
// contrast on every one. CutOffColour is the clinical cut-off's dashed line.
var BandFills = []string{"#eaf4ec", "#f4f1dc", "#fbebd6", "#f8e0d6", "#f4d7d7"}

// CutOffColour is the colour of a measure's cut-off line.
const CutOffColour = "#7a2e0e"
