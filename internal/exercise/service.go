package exercise

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/trellis-app/trellis/internal/audit"
	"github.com/trellis-app/trellis/internal/database"
	"github.com/trellis-app/trellis/internal/errkind"
	"github.com/trellis-app/trellis/internal/policy"
)

// Service is the exercise library's rules.
type Service struct {
	db *sqlx.DB
}

// NewService returns the exercise service.
func NewService(db *sqlx.DB) *Service { return &Service{db: db} }

// row is an exercise version as stored.
type row struct {
	ID         int64           `db:"id"`
	PracticeID *int64          `db:"practice_id"`
	BuiltinKey *string         `db:"builtin_key"`
	Version    int             `db:"version"`
	Latest     int             `db:"latest_version"`
	CreatedAt  sql.NullTime    `db:"created_at"`
	UpdatedAt  sql.NullTime    `db:"updated_at"`
	Definition json.RawMessage `db:"definition"`
}

func (r row) exercise() (Exercise, error) {
	e := Exercise{ID: r.ID, PracticeID: r.PracticeID, BuiltinKey: r.BuiltinKey, Version: r.Version, Latest: r.Latest,
		CreatedAt: r.CreatedAt.Time, UpdatedAt: r.UpdatedAt.Time}
	if err := json.Unmarshal(r.Definition, &e.Definition); err != nil {
		return Exercise{}, fmt.Errorf("decode exercise %d v%d: %w", r.ID, r.Version, err)
	}
	return e, nil
}

// visible is the ownership rule in SQL: the built-in library and the
// actor's practice's own exercises.
const visible = `(e.practice_id IS NULL OR e.practice_id = $1)`

const selectVersion = `SELECT e.id, e.practice_id, e.builtin_key, v.version, e.latest_version, e.created_at, e.updated_at, v.definition
	FROM exercises e JOIN exercise_versions v ON v.exercise_id = e.id `

