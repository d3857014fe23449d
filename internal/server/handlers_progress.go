package server

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/trellis-app/trellis/internal/progress"
)

type progressPage struct {
	Page
	Report progress.Report
	Charts []ChartView
	From   string
	To     string
	Errors map[string]string
}

// progressPage charts a client's tracked answers over a period (default:
// the last twelve weeks) with a data table beside each chart.
func (s *Server) progressPage(c *gin.Context) {
	id, ok := s.id(c)
	if !ok {
		return
	}
	p := progressPage{Page: s.page(c, "Progress"), Errors: map[string]string{}}
	zone := p.Zone
	if zone == nil {
		zone = time.UTC
	}
	today := time.Now().In(zone)
	defTo := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, zone)
	defFrom := defTo.AddDate(0, 0, -83)
	from, to := defFrom, defTo
	status := http.StatusOK
	if v := c.Query("from"); v != "" {
		if t, err := time.ParseInLocation(time.DateOnly, v, zone); err == nil {
			from = t
		} else {
			p.Errors["from"] = "Enter a date like 2026-01-31."
		}
	}
	if v := c.Query("to"); v != "" {
		if t, err := time.ParseInLocation(time.DateOnly, v, zone); err == nil {
			to = t
		} else {
			p.Errors["to"] = "Enter a date like 2026-01-31."
		}
	}
	if len(p.Errors) == 0 && to.Before(from) {
		p.Errors["to"] = "The end must be on or after the start."
	}
	p.From, p.To = c.DefaultQuery("from", from.Format(time.DateOnly)), c.DefaultQuery("to", to.Format(time.DateOnly))
	if len(p.Errors) > 0 {
		status = http.StatusUnprocessableEntity
		from, to = defFrom, defTo // show the default period beside the messages
	}
	r, err := s.progress.ForClient(c.Request.Context(), actor(c), id, from, to)
	if err != nil {
		s.fail(c, err)
		return
	}
	p.Report = r
	for _, ch := range r.Charts {
		p.Charts = append(p.Charts, chartView(ch, from, to, zone))
	}
	s.render(c, status, "progress", p)
}
