package account

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/trellis-app/trellis/internal/errkind"
)

const userColumns = `u.id, u.practice_id, u.role, u.status, u.email, u.display_name, u.password_hash,
	u.therapist_id, t.display_name AS therapist_name, u.auth_version, u.locked_until, u.created_at`

const userFrom = ` FROM users u LEFT JOIN users t ON t.id = u.therapist_id `

func getUser(ctx context.Context, q sqlx.QueryerContext, where string, args ...any) (User, error) {
	var u User
	err := sqlx.GetContext(ctx, q, &u, `SELECT `+userColumns+userFrom+`WHERE `+where, args...)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, errkind.ErrNotFound
	}
	if err != nil {
		return User{}, fmt.Errorf("load user: %w", err)
	}
	return u, nil
}

func userByID(ctx context.Context, q sqlx.QueryerContext, id int64) (User, error) {
	return getUser(ctx, q, `u.id = $1`, id)
}

func userByEmail(ctx context.Context, q sqlx.QueryerContext, email string) (User, error) {
	return getUser(ctx, q, `u.email = $1`, email)
}

// practiceUser loads a user of the practice, for admins.
func practiceUser(ctx context.Context, q sqlx.QueryerContext, practiceID, id int64) (User, error) {
	return getUser(ctx, q, `u.id = $1 AND u.practice_id = $2`, id, practiceID)
}

// caseloadClient loads a client in the therapist's caseload: the ownership
// rule is in the WHERE clause, so another therapist's client is not found.
func caseloadClient(ctx context.Context, q sqlx.QueryerContext, therapistID, clientID int64) (User, error) {
	return getUser(ctx, q, `u.id = $1 AND u.role = 'client' AND u.therapist_id = $2`, clientID, therapistID)
}

func listUsers(ctx context.Context, q sqlx.QueryerContext, where string, args ...any) ([]User, error) {
	var us []User
	err := sqlx.SelectContext(ctx, q, &us, `SELECT `+userColumns+userFrom+`WHERE `+where+` ORDER BY u.display_name, u.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return us, nil
}

func insertUser(ctx context.Context, q sqlx.QueryerContext, u User) (int64, error) {
	var id int64
	err := q.QueryRowxContext(ctx, `
		INSERT INTO users (practice_id, role, status, email, display_name, therapist_id)
		VALUES ($1, $2, 'invited', $3, $4, $5) RETURNING id`,
		u.PracticeID, u.Role, u.Email, u.DisplayName, u.TherapistID).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("insert user: %w", err)
	}
	return id, nil
}

func insertToken(ctx context.Context, e sqlx.ExecerContext, userID int64, purpose string, hash []byte, createdBy int64, expires time.Time) error {
	var by *int64
	if createdBy != 0 {
		by = &createdBy
	}
	// A new link replaces any unused one of the same kind.
	if _, err := e.ExecContext(ctx, `UPDATE access_tokens SET used_at = now()
		WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL`, userID, purpose); err != nil {
		return fmt.Errorf("retire old links: %w", err)
	}
	_, err := e.ExecContext(ctx, `INSERT INTO access_tokens (user_id, purpose, token_hash, created_by, expires_at)
		VALUES ($1, $2, $3, $4, $5)`, userID, purpose, hash, by, expires.UTC())
	if err != nil {
		return fmt.Errorf("insert link: %w", err)
	}
	return nil
}

// tokenUser finds the user of a live (unused, unexpired) token.
func tokenUser(ctx context.Context, q sqlx.QueryerContext, hash []byte, purpose string) (User, int64, error) {
	var tokenID, userID int64
	err := q.QueryRowxContext(ctx, `SELECT id, user_id FROM access_tokens
		WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > now()`, hash, purpose).Scan(&tokenID, &userID)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, 0, ErrLinkInvalid
	}
	if err != nil {
		return User{}, 0, fmt.Errorf("look up link: %w", err)
	}
	u, err := userByID(ctx, q, userID)
	return u, tokenID, err
}

// useToken marks a token used; it fails if another request used it first.
func useToken(ctx context.Context, e sqlx.ExecerContext, tokenID int64) error {
	res, err := e.ExecContext(ctx, `UPDATE access_tokens SET used_at = now() WHERE id = $1 AND used_at IS NULL`, tokenID)
	if err != nil {
		return fmt.Errorf("use link: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return ErrLinkInvalid
	}
	return nil
}

// setPassword stores a new hash, activates the account and ends its
// sessions by bumping auth_version.
func setPassword(ctx context.Context, q sqlx.QueryerContext, userID int64, hash string) (int, error) {
	var v int
	err := q.QueryRowxContext(ctx, `UPDATE users SET password_hash = $2, status = CASE WHEN status = 'invited' THEN 'active'::user_status ELSE status END,
		auth_version = auth_version + 1, failed_logins = 0, first_failed_at = NULL, locked_until = NULL, updated_at = now()
		WHERE id = $1 RETURNING auth_version`, userID, hash).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("set password: %w", err)
	}
	return v, nil
}

// recordFailure counts a failed sign-in and locks the account after
// MaxFailures within FailureWindow. It reports whether this failure locked it.
func recordFailure(ctx context.Context, q sqlx.QueryerContext, userID int64) (bool, error) {
	var locked bool
	err := q.QueryRowxContext(ctx, `
		UPDATE users SET
			failed_logins = CASE WHEN first_failed_at IS NULL OR first_failed_at < now() - $2::interval THEN 1 ELSE failed_logins + 1 END,
			first_failed_at = CASE WHEN first_failed_at IS NULL OR first_failed_at < now() - $2::interval THEN now() ELSE first_failed_at END
		WHERE id = $1
		RETURNING failed_logins >= $3`, userID, FailureWindow.String(), MaxFailures).Scan(&locked)
	if err != nil {
		return false, fmt.Errorf("record failed sign-in: %w", err)
	}
	if locked {
		_, err = q.(sqlx.ExecerContext).ExecContext(ctx, `UPDATE users SET locked_until = now() + $2::interval,
			failed_logins = 0, first_failed_at = NULL WHERE id = $1`, userID, LockDuration.String())
		if err != nil {
			return false, fmt.Errorf("lock account: %w", err)
		}
	}
	return locked, nil
}

func clearFailures(ctx context.Context, e sqlx.ExecerContext, userID int64) error {
	_, err := e.ExecContext(ctx, `UPDATE users SET failed_logins = 0, first_failed_at = NULL, locked_until = NULL
		WHERE id = $1 AND (failed_logins <> 0 OR locked_until IS NOT NULL)`, userID)
	if err != nil {
		return fmt.Errorf("clear failed sign-ins: %w", err)
	}
	return nil
}

func getPractice(ctx context.Context, q sqlx.QueryerContext, id int64) (Practice, error) {
	var p Practice
	err := sqlx.GetContext(ctx, q, &p, `SELECT id, name, crisis_text, time_zone, created_at FROM practices WHERE id = $1`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return Practice{}, errkind.ErrNotFound
	}
	if err != nil {
		return Practice{}, fmt.Errorf("load practice: %w", err)
	}
	return p, nil
}
