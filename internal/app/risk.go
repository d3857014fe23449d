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

func (r riskLanguage) Read(text string) server.RiskReading {
	ms := r.s.Scan(text)
	parts := risk.Highlight(text, ms)
	out := server.RiskReading{Segments: make([]server.Segment, len(parts)), Unchecked: r.s.UncoveredScripts(text)}
	for i, p := range parts {
		out.Segments[i] = server.Segment{Text: p.Text, Flagged: p.Flagged, Category: p.Category}
	}
	for _, m := range ms {
		out.Findings = append(out.Findings, server.RiskFinding{Phrase: m.Phrase, Category: m.Category, Language: risk.LanguageName(m.Language)})
	}
	return out
}
