package assignment

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/trellis-app/trellis/internal/audit"
	"github.com/trellis-app/trellis/internal/database"
	"github.com/trellis-app/trellis/internal/errkind"
	"github.com/trellis-app/trellis/internal/policy"
)

// Occurrence statuses.
const (
	StatusOpen      = "open"
	StatusSubmitted = "submitted"
	StatusReviewed  = "reviewed"
	StatusCancelled = "cancelled"
)

// MaxNoteLen bounds the therapist's personal note.
const MaxNoteLen = 2000

// Service is the assignment rules.
type Service struct {
	db  *sqlx.DB
	now func() time.Time
}

// NewService returns the assignment service.
func NewService(db *sqlx.DB) *Service { return &Service{db: db, now: time.Now} }

// Request is what the assign form asks for.
type Request struct {
	ExerciseID int64
	ClientIDs  []int64
	Note       string
	Schedule   Schedule
}

// practiceZone is the actor's practice's time zone and today's date there:
// the request's, or loaded when the actor came without it.
func (s *Service) practiceZone(ctx context.Context, q sqlx.QueryerContext, actor policy.Actor) (*time.Location, Date, error) {
	if actor.Zone != nil {
		return actor.Zone, DateOf(s.now().In(actor.Zone)), nil
	}
	var tz string
	if err := sqlx.GetContext(ctx, q, &tz, `SELECT time_zone FROM practices WHERE id = $1`, actor.PracticeID); err != nil {
		return nil, Date{}, fmt.Errorf("load practice time zone: %w", err)
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		loc = time.UTC
	}
	return loc, DateOf(s.now().In(loc)), nil
}

// Today is today's date in the actor's practice.
func (s *Service) Today(ctx context.Context, actor policy.Actor) (Date, error) {
	_, today, err := s.practiceZone(ctx, s.db, actor)
	return today, err
}

