// Package progress gathers a client's homework over a period for their
// therapist: completion and on-time rates, and every tracked answer as a
// series over time (the weekly check-in's five qualities and overall trust
// first), ready to chart on a page or print in a report.
package progress

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/trellis-app/trellis/internal/errkind"
	"github.com/trellis-app/trellis/internal/exercise"
	"github.com/trellis-app/trellis/internal/policy"
)

// Service gathers progress.
type Service struct {
	db *sqlx.DB
}

// NewService returns the progress service.
func NewService(db *sqlx.DB) *Service { return &Service{db: db} }

// Point is one tracked answer.
type Point struct {
	At    time.Time `db:"recorded_at"`
	Value int       `db:"value"`
}

// Series is one tracked question over time.
type Series struct {
	Key      string
	Label    string
	Min, Max int
	Points   []Point
}

// Chart is the tracked questions of one exercise, charted together.
type Chart struct {
	ExerciseID int64
	Title      string
	CheckIn    bool
	Series     []Series
}

// Completion is how much of the work given in the period was done.
type Completion struct {
	Assigned  int `db:"assigned"`
	Submitted int `db:"submitted"`
	OnTime    int `db:"on_time"`
}

// Rate is submitted / assigned, in percent (0 when nothing was assigned).
func (c Completion) Rate() int { return percent(c.Submitted, c.Assigned) }

// OnTimeRate is on time / submitted, in percent.
func (c Completion) OnTimeRate() int { return percent(c.OnTime, c.Submitted) }

func percent(a, b int) int {
	if b == 0 {
		return 0
	}
	return (a*100 + b/2) / b
}

// Report is a client's progress over a period.
type Report struct {
	ClientID   int64
	ClientName string
	From, To   time.Time
	Completion Completion
	Charts     []Chart
}

// ForClient gathers a client's progress between from and to (inclusive
// dates) for their therapist; anyone else's client is ErrNotFound. Three
// queries, whatever the history's length.
func (s *Service) ForClient(ctx context.Context, actor policy.Actor, clientID int64, from, to time.Time) (Report, error) {
	if !policy.Allowed(actor, policy.ReviewWork) {
		return Report{}, errkind.ErrForbidden
	}
	return s.load(ctx, Report{ClientID: clientID, From: from, To: to},
		`SELECT display_name FROM users WHERE id = $1 AND role = 'client' AND therapist_id = $2 AND status <> 'invited'`, clientID, actor.UserID)
}

// ForSelf is a client's own progress, when their therapist has chosen to
// share it with them; otherwise ErrNotFound, as if the page did not exist.
func (s *Service) ForSelf(ctx context.Context, actor policy.Actor, from, to time.Time) (Report, error) {
	if !policy.Allowed(actor, policy.UsePortal) {
		return Report{}, errkind.ErrForbidden
	}
	return s.load(ctx, Report{ClientID: actor.UserID, From: from, To: to},
		`SELECT display_name FROM users WHERE id = $1 AND role = 'client' AND progress_shared AND therapist_id IS NOT NULL`, actor.UserID)
}

// load fills r: the client's name from nameQuery (no row: ErrNotFound, the
// client is not the reader's to see), then completion and charts.
func (s *Service) load(ctx context.Context, r Report, nameQuery string, args ...any) (Report, error) {
	err := s.db.QueryRowxContext(ctx, nameQuery, args...).Scan(&r.ClientName)
	if errors.Is(err, sql.ErrNoRows) {
		return Report{}, errkind.ErrNotFound
	}
	if err != nil {
		return Report{}, fmt.Errorf("load client %d: %w", r.ClientID, err)
	}
	if err := s.gather(ctx, &r); err != nil {
		return Report{}, err
	}
	return r, nil
}

