package server

import (
	"time"

	"github.com/trellis-app/trellis/internal/account"
	"github.com/trellis-app/trellis/internal/assignment"
)

// RenderDashboard renders the dashboard page from d as the handler does,
// with none of a request's database work: the page's render-only ceiling
// that BenchmarkDashboard measures beside the whole request (#17).
func (s *Server) RenderDashboard(d assignment.Dashboard, u account.User, zone *time.Location) ([]byte, error) {
	now := s.now()
	p := dashboardPage{Page: Page{Title: "Dashboard", User: &u, Zone: zone, MadeAt: now, Path: "/therapist"}, Dashboard: d, Sort: "name", Now: now}
	return s.views.execute("dashboard", p)
}
