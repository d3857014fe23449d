package account

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/trellis-app/trellis/internal/audit"
	"github.com/trellis-app/trellis/internal/auth"
	"github.com/trellis-app/trellis/internal/database"
	"github.com/trellis-app/trellis/internal/errkind"
	"github.com/trellis-app/trellis/internal/notify"
	"github.com/trellis-app/trellis/internal/policy"
)

// Invitations are listed apart from accounts, one list of both kinds: an
// invitation to a new address (it made an account that waits for its
// password) and one to an address that already has an account (kept in
// existing_email_invites; the account is not touched). Until the person
// acts on it, the inviter sees the two alike: the same rows, the same
// actions, the same emails that could not be sent (R4). A therapist sees
// the client invitations they made; an admin, the practice's staff
// invitations.

// Invite is an invitation not yet taken up, as its maker's list shows it.
type Invite struct {
	Ref         InviteRef
	Name        string
	Role        policy.Role
	SentAt      time.Time
	ExpiresAt   time.Time
	EmailFailed bool
}

// Expired reports whether the link has run out (a new one can be sent).
func (i Invite) Expired(now time.Time) bool { return !now.Before(i.ExpiresAt) }

// InviteRef names an invitation to the service. It says which kind it is,
// so pages carry it sealed (see Bytes): a plain id would tell the kinds
// apart.
type InviteRef struct {
	existing bool
	id       int64
}

// Bytes is the ref in nine bytes, the same length for both kinds.
func (r InviteRef) Bytes() []byte {
	b := make([]byte, 9)
	if r.existing {
		b[0] = 1
	}
	binary.BigEndian.PutUint64(b[1:], uint64(r.id))
	return b
}

// ParseInviteRef reads what Bytes wrote.
func ParseInviteRef(b []byte) (InviteRef, bool) {
	if len(b) != 9 || b[0] > 1 {
		return InviteRef{}, false
	}
	return InviteRef{existing: b[0] == 1, id: int64(binary.BigEndian.Uint64(b[1:]))}, true
}

// inviteScope is whose invitations an actor lists and acts on: a
// therapist's own client invitations, or an admin's practice's staff ones.
func inviteScope(actor policy.Actor) (staff bool, err error) {
	switch {
	case policy.Allowed(actor, policy.ManageStaff):
		return true, nil
	case policy.Allowed(actor, policy.InviteClient):
		return false, nil
	}
	return false, errkind.ErrForbidden
}

// openInvites selects the invitations in scope ($1 the practice, $2 the
// therapist or 0, $3 staff or not), both kinds in one shape: each account
// still waiting for its password, with its latest invitation link (one
// that stopped working, as when an admin enables an account they had
// withdrawn, shows as expired), and each open invitation to an existing
// address.
const openInvites = `
	SELECT false AS existing, u.id, u.display_name, u.role, coalesce(t.created_at, u.created_at) AS created_at,
	       coalesce(least(t.used_at, t.expires_at), u.created_at) AS expires_at,
	       EXISTS (SELECT 1 FROM email_outbox o WHERE o.token_id = t.id AND o.status = 'failed') AS email_failed
	FROM users u
	LEFT JOIN LATERAL (SELECT id, created_at, expires_at, used_at FROM access_tokens
	                   WHERE user_id = u.id AND purpose = 'invite'
	                   ORDER BY created_at DESC LIMIT 1) t ON true
	WHERE u.practice_id = $1 AND u.status = 'invited'
	  AND CASE WHEN $3 THEN u.role <> 'client' ELSE u.role = 'client' AND u.therapist_id = $2 END
	UNION ALL
	SELECT true, i.id, i.display_name, i.role, i.created_at, i.expires_at,
	       EXISTS (SELECT 1 FROM email_outbox o WHERE o.invitation_id = i.id AND o.status = 'failed')
	FROM existing_email_invites i
	WHERE i.practice_id = $1 AND i.used_at IS NULL AND i.withdrawn_at IS NULL
	  AND CASE WHEN $3 THEN i.role <> 'client' ELSE i.role = 'client' AND i.created_by = $2 END`

