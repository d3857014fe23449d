package account

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/trellis-app/trellis/internal/errkind"
)

const userColumns = `u.id, u.practice_id, u.role, u.status, u.email, u.display_name, u.password_hash,
	u.therapist_id, t.display_name AS therapist_name, u.auth_version, u.locked_until, u.created_at,
	u.progress_shared, EXISTS (SELECT 1 FROM user_mfa m WHERE m.user_id = u.id) AS mfa_on, u.mfa_enrol_required`

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
// rule is in the WHERE clause, so another therapist's client is not found,
// nor someone invited who has not joined (an invitation is not a client;
// see invitations.go).
func caseloadClient(ctx context.Context, q sqlx.QueryerContext, therapistID, clientID int64) (User, error) {
	return getUser(ctx, q, `u.id = $1 AND u.role = 'client' AND u.therapist_id = $2 AND u.status <> 'invited'`, clientID, therapistID)
}

func listUsers(ctx context.Context, q sqlx.QueryerContext, where string, args ...any) ([]User, error) {
	var us []User
	err := sqlx.SelectContext(ctx, q, &us, `SELECT `+userColumns+userFrom+`WHERE `+where+` ORDER BY u.display_name COLLATE "und-x-icu", u.id`, args...)
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

func insertToken(ctx context.Context, e sqlx.ExtContext, userID int64, purpose string, hash []byte, createdBy int64, expires time.Time) (int64, error) {
	var by *int64
	if createdBy != 0 {
		by = &createdBy
	}
	// A new link replaces any unused one of the same kind.
	if _, err := e.ExecContext(ctx, `UPDATE access_tokens SET used_at = now()
		WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL`, userID, purpose); err != nil {
		return 0, fmt.Errorf("retire old links: %w", err)
	}
	var id int64
	err := e.QueryRowxContext(ctx, `INSERT INTO access_tokens (user_id, purpose, token_hash, created_by, expires_at)
		VALUES ($1, $2, $3, $4, $5) RETURNING id`, userID, purpose, hash, by, expires.UTC()).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("insert link: %w", err)
	}
	return id, nil
}

