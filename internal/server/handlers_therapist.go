package server

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/trellis-app/trellis/internal/account"
)

var clientInviteFields = []string{"name", "email"}

func (s *Server) clientInvitePage(c *gin.Context) {
	s.render(c, http.StatusOK, "invite", invitePage{Page: s.page(c, "Invite a client"), Action: "/therapist/clients/invite", Form: emptyForm(clientInviteFields...)})
}

func (s *Server) inviteClient(c *gin.Context) {
	f := newForm(c, clientInviteFields)
	link, err := s.accounts.InviteClient(c.Request.Context(), actor(c), account.Invitation{Name: f.Values["name"], Email: f.Values["email"]})
	if f.withErrors(err) {
		s.render(c, http.StatusUnprocessableEntity, "invite", invitePage{Page: s.page(c, "Invite a client"), Action: "/therapist/clients/invite", Form: f})
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	s.handOffLink(c, link, f.Values["name"], "/therapist")
}

func (s *Server) removeClient(c *gin.Context) {
	id, ok := s.id(c)
	if !ok {
		return
	}
	if err := s.accounts.RemoveClient(c.Request.Context(), actor(c), id); err != nil {
		s.fail(c, err)
		return
	}
	s.flash(c, "The client was removed from your caseload and signed out. Their records are kept.")
	c.Redirect(http.StatusSeeOther, "/therapist")
}

// decideTransfer accepts or declines a move of a client into the
// therapist's caseload. A move not waiting for them is a 404.
func (s *Server) decideTransfer(accept bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, ok := s.id(c)
		if !ok {
			return
		}
		t, err := s.accounts.DecideTransfer(c.Request.Context(), actor(c), id, accept)
		if err != nil {
			s.fail(c, err)
			return
		}
		if accept {
			s.flash(c, t.ClientName+" is now in your caseload.")
			c.Redirect(http.StatusSeeOther, "/therapist/clients/"+strconv.FormatInt(t.ClientID, 10))
			return
		}
		s.flash(c, "You declined the move. "+t.ClientName+" stays with their therapist.")
		c.Redirect(http.StatusSeeOther, "/therapist")
	}
}
