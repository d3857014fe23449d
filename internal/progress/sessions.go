package progress

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/trellis-app/trellis/internal/audit"
	"github.com/trellis-app/trellis/internal/database"
	"github.com/trellis-app/trellis/internal/errkind"
	"github.com/trellis-app/trellis/internal/policy"
)

// Session is a therapy session the therapist recorded with a client. Only
// the date is kept: it marks where "since the last session" begins.
type Session struct {
	ID     int64     `db:"id"`
	HeldOn time.Time `db:"held_on"`
}

// ownClient locks a client of the actor's caseload, or is ErrNotFound.
func ownClient(ctx context.Context, tx *sqlx.Tx, actor policy.Actor, clientID int64) error {
	var id int64
	err := tx.GetContext(ctx, &id, `SELECT id FROM users WHERE id = $1 AND role = 'client' AND therapist_id = $2 AND status <> 'invited' FOR UPDATE`,
		clientID, actor.UserID)
	if errors.Is(err, sql.ErrNoRows) {
		return errkind.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("load client %d: %w", clientID, err)
	}
	return nil
}

// Sessions are recorded at most this far from today: a typo in the year
// should be caught, not stored.
const sessionRange = 366 * 24 * time.Hour

// RecordSession records a session with the client on the given day (today
// or a planned one). Recording the same day twice keeps one.
func (s *Service) RecordSession(ctx context.Context, actor policy.Actor, clientID int64, on, today time.Time) error {
	if !policy.Allowed(actor, policy.KeepSessions) {
		return errkind.ErrForbidden
	}
	if d := on.Sub(today); d > sessionRange || d < -sessionRange {
		v := errkind.NewInvalid()
		v.Add("held_on", "Enter a date within a year of today.")
		return v
	}
	return database.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		if err := ownClient(ctx, tx, actor, clientID); err != nil {
			return err
		}
		var id int64
		err := tx.GetContext(ctx, &id, `
			INSERT INTO clinical_sessions (client_id, therapist_id, held_on) VALUES ($1, $2, $3)
			ON CONFLICT (client_id, held_on) DO NOTHING RETURNING id`, clientID, actor.UserID, on)
		if errors.Is(err, sql.ErrNoRows) {
			return nil // already recorded
		}
		if err != nil {
			return fmt.Errorf("record session: %w", err)
		}
		return audit.Record(ctx, tx, audit.Entry{Action: audit.SessionRecorded, PracticeID: actor.PracticeID, ActorID: actor.UserID,
			TargetType: "client", TargetID: clientID, Detail: map[string]any{"session": id}})
	})
}

// RemoveSession removes a recorded session (one entered by mistake).
func (s *Service) RemoveSession(ctx context.Context, actor policy.Actor, clientID, sessionID int64) error {
	if !policy.Allowed(actor, policy.KeepSessions) {
		return errkind.ErrForbidden
	}
	return database.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		if err := ownClient(ctx, tx, actor, clientID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM clinical_sessions WHERE id = $1 AND client_id = $2`, sessionID, clientID)
		if err != nil {
			return fmt.Errorf("remove session %d: %w", sessionID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errkind.ErrNotFound
		}
		return audit.Record(ctx, tx, audit.Entry{Action: audit.SessionRemoved, PracticeID: actor.PracticeID, ActorID: actor.UserID,
			TargetType: "client", TargetID: clientID, Detail: map[string]any{"session": sessionID}})
	})
}

// SetSharing lets the client see a simple view of their own progress, or
// stops it.
func (s *Service) SetSharing(ctx context.Context, actor policy.Actor, clientID int64, on bool) error {
	if !policy.Allowed(actor, policy.ViewClient) {
		return errkind.ErrForbidden
	}
	return database.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		if err := ownClient(ctx, tx, actor, clientID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET progress_shared = $2 WHERE id = $1`, clientID, on); err != nil {
			return fmt.Errorf("set sharing of %d: %w", clientID, err)
		}
		return audit.Record(ctx, tx, audit.Entry{Action: audit.ProgressSharing, PracticeID: actor.PracticeID, ActorID: actor.UserID,
			TargetType: "client", TargetID: clientID, Detail: map[string]any{"shared": on}})
	})
}
