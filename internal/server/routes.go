package server

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// rule says who may use a route. Every route is registered with one; there
// is no default (R11).
type rule struct {
	public bool
}

func (r rule) String() string {
	if r.public {
		return "public"
	}
	return ""
}

var public = rule{public: true}

// handle registers a route with its access rule.
func (s *Server) handle(method, path string, r rule, h gin.HandlerFunc) {
	s.rules[method+" "+path] = r
	s.engine.Handle(method, path, h)
}

// routes is the whole route table, in one place, each with who may use it.
func (s *Server) routes() {
	s.handle(http.MethodGet, "/healthz", public, s.healthz)
	s.handle(http.MethodGet, "/readyz", public, s.readyz)
	s.handle(http.MethodGet, "/static/*filepath", public, s.serveStatic)

	s.handle(http.MethodGet, "/", public, s.home)
	s.handle(http.MethodGet, "/signin", public, s.signinPage)
}

func (s *Server) home(c *gin.Context) {
	c.Redirect(http.StatusSeeOther, "/signin")
}

func (s *Server) signinPage(c *gin.Context) {
	s.render(c, http.StatusOK, "signin", s.page(c, "Sign in"))
}