type inviteRow struct {
	Existing    bool        `db:"existing"`
	ID          int64       `db:"id"`
	Name        string      `db:"display_name"`
	Role        policy.Role `db:"role"`
	SentAt      time.Time   `db:"created_at"`
	ExpiresAt   time.Time   `db:"expires_at"`
	EmailFailed bool        `db:"email_failed"`
}

func (r inviteRow) invite() Invite {
	return Invite{Ref: InviteRef{existing: r.Existing, id: r.ID}, Name: r.Name, Role: r.Role, SentAt: r.SentAt, ExpiresAt: r.ExpiresAt, EmailFailed: r.EmailFailed}
}

// Invitations lists the actor's open invitations, newest first.
func (s *Service) Invitations(ctx context.Context, actor policy.Actor) ([]Invite, error) {
	staff, err := inviteScope(actor)
	if err != nil {
		return nil, err
	}
	var rows []inviteRow
	if err := s.db.SelectContext(ctx, &rows, `SELECT * FROM (`+openInvites+`) i ORDER BY created_at DESC, display_name`,
		actor.PracticeID, scopeTherapist(actor, staff), staff); err != nil {
		return nil, fmt.Errorf("list invitations: %w", err)
	}
	out := make([]Invite, len(rows))
	for i, r := range rows {
		out[i] = r.invite()
	}
	return out, nil
}

func scopeTherapist(actor policy.Actor, staff bool) int64 {
	if staff {
		return 0
	}
	return actor.UserID
}

// invitation loads one open invitation in the actor's scope; anything
// else is ErrNotFound.
func (s *Service) invitation(ctx context.Context, q sqlx.QueryerContext, actor policy.Actor, ref InviteRef) (inviteRow, error) {
	staff, err := inviteScope(actor)
	if err != nil {
		return inviteRow{}, err
	}
	var r inviteRow
	err = sqlx.GetContext(ctx, q, &r, `SELECT * FROM (`+openInvites+`) i WHERE existing = $4 AND id = $5`,
		actor.PracticeID, scopeTherapist(actor, staff), staff, ref.existing, ref.id)
	if errors.Is(err, sql.ErrNoRows) {
		return inviteRow{}, errkind.ErrNotFound
	}
	if err != nil {
		return inviteRow{}, fmt.Errorf("load invitation: %w", err)
	}
	return r, nil
}

// RenewInvite sends an invitation again with a new link (the old one stops
// working), for either kind alike, and says whom it is for.
func (s *Service) RenewInvite(ctx context.Context, actor policy.Actor, ref InviteRef) (Link, string, error) {
	r, err := s.invitation(ctx, s.db, actor, ref)
	if err != nil {
		return Link{}, "", err
	}
	if !r.Existing {
		// In scope (invitation checked it): the account waiting for
		// its password gets a new invitation link.
		u, err := userByID(ctx, s.db, r.ID)
		if err != nil {
			return Link{}, "", err
		}
		l, err := s.newLink(ctx, actor, u)
		l.UserID = 0 // the same Link as the other kind's
		return l, r.Name, err
	}
	token, hash := auth.NewToken()
	expires := s.now().Add(InviteTTL)
	var owner int64
	err = database.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		if err := tx.GetContext(ctx, &owner, `UPDATE existing_email_invites SET withdrawn_at = now()
			WHERE id = $1 AND withdrawn_at IS NULL AND used_at IS NULL RETURNING user_id`, r.ID); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return errkind.ErrNotFound // used or withdrawn a moment ago
			}
			return fmt.Errorf("replace invitation: %w", err)
		}
		return s.keepExistingInvite(ctx, tx, actor.UserID, actor.PracticeID, r.Role, owner, r.Name, hash, expires)
	})
	if err != nil {
		return Link{}, "", err
	}
	return s.link(Link{Purpose: "invite", Token: token, ExpiresAt: expires}), r.Name, nil
}

