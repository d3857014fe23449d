package assignment

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/trellis-app/trellis/internal/errkind"
	"github.com/trellis-app/trellis/internal/policy"
)

// ClientItem is one assignment on the client's home page.
type ClientItem struct {
	ID          int64        `db:"id"`
	SeriesID    int64        `db:"series_id"`
	Title       string       `db:"title"`
	Minutes     int          `db:"minutes"`
	DueOn       time.Time    `db:"due_on"`
	DueAt       time.Time    `db:"due_at"`
	Status      string       `db:"status"`
	SubmittedAt sql.NullTime `db:"submitted_at"`
	DraftSaved  sql.NullTime `db:"draft_saved"`
	Versions    int          `db:"versions"`
	// FeedbackNew: the therapist wrote (or changed) feedback the client
	// has not seen yet.
	FeedbackNew bool `db:"feedback_new"`
}

// ClientHome is what a client sees first: what is overdue, due this week,
// due later, and what they sent.
type ClientHome struct {
	Overdue  []ClientItem
	ThisWeek []ClientItem
	Later    []ClientItem
	Sent     []ClientItem
}

// Home loads the client's own work in one query.
func (s *Service) Home(ctx context.Context, actor policy.Actor) (ClientHome, error) {
	if !policy.Allowed(actor, policy.UsePortal) {
		return ClientHome{}, errkind.ErrForbidden
	}
	var items []ClientItem
	err := sqlx.SelectContext(ctx, s.db, &items, `
		SELECT a.id, a.series_id, v.definition->>'title' AS title, coalesce((v.definition->>'minutes')::int, 0) AS minutes,
		       a.due_on, a.due_at, a.status, a.submitted_at, d.saved_at AS draft_saved,
		       (SELECT count(*) FROM submissions s WHERE s.assignment_id = a.id) AS versions,
		       f.assignment_id IS NOT NULL AND f.seen_at IS NULL AS feedback_new
		FROM assignments a
		JOIN exercise_versions v ON v.exercise_id = a.exercise_id AND v.version = a.exercise_version
		LEFT JOIN drafts d ON d.assignment_id = a.id
		LEFT JOIN feedback f ON f.assignment_id = a.id
		WHERE a.client_id = $1 AND a.status <> 'cancelled'
		  AND (a.status = 'open' OR a.submitted_at > now() - interval '180 days')
		ORDER BY CASE WHEN a.status = 'open' THEN a.due_at END ASC, a.submitted_at DESC, a.id`, actor.UserID)
	if err != nil {
		return ClientHome{}, fmt.Errorf("load client home: %w", err)
	}
	now := s.now()
	week := now.Add(7 * 24 * time.Hour)
	var h ClientHome
	// "Coming up" shows only the next occurrence of each series: a whole
	// schedule at once is a lot to face.
	nextOf := map[int64]bool{}
	for _, it := range items {
		switch {
		case it.Status != StatusOpen:
			h.Sent = append(h.Sent, it)
		case it.DueAt.Before(now):
			h.Overdue = append(h.Overdue, it)
		case it.DueAt.Before(week):
			nextOf[it.SeriesID] = true
			h.ThisWeek = append(h.ThisWeek, it)
		case !nextOf[it.SeriesID]:
			nextOf[it.SeriesID] = true
			h.Later = append(h.Later, it)
		}
	}
	return h, nil
}

// History lists everything the client has sent, newest first.
func (s *Service) History(ctx context.Context, actor policy.Actor) ([]ClientItem, error) {
	if !policy.Allowed(actor, policy.UsePortal) {
		return nil, errkind.ErrForbidden
	}
	var items []ClientItem
	err := sqlx.SelectContext(ctx, s.db, &items, `
		SELECT a.id, a.series_id, v.definition->>'title' AS title, coalesce((v.definition->>'minutes')::int, 0) AS minutes,
		       a.due_on, a.due_at, a.status, a.submitted_at, NULL::timestamptz AS draft_saved,
		       (SELECT count(*) FROM submissions s WHERE s.assignment_id = a.id) AS versions,
		       f.assignment_id IS NOT NULL AND f.seen_at IS NULL AS feedback_new
		FROM assignments a
		JOIN exercise_versions v ON v.exercise_id = a.exercise_id AND v.version = a.exercise_version
		LEFT JOIN feedback f ON f.assignment_id = a.id
		WHERE a.client_id = $1 AND a.status IN ('submitted', 'reviewed')
		ORDER BY a.submitted_at DESC, a.id DESC`, actor.UserID)
	if err != nil {
		return nil, fmt.Errorf("load client history: %w", err)
	}
	return items, nil
}