// Assign gives an exercise, at its latest version, to one or several
// clients of the therapist's caseload, with its whole schedule of
// occurrences. It returns the new series' ids.
func (s *Service) Assign(ctx context.Context, actor policy.Actor, r Request) ([]int64, error) {
	if !policy.Allowed(actor, policy.Assign) {
		return nil, errkind.ErrForbidden
	}
	loc, today, err := s.practiceZone(ctx, s.db, actor)
	if err != nil {
		return nil, err
	}
	v := errkind.NewInvalid()
	if err := r.Schedule.Validate(today); err != nil {
		inv, _ := errkind.AsInvalid(err)
		for k, m := range inv.Fields {
			v.Add(k, m)
		}
	}
	r.Note = strings.TrimSpace(r.Note)
	if !utf8.ValidString(r.Note) || utf8.RuneCountInString(r.Note) > MaxNoteLen {
		v.Add("note", fmt.Sprintf("Keep the note to %d characters.", MaxNoteLen))
	}
	if len(r.ClientIDs) == 0 {
		v.Add("clients", "Choose at least one client.")
	}
	// Ownership in SQL: only the actor's own caseload counts.
	var clients []int64
	if len(r.ClientIDs) > 0 {
		if err := sqlx.SelectContext(ctx, s.db, &clients, `SELECT id FROM users
			WHERE id = ANY($1) AND role = 'client' AND therapist_id = $2 AND status = 'active' ORDER BY id`,
			pq.Array(r.ClientIDs), actor.UserID); err != nil {
			return nil, fmt.Errorf("check caseload: %w", err)
		}
		if len(clients) != len(uniq(r.ClientIDs)) {
			v.Add("clients", "Choose clients from your own caseload.")
		}
	}
	var version int
	err = sqlx.GetContext(ctx, s.db, &version, `SELECT latest_version FROM exercises
		WHERE id = $1 AND (practice_id IS NULL OR practice_id = $2) AND archived_at IS NULL`, r.ExerciseID, actor.PracticeID)
	if errors.Is(err, sql.ErrNoRows) {
		v.Add("exercise", "Choose an exercise from the library.")
	} else if err != nil {
		return nil, fmt.Errorf("check exercise: %w", err)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	s.normalize(&r.Schedule)
	dates := r.Schedule.Dates()
	var ids []int64
	err = database.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		for _, client := range clients {
			var id int64
			if err := tx.QueryRowxContext(ctx, `INSERT INTO assignment_series
				(practice_id, client_id, assigned_by, exercise_id, exercise_version, note, recurrence, interval_days, first_due, until_date, occurrence_count)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
				actor.PracticeID, client, actor.UserID, r.ExerciseID, version, r.Note, r.Schedule.Recurrence,
				r.Schedule.IntervalDays, r.Schedule.First.Time(), untilTime(r.Schedule), countOrNil(r.Schedule)).Scan(&id); err != nil {
				return fmt.Errorf("insert series: %w", err)
			}
			if err := insertOccurrences(ctx, tx, id, client, r.ExerciseID, version, dates, loc); err != nil {
				return err
			}
			if err := audit.Record(ctx, tx, audit.Entry{Action: audit.AssignmentMade, PracticeID: actor.PracticeID, ActorID: actor.UserID,
				TargetType: "assignment_series", TargetID: id, Detail: map[string]any{"client": client, "exercise": r.ExerciseID, "version": version, "occurrences": len(dates)}}); err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	})
	return ids, err
}

func (s *Service) normalize(sc *Schedule) {
	switch sc.Recurrence {
	case Once:
		sc.Until, sc.Count, sc.IntervalDays = nil, 1, 7
	case Weekly:
		sc.IntervalDays = 7
	}
	if sc.Until != nil {
		sc.Count = 0
	}
}

func untilTime(s Schedule) any {
	if s.Until == nil {
		return nil
	}
	return s.Until.Time()
}

func countOrNil(s Schedule) any {
	if s.Until != nil {
		return nil
	}
	return s.Count
}

func uniq(ids []int64) map[int64]bool {
	m := map[int64]bool{}
	for _, id := range ids {
		m[id] = true
	}
	return m
}

// insertOccurrences writes one occurrence per date in a single statement;
// dates already present in the series are left alone.
func insertOccurrences(ctx context.Context, tx *sqlx.Tx, seriesID, clientID, exerciseID int64, version int, dates []Date, loc *time.Location) error {
	if len(dates) == 0 {
		return nil
	}
	days := make([]time.Time, len(dates))
	dues := make([]time.Time, len(dates))
	for i, d := range dates {
		days[i] = d.Time()
		dues[i] = d.DueAt(loc)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO assignments (series_id, client_id, exercise_id, exercise_version, due_on, due_at)
		SELECT $1, $2, $3, $4, d.day::date, d.due FROM unnest($5::timestamptz[], $6::timestamptz[]) AS d(day, due)
		ON CONFLICT (series_id, due_on) DO NOTHING`,
		seriesID, clientID, exerciseID, version, pq.Array(days), pq.Array(dues))
	if err != nil {
		return fmt.Errorf("insert occurrences: %w", err)
	}
	return nil
}

// Occurrence is one assignment as the therapist sees it.
type Occurrence struct {
	ID           int64        `db:"id"`
	SeriesID     int64        `db:"series_id"`
	ExerciseID   int64        `db:"exercise_id"`
	Version      int          `db:"exercise_version"`
	Title        string       `db:"title"`
	DueOn        time.Time    `db:"due_on"`
	DueAt        time.Time    `db:"due_at"`
	Status       string       `db:"status"`
	SubmittedAt  sql.NullTime `db:"submitted_at"`
	Recurrence   string       `db:"recurrence"`
	IntervalDays int          `db:"interval_days"`
	SeriesEnded  bool         `db:"series_cancelled"`
	Note         string       `db:"note"`
	Versions     int          `db:"versions"`
	// Later are the series' occurrences due after this one, the next,
	// folded under it (ClientWork).
	Later []Occurrence `db:"-"`
}

// LastDue is when the last occurrence folded under this one is due, or
// this one's date when none is.
func (o Occurrence) LastDue() time.Time {
	if n := len(o.Later); n > 0 {
		return o.Later[n-1].DueOn
	}
	return o.DueOn
}

// Overdue reports whether the occurrence is open past its due time.
func (o Occurrence) Overdue(now time.Time) bool { return o.Status == StatusOpen && o.DueAt.Before(now) }

// ClientWork lists a client's occurrences for their therapist, soonest
// due first among the open ones, then the rest newest first. A series
// shows as its next occurrence, with those due after it in its Later: a
// weekly check-in for a year is one row, not fifty-two. What is overdue or
// sent is listed one by one. A client who is not in the actor's caseload
// is ErrNotFound.
func (s *Service) ClientWork(ctx context.Context, actor policy.Actor, clientID int64) ([]Occurrence, error) {
	if !policy.Allowed(actor, policy.ManageWork) {
		return nil, errkind.ErrForbidden
	}
	var all []Occurrence
	err := sqlx.SelectContext(ctx, s.db, &all, `
		SELECT a.id, a.series_id, a.exercise_id, a.exercise_version, v.definition->>'title' AS title, a.due_on, a.due_at,
		       a.status, a.submitted_at, s.recurrence, s.interval_days, s.cancelled_at IS NOT NULL AS series_cancelled, s.note,
		       (SELECT count(*) FROM submissions sub WHERE sub.assignment_id = a.id) AS versions
		FROM assignments a
		JOIN users c ON c.id = a.client_id AND c.therapist_id = $2
		JOIN assignment_series s ON s.id = a.series_id
		JOIN exercise_versions v ON v.exercise_id = a.exercise_id AND v.version = a.exercise_version
		WHERE a.client_id = $1
		ORDER BY (a.status = 'open') DESC,
		         CASE WHEN a.status = 'open' THEN a.due_at END ASC,
		         a.due_at DESC, a.id`, clientID, actor.UserID)
	if err != nil {
		return nil, fmt.Errorf("list client work: %w", err)
	}
	now := s.now()
	out := make([]Occurrence, 0, len(all))
	next := map[int64]int{} // series → its next occurrence's index in out
	for _, o := range all {
		if o.Status == StatusOpen && !o.Overdue(now) {
			if i, ok := next[o.SeriesID]; ok {
				out[i].Later = append(out[i].Later, o)
				continue
			}
			next[o.SeriesID] = len(out)
		}
		out = append(out, o)
	}
	return out, nil
}

// CancelOccurrence cancels one open occurrence; submitted work stays.
func (s *Service) CancelOccurrence(ctx context.Context, actor policy.Actor, id int64) (clientID int64, err error) {
	if !policy.Allowed(actor, policy.ManageWork) {
		return 0, errkind.ErrForbidden
	}
	err = database.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		var status string
		err := tx.QueryRowxContext(ctx, `SELECT a.client_id, a.status FROM assignments a
			JOIN users c ON c.id = a.client_id AND c.therapist_id = $2 WHERE a.id = $1 FOR UPDATE OF a`, id, actor.UserID).Scan(&clientID, &status)
		if errors.Is(err, sql.ErrNoRows) {
			return errkind.ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("load assignment %d: %w", id, err)
		}
		if status != StatusOpen {
			v := errkind.NewInvalid()
			v.Add("status", "Only work that has not been sent in can be cancelled.")
			return v
		}
		if _, err := tx.ExecContext(ctx, `UPDATE assignments SET status = 'cancelled' WHERE id = $1`, id); err != nil {
			return fmt.Errorf("cancel assignment %d: %w", id, err)
		}
		return audit.Record(ctx, tx, audit.Entry{Action: audit.AssignmentCancel, PracticeID: actor.PracticeID, ActorID: actor.UserID, TargetType: "assignment", TargetID: id})
	})
	return clientID, err
}

