package account

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/trellis-app/trellis/internal/audit"
	"github.com/trellis-app/trellis/internal/auth"
	"github.com/trellis-app/trellis/internal/database"
	"github.com/trellis-app/trellis/internal/errkind"
	"github.com/trellis-app/trellis/internal/policy"
)

// A client's calendar address is a credential like a link: it opens their
// due dates to anyone who has it, without a sign-in. It is made by the
// client, shown once, replaced by making a new one, and deleted when they
// stop it or the client is removed or disabled.

// NewCalendarFeed makes (or replaces) the actor's calendar address token.
// Only a client has one.
func (s *Service) NewCalendarFeed(ctx context.Context, actor policy.Actor) (string, error) {
	if actor.Role != policy.Client {
		return "", errkind.ErrForbidden
	}
	sel := make([]byte, 9)
	_, _ = rand.Read(sel)
	selector := base64.RawURLEncoding.EncodeToString(sel)
	verifier, hash := auth.NewToken()
	err := database.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO calendar_feeds (user_id, selector, verifier_hash) VALUES ($1, $2, $3)
			ON CONFLICT (user_id) DO UPDATE SET selector = EXCLUDED.selector, verifier_hash = EXCLUDED.verifier_hash, created_at = now()`,
			actor.UserID, selector, hash); err != nil {
			return fmt.Errorf("calendar address: %w", err)
		}
		return audit.Record(ctx, tx, audit.Entry{Action: audit.CalendarAddress, PracticeID: actor.PracticeID, ActorID: actor.UserID,
			TargetType: "user", TargetID: actor.UserID, Detail: map[string]any{"change": "made"}})
	})
	if err != nil {
		return "", err
	}
	return selector + "." + verifier, nil
}

// StopCalendarFeed deletes the actor's calendar address.
func (s *Service) StopCalendarFeed(ctx context.Context, actor policy.Actor) error {
	return database.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM calendar_feeds WHERE user_id = $1`, actor.UserID)
		if err != nil {
			return fmt.Errorf("stop calendar address: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		return audit.Record(ctx, tx, audit.Entry{Action: audit.CalendarAddress, PracticeID: actor.PracticeID, ActorID: actor.UserID,
			TargetType: "user", TargetID: actor.UserID, Detail: map[string]any{"change": "stopped"}})
	})
}

// HasCalendarFeed reports whether the user has a calendar address.
func (s *Service) HasCalendarFeed(ctx context.Context, userID int64) (bool, error) {
	var ok bool
	err := s.db.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM calendar_feeds WHERE user_id = $1)`, userID)
	return ok, err
}

// CalendarFeedOwner is the active client whose calendar address token is,
// as the actor the feed is read for; ErrNotFound for any token that is not
// a current one (a replaced one, a made-up one, a removed or disabled
// client's).
func (s *Service) CalendarFeedOwner(ctx context.Context, token string) (policy.Actor, error) {
	selector, verifier, ok := strings.Cut(token, ".")
	if !ok || selector == "" || verifier == "" {
		return policy.Actor{}, errkind.ErrNotFound
	}
	var row struct {
		UserID     int64  `db:"user_id"`
		PracticeID int64  `db:"practice_id"`
		Hash       []byte `db:"verifier_hash"`
	}
	err := s.db.GetContext(ctx, &row, `SELECT f.user_id, u.practice_id, f.verifier_hash FROM calendar_feeds f
		JOIN users u ON u.id = f.user_id AND u.role = 'client' AND u.status = 'active' AND u.therapist_id IS NOT NULL
		WHERE f.selector = $1`, selector)
	if errors.Is(err, sql.ErrNoRows) {
		return policy.Actor{}, errkind.ErrNotFound
	}
	if err != nil {
		return policy.Actor{}, err
	}
	if subtle.ConstantTimeCompare(row.Hash, auth.HashToken(verifier)) != 1 {
		return policy.Actor{}, errkind.ErrNotFound
	}
	return policy.Actor{UserID: row.UserID, PracticeID: row.PracticeID, Role: policy.Client}, nil
}
