package reports

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// measures prints each measure: its chart with the bands and cut-off, the
// change statements, a line per score with every item, and the method.
func (d *doc) measures(ms []Measure, plotH float64) {
	for _, m := range ms {
		var pts []Point
		for _, s := range m.Scores {
			if s.Valid {
				pts = append(pts, Point{At: s.At, Value: s.Total})
			}
		}
		series := []Series{{Name: m.Title + " total", Points: pts}}
		d.heading(m.Title, 40)
		if len(pts) > 0 {
			from, to := window(time.Time{}, time.Time{}, series)
			pc := plot{Chart: Chart{Title: "Totals", Unit: fmt.Sprintf("0–%d, lower is better; dashed line: cut-off %d", m.Max, m.CutOff),
				Min: 0, Max: m.Max, Series: series, Bands: m.Bands, CutOff: m.CutOff}, from: from, to: d.endOfDay(to)}
			d.drawChart(pc, plotH)
		}
		d.font("", 9.5)
		d.textColour(colText)
		for _, c := range m.Change {
			d.para(c, margin, contentW, false)
		}
		d.space(1)
		d.font("", 8.5)
		for _, s := range m.Scores {
			items := make([]string, len(s.Items))
			for i, v := range s.Items {
				items[i] = "–"
				if v >= 0 {
					items[i] = strconv.Itoa(v)
				}
			}
			total := s.Note
			if s.Valid {
				total = fmt.Sprintf("total %d, %s", s.Total, s.Band)
				if s.Note != "" {
					total += " (" + s.Note + ")"
				}
			}
			d.need(5)
			d.para(fmt.Sprintf("%s · %s · items %s", d.date(s.At), total, strings.Join(items, " ")), margin, contentW, false)
		}
		if m.Method != "" {
			d.space(1)
			d.font("", 7.5)
			d.textColour(colMuted)
			d.para(m.Method, margin, contentW, false)
		}
		d.space(2)
	}
}

// sessionMeasures is the session report's short form: per measure a small
// chart with bands, the change statements and the latest score, while
// there is room on the two pages.
func (d *doc) sessionMeasures(ms []Measure) {
	for _, m := range ms {
		if !d.room(headingH + 48) {
			return
		}
		d.sessionHeading(m.Title)
		var pts []Point
		var latest *Score
		for i, s := range m.Scores {
			if s.Valid {
				pts = append(pts, Point{At: s.At, Value: s.Total})
				latest = &m.Scores[i]
			}
		}
		if len(pts) > 0 {
			series := []Series{{Name: m.Title + " total", Points: pts}}
			from, to := window(time.Time{}, time.Time{}, series)
			d.drawChart(plot{Chart: Chart{Min: 0, Max: m.Max, Series: series, Bands: m.Bands, CutOff: m.CutOff},
				from: from, to: d.endOfDay(to)}, 26)
		}
		d.font("", 9.5)
		d.textColour(colText)
		if latest != nil {
			items := make([]string, len(latest.Items))
			for i, v := range latest.Items {
				items[i] = "–"
				if v >= 0 {
					items[i] = strconv.Itoa(v)
				}
			}
			line := fmt.Sprintf("Latest %d of %d on %s, %s", latest.Total, m.Max, d.date(latest.At), latest.Band)
			if latest.Note != "" {
				line += " (" + latest.Note + ")"
			}
			d.para(line+"; items "+strings.Join(items, " ")+".", margin, contentW, false)
		}
		for _, c := range m.Change {
			d.para(c, margin, contentW, false)
		}
		d.space(1)
	}
}
