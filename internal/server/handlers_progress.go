package server

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/trellis-app/trellis/internal/measure"
	"github.com/trellis-app/trellis/internal/progress"
)

type progressPage struct {
	Page
	Report progress.Report
	Charts []ChartView
	From   string
	To     string
	Errors map[string]string
	// Measures are the client's own scores, on their own page only.
	Measures []measure.Series
}

// progressPage charts a client's tracked answers over a period (default:
// the last twelve weeks) with a data table beside each chart. A wrong date
// is shown beside its field, with the default period charted.
func (s *Server) progressPage(c *gin.Context) error {
	id, ok := s.id(c)
	if !ok {
		return nil
	}
	return s.renderProgress(c, "progress", "Progress", func(from, to time.Time) (progress.Report, error) {
		return s.progress.ForClient(c.Request.Context(), actor(c), id, from, to)
	}, nil)
}

// clientProgress shows a client their own check-ins and tracked answers,
// when their therapist shares them; otherwise it is not found.
func (s *Server) clientProgress(c *gin.Context) error {
	return s.renderProgress(c, "my_progress", "My progress", func(from, to time.Time) (progress.Report, error) {
		return s.progress.ForSelf(c.Request.Context(), actor(c), from, to)
	}, func() ([]measure.Series, error) { return s.measures.OwnSeries(c.Request.Context(), actor(c)) })
}

// renderProgress renders view with the report load gives for the period
// of the query string, each tracked series charted.
func (s *Server) renderProgress(c *gin.Context, view, title string, load func(from, to time.Time) (progress.Report, error),
	measures func() ([]measure.Series, error)) error {
	p := progressPage{Page: s.page(c, title)}
	from, to, fromText, toText, errs := period(c.Request.URL.Query(), s.now(), p.Location())
	p.From, p.To, p.Errors = fromText, toText, errs
	status := http.StatusOK
	if len(errs) > 0 {
		status = http.StatusUnprocessableEntity
	}
	r, err := load(from, to)
	if err != nil {
		return err
	}
	p.Report = r
	if measures != nil {
		if p.Measures, err = measures(); err != nil {
			return err
		}
	}
	for _, ch := range r.Charts {
		p.Charts = append(p.Charts, chartView(ch, from, to, p.Location()))
	}
	return s.show(c, status, view, p)
}
