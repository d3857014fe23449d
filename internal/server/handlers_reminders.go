package server

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/trellis-app/trellis/internal/account"
	"github.com/trellis-app/trellis/internal/calendar"
	"github.com/trellis-app/trellis/internal/errkind"
	"github.com/trellis-app/trellis/internal/notify"
)

// Reaching clients between sessions: email reminders they turn on
// themselves, a private calendar address, and the stop link every
// reminder carries, which works without signing in.

var reminderFields = []string{"enabled", "send_at", "time_zone"}

type remindersPage struct {
	Page
	Form     Form
	Settings notify.Settings
	Times    []string
	Zones    []account.TimeZoneGroup
	// PracticeZone is the practice's time zone, the default.
	PracticeZone string
	HasCalendar  bool
	// CalendarURL is a calendar address just made, shown to the browser
	// that made it for a short while, never stored in the clear.
	CalendarURL string
}

func (s *Server) remindersPage(c *gin.Context) error {
	set, err := s.reminders.Mine(c.Request.Context(), actor(c))
	if err != nil {
		return err
	}
	f := emptyForm(reminderFields...)
	if set.Enabled {
		f.Values["enabled"] = "1"
	}
	f.Values["send_at"], f.Values["time_zone"] = set.SendAt, set.TimeZone
	return s.renderReminders(c, http.StatusOK, f, set)
}

func (s *Server) renderReminders(c *gin.Context, status int, f Form, set notify.Settings) error {
	ctx, a := c.Request.Context(), actor(c)
	has, err := s.accounts.HasCalendarFeed(ctx, a.UserID)
	if err != nil {
		return err
	}
	pr, _ := principal(c)
	p := remindersPage{Page: s.page(c, "Reminders and calendar"), Form: f, Settings: set, Times: notify.SendTimes(),
		Zones: account.TimeZones(), PracticeZone: pr.Practice.TimeZone, HasCalendar: has}
	if has {
		p.CalendarURL = s.shownCalendarAddress(c)
	}
	return s.show(c, status, "reminders", p)
}

func (s *Server) saveReminders(c *gin.Context) error {
	f := newForm(c, reminderFields)
	ctx, a := c.Request.Context(), actor(c)
	in := notify.Settings{Enabled: f.Values["enabled"] == "1", SendAt: f.Values["send_at"], TimeZone: f.Values["time_zone"]}
	err := s.reminders.Save(ctx, a, in)
	if f.withErrors(err) {
		set, lerr := s.reminders.Mine(ctx, a)
		if lerr != nil {
			return lerr
		}
		return s.renderReminders(c, http.StatusUnprocessableEntity, f, set)
	}
	if err != nil {
		return err
	}
	if in.Enabled {
		s.flash(c, "Reminders are on. You will get an email at "+in.SendAt+" on days when homework is due today or tomorrow.")
	} else {
		s.flash(c, "Reminders are off.")
	}
	return redirect(c, "/account/reminders")
}

// The calendar address is shown once, to the browser that made it: it is
// kept in the session sealed with a key from the session cookie
// (putSealed, as a new authenticator secret is).
const calendarSessionKey = "calendar-address"

func (s *Server) changeCalendar(c *gin.Context) error {
	ctx, a := c.Request.Context(), actor(c)
	switch c.PostForm("op") {
	case "make":
		token, err := s.accounts.NewCalendarFeed(ctx, a)
		if err != nil {
			return err
		}
		u := *s.cfg.BaseURL
		u.Path = "/calendar/" + token + ".ics"
		if err := s.putSealed(c, calendarSessionKey, shownAddress{URL: u.String(), Until: s.now().Add(LinkPageFor)}); err != nil {
			s.serverError(c, err)
			return nil
		}
		s.flash(c, "Your calendar address is ready. Add it to your calendar app as a subscription.")
	case "stop":
		if err := s.accounts.StopCalendarFeed(ctx, a); err != nil {
			return err
		}
		s.sessions.Remove(ctx, calendarSessionKey)
		s.flash(c, "Your calendar address is stopped. Calendars that used it no longer get your due dates.")
	default:
		s.renderError(c, http.StatusBadRequest)
		return nil
	}
	return redirect(c, "/account/reminders#calendar")
}

// shownCalendarAddress is the calendar address this browser made in the
// last LinkPageFor, or "".
func (s *Server) shownCalendarAddress(c *gin.Context) string {
	var shown shownAddress
	if !s.getSealed(c, calendarSessionKey, &shown) || !s.now().Before(shown.Until) {
		s.sessions.Remove(c.Request.Context(), calendarSessionKey)
		return ""
	}
	return shown.URL
}

// shownAddress is a calendar address kept to be shown, and until when.
type shownAddress struct {
	URL   string    `json:"url"`
	Until time.Time `json:"until"`
}

// calendarFeed serves a client's due dates to their calendar app, with
// no sign-in: the address is the credential. Any address that is not a
// current one is the same 404 as a page that does not exist.
func (s *Server) calendarFeed(c *gin.Context) error {
	token, ok := strings.CutSuffix(c.Param("file"), ".ics")
	if !ok {
		s.renderError(c, http.StatusNotFound)
		return nil
	}
	ctx := c.Request.Context()
	owner, err := s.accounts.CalendarFeedOwner(ctx, token)
	if err != nil {
		return err
	}
	dates, err := s.assignments.CalendarDates(ctx, owner)
	if err != nil {
		return err
	}
	dues := make([]calendar.Due, len(dates))
	for i, d := range dates {
		dues[i] = calendar.Due{AssignmentID: d.AssignmentID, On: d.On}
	}
	var b bytes.Buffer
	if err := calendar.Write(&b, s.cfg.BaseURL.Hostname(), dues, s.now()); err != nil {
		s.serverError(c, err)
		return nil
	}
	c.Header("Cache-Control", "private, no-store")
	c.Data(http.StatusOK, "text/calendar; charset=utf-8", b.Bytes())
	return nil
}

type stopPage struct {
	Page
	Token string
	Done  bool
}

// stopPage asks before it stops: mail systems open links to check them,
// and a GET that turned reminders off would let them do it.
func (s *Server) stopPage(c *gin.Context) error {
	return s.show(c, http.StatusOK, "stop", stopPage{Page: s.page(c, "Stop reminders"), Token: c.Param("token")})
}

// stopReminders turns reminders off from a stop link, signed out. Mail
// clients' one-click unsubscribe (RFC 8058) posts here too.
func (s *Server) stopReminders(c *gin.Context) error {
	ok, err := s.reminders.Stop(c.Request.Context(), c.Param("token"))
	if err == nil && !ok {
		err = errkind.ErrNotFound
	}
	if err != nil {
		return err
	}
	return s.show(c, http.StatusOK, "stop", stopPage{Page: s.page(c, "Reminders are off"), Done: true})
}

// offerReminders suggests email reminders to a client in the therapist's
// caseload; only the client can turn them on.
func (s *Server) offerReminders(c *gin.Context) error {
	id, ok := s.id(c)
	if !ok {
		return nil
	}
	if err := s.reminders.Offer(c.Request.Context(), actor(c), id); err != nil {
		return err
	}
	return s.redirectWith(c, "/therapist/clients/"+strconv.FormatInt(id, 10)+"#reminders", "Suggested. The client sees it on their Reminders page; only they can turn reminders on.")
}
