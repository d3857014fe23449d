package assignment

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/trellis-app/trellis/internal/errkind"
	"github.com/trellis-app/trellis/internal/exercise"
	"github.com/trellis-app/trellis/internal/policy"
)

// CheckInField is the check-in's question the dashboard shows: the overall
// score of the built-in weekly trust check-in (exercise.CheckInKey).
const CheckInField = "overall"

// CaseloadRow is one client on the dashboard.
type CaseloadRow struct {
	ClientID     int64         `db:"client_id"`
	Name         string        `db:"name"`
	Status       string        `db:"status"`
	Open         int           `db:"open"`
	Overdue      int           `db:"overdue"`
	Waiting      int           `db:"waiting"`
	LastActivity sql.NullTime  `db:"last_activity"`
	CheckIn      sql.NullInt64 `db:"checkin"`
	CheckInAt    sql.NullTime  `db:"checkin_at"`
}

// Attention is one item of the "needs attention" list.
type Attention struct {
	Kind         string    `db:"kind"` // "flagged", "submitted" or "overdue"
	AssignmentID int64     `db:"assignment_id"`
	ClientID     int64     `db:"client_id"`
	Name         string    `db:"name"`
	Title        string    `db:"title"`
	At           time.Time `db:"at"`
}

// Dashboard is the therapist's landing page data.
type Dashboard struct {
	Caseload  []CaseloadRow
	Attention []Attention
	// MoreAttention is how many items did not fit the list.
	MoreAttention int
}

// Sort orders for the caseload.
var SortOrders = map[string]string{
	"name":     `name COLLATE "und-x-icu", client_id`,
	"overdue":  `overdue DESC, name COLLATE "und-x-icu", client_id`,
	"waiting":  `waiting DESC, name COLLATE "und-x-icu", client_id`,
	"activity": `last_activity DESC NULLS LAST, name COLLATE "und-x-icu", client_id`,
	"checkin":  `checkin ASC NULLS LAST, name COLLATE "und-x-icu", client_id`,
}

// AttentionLimit bounds the "needs attention" list.
const AttentionLimit = 25

// Dashboard loads the caseload with per-client counts and the latest
// check-in, and the "needs attention" list, in two queries whatever the
// caseload's size. search filters by name; sort is a key of SortOrders.
func (s *Service) Dashboard(ctx context.Context, actor policy.Actor, sort, search string) (Dashboard, error) {
	if !policy.Allowed(actor, policy.ViewCaseload) {
		return Dashboard{}, errkind.ErrForbidden
	}
	order, ok := SortOrders[sort]
	if !ok {
		order = SortOrders["name"]
	}
	pattern := "%" + escapeLike(strings.TrimSpace(search)) + "%"
	var d Dashboard
	// The counts come from the caseload's active work only (a partial
	// index); the last activity and latest check-in are an index lookup per
	// client inside the same query.
	err := sqlx.SelectContext(ctx, s.db, &d.Caseload, `
		WITH checkin AS (SELECT id FROM exercises WHERE builtin_key = $3),
		active AS (
			SELECT a.client_id,
			       count(*) FILTER (WHERE a.status = 'open' AND a.due_at >= now()) AS open,
			       count(*) FILTER (WHERE a.status = 'open' AND a.due_at < now()) AS overdue,
			       count(*) FILTER (WHERE a.status = 'submitted') AS waiting
			FROM assignments a JOIN users c ON c.id = a.client_id AND c.therapist_id = $1
			WHERE a.status IN ('open', 'submitted')
			GROUP BY a.client_id
		)
		SELECT * FROM (
			SELECT c.id AS client_id, c.display_name AS name, c.status::text AS status,
			       coalesce(w.open, 0) AS open, coalesce(w.overdue, 0) AS overdue, coalesce(w.waiting, 0) AS waiting,
			       ls.submitted_at AS last_activity, lc.value AS checkin, lc.recorded_at AS checkin_at
			FROM users c
			LEFT JOIN active w ON w.client_id = c.id
			LEFT JOIN LATERAL (
				SELECT s.submitted_at FROM submissions s WHERE s.client_id = c.id ORDER BY s.submitted_at DESC LIMIT 1
			) ls ON true
			LEFT JOIN LATERAL (
				SELECT tv.value, tv.recorded_at FROM tracked_values tv
				WHERE tv.client_id = c.id AND tv.exercise_id = (SELECT id FROM checkin) AND tv.field_key = $4
				ORDER BY tv.recorded_at DESC LIMIT 1
			) lc ON true
			WHERE c.role = 'client' AND c.therapist_id = $1 AND c.status <> 'invited' AND c.display_name ILIKE $2
		) rows
		ORDER BY `+order, actor.UserID, pattern, exercise.CheckInKey, CheckInField)
	if err != nil {
		return Dashboard{}, fmt.Errorf("load caseload: %w", err)
	}
	var items []struct {
		Attention
		Total int `db:"total"`
	}
	// Waiting work (flagged first) and overdue work are ranked and counted
	// from two index-only scans over the therapist's work (migration
	// 00009); names and titles are looked up for the rows shown only.
	err = sqlx.SelectContext(ctx, s.db, &items, `
		WITH items AS (
			SELECT CASE WHEN a.inbox_tier = 2 THEN -1 ELSE 0 END AS rank, a.id, a.submitted_at AS at
			FROM assignments a WHERE a.therapist_id = $1 AND a.inbox_tier >= 1
			UNION ALL
			SELECT 1, a.id, a.due_at FROM assignments a
			WHERE a.therapist_id = $1 AND a.status = 'open' AND a.due_at < now()
		), shown AS (
			SELECT * FROM items ORDER BY rank, at DESC, id LIMIT $2
		)
		SELECT CASE i.rank WHEN -1 THEN 'flagged' WHEN 0 THEN 'submitted' ELSE 'overdue' END AS kind,
		       a.id AS assignment_id, c.id AS client_id, c.display_name AS name, v.definition->>'title' AS title, i.at,
		       (SELECT count(*) FROM items) AS total
		FROM shown i
		JOIN assignments a ON a.id = i.id
		JOIN users c ON c.id = a.client_id AND c.therapist_id = $1
		JOIN exercise_versions v ON v.exercise_id = a.exercise_id AND v.version = a.exercise_version
		ORDER BY i.rank, i.at DESC, i.id`, actor.UserID, AttentionLimit)
	if err != nil {
		return Dashboard{}, fmt.Errorf("load attention list: %w", err)
	}
	for _, it := range items {
		d.Attention = append(d.Attention, it.Attention)
		d.MoreAttention = it.Total - len(items)
	}
	return d, nil
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