// Library lists the exercises a therapist may assign, at their latest
// versions: the built-ins first, then the practice's own by title.
func (s *Service) Library(ctx context.Context, actor policy.Actor) ([]Exercise, error) {
	if !policy.Allowed(actor, policy.ViewLibrary) {
		return nil, errkind.ErrForbidden
	}
	var rows []row
	err := sqlx.SelectContext(ctx, s.db, &rows, selectVersion+`AND v.version = e.latest_version
		WHERE `+visible+` AND e.archived_at IS NULL
		ORDER BY e.practice_id NULLS FIRST, v.definition->>'title', e.id`, actor.PracticeID)
	if err != nil {
		return nil, fmt.Errorf("list exercises: %w", err)
	}
	out := make([]Exercise, 0, len(rows))
	for _, r := range rows {
		e, err := r.exercise()
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// Titled is an exercise by id and title, for a filter's choices.
type Titled struct {
	ID    int64  `db:"id"`
	Title string `db:"title"`
}

// Titles lists the library's exercises by id and title only, in Library's
// order: a dropdown needs no definitions.
func (s *Service) Titles(ctx context.Context, actor policy.Actor) ([]Titled, error) {
	if !policy.Allowed(actor, policy.ViewLibrary) {
		return nil, errkind.ErrForbidden
	}
	var out []Titled
	err := sqlx.SelectContext(ctx, s.db, &out, `SELECT e.id, v.definition->>'title' AS title
		FROM exercises e JOIN exercise_versions v ON v.exercise_id = e.id AND v.version = e.latest_version
		WHERE `+visible+` AND e.archived_at IS NULL
		ORDER BY e.practice_id NULLS FIRST, v.definition->>'title', e.id`, actor.PracticeID)
	if err != nil {
		return nil, fmt.Errorf("list exercise titles: %w", err)
	}
	return out, nil
}

// Get returns an exercise at its latest version, or at version when it is
// above zero. Another practice's exercise is ErrNotFound.
func (s *Service) Get(ctx context.Context, actor policy.Actor, id int64, version int) (Exercise, error) {
	if !policy.Allowed(actor, policy.ViewLibrary) {
		return Exercise{}, errkind.ErrForbidden
	}
	return getVersion(ctx, s.db, actor.PracticeID, id, version)
}

func getVersion(ctx context.Context, q sqlx.QueryerContext, practiceID, id int64, version int) (Exercise, error) {
	var r row
	err := sqlx.GetContext(ctx, q, &r, selectVersion+`AND v.version = CASE WHEN $3 > 0 THEN $3 ELSE e.latest_version END
		WHERE `+visible+` AND e.id = $2`, practiceID, id, version)
	if errors.Is(err, sql.ErrNoRows) {
		return Exercise{}, errkind.ErrNotFound
	}
	if err != nil {
		return Exercise{}, fmt.Errorf("load exercise %d: %w", id, err)
	}
	return r.exercise()
}

// VersionInfo is one entry of an exercise's history.
type VersionInfo struct {
	Version   int          `db:"version"`
	Title     string       `db:"title"`
	CreatedAt sql.NullTime `db:"created_at"`
}

// Versions lists an exercise's versions, newest first.
func (s *Service) Versions(ctx context.Context, actor policy.Actor, id int64) ([]VersionInfo, error) {
	if !policy.Allowed(actor, policy.ViewLibrary) {
		return nil, errkind.ErrForbidden
	}
	var out []VersionInfo
	err := sqlx.SelectContext(ctx, s.db, &out, `SELECT v.version, v.definition->>'title' AS title, v.created_at
		FROM exercises e JOIN exercise_versions v ON v.exercise_id = e.id
		WHERE `+visible+` AND e.id = $2 ORDER BY v.version DESC`, actor.PracticeID, id)
	if err != nil {
		return nil, fmt.Errorf("list versions of exercise %d: %w", id, err)
	}
	return out, nil
}

// Create adds a new exercise to the actor's practice at version 1.
func (s *Service) Create(ctx context.Context, actor policy.Actor, d Definition) (int64, error) {
	if !policy.Allowed(actor, policy.EditExercise) {
		return 0, errkind.ErrForbidden
	}
	return s.create(ctx, actor, d, nil)
}

func (s *Service) create(ctx context.Context, actor policy.Actor, d Definition, copiedFrom *int64) (int64, error) {
	if d.Measure != "" {
		// A standard measure's wording is the published one: a copy
		// could be changed and still be scored as if it were the measure.
		return 0, errkind.ErrForbidden
	}
	if err := Validate(d); err != nil {
		return 0, err
	}
	doc, err := json.Marshal(d)
	if err != nil {
		return 0, err
	}
	var id int64
	err = database.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		if err := tx.QueryRowxContext(ctx, `INSERT INTO exercises (practice_id, created_by, copied_from) VALUES ($1, $2, $3) RETURNING id`,
			actor.PracticeID, actor.UserID, copiedFrom).Scan(&id); err != nil {
			return fmt.Errorf("insert exercise: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO exercise_versions (exercise_id, version, definition, created_by) VALUES ($1, 1, $2, $3)`,
			id, doc, actor.UserID); err != nil {
			return fmt.Errorf("insert exercise version: %w", err)
		}
		return audit.Record(ctx, tx, audit.Entry{Action: audit.ExerciseCreated, PracticeID: actor.PracticeID, ActorID: actor.UserID, TargetType: "exercise", TargetID: id})
	})
	return id, err
}

// Update saves d as the next version of one of the practice's own
// exercises. Built-ins cannot be changed (duplicate them instead), and
// existing versions never change.
func (s *Service) Update(ctx context.Context, actor policy.Actor, id int64, d Definition) (int, error) {
	if !policy.Allowed(actor, policy.EditExercise) {
		return 0, errkind.ErrForbidden
	}
	if err := Validate(d); err != nil {
		return 0, err
	}
	doc, err := json.Marshal(d)
	if err != nil {
		return 0, err
	}
	var version int
	err = database.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		// The row lock orders concurrent saves: each gets its own version.
		err := tx.QueryRowxContext(ctx, `UPDATE exercises SET latest_version = latest_version + 1, updated_at = now()
			WHERE id = $1 AND practice_id = $2 RETURNING latest_version`, id, actor.PracticeID).Scan(&version)
		if errors.Is(err, sql.ErrNoRows) {
			return errkind.ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("bump exercise version: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO exercise_versions (exercise_id, version, definition, created_by) VALUES ($1, $2, $3, $4)`,
			id, version, doc, actor.UserID); err != nil {
			return fmt.Errorf("insert exercise version: %w", err)
		}
		return audit.Record(ctx, tx, audit.Entry{Action: audit.ExerciseUpdated, PracticeID: actor.PracticeID, ActorID: actor.UserID, TargetType: "exercise", TargetID: id, Detail: map[string]any{"version": version}})
	})
	return version, err
}

// Duplicate copies an exercise (a built-in, or the practice's own) into a
// new exercise of the practice that the therapist can adapt.
func (s *Service) Duplicate(ctx context.Context, actor policy.Actor, id int64) (int64, error) {
	if !policy.Allowed(actor, policy.EditExercise) {
		return 0, errkind.ErrForbidden
	}
	e, err := getVersion(ctx, s.db, actor.PracticeID, id, 0)
	if err != nil {
		return 0, err
	}
	d := e.Definition
	d.Title = copyTitle(d.Title)
	return s.create(ctx, actor, d, &e.ID)
}

func copyTitle(t string) string {
	const suffix = " (my copy)"
	if r := []rune(t); len(r)+len([]rune(suffix)) > MaxTitleLen {
		t = string(r[:MaxTitleLen-len([]rune(suffix))])
	}
	return t + suffix
}
