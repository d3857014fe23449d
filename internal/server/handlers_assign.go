package server

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/trellis-app/trellis/internal/account"
	"github.com/trellis-app/trellis/internal/assignment"
	"github.com/trellis-app/trellis/internal/exercise"
	"github.com/trellis-app/trellis/internal/notify"
	"github.com/trellis-app/trellis/internal/review"
)

type dashboardPage struct {
	Page
	Dashboard assignment.Dashboard
	// Transfers: moves waiting for this therapist's answer, and moves of
	// their clients (so both therapists are told).
	Transfers account.TransferNotices
	// Reach: clients with several pieces of homework missed in a row, and
	// emails to clients that could not be sent.
	Reach notify.Attention
	// Invitations: the clients invited who have not joined yet.
	Invitations []invitationRow
	Sort        string
	Search      string
	Now         time.Time
}

// dashboard is the therapist's landing page: what needs attention, then
// the caseload with counts, sortable and searchable by name. The name
// searched for is kept in the session, never in the URL (R20): URLs end up
// in browser history, proxy logs and the Referer of the next request.
func (s *Server) dashboard(c *gin.Context) {
	sort := c.Query("sort")
	if _, ok := assignment.SortOrders[sort]; !ok {
		sort = "name"
	}
	q := s.sessions.GetString(c.Request.Context(), sessCaseloadSearch)
	d, err := s.assignments.Dashboard(c.Request.Context(), actor(c), sort, q)
	if err != nil {
		s.fail(c, err)
		return
	}
	moves, err := s.accounts.TransferNotices(c.Request.Context(), actor(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	reach, err := s.reminders.Attention(c.Request.Context(), actor(c), s.now())
	if err != nil {
		s.fail(c, err)
		return
	}
	invites, err := s.invitations(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "dashboard", dashboardPage{Page: s.page(c, "Dashboard"), Dashboard: d, Transfers: moves, Reach: reach, Invitations: invites, Sort: sort, Search: q, Now: s.now()})
}

// sessCaseloadSearch holds the name the therapist last searched the
// caseload for; an empty search clears it.
const sessCaseloadSearch = "caseload_search"

// searchCaseload keeps the searched name in the session and shows the
// dashboard again (POST/redirect/GET), in the same order.
func (s *Server) searchCaseload(c *gin.Context) {
	q := strings.TrimSpace(c.PostForm("q"))
	if q == "" || c.PostForm("clear") == "1" {
		s.sessions.Remove(c.Request.Context(), sessCaseloadSearch)
	} else {
		s.sessions.Put(c.Request.Context(), sessCaseloadSearch, q)
	}
	to := "/therapist"
	if sort := c.PostForm("sort"); sort != "" {
		if _, ok := assignment.SortOrders[sort]; ok {
			to += "?sort=" + sort
		}
	}
	c.Redirect(http.StatusSeeOther, to+"#caseload-title")
}

type assignPage struct {
	Page
	Exercises []exercise.Exercise
	Clients   []account.User
	Form      Form
	Chosen    map[int64]bool
	Today     string
}

var assignFields = []string{"exercise", "clients", "note", "first_due", "recurrence", "interval_days", "end", "until", "count"}

func (s *Server) assignPage(c *gin.Context) {
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
	s.renderAssign(c, http.StatusOK, f, chosen)
}

func (s *Server) renderAssign(c *gin.Context, status int, f Form, chosen map[int64]bool) {
	ctx, a := c.Request.Context(), actor(c)
	list, err := s.exercises.Library(ctx, a)
	if err != nil {
		s.fail(c, err)
		return
	}
	clients, err := s.accounts.Caseload(ctx, a)
	if err != nil {
		s.fail(c, err)
		return
	}
	today, err := s.assignments.Today(ctx, a)
	if err != nil {
		s.fail(c, err)
		return
	}
	if f.Values["first_due"] == "" {
		f.Values["first_due"] = today.AddDays(7).String()
	}
	s.render(c, status, "assign", assignPage{Page: s.page(c, "Assign homework"), Exercises: list, Clients: clients, Form: f, Chosen: chosen, Today: today.String()})
}

func (s *Server) assign(c *gin.Context) {
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
		s.renderAssign(c, http.StatusUnprocessableEntity, f, chosen)
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	if len(clientIDs) == 1 {
		s.flash(c, "Homework assigned.")
		c.Redirect(http.StatusSeeOther, "/therapist/clients/"+strconv.FormatInt(clientIDs[0], 10))
		return
	}
	s.flash(c, "Homework assigned to "+plural(len(ids), "client", "clients")+".")
	c.Redirect(http.StatusSeeOther, "/therapist")
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

type clientPage struct {
	Page
	Client account.User
	Work   []assignment.Occurrence
	Notes  []review.Note
	Form   Form // the private-note form
	Now    time.Time
	// Reminders: whether the client has email reminders on, and whether
	// they were suggested.
	Reminders notify.Settings
}

// clientPage shows one client of the caseload with their work; another
// therapist's client is the same 404 as a client that does not exist (R13).
func (s *Server) clientPage(c *gin.Context) {
	s.renderClientPage(c, http.StatusOK, emptyForm("note"))
}

func (s *Server) renderClientPage(c *gin.Context, status int, f Form) {
	id, ok := s.id(c)
	if !ok {
		return
	}
	ctx, a := c.Request.Context(), actor(c)
	client, err := s.accounts.Client(ctx, a, id)
	if err != nil {
		s.fail(c, err)
		return
	}
	work, err := s.assignments.ClientWork(ctx, a, id)
	if err != nil {
		s.fail(c, err)
		return
	}
	notes, err := s.reviews.ClientNotes(ctx, a, id)
	if err != nil {
		s.fail(c, err)
		return
	}
	rem, err := s.reminders.ForClient(ctx, a, id)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, status, "therapist_client", clientPage{Page: s.page(c, "Client"), Client: client, Work: work, Notes: notes, Form: f, Now: s.now(), Reminders: rem})
}

func (s *Server) cancelOccurrence(c *gin.Context) {
	id, ok := s.id(c)
	if !ok {
		return
	}
	clientID, err := s.assignments.CancelOccurrence(c.Request.Context(), actor(c), id)
	s.afterWorkChange(c, clientID, err, "That occurrence is cancelled.")
}

func (s *Server) cancelSeries(c *gin.Context) {
	id, ok := s.id(c)
	if !ok {
		return
	}
	clientID, err := s.assignments.CancelSeries(c.Request.Context(), actor(c), id)
	s.afterWorkChange(c, clientID, err, "The remaining occurrences are cancelled. Work already sent in is kept.")
}

// afterWorkChange redirects back to the client's page with a message.
func (s *Server) afterWorkChange(c *gin.Context, clientID int64, err error, done string) {
	if msg, invalid := invalidMessage(err); invalid {
		s.flash(c, msg)
	} else if err != nil {
		s.fail(c, err)
		return
	} else {
		s.flash(c, done)
	}
	c.Redirect(http.StatusSeeOther, "/therapist/clients/"+strconv.FormatInt(clientID, 10))
}

type seriesPage struct {
	Page
	Series assignment.Series
	Form   Form
}

var seriesFields = []string{"note", "end", "until", "count"}

func (s *Server) seriesPage(c *gin.Context) {
	id, ok := s.id(c)
	if !ok {
		return
	}
	sr, err := s.assignments.GetSeries(c.Request.Context(), actor(c), id)
	if err != nil {
		s.fail(c, err)
		return
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
	s.render(c, http.StatusOK, "series", seriesPage{Page: s.page(c, "Change a series"), Series: sr, Form: f})
}

func (s *Server) changeSeries(c *gin.Context) {
	id, ok := s.id(c)
	if !ok {
		return
	}
	ctx, a := c.Request.Context(), actor(c)
	sr, err := s.assignments.GetSeries(ctx, a, id)
	if err != nil {
		s.fail(c, err)
		return
	}
	f := newForm(c, seriesFields)
	ch := assignment.Change{Note: f.Values["note"]}
	ok = sr.Recurrence == assignment.Once || endFromForm(&f, &ch.Until, &ch.Count)
	var clientID int64
	if ok {
		clientID, err = s.assignments.ChangeSeries(ctx, a, id, ch)
	}
	if !ok || f.withErrors(err) {
		s.render(c, http.StatusUnprocessableEntity, "series", seriesPage{Page: s.page(c, "Change a series"), Series: sr, Form: f})
		return
	}
	s.afterWorkChange(c, clientID, err, "The series is changed. Work already sent in is kept.")
}
