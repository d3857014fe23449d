package server

import (
	"net/http"

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
// the last twelve weeks) with a data table beside each chart. A wrong date
// is shown beside its field, with the default period charted.
func (s *Server) progressPage(c *gin.Context) {
	id, ok := s.id(c)
	if !ok {
		return
	}
	p := progressPage{Page: s.page(c, "Progress")}
	from, to, fromText, toText, errs := period(c, p.Zone)
	p.From, p.To, p.Errors = fromText, toText, errs
	status := http.StatusOK
	if len(errs) > 0 {
		status = http.StatusUnprocessableEntity
	}
	r, err := s.progress.ForClient(c.Request.Context(), actor(c), id, from, to)
	if err != nil {
		s.fail(c, err)
		return
	}
	p.Report = r
	for _, ch := range r.Charts {
		p.Charts = append(p.Charts, chartView(ch, from, to, zoneOr(p.Zone)))
	}
	s.render(c, status, "progress", p)
}
