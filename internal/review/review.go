// Package review is the therapist's clinical work between sessions: the
// inbox of submitted work across the caseload, reading a submission beside
// its questions with its versions and the same client's earlier answers,
// marking it reviewed or to discuss in session, feedback the client sees,
// and private notes only their author can read (R14).
package review

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/trellis-app/trellis/internal/audit"
	"github.com/trellis-app/trellis/internal/database"
	"github.com/trellis-app/trellis/internal/errkind"
	"github.com/trellis-app/trellis/internal/exercise"
	"github.com/trellis-app/trellis/internal/policy"
)

// MaxTextLen bounds feedback and notes.
const MaxTextLen = 10000

// Service is the review rules.
type Service struct {
	db *sqlx.DB
}

// NewService returns the review service.
func NewService(db *sqlx.DB) *Service { return &Service{db: db} }

// InboxRow is one submitted assignment in the inbox.
type InboxRow struct {
	AssignmentID int64          `db:"id"`
	ClientID     int64          `db:"client_id"`
	ClientName   string         `db:"client_name"`
	Title        string         `db:"title"`
	Status       string         `db:"status"`
	SubmittedAt  time.Time      `db:"submitted_at"`
	Versions     int            `db:"versions"`
	Flags        pq.StringArray `db:"flags"`
	Discuss      bool           `db:"discuss"`
	Rank         int            `db:"rank"`
}

// Filter narrows the inbox. Zero values do not filter.
type Filter struct {
	ClientID   int64
	ExerciseID int64
	// Show is "unreviewed", "reviewed" or "" for both.
	Show    string
	Flagged bool
	// After continues from a row of the previous page (keyset paging).
	After *Cursor
	Limit int
}

// Cursor marks a place in the inbox's order.
type Cursor struct {
	Rank int
	At   time.Time
	ID   int64
}

// String encodes the cursor for a URL.
func (c Cursor) String() string {
	return fmt.Sprintf("%d.%d.%d", c.Rank, c.At.UnixMicro(), c.ID)
}

// ParseCursor reads a cursor made by String.
func ParseCursor(s string) (*Cursor, error) {
	var c Cursor
	var micros int64
	if _, err := fmt.Sscanf(s, "%d.%d.%d", &c.Rank, &micros, &c.ID); err != nil {
		return nil, err
	}
	c.At = time.UnixMicro(micros)
	return &c, nil
}