// WithdrawInvite ends an invitation: its link stops working and it leaves
// the list. A new address's waiting account is left out of the caseload
// (a client) or disabled (staff), so its address can be invited again.
func (s *Service) WithdrawInvite(ctx context.Context, actor policy.Actor, ref InviteRef) error {
	r, err := s.invitation(ctx, s.db, actor, ref)
	if err != nil {
		return err
	}
	return database.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		var res sql.Result
		switch {
		case r.Existing:
			res, err = tx.ExecContext(ctx, `UPDATE existing_email_invites SET withdrawn_at = now()
				WHERE id = $1 AND withdrawn_at IS NULL AND used_at IS NULL`, r.ID)
		case r.Role == policy.Client:
			res, err = tx.ExecContext(ctx, `UPDATE users SET therapist_id = NULL, auth_version = auth_version + 1, updated_at = now()
				WHERE id = $1 AND therapist_id = $2 AND status = 'invited'`, r.ID, actor.UserID)
		default:
			res, err = tx.ExecContext(ctx, `UPDATE users SET status = 'disabled', auth_version = auth_version + 1, updated_at = now()
				WHERE id = $1 AND practice_id = $2 AND status = 'invited'`, r.ID, actor.PracticeID)
		}
		if err != nil {
			return fmt.Errorf("withdraw invitation: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errkind.ErrNotFound // taken up or withdrawn a moment ago
		}
		entry := audit.Entry{Action: audit.InviteWithdrawn, PracticeID: actor.PracticeID, ActorID: actor.UserID}
		if !r.Existing {
			if err := retireLinks(ctx, tx, r.ID); err != nil {
				return err
			}
			if r.Role == policy.Client {
				if _, err := withdrawPending(ctx, tx, actor, r.ID); err != nil {
					return err
				}
			}
			entry.TargetType, entry.TargetID = "user", r.ID
		}
		return audit.Record(ctx, tx, entry)
	})
}

// inviteExisting keeps an invitation to an address that has an account
// (owner), and emails its owner when email is set up.
func (s *Service) inviteExisting(ctx context.Context, by, practiceID int64, role policy.Role, owner int64, name string, hash []byte, expires time.Time) error {
	return database.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		return s.keepExistingInvite(ctx, tx, by, practiceID, role, owner, name, hash, expires)
	})
}

func (s *Service) keepExistingInvite(ctx context.Context, tx *sqlx.Tx, by, practiceID int64, role policy.Role, owner int64, name string, hash []byte, expires time.Time) error {
	var createdBy *int64
	if by != 0 {
		createdBy = &by
	}
	var id int64
	if err := tx.GetContext(ctx, &id, `INSERT INTO existing_email_invites (practice_id, created_by, user_id, display_name, token_hash, expires_at, role)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, practiceID, createdBy, owner, name, hash, expires.UTC(), role); err != nil {
		return fmt.Errorf("insert invitation for an existing account: %w", err)
	}
	return s.email(ctx, tx, notify.Email{Kind: notify.KindInviteExisting, PracticeID: practiceID, UserID: owner, InvitationID: id})
}

// unclaimed reports whether existing is an account an invitation made in
// u's practice that nobody took up and that was withdrawn (a client left
// out of any caseload, staff disabled): inviting its address again is a
// new invitation of it, not an invitation to an account someone has.
func unclaimed(existing, u User) bool {
	if existing.PracticeID != u.PracticeID || existing.PasswordHash != nil {
		return false
	}
	if u.Role == policy.Client {
		return existing.Role == policy.Client && existing.Status == StatusInvited && existing.TherapistID == nil
	}
	return existing.Role != policy.Client && existing.Status == StatusDisabled
}

// reinvite invites the unclaimed account id again, as u describes.
func (s *Service) reinvite(ctx context.Context, by int64, u User, id int64, hash []byte, token string, expires time.Time) (Link, error) {
	err := database.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET status = 'invited', role = $2, therapist_id = $3, display_name = $4,
			auth_version = auth_version + 1, updated_at = now()
			WHERE id = $1 AND password_hash IS NULL`, id, u.Role, u.TherapistID, u.DisplayName)
		if err != nil {
			return fmt.Errorf("invite again: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errEmailTaken // taken up a moment ago
		}
		if err := retireLinks(ctx, tx, id); err != nil {
			return err
		}
		u.ID = id
		return s.issueLink(ctx, tx, by, u, "invite", hash, expires, audit.InviteCreated, map[string]any{"role": string(u.Role)})
	})
	if err != nil {
		return Link{}, err
	}
	return s.link(Link{UserID: id, Purpose: "invite", Token: token, ExpiresAt: expires}), nil
}
