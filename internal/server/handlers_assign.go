package server

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/trellis-app/trellis/internal/account"
	"github.com/trellis-app/trellis/internal/assignment"
	"github.com/trellis-app/trellis/internal/exercise"
)

type assignPage struct {
	Page
	Exercises []exercise.Exercise
	Clients   []account.User
	Form      Form
	Chosen    map[int64]bool
	Today     string
}

var assignFields = []string{"exercise", "clients", "note", "first_due", "recurrence", "interval_days", "end", "until", "count"}

func (s *Server) assignPage(c *gin.Context) error {
	f := emptyForm(assignFields...)
	f.Values["exercise"] = c.Query("exercise")
	f.Values["recurrence"] = assignment.Once
	f.Values["interval_days"] = "3"
	f.Values["end"] = "count"
	f.Values["count"] = "6"
	chosen := map[int64]bool{}
	for _, id := range assignment.IDs(c.QueryArray("client")) {
		chosen[id] = true
	}
	return s.renderAssign(c, http.StatusOK, f, chosen)
}

func (s *Server) renderAssign(c *gin.Context, status int, f Form, chosen map[int64]bool) error {
	ctx, a := c.Request.Context(), actor(c)
	list, err := s.exercises.Library(ctx, a)
	if err != nil {
		return err
	}
	clients, err := s.accounts.Caseload(ctx, a)
	if err != nil {
		return err
	}
	today, err := s.assignments.Today(ctx, a)
	if err != nil {
		return err
	}
	if f.Values["first_due"] == "" {
		f.Values["first_due"] = today.AddDays(7).String()
	}
	return s.show(c, status, "assign", assignPage{Page: s.page(c, "Assign homework"), Exercises: list, Clients: clients, Form: f, Chosen: chosen, Today: today.String()})
}

func (s *Server) assign(c *gin.Context) error {
	f := newForm(c, assignFields)
	clientIDs := assignment.IDs(c.PostFormArray("clients"))
	chosen := map[int64]bool{}
	for _, id := range clientIDs {
		chosen[id] = true
	}
	req := assignment.Request{ClientIDs: clientIDs, Note: f.Values["note"]}
	req.ExerciseID, _ = strconv.ParseInt(f.Values["exercise"], 10, 64)
	sched, ok := scheduleFromForm(&f)
	req.Schedule = sched
	ids, err := []int64(nil), error(nil)
	if ok {
		ids, err = s.assignments.Assign(c.Request.Context(), actor(c), req)
	}
	if !ok || f.withErrors(err) {
		return s.renderAssign(c, http.StatusUnprocessableEntity, f, chosen)
	}
	if err != nil {
		return err
	}
	if len(clientIDs) == 1 {
		return s.redirectWith(c, "/therapist/clients/"+strconv.FormatInt(clientIDs[0], 10), "Homework assigned.")
	}
	return s.redirectWith(c, "/therapist", "Homework assigned to "+plural(len(ids), "client", "clients")+".")
}

// scheduleFromForm reads the schedule part of the assign form, adding a
// message to f for each date or number that does not parse.
func scheduleFromForm(f *Form) (assignment.Schedule, bool) {
	sc := assignment.Schedule{Recurrence: f.Values["recurrence"]}
	ok := true
	if d, err := assignment.ParseDate(f.Values["first_due"]); err != nil {
		f.Errors["first_due"] = "Enter a date like 2026-03-31."
		ok = false
	} else {
		sc.First = d
	}
	if sc.Recurrence == assignment.EveryNDays {
		n, err := strconv.Atoi(f.Values["interval_days"])
		if err != nil {
			f.Errors["interval_days"] = "Enter a number of days from 1 to 90."
			ok = false
		}
		sc.IntervalDays = n
	}
	if sc.Recurrence != assignment.Once {
		if !endFromForm(f, &sc.Until, &sc.Count) {
			ok = false
		}
	}
	return sc, ok
}

// endFromForm reads "end" (until or count) with its value.
func endFromForm(f *Form, until **assignment.Date, count *int) bool {
	switch f.Values["end"] {
	case "until":
		d, err := assignment.ParseDate(f.Values["until"])
		if err != nil {
			f.Errors["until"] = "Enter an end date like 2026-06-30."
			return false
		}
		*until = &d
	default:
		n, err := strconv.Atoi(f.Values["count"])
		if err != nil {
			f.Errors["count"] = "Enter how many times, as a number."
			return false
		}
		*count = n
	}
	return true
}

func (s *Server) cancelOccurrence(c *gin.Context) error {
	id, ok := s.id(c)
	if !ok {
		return nil
	}
	clientID, err := s.assignments.CancelOccurrence(c.Request.Context(), actor(c), id)
	return s.afterWorkChange(c, clientID, err, "That occurrence is cancelled.")
}

func (s *Server) cancelSeries(c *gin.Context) error {
	id, ok := s.id(c)
	if !ok {
		return nil
	}
	clientID, err := s.assignments.CancelSeries(c.Request.Context(), actor(c), id)
	return s.afterWorkChange(c, clientID, err, "The remaining occurrences are cancelled. Work already sent in is kept.")
}

// afterWorkChange redirects back to the client's page with a message.
func (s *Server) afterWorkChange(c *gin.Context, clientID int64, err error, done string) error {
	if msg, invalid := invalidMessage(err); invalid {
		s.flash(c, msg)
	} else if err != nil {
		return err
	} else {
		s.flash(c, done)
	}
	return redirect(c, "/therapist/clients/"+strconv.FormatInt(clientID, 10))
}

type seriesPage struct {
	Page
	Series assignment.Series
	Form   Form
}

var seriesFields = []string{"note", "end", "until", "count"}

func (s *Server) seriesPage(c *gin.Context) error {
	id, ok := s.id(c)
	if !ok {
		return nil
	}
	sr, err := s.assignments.GetSeries(c.Request.Context(), actor(c), id)
	if err != nil {
		return err
	}
	f := emptyForm(seriesFields...)
	f.Values["note"] = sr.Note
	f.Values["end"] = "count"
	if sr.Until.Valid {
		f.Values["end"] = "until"
		f.Values["until"] = sr.Until.Time.Format(time.DateOnly)
	}
	if sr.Count.Valid {
		f.Values["count"] = strconv.FormatInt(sr.Count.Int64, 10)
	}
	return s.show(c, http.StatusOK, "series", seriesPage{Page: s.page(c, "Change a series"), Series: sr, Form: f})
}

func (s *Server) changeSeries(c *gin.Context) error {
	id, ok := s.id(c)
	if !ok {
		return nil
	}
	ctx, a := c.Request.Context(), actor(c)
	sr, err := s.assignments.GetSeries(ctx, a, id)
	if err != nil {
		return err
	}
	f := newForm(c, seriesFields)
	ch := assignment.Change{Note: f.Values["note"]}
	ok = sr.Recurrence == assignment.Once || endFromForm(&f, &ch.Until, &ch.Count)
	var clientID int64
	if ok {
		clientID, err = s.assignments.ChangeSeries(ctx, a, id, ch)
	}
	if !ok || f.withErrors(err) {
		return s.show(c, http.StatusUnprocessableEntity, "series", seriesPage{Page: s.page(c, "Change a series"), Series: sr, Form: f})
	}
	return s.afterWorkChange(c, clientID, err, "The series is changed. Work already sent in is kept.")
}