// Inbox lists submitted work across the therapist's caseload: flagged and
// unreviewed first, then unreviewed, then reviewed, newest first within
// each; one query per page whatever the caseload's size. The order is the
// index on (therapist_id, inbox_tier, submitted_at, id) read backwards
// (migration 00009), so a page reads its own rows and no others, however
// deep; versions and flags are gathered for those rows only.
func (s *Service) Inbox(ctx context.Context, actor policy.Actor, f Filter) ([]InboxRow, *Cursor, error) {
	if !policy.Allowed(actor, policy.ReviewWork) {
		return nil, nil, errkind.ErrForbidden
	}
	if f.Limit <= 0 || f.Limit > 100 {
		f.Limit = 25
	}
	// inbox_tier is 2 - rank: rank 0 comes first, tier 2 is the highest.
	// The first page starts above every tier.
	after := Cursor{Rank: -1}
	if f.After != nil {
		after = *f.After
		// A cursor comes from a URL and may say anything: past the last
		// rank is an empty page, not an error.
		after.Rank = max(-1, min(after.Rank, 3))
	}
	var rows []InboxRow
	// The page's rows are picked from the index first, then joined: the
	// planner need not guess how few rows LIMIT leaves.
	err := sqlx.SelectContext(ctx, s.db, &rows, `
		SELECT a.id, c.id AS client_id, c.display_name AS client_name, v.definition->>'title' AS title, a.status,
		       a.submitted_at, ls.version AS versions, ls.flags, a.discuss, 2 - a.inbox_tier AS rank
		FROM (
			SELECT a.id, a.client_id, a.exercise_id, a.exercise_version, a.status, a.submitted_at, a.discuss, a.inbox_tier
			FROM assignments a
			WHERE a.therapist_id = $1 AND a.inbox_tier IS NOT NULL
			  AND ($2::bigint = 0 OR a.client_id = $2)
			  AND ($3::bigint = 0 OR a.exercise_id = $3)
			  AND ($4 = '' OR ($4 = 'unreviewed' AND a.inbox_tier >= 1) OR ($4 = 'reviewed' AND a.inbox_tier = 0))
			  AND (NOT $5 OR a.flagged)
			  AND (a.inbox_tier, a.submitted_at, a.id) < (2 - $6::int, $7, $8)
			ORDER BY a.inbox_tier DESC, a.submitted_at DESC, a.id DESC
			LIMIT $9
		) a
		JOIN users c ON c.id = a.client_id AND c.therapist_id = $1 AND c.role = 'client'
		JOIN exercise_versions v ON v.exercise_id = a.exercise_id AND v.version = a.exercise_version
		-- The latest version, and its flags together with those of every
		-- earlier version: risk language edited out still needs a look.
		JOIN LATERAL (SELECT max(s.version) AS version,
		                     coalesce(array_agg(DISTINCT f) FILTER (WHERE f IS NOT NULL), '{}') AS flags
		              FROM submissions s LEFT JOIN LATERAL unnest(s.flags) f ON true
		              WHERE s.assignment_id = a.id) ls ON true
		ORDER BY a.inbox_tier DESC, a.submitted_at DESC, a.id DESC`,
		actor.UserID, f.ClientID, f.ExerciseID, f.Show, f.Flagged, after.Rank, after.At, after.ID, f.Limit+1)
	if err != nil {
		return nil, nil, fmt.Errorf("load inbox: %w", err)
	}
	var next *Cursor
	if len(rows) > f.Limit {
		rows = rows[:f.Limit]
		last := rows[len(rows)-1]
		next = &Cursor{Rank: last.Rank, At: last.SubmittedAt, ID: last.AssignmentID}
	}
	return rows, next, nil
}

// Version is one version of what the client sent.
type Version struct {
	Version     int            `db:"version"`
	SubmittedAt time.Time      `db:"submitted_at"`
	Flags       pq.StringArray `db:"flags"`
	RawAnswers  []byte         `db:"answers"`
	Answers     exercise.Answers
}

// Earlier is an earlier occurrence of the same series, for comparing.
type Earlier struct {
	AssignmentID int64     `db:"id"`
	DueOn        time.Time `db:"due_on"`
	RawAnswers   []byte    `db:"answers"`
	Answers      exercise.Answers
}

// Feedback is what the therapist wrote back.
type Feedback struct {
	Body      string       `db:"body"`
	UpdatedAt time.Time    `db:"updated_at"`
	SeenAt    sql.NullTime `db:"seen_at"`
}

// Note is a private note.
type Note struct {
	ID           int64     `db:"id"`
	Body         string    `db:"body"`
	CreatedAt    time.Time `db:"created_at"`
	AssignmentID *int64    `db:"assignment_id"`
}

// Item is one submitted assignment as the therapist reads it.
type Item struct {
	AssignmentID int64     `db:"id"`
	SeriesID     int64     `db:"series_id"`
	ClientID     int64     `db:"client_id"`
	ClientName   string    `db:"client_name"`
	Status       string    `db:"status"`
	Discuss      bool      `db:"discuss"`
	DueOn        time.Time `db:"due_on"`
	Recurrence   string    `db:"recurrence"`
	RawDef       []byte    `db:"definition"`
	Definition   exercise.Definition
	Versions     []Version // newest first
	Shown        Version   // the version on screen
	Earlier      []Earlier // up to three earlier occurrences, newest first
	Feedback     *Feedback
	Notes        []Note // the actor's own, on this submission
	// FollowUps are the marks that a flag was followed up, oldest first.
	FollowUps []FollowUp
}

