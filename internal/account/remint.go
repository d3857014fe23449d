package account

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/trellis-app/trellis/internal/auth"
)

// Links is the account side of emailed links (notify.LinkMinter): the
// links table is this package's, so only it writes a link's secret.
type Links struct{}

// Remint gives an unused, unexpired link a fresh secret, in tx, and
// returns it with the link's purpose and the time it stays valid. An
// emailed link's token is made here, just before the email is sent, so no
// plain token is ever stored; a retried send makes another, and the older
// one stops working. ok is false for a link that was used, replaced or
// has expired.
func (Links) Remint(ctx context.Context, tx *sqlx.Tx, tokenID int64) (token, purpose string, valid time.Duration, ok bool, err error) {
	token, hash := auth.NewToken()
	var expires time.Time
	var now time.Time
	err = tx.QueryRowxContext(ctx, `UPDATE access_tokens SET token_hash = $2
		WHERE id = $1 AND used_at IS NULL AND expires_at > now()
		RETURNING purpose, expires_at, now()`, tokenID, hash).Scan(&purpose, &expires, &now)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", 0, false, nil
	}
	if err != nil {
		return "", "", 0, false, fmt.Errorf("remint link: %w", err)
	}
	return token, purpose, expires.Sub(now), true, nil
}

// InvitationOpen reports whether the invitation to an existing address
// that an email is about is still open: a withdrawn or replaced one is not
// sent, as a withdrawn or replaced link is not.
func (Links) InvitationOpen(ctx context.Context, tx *sqlx.Tx, id int64) (bool, error) {
	var open bool
	err := tx.GetContext(ctx, &open, `SELECT used_at IS NULL AND withdrawn_at IS NULL AND expires_at > now()
		FROM existing_email_invites WHERE id = $1`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("invitation open: %w", err)
	}
	return open, nil
}