// gather fills r's completion and charts for r.ClientID over r.From–r.To;
// the caller has checked that the actor may see them.
func (s *Service) gather(ctx context.Context, r *Report) error {
	clientID, from, end := r.ClientID, r.From, r.To.AddDate(0, 0, 1)
	if err := sqlx.GetContext(ctx, s.db, &r.Completion, `
		SELECT count(*) AS assigned,
		       count(*) FILTER (WHERE status IN ('submitted', 'reviewed')) AS submitted,
		       count(*) FILTER (WHERE status IN ('submitted', 'reviewed') AND submitted_at <= due_at) AS on_time
		FROM assignments WHERE client_id = $1 AND status <> 'cancelled' AND due_on >= $2 AND due_on < $3`,
		clientID, from, end); err != nil {
		return fmt.Errorf("load completion: %w", err)
	}
	var rows []struct {
		ExerciseID int64     `db:"exercise_id"`
		Builtin    *string   `db:"builtin_key"`
		Definition []byte    `db:"definition"`
		Key        string    `db:"field_key"`
		Value      int       `db:"value"`
		At         time.Time `db:"recorded_at"`
	}
	// Labels come from each exercise's latest version; every value is the
	// latest version the client sent of each assignment. The definition
	// (kilobytes) comes once per exercise, on its first row: the rows are
	// in one total order, the window's.
	if err := sqlx.SelectContext(ctx, s.db, &rows, `
		SELECT tv.exercise_id, e.builtin_key,
		       CASE WHEN row_number() OVER w = 1 THEN v.definition END AS definition,
		       tv.field_key, tv.value, tv.recorded_at
		FROM tracked_values tv
		JOIN submissions sub ON sub.id = tv.submission_id
		JOIN exercises e ON e.id = tv.exercise_id
		JOIN exercise_versions v ON v.exercise_id = e.id AND v.version = e.latest_version
		WHERE tv.client_id = $1 AND tv.recorded_at >= $2 AND tv.recorded_at < $3
		  AND sub.version = (SELECT max(version) FROM submissions s2 WHERE s2.assignment_id = sub.assignment_id)
		WINDOW w AS (PARTITION BY tv.exercise_id ORDER BY tv.recorded_at, tv.submission_id, tv.field_key)
		ORDER BY tv.exercise_id, tv.recorded_at, tv.submission_id, tv.field_key`, clientID, from, end); err != nil {
		return fmt.Errorf("load tracked values: %w", err)
	}
	charts := map[int64]*Chart{}
	defs := map[int64]exercise.Definition{}
	var order []int64
	for _, row := range rows {
		ch, ok := charts[row.ExerciseID]
		if !ok {
			var d exercise.Definition
			if err := json.Unmarshal(row.Definition, &d); err != nil {
				return fmt.Errorf("decode exercise %d: %w", row.ExerciseID, err)
			}
			defs[row.ExerciseID] = d
			ch = &Chart{ExerciseID: row.ExerciseID, Title: d.Title, CheckIn: row.Builtin != nil && *row.Builtin == exercise.CheckInKey}
			for _, f := range d.Fields {
				if f.Tracked && (f.Type.Numeric() || f.Type == exercise.YesNo) {
					lo, hi := f.Bounds()
					if f.Type == exercise.YesNo {
						lo, hi = 0, 1
					}
					ch.Series = append(ch.Series, Series{Key: f.Key, Label: f.Label, Min: lo, Max: hi})
				}
			}
			charts[row.ExerciseID] = ch
			order = append(order, row.ExerciseID)
		}
		for i := range ch.Series {
			if ch.Series[i].Key == row.Key {
				ch.Series[i].Points = append(ch.Series[i].Points, Point{At: row.At, Value: row.Value})
			}
		}
	}
	for _, id := range order {
		r.Charts = append(r.Charts, *charts[id])
	}
	// The check-in first, then the others by title.
	sort.SliceStable(r.Charts, func(i, j int) bool {
		if r.Charts[i].CheckIn != r.Charts[j].CheckIn {
			return r.Charts[i].CheckIn
		}
		return r.Charts[i].Title < r.Charts[j].Title
	})
	return nil
}