// Flagged reports whether any version sent was flagged.
func (it Item) Flagged() bool {
	for _, v := range it.Versions {
		if len(v.Flags) > 0 {
			return true
		}
	}
	return false
}

// FollowUp is a therapist's mark that a flag was acted on, with their note.
type FollowUp struct {
	Note      string    `db:"note"`
	CreatedAt time.Time `db:"created_at"`
}

// Item loads a submitted assignment of the actor's caseload, showing
// version (0: the latest). Anyone else's is ErrNotFound (R13).
func (s *Service) Item(ctx context.Context, actor policy.Actor, id int64, version int) (Item, error) {
	if !policy.Allowed(actor, policy.ReviewWork) {
		return Item{}, errkind.ErrForbidden
	}
	var it Item
	err := sqlx.GetContext(ctx, s.db, &it, `
		SELECT a.id, a.series_id, c.id AS client_id, c.display_name AS client_name, a.status, a.discuss, a.due_on, sr.recurrence, v.definition
		FROM assignments a
		JOIN users c ON c.id = a.client_id AND c.therapist_id = $2
		JOIN assignment_series sr ON sr.id = a.series_id
		JOIN exercise_versions v ON v.exercise_id = a.exercise_id AND v.version = a.exercise_version
		WHERE a.id = $1 AND a.status IN ('submitted', 'reviewed')`, id, actor.UserID)
	if errors.Is(err, sql.ErrNoRows) {
		return Item{}, errkind.ErrNotFound
	}
	if err != nil {
		return Item{}, fmt.Errorf("load submission %d: %w", id, err)
	}
	if err := json.Unmarshal(it.RawDef, &it.Definition); err != nil {
		return Item{}, fmt.Errorf("decode exercise: %w", err)
	}
	if err := sqlx.SelectContext(ctx, s.db, &it.Versions, `SELECT version, submitted_at, flags, answers FROM submissions
		WHERE assignment_id = $1 ORDER BY version DESC`, id); err != nil {
		return Item{}, fmt.Errorf("load versions: %w", err)
	}
	for i := range it.Versions {
		if err := json.Unmarshal(it.Versions[i].RawAnswers, &it.Versions[i].Answers); err != nil {
			return Item{}, fmt.Errorf("decode version: %w", err)
		}
		if it.Versions[i].Version == version || (version == 0 && i == 0) {
			it.Shown = it.Versions[i]
		}
	}
	if it.Shown.Version == 0 {
		return Item{}, errkind.ErrNotFound
	}
	if err := sqlx.SelectContext(ctx, s.db, &it.Earlier, `
		SELECT a.id, a.due_on, ls.answers FROM assignments a
		JOIN LATERAL (SELECT answers FROM submissions s WHERE s.assignment_id = a.id ORDER BY version DESC LIMIT 1) ls ON true
		WHERE a.series_id = $1 AND a.id <> $2 AND a.due_on < $3 AND a.status IN ('submitted', 'reviewed')
		ORDER BY a.due_on DESC LIMIT 3`, it.SeriesID, id, it.DueOn); err != nil {
		return Item{}, fmt.Errorf("load earlier answers: %w", err)
	}
	for i := range it.Earlier {
		if err := json.Unmarshal(it.Earlier[i].RawAnswers, &it.Earlier[i].Answers); err != nil {
			return Item{}, fmt.Errorf("decode earlier answers: %w", err)
		}
	}
	var fb Feedback
	err = sqlx.GetContext(ctx, s.db, &fb, `SELECT body, updated_at, seen_at FROM feedback WHERE assignment_id = $1`, id)
	switch {
	case err == nil:
		it.Feedback = &fb
	case !errors.Is(err, sql.ErrNoRows):
		return Item{}, fmt.Errorf("load feedback: %w", err)
	}
	if err := sqlx.SelectContext(ctx, s.db, &it.Notes, `SELECT id, body, created_at, assignment_id FROM notes
		WHERE author_id = $1 AND assignment_id = $2 ORDER BY created_at DESC`, actor.UserID, id); err != nil {
		return Item{}, fmt.Errorf("load notes: %w", err)
	}
	// Every mark, whoever wrote it: a therapist who takes over a client
	// sees what was done about a flag before.
	if err := sqlx.SelectContext(ctx, s.db, &it.FollowUps, `SELECT note, created_at FROM flag_follow_ups
		WHERE assignment_id = $1 ORDER BY created_at, id`, id); err != nil {
		return Item{}, fmt.Errorf("load follow-ups: %w", err)
	}
	return it, nil
}

