package server

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/trellis-app/trellis/internal/account"
	"github.com/trellis-app/trellis/internal/assignment"
	"github.com/trellis-app/trellis/internal/notify"
	"github.com/trellis-app/trellis/internal/review"
)

var clientInviteFields = []string{"name", "email"}

func (s *Server) clientInvitePage(c *gin.Context) error {
	return s.show(c, http.StatusOK, "invite", invitePage{Page: s.page(c, "Invite a client"), Action: "/therapist/clients/invite", Form: emptyForm(clientInviteFields...)})
}

func (s *Server) inviteClient(c *gin.Context) error {
	f := newForm(c, clientInviteFields)
	link, err := s.accounts.InviteClient(c.Request.Context(), actor(c), account.Invitation{Name: f.Values["name"], Email: f.Values["email"]})
	if f.withErrors(err) {
		return s.show(c, http.StatusUnprocessableEntity, "invite", invitePage{Page: s.page(c, "Invite a client"), Action: "/therapist/clients/invite", Form: f})
	}
	if err != nil {
		return err
	}
	s.handOffLink(c, link, f.Values["name"], "/therapist")
	return nil
}

func (s *Server) removeClient(c *gin.Context) error {
	id, ok := s.id(c)
	if !ok {
		return nil
	}
	if err := s.accounts.RemoveClient(c.Request.Context(), actor(c), id); err != nil {
		return err
	}
	return s.redirectWith(c, "/therapist", "The client was removed from your caseload and signed out. Their records are kept.")
}

// decideTransfer accepts or declines a move of a client into the
// therapist's caseload. A move not waiting for them is a 404.
func (s *Server) decideTransfer(accept bool) handlerFunc {
	return func(c *gin.Context) error {
		id, ok := s.id(c)
		if !ok {
			return nil
		}
		t, err := s.accounts.DecideTransfer(c.Request.Context(), actor(c), id, accept)
		if err != nil {
			return err
		}
		if accept {
			return s.redirectWith(c, "/therapist/clients/"+strconv.FormatInt(t.ClientID, 10), t.ClientName+" is now in your caseload.")
		}
		return s.redirectWith(c, "/therapist", "You declined the move. "+t.ClientName+" stays with their therapist.")
	}
}

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
func (s *Server) dashboard(c *gin.Context) error {
	sort := c.Query("sort")
	if _, ok := assignment.SortOrders[sort]; !ok {
		sort = "name"
	}
	q := s.sessions.GetString(c.Request.Context(), sessCaseloadSearch)
	d, err := s.assignments.Dashboard(c.Request.Context(), actor(c), sort, q)
	if err != nil {
		return err
	}
	moves, err := s.accounts.TransferNotices(c.Request.Context(), actor(c))
	if err != nil {
		return err
	}
	reach, err := s.reminders.Attention(c.Request.Context(), actor(c), s.now())
	if err != nil {
		return err
	}
	invites, err := s.invitations(c)
	if err != nil {
		return err
	}
	return s.show(c, http.StatusOK, "dashboard", dashboardPage{Page: s.page(c, "Dashboard"), Dashboard: d, Transfers: moves, Reach: reach, Invitations: invites, Sort: sort, Search: q, Now: s.now()})
}

// sessCaseloadSearch holds the name the therapist last searched the
// caseload for; an empty search clears it.
const sessCaseloadSearch = "caseload_search"

// searchCaseload keeps the searched name in the session and shows the
// dashboard again (POST/redirect/GET), in the same order.
func (s *Server) searchCaseload(c *gin.Context) error {
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
	return redirect(c, to+"#caseload-title")
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
func (s *Server) clientPage(c *gin.Context) error {
	return s.renderClientPage(c, http.StatusOK, emptyForm("note"))
}

func (s *Server) renderClientPage(c *gin.Context, status int, f Form) error {
	id, ok := s.id(c)
	if !ok {
		return nil
	}
	ctx, a := c.Request.Context(), actor(c)
	client, err := s.accounts.Client(ctx, a, id)
	if err != nil {
		return err
	}
	work, err := s.assignments.ClientWork(ctx, a, id)
	if err != nil {
		return err
	}
	notes, err := s.reviews.ClientNotes(ctx, a, id)
	if err != nil {
		return err
	}
	rem, err := s.reminders.ForClient(ctx, a, id)
	if err != nil {
		return err
	}
	return s.show(c, status, "therapist_client", clientPage{Page: s.page(c, "Client"), Client: client, Work: work, Notes: notes, Form: f, Now: s.now(), Reminders: rem})
}
