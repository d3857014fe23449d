package measure

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/trellis-app/trellis/internal/errkind"
	"github.com/trellis-app/trellis/internal/exercise"
	"github.com/trellis-app/trellis/internal/policy"
	"github.com/trellis-app/trellis/reports"
)

// Service loads a client's scored measures.
type Service struct{ db *sqlx.DB }

// NewService returns the measure service.
func NewService(db *sqlx.DB) *Service { return &Service{db: db} }

// Point is one scored submission of a measure.
type Point struct {
	AssignmentID int64
	At           time.Time
	Score
}

// Statement is the change between two valid totals.
type Statement struct {
	From, To Point
	RCI      float64
	Change   Change // by the reliable change index
	NHS      Change // by the NHS Talking Therapies threshold
}

// Series is one measure's scores for a client, oldest first.
type Series struct {
	Instrument
	Points []Point
	// SinceFirst compares the latest valid total with the first; nil
	// with fewer than two. SinceSession compares it with the last total
	// on or before the last session, nil when there is none or it is the
	// latest.
	SinceFirst, SinceSession *Statement
	// NHSThresholds: the practice also judges change by the NHS
	// Talking Therapies thresholds.
	NHSThresholds bool
}

// RiskUnanswered reports whether the newest submission left the risk item
// (PHQ-9 item 9) out.
func (s Series) RiskUnanswered() bool {
	return len(s.Points) > 0 && s.Points[len(s.Points)-1].RiskUnanswered
}

// Latest is the newest valid point, nil when none.
func (s Series) Latest() *Point {
	for i := len(s.Points) - 1; i >= 0; i-- {
		if s.Points[i].Valid {
			return &s.Points[i]
		}
	}
	return nil
}

func (s Series) statement(from, to Point) *Statement {
	rci, c := s.Reliable(from.Total, to.Total)
	return &Statement{From: from, To: to, RCI: rci, Change: c, NHS: s.NHS(from.Total, to.Total)}
}

// ClientSeries loads every measure a therapist's client has sent (the
// latest version of each), scored, with the change statements. Another
// therapist's client is ErrNotFound: ownership is in the SQL.
func (s *Service) ClientSeries(ctx context.Context, actor policy.Actor, clientID int64) (name string, _ []Series, _ error) {
	if !policy.Can(actor, policy.ReviewWork, policy.Resource{PracticeID: actor.PracticeID}) {
		return "", nil, errkind.ErrForbidden
	}
	return s.load(ctx, actor.UserID, clientID)
}

// OwnSeries is the client's own measures, only when their therapist
// shares progress with them; otherwise ErrNotFound.
func (s *Service) OwnSeries(ctx context.Context, actor policy.Actor) ([]Series, error) {
	if !policy.Can(actor, policy.UsePortal, policy.Resource{PracticeID: actor.PracticeID, ClientID: actor.UserID}) {
		return nil, errkind.ErrForbidden
	}
	var shared bool
	if err := sqlx.GetContext(ctx, s.db, &shared, `SELECT progress_shared AND therapist_id IS NOT NULL FROM users WHERE id = $1 AND role = 'client'`,
		actor.UserID); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("load sharing of client %d: %w", actor.UserID, err)
	}
	if !shared {
		return nil, errkind.ErrNotFound
	}
	var therapist int64
	if err := sqlx.GetContext(ctx, s.db, &therapist, `SELECT therapist_id FROM users WHERE id = $1`, actor.UserID); err != nil {
		return nil, fmt.Errorf("load therapist of client %d: %w", actor.UserID, err)
	}
	_, out, err := s.load(ctx, therapist, actor.UserID)
	return out, err
}