// owned locks a submitted assignment of the actor's caseload.
func owned(ctx context.Context, tx *sqlx.Tx, actor policy.Actor, id int64) (clientID int64, err error) {
	err = tx.QueryRowxContext(ctx, `SELECT a.client_id FROM assignments a
		JOIN users c ON c.id = a.client_id AND c.therapist_id = $2
		WHERE a.id = $1 AND a.status IN ('submitted', 'reviewed') FOR UPDATE OF a`, id, actor.UserID).Scan(&clientID)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, errkind.ErrNotFound
	}
	if err != nil {
		return 0, fmt.Errorf("load submission %d: %w", id, err)
	}
	return clientID, nil
}

func (s *Service) change(ctx context.Context, actor policy.Actor, id int64, action string, detail map[string]any, fn func(tx *sqlx.Tx) error) error {
	if !policy.Allowed(actor, policy.ReviewWork) {
		return errkind.ErrForbidden
	}
	return database.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		if _, err := owned(ctx, tx, actor, id); err != nil {
			return err
		}
		if err := fn(tx); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: action, PracticeID: actor.PracticeID, ActorID: actor.UserID, TargetType: "assignment", TargetID: id, Detail: detail})
	})
}

// SetReviewed marks a submission reviewed, or back to waiting. read is the
// version the therapist had on screen: if the client has sent a newer one
// since, it is not marked reviewed unread.
func (s *Service) SetReviewed(ctx context.Context, actor policy.Actor, id int64, reviewed bool, read int) error {
	status := "submitted"
	if reviewed {
		status = "reviewed"
	}
	return s.change(ctx, actor, id, audit.Reviewed, map[string]any{"reviewed": reviewed}, func(tx *sqlx.Tx) error {
		if reviewed {
			var latest int
			if err := tx.GetContext(ctx, &latest, `SELECT coalesce(max(version), 0) FROM submissions WHERE assignment_id = $1`, id); err != nil {
				return fmt.Errorf("load latest version: %w", err)
			}
			if latest != read {
				v := errkind.NewInvalid()
				v.Add("version", "The client sent a newer version while you were reading. Please read it before marking it reviewed.")
				return v
			}
		}
		_, err := tx.ExecContext(ctx, `UPDATE assignments SET status = $2, reviewed_at = CASE WHEN $3 THEN now() END WHERE id = $1`, id, status, reviewed)
		return err
	})
}

// SetDiscuss marks a submission to discuss in the next session, or not.
func (s *Service) SetDiscuss(ctx context.Context, actor policy.Actor, id int64, discuss bool) error {
	return s.change(ctx, actor, id, audit.Discuss, map[string]any{"discuss": discuss}, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE assignments SET discuss = $2 WHERE id = $1`, id, discuss)
		return err
	})
}

func checkText(field, text string) (string, error) {
	text = strings.TrimSpace(text)
	v := errkind.NewInvalid()
	switch n := utf8.RuneCountInString(text); {
	case !utf8.ValidString(text):
		v.Add(field, "Some characters here could not be read. Please check the text.")
	case n == 0:
		v.Add(field, "Write something first.")
	case n > MaxTextLen:
		v.Add(field, fmt.Sprintf("Keep it to %d characters (this is %d).", MaxTextLen, n))
	}
	return text, v.Err()
}

// SaveFeedback writes or edits the feedback the client sees; an edit shows
// as new to the client again.
func (s *Service) SaveFeedback(ctx context.Context, actor policy.Actor, id int64, body string) error {
	body, err := checkText("feedback", body)
	if err != nil {
		return err
	}
	return s.change(ctx, actor, id, audit.FeedbackSaved, nil, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO feedback (assignment_id, author_id, body) VALUES ($1, $2, $3)
			ON CONFLICT (assignment_id) DO UPDATE SET body = EXCLUDED.body, author_id = EXCLUDED.author_id, updated_at = now(), seen_at = NULL`,
			id, actor.UserID, body)
		return err
	})
}