// Series is a schedule as the change form shows it.
type Series struct {
	ID           int64         `db:"id"`
	ClientID     int64         `db:"client_id"`
	ExerciseID   int64         `db:"exercise_id"`
	Title        string        `db:"title"`
	Note         string        `db:"note"`
	Recurrence   string        `db:"recurrence"`
	IntervalDays int           `db:"interval_days"`
	FirstDue     time.Time     `db:"first_due"`
	Until        sql.NullTime  `db:"until_date"`
	Count        sql.NullInt64 `db:"occurrence_count"`
	Cancelled    bool          `db:"cancelled"`
}

// Schedule rebuilds the series' schedule.
func (s Series) Schedule() Schedule {
	sc := Schedule{Recurrence: s.Recurrence, IntervalDays: s.IntervalDays, First: DateOf(s.FirstDue), Count: int(s.Count.Int64)}
	if s.Until.Valid {
		u := DateOf(s.Until.Time)
		sc.Until = &u
	}
	return sc
}

func getSeries(ctx context.Context, q sqlx.QueryerContext, therapistID, id int64, lock bool) (Series, error) {
	var out Series
	query := `SELECT s.id, s.client_id, s.exercise_id, v.definition->>'title' AS title, s.note, s.recurrence, s.interval_days,
		s.first_due, s.until_date, s.occurrence_count, s.cancelled_at IS NOT NULL AS cancelled
		FROM assignment_series s
		JOIN users c ON c.id = s.client_id AND c.therapist_id = $2
		JOIN exercise_versions v ON v.exercise_id = s.exercise_id AND v.version = s.exercise_version
		WHERE s.id = $1`
	if lock {
		query += ` FOR UPDATE OF s`
	}
	err := sqlx.GetContext(ctx, q, &out, query, id, therapistID)
	if errors.Is(err, sql.ErrNoRows) {
		return Series{}, errkind.ErrNotFound
	}
	if err != nil {
		return Series{}, fmt.Errorf("load series %d: %w", id, err)
	}
	return out, nil
}

// GetSeries loads a series of the actor's caseload.
func (s *Service) GetSeries(ctx context.Context, actor policy.Actor, id int64) (Series, error) {
	if !policy.Allowed(actor, policy.ManageWork) {
		return Series{}, errkind.ErrForbidden
	}
	return getSeries(ctx, s.db, actor.UserID, id, false)
}