// load reads therapistID's client's scored measures; no such client is
// ErrNotFound.
func (s *Service) load(ctx context.Context, therapistID, clientID int64) (name string, _ []Series, _ error) {
	err := sqlx.GetContext(ctx, s.db, &name, `SELECT display_name FROM users WHERE id = $2 AND therapist_id = $1 AND role = 'client'`,
		therapistID, clientID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil, errkind.ErrNotFound
	}
	if err != nil {
		return "", nil, fmt.Errorf("load client %d: %w", clientID, err)
	}
	var rows []struct {
		AssignmentID int64      `db:"id"`
		Key          string     `db:"measure"`
		Version      int        `db:"exercise_version"`
		Answers      []byte     `db:"answers"`
		At           time.Time  `db:"submitted_at"`
		Session      *time.Time `db:"last_session"`
		NHS          bool       `db:"nhs"`
	}
	err = sqlx.SelectContext(ctx, s.db, &rows, `
		SELECT a.id, v.definition->>'measure' AS measure, a.exercise_version, ls.answers, ls.submitted_at,
		       (SELECT max(cs.held_on)::timestamptz FROM clinical_sessions cs WHERE cs.client_id = c.id) AS last_session,
		       p.nhs_change_thresholds AS nhs
		FROM assignments a
		JOIN users c ON c.id = a.client_id AND c.therapist_id = $1 AND c.role = 'client'
		JOIN practices p ON p.id = c.practice_id
		JOIN exercise_versions v ON v.exercise_id = a.exercise_id AND v.version = a.exercise_version AND v.definition ? 'measure'
		JOIN LATERAL (SELECT s.answers, s.submitted_at FROM submissions s WHERE s.assignment_id = a.id
		              ORDER BY s.version DESC LIMIT 1) ls ON true
		WHERE a.client_id = $2 AND a.status IN ('submitted', 'reviewed')
		ORDER BY ls.submitted_at, a.id`, therapistID, clientID)
	if err != nil {
		return "", nil, fmt.Errorf("load measures of client %d: %w", clientID, err)
	}
	var out []Series
	idx := map[string]int{}
	var session *time.Time
	for _, r := range rows {
		in, ok := For(exercise.Definition{Measure: r.Key}, r.Version)
		if !ok {
			return "", nil, fmt.Errorf("assignment %d: unknown measure %s v%d", r.AssignmentID, r.Key, r.Version)
		}
		var a exercise.Answers
		if err := json.Unmarshal(r.Answers, &a); err != nil {
			return "", nil, fmt.Errorf("decode answers of assignment %d: %w", r.AssignmentID, err)
		}
		i, seen := idx[r.Key]
		if !seen {
			i = len(out)
			idx[r.Key] = i
			out = append(out, Series{Instrument: in, NHSThresholds: r.NHS})
		}
		out[i].Points = append(out[i].Points, Point{AssignmentID: r.AssignmentID, At: r.At, Score: in.Score(a)})
		session = r.Session
	}
	for i := range out {
		out[i].compare(session)
	}
	return name, out, nil
}

// compare fills the change statements.
func (s *Series) compare(session *time.Time) {
	var valid []Point
	for _, p := range s.Points {
		if p.Valid {
			valid = append(valid, p)
		}
	}
	if len(valid) < 2 {
		return
	}
	last := valid[len(valid)-1]
	s.SinceFirst = s.statement(valid[0], last)
	if session == nil {
		return
	}
	// The session's day ends at the next midnight (sessions are dates).
	end := session.AddDate(0, 0, 1)
	if last.At.Before(end) {
		return // nothing sent since the session
	}
	for i := len(valid) - 2; i >= 0; i-- {
		if valid[i].At.Before(end) {
			s.SinceSession = s.statement(valid[i], last)
			return
		}
	}
}

// Report is the series as the PDF reports print it; dates print in loc.
func (s Series) Report(loc *time.Location) reports.Measure {
	m := reports.Measure{Title: s.Short, Max: s.Max(), CutOff: s.CutOff,
		Method: ProrateRule + " " + RCIMethod(s.Instrument)}
	for _, b := range s.Bands {
		m.Bands = append(m.Bands, reports.Band{Min: b.Min, Max: b.Max, Name: b.Name})
	}
	for _, p := range s.Points {
		sc := reports.Score{At: p.At, Valid: p.Valid, Total: p.Total, Band: p.Band.Name, Items: p.Items}
		switch {
		case !p.Valid:
			sc.Note = p.Reason
		case p.Prorated:
			sc.Note = "prorated"
		}
		m.Scores = append(m.Scores, sc)
	}
	m.Change = s.Statements(loc)
	return m
}

// Statements are the change sentences pages and reports print.
func (s Series) Statements(loc *time.Location) []string {
	say := func(since string, st *Statement) string {
		out := fmt.Sprintf("Since %s (%d on %s): %s (RCI %.2f)", since, st.From.Total, st.From.At.In(loc).Format("2 Jan 2006"), st.Change, st.RCI)
		if s.NHSThresholds {
			out += fmt.Sprintf("; by the NHS Talking Therapies threshold of %d points: %s", s.NHSChange, st.NHS)
		}
		return out + "."
	}
	var out []string
	if s.SinceFirst != nil {
		out = append(out, say("the first score", s.SinceFirst))
	} else {
		out = append(out, "Change since the first score: needs two scored submissions.")
	}
	if s.SinceSession != nil {
		out = append(out, say("the last session", s.SinceSession))
	} else {
		out = append(out, "Change since the last session: no score before and after a recorded session.")
	}
	return out
}

// RCIMethod states how reliable change is worked out, with the norms'
// source.
func RCIMethod(in Instrument) string {
	return fmt.Sprintf("Reliable change (Jacobson & Truax 1991): RCI = (x2 − x1) / (SD1·√2·√(1 − r)), reliable when |RCI| > 1.96, with SD1 = %.2f and r = %.2f from %s",
		in.Norms.SD, in.Norms.Reliability, in.Norms.Citation)
}
