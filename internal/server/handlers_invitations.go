package server

import (
	"encoding/base64"

	"github.com/gin-gonic/gin"

	"github.com/trellis-app/trellis/internal/account"
	"github.com/trellis-app/trellis/internal/auth"
	"github.com/trellis-app/trellis/internal/errkind"
	"github.com/trellis-app/trellis/internal/policy"
)

// inviteSealLabel keys the sealing of invitation refs in pages: a ref
// names its kind, which the inviter must not see (R4).
const inviteSealLabel = "trellis invitation ref"

// invitationRow is an invitation as a page shows it: Ref is sealed to
// this session, the same length for both kinds.
type invitationRow struct {
	account.Invite
	Ref string
}

// invitations lists the actor's open invitations for a page.
func (s *Server) invitations(c *gin.Context) ([]invitationRow, error) {
	list, err := s.accounts.Invitations(c.Request.Context(), actor(c))
	if err != nil {
		return nil, err
	}
	secret := s.sessions.Token(c.Request.Context())
	rows := make([]invitationRow, len(list))
	for i, inv := range list {
		sealed, err := auth.Seal(secret, inviteSealLabel, inv.Ref.Bytes(), nil)
		if err != nil {
			return nil, err
		}
		rows[i] = invitationRow{Invite: inv, Ref: base64.RawURLEncoding.EncodeToString(sealed)}
	}
	return rows, nil
}

// invitationRef opens the sealed ref a form sent; anything else is a 404,
// like an invitation that is not the actor's.
func (s *Server) invitationRef(c *gin.Context) (account.InviteRef, error) {
	sealed, err := base64.RawURLEncoding.DecodeString(c.PostForm("invitation"))
	if err == nil {
		var plain []byte
		if plain, err = auth.Open(s.sessions.Token(c.Request.Context()), inviteSealLabel, sealed, nil); err == nil {
			if ref, ok := account.ParseInviteRef(plain); ok {
				return ref, nil
			}
		}
	}
	return account.InviteRef{}, errkind.ErrNotFound
}

// invitationsHome is the page that lists the actor's invitations.
func invitationsHome(a policy.Actor) string {
	if a.Role == policy.Admin {
		return "/admin/users#invitations-title"
	}
	return "/therapist#invitations-title"
}

func (s *Server) renewInvitation(c *gin.Context) error {
	ref, err := s.invitationRef(c)
	if err != nil {
		return err
	}
	a := actor(c)
	link, name, err := s.accounts.RenewInvite(c.Request.Context(), a, ref)
	if err != nil {
		return err
	}
	s.handOffLink(c, link, name, invitationsHome(a))
	return nil
}

func (s *Server) withdrawInvitation(c *gin.Context) error {
	ref, err := s.invitationRef(c)
	if err != nil {
		return err
	}
	a := actor(c)
	if err := s.accounts.WithdrawInvite(c.Request.Context(), a, ref); err != nil {
		return err
	}
	return s.redirectWith(c, invitationsHome(a), "The invitation was withdrawn. Its link no longer works.")
}