// retireLinks makes every link already handed out to a user stop working,
// and their calendar address with them:
// when the account is disabled, or a client is removed before joining (an
// invite that still worked would make an account with no therapist).
func retireLinks(ctx context.Context, e sqlx.ExecerContext, userID int64) error {
	if _, err := e.ExecContext(ctx, `UPDATE access_tokens SET used_at = now() WHERE user_id = $1 AND used_at IS NULL`, userID); err != nil {
		return fmt.Errorf("retire links: %w", err)
	}
	// The calendar address opens their due dates without a sign-in too.
	if _, err := e.ExecContext(ctx, `DELETE FROM calendar_feeds WHERE user_id = $1`, userID); err != nil {
		return fmt.Errorf("retire calendar address: %w", err)
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

// existingEmailInvite is a live invitation for an email that already has
// an account.
type existingEmailInvite struct {
	ID         int64  `db:"id"`
	PracticeID int64  `db:"practice_id"`
	Name       string `db:"display_name"`
	Email      string `db:"email"`
}

func existingInvite(ctx context.Context, q sqlx.QueryerContext, hash []byte) (existingEmailInvite, error) {
	var d existingEmailInvite
	err := sqlx.GetContext(ctx, q, &d, `SELECT i.id, i.practice_id, i.display_name, u.email
		FROM existing_email_invites i JOIN users u ON u.id = i.user_id
		WHERE i.token_hash = $1 AND i.used_at IS NULL AND i.withdrawn_at IS NULL AND i.expires_at > now()`, hash)
	if errors.Is(err, sql.ErrNoRows) {
		return existingEmailInvite{}, ErrLinkInvalid
	}
	if err != nil {
		return existingEmailInvite{}, fmt.Errorf("look up link: %w", err)
	}
	return d, nil
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
// sessions by bumping auth_version. clearLock also clears the sign-in
// failures and any lock.
func setPassword(ctx context.Context, q sqlx.QueryerContext, userID int64, hash string, clearLock bool) (int, error) {
	var v int
	err := q.QueryRowxContext(ctx, `UPDATE users SET password_hash = $2, status = CASE WHEN status = 'invited' THEN 'active'::user_status ELSE status END,
		auth_version = auth_version + 1, updated_at = now(),
		failed_logins = CASE WHEN $3 THEN 0 ELSE failed_logins END,
		first_failed_at = CASE WHEN $3 THEN NULL ELSE first_failed_at END,
		locked_until = CASE WHEN $3 THEN NULL ELSE locked_until END
		WHERE id = $1 RETURNING auth_version`, userID, hash, clearLock).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("set password: %w", err)
	}
	return v, nil
}

// attempt is the outcome of reserving a password check.
type attempt struct {
	// Refused: the account is locked; the password must not be checked.
	Refused bool
	// Locked: this attempt used the last check of the window and locked
	// the account, until LockedUntil.
	Locked      bool
	LockedUntil time.Time
}

// reserveAttempt counts a password check before it happens, in one
// statement: concurrent attempts each see the count the others left, so no
// more than MaxFailures are checked per FailureWindow. The count is
// forgiven when the password turns out right.
func reserveAttempt(ctx context.Context, q sqlx.QueryerContext, userID int64) (attempt, error) {
	var lockedUntil sql.NullTime
	err := q.QueryRowxContext(ctx, `
		UPDATE users SET
			failed_logins = CASE WHEN first_failed_at IS NULL OR first_failed_at < now() - $2::interval THEN 1 ELSE failed_logins + 1 END,
			first_failed_at = CASE WHEN first_failed_at IS NULL OR first_failed_at < now() - $2::interval THEN now() ELSE first_failed_at END,
			locked_until = CASE
				WHEN (CASE WHEN first_failed_at IS NULL OR first_failed_at < now() - $2::interval THEN 1 ELSE failed_logins + 1 END) >= $3
				THEN now() + $4::interval ELSE NULL END
		WHERE id = $1 AND (locked_until IS NULL OR locked_until <= now())
		RETURNING locked_until`,
		userID, FailureWindow.String(), MaxFailures, LockDuration.String()).Scan(&lockedUntil)
	if errors.Is(err, sql.ErrNoRows) {
		return attempt{Refused: true}, nil
	}
	if err != nil {
		return attempt{}, fmt.Errorf("count sign-in attempt: %w", err)
	}
	locked := lockedUntil.Valid
	if locked {
		// The window starts again once the lock ends.
		if _, err := q.(sqlx.ExecerContext).ExecContext(ctx, `UPDATE users SET failed_logins = 0, first_failed_at = NULL WHERE id = $1`, userID); err != nil {
			return attempt{}, fmt.Errorf("reset attempt window: %w", err)
		}
	}
	return attempt{Locked: locked, LockedUntil: lockedUntil.Time}, nil
}

// forgiveAttempts clears the count after a right password. Only failures
// count toward a lock (R3): when this very attempt set the lock (it was
// counted before the password was checked), the lock goes too. A lock that
// concurrent wrong guesses set in the meantime stays in force.
func forgiveAttempts(ctx context.Context, e sqlx.ExecerContext, userID int64, a attempt) error {
	var mine any // the lock this attempt set, if it set one
	if a.Locked {
		mine = a.LockedUntil
	}
	_, err := e.ExecContext(ctx, `UPDATE users SET failed_logins = 0, first_failed_at = NULL,
			locked_until = CASE WHEN locked_until = $2 THEN NULL ELSE locked_until END
		WHERE id = $1 AND (locked_until IS NULL OR locked_until <= now() OR locked_until = $2)`, userID, mine)
	if err != nil {
		return fmt.Errorf("forgive sign-in attempt: %w", err)
	}
	return nil
}

// ensurePractice returns the id of the practice named name, creating it
// when there is none, in one statement that is safe to run twice at once.
func ensurePractice(ctx context.Context, q sqlx.QueryerContext, name string) (int64, error) {
	var id int64
	err := q.QueryRowxContext(ctx, `
		WITH found AS (SELECT id FROM practices WHERE name = $1 ORDER BY id LIMIT 1),
		made AS (INSERT INTO practices (name) SELECT $1 WHERE NOT EXISTS (SELECT 1 FROM found) RETURNING id)
		SELECT id FROM found UNION ALL SELECT id FROM made`, name).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("find or create practice: %w", err)
	}
	return id, nil
}

// practiceColumns are the columns a Practice holds, in one list for both
// ways a practice is read: alone, and with a session's user (prefixed,
// for Principal.Practice).
var practiceColumns = []string{"id", "name", "crisis_text", "time_zone", "created_at", "mfa_required_from", "missed_in_a_row", "nhs_change_thresholds"}

// practiceSelect lists practiceColumns from table alias t, each named
// prefix+column.
func practiceSelect(t, prefix string) string {
	out := make([]string, len(practiceColumns))
	for i, c := range practiceColumns {
		out[i] = fmt.Sprintf(`%s.%s AS "%s%s"`, t, c, prefix, c)
	}
	return strings.Join(out, ", ")
}

var (
	practiceByID  = `SELECT ` + practiceSelect("p", "") + ` FROM practices p WHERE p.id = $1`
	principalByID = `SELECT ` + userColumns + `, ` + practiceSelect("p", "practice.") + userFrom + ` JOIN practices p ON p.id = u.practice_id WHERE u.id = $1`
)

func getPractice(ctx context.Context, q sqlx.QueryerContext, id int64) (Practice, error) {
	var p Practice
	err := sqlx.GetContext(ctx, q, &p, practiceByID, id)
	if errors.Is(err, sql.ErrNoRows) {
		return Practice{}, errkind.ErrNotFound
	}
	if err != nil {
		return Practice{}, fmt.Errorf("load practice: %w", err)
	}
	return p, nil
}