// WithdrawFeedback removes the feedback from the client's view.
func (s *Service) WithdrawFeedback(ctx context.Context, actor policy.Actor, id int64) error {
	return s.change(ctx, actor, id, audit.FeedbackWithdrawn, nil, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM feedback WHERE assignment_id = $1`, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			v := errkind.NewInvalid()
			v.Add("feedback", "There is no feedback to withdraw.")
			return v // nothing changed, nothing audited
		}
		return nil
	})
}

// FollowUp marks a flagged submission of the actor's caseload as followed
// up, with a note of what was done. The flag stays; the mark is kept with
// every earlier one and audited. Work that was never flagged has nothing
// to follow up.
func (s *Service) FollowUp(ctx context.Context, actor policy.Actor, id int64, note string) error {
	note, err := checkText("follow_up", note)
	if err != nil {
		return err
	}
	return s.change(ctx, actor, id, audit.FlagFollowedUp, nil, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO flag_follow_ups (assignment_id, therapist_id, note)
			SELECT id, $2, $3 FROM assignments WHERE id = $1 AND flagged`, id, actor.UserID, note)
		if err != nil {
			return fmt.Errorf("mark followed up: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			v := errkind.NewInvalid()
			v.Add("follow_up", "This work is not flagged, so there is nothing to follow up.")
			return v
		}
		return nil
	})
}

// AddNote keeps a private note on a submission of the actor's caseload.
func (s *Service) AddNote(ctx context.Context, actor policy.Actor, id int64, body string) error {
	body, err := checkText("note", body)
	if err != nil {
		return err
	}
	return s.change(ctx, actor, id, audit.NoteAdded, nil, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO notes (author_id, client_id, assignment_id, body)
			SELECT $1, client_id, id, $3 FROM assignments WHERE id = $2`, actor.UserID, id, body)
		return err
	})
}

// ClientNotes lists the actor's own private notes about a client of their
// caseload (on the client and on their submissions).
func (s *Service) ClientNotes(ctx context.Context, actor policy.Actor, clientID int64) ([]Note, error) {
	if !policy.Allowed(actor, policy.ReviewWork) {
		return nil, errkind.ErrForbidden
	}
	var out []Note
	err := sqlx.SelectContext(ctx, s.db, &out, `SELECT n.id, n.body, n.created_at, n.assignment_id FROM notes n
		JOIN users c ON c.id = n.client_id AND c.therapist_id = $2
		WHERE n.author_id = $2 AND n.client_id = $1 ORDER BY n.created_at DESC`, clientID, actor.UserID)
	if err != nil {
		return nil, fmt.Errorf("load notes: %w", err)
	}
	return out, nil
}

// AddClientNote keeps a private note about a client of the caseload.
func (s *Service) AddClientNote(ctx context.Context, actor policy.Actor, clientID int64, body string) error {
	if !policy.Allowed(actor, policy.ReviewWork) {
		return errkind.ErrForbidden
	}
	body, err := checkText("note", body)
	if err != nil {
		return err
	}
	return database.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO notes (author_id, client_id, body)
			SELECT $1, id, $3 FROM users WHERE id = $2 AND role = 'client' AND therapist_id = $1 AND status <> 'invited'`, actor.UserID, clientID, body)
		if err != nil {
			return fmt.Errorf("add note: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errkind.ErrNotFound
		}
		return audit.Record(ctx, tx, audit.Entry{Action: audit.NoteAdded, PracticeID: actor.PracticeID, ActorID: actor.UserID, TargetType: "user", TargetID: clientID})
	})
}
