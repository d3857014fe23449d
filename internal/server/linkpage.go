package server

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/trellis-app/trellis/internal/account"
	"github.com/trellis-app/trellis/internal/auth"
)

// A new invite or reset link is made by a POST and shown by a GET
// (POST/redirect/GET), so reloading the page shows the same link again
// instead of making another.
//
// The raw link never sits in a URL, a log or the database in the clear:
// the page's content is kept in its creator's session (in PostgreSQL),
// sealed with a key derived from their session cookie's token, of which the
// database holds only a SHA-256. So only the browser that made the link can
// show it, and only for LinkPageFor: after that, or once the session's id
// changes (sign-in, password change), it is gone and a new link is made
// instead.

// LinkPageFor is how long the page with a new link can be shown again.
const LinkPageFor = 15 * time.Minute

const linkSessionPrefix = "link:"

// linkHandoff is what the link page shows.
type linkHandoff struct {
	URL       string    `json:"url"`
	Purpose   string    `json:"purpose"`
	Name      string    `json:"name"`
	Expires   time.Time `json:"expires"`
	Back      string    `json:"back"`
	ShowUntil time.Time `json:"show_until"`
}

// handOffLink keeps a new link for its creator and sends them to the page
// that shows it.
func (s *Server) handOffLink(c *gin.Context, l account.Link, name, back string) {
	ctx := c.Request.Context()
	if l.Emailed {
		// Nobody but the address's owner sees an emailed link; the page
		// says the same whether the address was new or had an account.
		what := "An invitation is on its way by email. Its link works once, until " + l.ExpiresAt.In(s.zone(c)).Format("2 Jan 2006, 15:04") + "."
		if l.Purpose == "reset" {
			what = "A new sign-in link is on its way by email. It works once, until " + l.ExpiresAt.In(s.zone(c)).Format("2 Jan 2006, 15:04") + "."
		}
		s.flash(c, what)
		c.Redirect(http.StatusSeeOther, back)
		return
	}
	u := *s.cfg.BaseURL
	u.Path = "/" + l.Purpose + "/" + l.Token
	h := linkHandoff{URL: u.String(), Purpose: l.Purpose, Name: name, Expires: l.ExpiresAt, Back: back, ShowUntil: s.now().Add(LinkPageFor)}
	id, _ := auth.NewToken()
	// Links shown long enough leave the session, so it never grows.
	for _, k := range s.sessions.Keys(ctx) {
		if other, ok := strings.CutPrefix(k, linkSessionPrefix); ok {
			if _, live := s.linkHandoff(c, other); !live {
				s.sessions.Remove(ctx, k)
			}
		}
	}
	if err := s.putSealed(c, linkSessionPrefix+id, h); err != nil {
		s.serverError(c, fmt.Errorf("link page: %w", err))
		return
	}
	c.Redirect(http.StatusSeeOther, "/links/"+id)
}

// linkHandoff opens the link kept under id, if it is still to be shown.
func (s *Server) linkHandoff(c *gin.Context, id string) (linkHandoff, bool) {
	var h linkHandoff
	if !s.getSealed(c, linkSessionPrefix+id, &h) || !s.now().Before(h.ShowUntil) {
		return linkHandoff{}, false
	}
	return h, true
}

type linkCreatedPage struct {
	Page
	Link linkHandoff
	// Gone: the page was shown long enough, or belongs to another browser.
	Gone bool
}

// linkReadyPage shows a new link to the person who made it.
func (s *Server) linkReadyPage(c *gin.Context) error {
	h, ok := s.linkHandoff(c, c.Param("id"))
	if !ok {
		u, _ := currentUser(c)
		return s.show(c, http.StatusNotFound, "link_created", linkCreatedPage{Page: s.page(c, "Link no longer shown"), Link: linkHandoff{Back: homeFor(u.Role)}, Gone: true})
	}
	return s.show(c, http.StatusOK, "link_created", linkCreatedPage{Page: s.page(c, "Link ready to pass on"), Link: h})
}
