package server

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/trellis-app/trellis/internal/database"
	"github.com/trellis-app/trellis/internal/progress"
	"github.com/trellis-app/trellis/reports"
)

// period reads the from/to dates of the report form (inclusive days in the
// practice's zone), defaulting to the last twelve weeks. When the input is
// wrong, errs says why beside each field, the typed text is kept in the
// returned strings, and from/to fall back to the default period.
func period(v url.Values, now time.Time, zone *time.Location) (from, to time.Time, fromText, toText string, errs map[string]string) {
	errs = map[string]string{}
	now = now.In(zone)
	defTo := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, zone)
	defFrom := defTo.AddDate(0, 0, -83)
	from, to = defFrom, defTo
	read := func(name string, into *time.Time) {
		text := v.Get(name)
		if text == "" {
			return
		}
		t, err := time.ParseInLocation(time.DateOnly, text, zone)
		if err != nil {
			errs[name] = "Enter a date like 2026-01-31."
			return
		}
		*into = t
	}
	read("from", &from)
	read("to", &to)
	if len(errs) == 0 && to.Before(from) {
		errs["to"] = "The end must be on or after the start."
	}
	if len(errs) == 0 && to.Sub(from) > 5*366*24*time.Hour {
		errs["from"] = "Choose a period of five years or less."
	}
	fromText, toText = from.Format(time.DateOnly), to.Format(time.DateOnly)
	if _, ok := v["from"]; ok {
		fromText = v.Get("from")
	}
	if _, ok := v["to"]; ok {
		toText = v.Get("to")
	}
	if len(errs) > 0 {
		from, to = defFrom, defTo
	}
	return from, to, fromText, toText, errs
}

// reportPage is where a therapist chooses what to export for one client
// and records session dates.
type reportPage struct {
	Page
	progress.Choices
	ClientID int64
	From, To string
	// Picked: the therapist's own choice of reflections came with the
	// request (Chosen); otherwise every one is ticked.
	Picked      bool
	Chosen      map[int64]bool
	Notes       bool
	Errors      map[string]string
	SessionForm Form
}

func (s *Server) reportPage(c *gin.Context) error {
	return s.renderReportPage(c, http.StatusOK, emptyForm("held_on"), c.Request.URL.Query())
}

// renderReportPage shows the export page with the period and choices the
// form sent kept, and f for the session form.
func (s *Server) renderReportPage(c *gin.Context, status int, f Form, v url.Values) error {
	id, ok := s.id(c)
	if !ok {
		return nil
	}
	p := reportPage{Page: s.page(c, "Reports"), ClientID: id, SessionForm: f}
	from, to, fromText, toText, errs := period(v, s.now(), p.Location())
	p.From, p.To, p.Errors = fromText, toText, errs
	if len(errs) > 0 {
		status = http.StatusUnprocessableEntity
	}
	// The choices as sent, or every reflection ticked at first.
	p.Picked, p.Notes = v.Get("pick") == "1", v.Get("notes") == "1"
	p.Chosen = map[int64]bool{}
	for _, id := range chosen(v) {
		p.Chosen[id] = true
	}
	var err error
	if p.Choices, err = s.progress.Choices(c.Request.Context(), actor(c), id, from, to); err != nil {
		return err
	}
	if p.SessionForm.Values["held_on"] == "" {
		p.SessionForm.Values["held_on"] = s.now().In(p.Location()).Format(time.DateOnly)
	}
	return s.show(c, status, "reports", p)
}

// progressPDF exports the progress summary the report page's form posted.
// A wrong period shows the form again with the messages and choices kept.
func (s *Server) progressPDF(c *gin.Context) error {
	id, ok := s.id(c)
	if !ok {
		return nil
	}
	zone := s.zone(c)
	// Posted, never a query: an export writes an audit row, so it must
	// not be a link another site can make a signed-in browser follow.
	v := c.Request.PostForm
	from, to, _, _, errs := period(v, s.now(), zone)
	if len(errs) > 0 {
		return s.renderReportPage(c, http.StatusUnprocessableEntity, emptyForm("held_on"), v)
	}
	// The form always says pick=1 and prints exactly what is ticked, so
	// unticking one keeps it out. A post without pick prints every one.
	o := progress.SummaryOptions{From: from, To: to, AllReflections: v.Get("pick") != "1", Reflections: chosen(v),
		IncludeNotes: v.Get("notes") == "1", Format: "pdf"}
	now := s.now().In(zone)
	return s.renderPDF(c, reports.ProgressFileName(id, now), func(w io.Writer) error {
		sum, err := s.progress.ExportSummary(c.Request.Context(), actor(c), id, o, now)
		if err != nil {
			return err
		}
		if sum.Measures, err = s.measureReports(c, id, zone); err != nil {
			return err
		}
		return reports.WriteProgress(w, sum)
	})
}

// pdfWait bounds how long a request waits for a PDF slot before it is
// answered "busy, try again" (503).
const pdfWait = 10 * time.Second

