package app

import (
	"github.com/trellis-app/trellis/internal/risk"
	"github.com/trellis-app/trellis/internal/server"
)

// riskLanguage adapts the risk scanner to what the reflection service
// (categories, stored with a submission) and the server (highlighted runs
// on the therapist's page) need.
type riskLanguage struct{ s *risk.Scanner }

func (r riskLanguage) Categories(text string) []string {
	return risk.Categories(r.s.Scan(text))
}

func (r riskLanguage) Segments(text string) []server.Segment {
	parts := risk.Highlight(text, r.s.Scan(text))
	out := make([]server.Segment, len(parts))
	for i, p := range parts {
		out[i] = server.Segment{Text: p.Text, Flagged: p.Flagged, Category: p.Category}
	}
	return out
}