// CancelSeries cancels every open occurrence due from today on and ends
// the series. Past and submitted occurrences stay.
func (s *Service) CancelSeries(ctx context.Context, actor policy.Actor, id int64) (clientID int64, err error) {
	if !policy.Allowed(actor, policy.ManageWork) {
		return 0, errkind.ErrForbidden
	}
	_, today, err := s.practiceZone(ctx, s.db, actor)
	if err != nil {
		return 0, err
	}
	err = database.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		sr, err := getSeries(ctx, tx, actor.UserID, id, true)
		if err != nil {
			return err
		}
		clientID = sr.ClientID
		res, err := tx.ExecContext(ctx, `UPDATE assignments SET status = 'cancelled' WHERE series_id = $1 AND status = 'open' AND due_on >= $2`, id, today.Time())
		if err != nil {
			return fmt.Errorf("cancel occurrences: %w", err)
		}
		n, _ := res.RowsAffected()
		if _, err := tx.ExecContext(ctx, `UPDATE assignment_series SET cancelled_at = now(), updated_at = now() WHERE id = $1 AND cancelled_at IS NULL`, id); err != nil {
			return fmt.Errorf("end series: %w", err)
		}
		return audit.Record(ctx, tx, audit.Entry{Action: audit.AssignmentCancel, PracticeID: actor.PracticeID, ActorID: actor.UserID,
			TargetType: "assignment_series", TargetID: id, Detail: map[string]any{"occurrences": n}})
	})
	return clientID, err
}

// Change is what may change in a series: the note and its end.
type Change struct {
	Note  string
	Until *Date
	Count int
}

// ChangeSeries updates the note of every open occurrence and moves the
// end: future open occurrences past the new end are cancelled, new dates
// within it are added. Submitted work and past occurrences stay.
func (s *Service) ChangeSeries(ctx context.Context, actor policy.Actor, id int64, ch Change) (clientID int64, err error) {
	if !policy.Allowed(actor, policy.ManageWork) {
		return 0, errkind.ErrForbidden
	}
	loc, today, err := s.practiceZone(ctx, s.db, actor)
	if err != nil {
		return 0, err
	}
	err = database.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		sr, err := getSeries(ctx, tx, actor.UserID, id, true)
		if err != nil {
			return err
		}
		clientID = sr.ClientID
		v := errkind.NewInvalid()
		if sr.Cancelled {
			v.Add("status", "This series was cancelled.")
			return v
		}
		ch.Note = strings.TrimSpace(ch.Note)
		if !utf8.ValidString(ch.Note) || utf8.RuneCountInString(ch.Note) > MaxNoteLen {
			v.Add("note", fmt.Sprintf("Keep the note to %d characters.", MaxNoteLen))
		}
		sc := sr.Schedule()
		if sc.Recurrence != Once {
			sc.Until, sc.Count = ch.Until, ch.Count
			// The first date may be past: only the end is checked here.
			check := sc
			check.First = today
			if sc.First.After(today) {
				check.First = sc.First
			}
			if err := check.Validate(today); err != nil {
				inv, _ := errkind.AsInvalid(err)
				for k, m := range inv.Fields {
					v.Add(k, m)
				}
			}
		}
		if err := v.Err(); err != nil {
			return err
		}
		s.normalize(&sc)
		dates := sc.Dates()
		keep := make([]time.Time, 0, len(dates))
		var future []Date
		for _, d := range dates {
			keep = append(keep, d.Time())
			if !d.Before(today) {
				future = append(future, d)
			}
		}
		res, err := tx.ExecContext(ctx, `UPDATE assignments SET status = 'cancelled'
			WHERE series_id = $1 AND status = 'open' AND due_on >= $2 AND NOT (due_on = ANY($3::date[]))`,
			id, today.Time(), pq.Array(keep))
		if err != nil {
			return fmt.Errorf("cancel dropped occurrences: %w", err)
		}
		dropped, _ := res.RowsAffected()
		var version int
		if err := tx.QueryRowxContext(ctx, `SELECT exercise_version FROM assignment_series WHERE id = $1`, id).Scan(&version); err != nil {
			return fmt.Errorf("load series version: %w", err)
		}
		if err := insertOccurrences(ctx, tx, id, sr.ClientID, sr.ExerciseID, version, future, loc); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE assignment_series SET note = $2, until_date = $3, occurrence_count = $4, updated_at = now() WHERE id = $1`,
			id, ch.Note, untilTime(sc), countOrNil(sc)); err != nil {
			return fmt.Errorf("update series: %w", err)
		}
		return audit.Record(ctx, tx, audit.Entry{Action: audit.AssignmentChange, PracticeID: actor.PracticeID, ActorID: actor.UserID,
			TargetType: "assignment_series", TargetID: id, Detail: map[string]any{"cancelled": dropped}})
	})
	return clientID, err
}

// IDs parses the ids of a multi-select, ignoring anything else.
func IDs(values []string) []int64 {
	var out []int64
	for _, v := range values {
		if id, err := strconv.ParseInt(v, 10, 64); err == nil && id > 0 {
			out = append(out, id)
		}
	}
	return out
}