// renderPDF makes a PDF with write and sends it as a download. At most
// GOMAXPROCS PDFs are made at once: a year-long summary keeps a core busy
// for about a tenth of a second and allocates some 180 MB of short-lived
// compression buffers, so a burst of exports waits its turn instead of
// multiplying memory; a wait past pdfWait answers 503.
func (s *Server) renderPDF(c *gin.Context, name string, write func(io.Writer) error) error {
	ctx := c.Request.Context()
	t := time.NewTimer(pdfWait)
	defer t.Stop()
	select {
	case s.pdfSlots <- struct{}{}:
	case <-t.C:
		return fmt.Errorf("wait for a PDF slot: %w", database.ErrBusy)
	case <-ctx.Done():
		return fmt.Errorf("wait for a PDF slot: %w", ctx.Err())
	}
	var buf bytes.Buffer
	err := write(&buf)
	<-s.pdfSlots
	if err != nil {
		return err
	}
	s.sendPDF(c, name, buf.Bytes())
	return nil
}

// chosen is the reflections (assignment ids) ticked in the export form.
func chosen(form url.Values) []int64 {
	var out []int64
	for _, v := range form["r"] {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > 0 {
			out = append(out, n)
		}
	}
	return out
}

// sendPDF answers a report as a download, never cached and named by ids
// and date only (R20).
func (s *Server) sendPDF(c *gin.Context, name string, pdf []byte) {
	c.Header("Content-Disposition", `attachment; filename="`+name+`"`)
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, "application/pdf", pdf)
}

// sessionReportPage is the printable session report in the browser.
type sessionReportPage struct {
	Page
	ClientID int64
	Report   reports.SessionReport
	Trend    ChartView
	Measures []measureView
}

func (s *Server) sessionReport(c *gin.Context) error {
	id, ok := s.id(c)
	if !ok {
		return nil
	}
	p := sessionReportPage{Page: s.page(c, "Session report"), ClientID: id}
	now := s.now()
	r, err := s.progress.ExportSession(c.Request.Context(), actor(c), id, "html", now)
	if err != nil {
		return err
	}
	p.Report = r
	if len(r.CheckIns) > 0 {
		ch, from, to := progress.TrendChart(r)
		p.Trend = chartView(ch, from, to, p.Location())
	}
	_, series, err := s.measures.ClientSeries(c.Request.Context(), actor(c), id)
	if err != nil {
		return err
	}
	p.Measures = measureViews(series, p.Location())
	return s.show(c, http.StatusOK, "session_report", p)
}

func (s *Server) sessionReportPDF(c *gin.Context) error {
	id, ok := s.id(c)
	if !ok {
		return nil
	}
	now := s.now().In(s.zone(c))
	return s.renderPDF(c, reports.SessionFileName(id, now), func(w io.Writer) error {
		r, err := s.progress.ExportSession(c.Request.Context(), actor(c), id, "pdf", now)
		if err != nil {
			return err
		}
		if r.Measures, err = s.measureReports(c, id, now.Location()); err != nil {
			return err
		}
		return reports.WriteSession(w, r)
	})
}

// recordSession records the date of a session with the client.
func (s *Server) recordSession(c *gin.Context) error {
	id, ok := s.id(c)
	if !ok {
		return nil
	}
	f := newForm(c, []string{"held_on"})
	zone := s.zone(c)
	on, perr := time.ParseInLocation(time.DateOnly, f.Values["held_on"], zone)
	if perr != nil {
		f.Errors["held_on"] = "Enter the session's date, like 2026-01-31."
		return s.renderReportPage(c, http.StatusUnprocessableEntity, f, c.Request.URL.Query())
	}
	now := s.now().In(zone)
	err := s.progress.RecordSession(c.Request.Context(), actor(c), id, on, time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, zone))
	if f.withErrors(err) {
		return s.renderReportPage(c, http.StatusUnprocessableEntity, f, c.Request.URL.Query())
	}
	if err != nil {
		return err
	}
	return s.redirectWith(c, "/therapist/clients/"+strconv.FormatInt(id, 10)+"/reports#sessions", "Session of "+on.Format("2 Jan 2006")+" recorded.")
}

// removeSession removes a session date entered by mistake.
func (s *Server) removeSession(c *gin.Context) error {
	id, ok := s.id(c)
	if !ok {
		return nil
	}
	sid, err := strconv.ParseInt(c.Param("session"), 10, 64)
	if err != nil || sid <= 0 {
		s.renderError(c, http.StatusNotFound)
		return nil
	}
	if err := s.progress.RemoveSession(c.Request.Context(), actor(c), id, sid); err != nil {
		return err
	}
	return s.redirectWith(c, "/therapist/clients/"+strconv.FormatInt(id, 10)+"/reports#sessions", "Session date removed.")
}

// setSharing turns the client's own progress view on or off.
func (s *Server) setSharing(c *gin.Context) error {
	id, ok := s.id(c)
	if !ok {
		return nil
	}
	on := c.PostForm("shared") == "1"
	if err := s.progress.SetSharing(c.Request.Context(), actor(c), id, on); err != nil {
		return err
	}
	if on {
		s.flash(c, "The client can now see their progress under “My progress”.")
	} else {
		s.flash(c, "The client no longer sees their progress.")
	}
	return redirect(c, "/therapist/clients/"+strconv.FormatInt(id, 10)+"/reports#sharing")
}
