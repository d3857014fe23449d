package account

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

// Moving a client to another therapist takes two people (R14): the admin
// proposes it, and the client stays in their caseload until the receiving
// therapist accepts it on their dashboard. So an admin who controls a
// therapist account can still receive a client, but only by accepting as
// that therapist, which is audited, and the current therapist is told.

// Transfer states.
const (
	TransferPending   = "pending"
	TransferAccepted  = "accepted"
	TransferDeclined  = "declined"
	TransferWithdrawn = "withdrawn"
)

// NoticeFor is how long a decided move stays on the current therapist's
// dashboard.
const NoticeFor = 14 * 24 * time.Hour

// Transfer is a proposed move of a client, as one of the people involved
// sees it.
type Transfer struct {
	ID           int64        `db:"id"`
	ClientID     int64        `db:"client_id"`
	ClientName   string       `db:"client_name"`
	FromID       *int64       `db:"from_therapist_id"`
	FromName     *string      `db:"from_name"`
	ToID         int64        `db:"to_therapist_id"`
	ToName       string       `db:"to_name"`
	ProposerName string       `db:"proposer_name"`
	ProposedAt   time.Time    `db:"proposed_at"`
	Status       string       `db:"status"`
	DecidedAt    sql.NullTime `db:"decided_at"`
}

// TransferNotices is what a therapist's dashboard says about moves.
type TransferNotices struct {
	// Waiting: moves to this therapist they have not yet answered.
	Waiting []Transfer
	// Outgoing: moves of their clients, pending or decided lately.
	Outgoing []Transfer
}

const transferColumns = `ct.id, ct.client_id, c.display_name AS client_name, ct.from_therapist_id, f.display_name AS from_name,
	ct.to_therapist_id, t.display_name AS to_name, p.display_name AS proposer_name, ct.proposed_at, ct.status::text AS status, ct.decided_at`

const transferFrom = ` FROM client_transfers ct
	JOIN users c ON c.id = ct.client_id
	JOIN users t ON t.id = ct.to_therapist_id
	JOIN users p ON p.id = ct.proposed_by
	LEFT JOIN users f ON f.id = ct.from_therapist_id `

// ProposeTransfer proposes moving a client to another therapist of the
// practice (or back into a caseload after removal). Nothing moves yet.
func (s *Service) ProposeTransfer(ctx context.Context, actor policy.Actor, clientID, therapistID int64) error {
	if !policy.Allowed(actor, policy.TransferClient) {
		return errkind.ErrForbidden
	}
	c, err := practiceUser(ctx, s.db, actor.PracticeID, clientID)
	if err != nil {
		return err
	}
	if c.Role != policy.Client {
		return errkind.ErrNotFound
	}
	v := errkind.NewInvalid()
	t, err := practiceUser(ctx, s.db, actor.PracticeID, therapistID)
	switch {
	case err != nil || t.Role != policy.Therapist || t.Status == StatusDisabled:
		v.Add("therapist", "Choose an active therapist of this practice.")
	case c.TherapistID != nil && *c.TherapistID == t.ID:
		v.Add("therapist", "This client is already in that therapist's caseload. Choose another therapist.")
	}
	if err := v.Err(); err != nil {
		return err
	}
	return database.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		var id int64
		err := tx.GetContext(ctx, &id, `INSERT INTO client_transfers (practice_id, client_id, from_therapist_id, to_therapist_id, proposed_by)
			VALUES ($1, $2, $3, $4, $5) RETURNING id`, actor.PracticeID, c.ID, c.TherapistID, t.ID, actor.UserID)
		if database.IsUniqueViolation(err, "client_transfers_one_pending") {
			v.Add("therapist", "A move of this client is already waiting. Withdraw it first to propose another.")
			return v
		}
		if err != nil {
			return fmt.Errorf("propose transfer: %w", err)
		}
		return audit.Record(ctx, tx, audit.Entry{Action: audit.TransferProposed, PracticeID: actor.PracticeID, ActorID: actor.UserID,
			TargetType: "user", TargetID: c.ID, Detail: transferDetail(id, c.TherapistID, t.ID)})
	})
}

// transferDetail is what the audit log keeps of a move: ids only.
func transferDetail(id int64, from *int64, to int64) map[string]any {
	var f any
	if from != nil {
		f = *from
	}
	return map[string]any{"transfer": id, "from_therapist": f, "to_therapist": to}
}

// PendingTransfers lists the moves waiting in the admin's practice, by
// client.
func (s *Service) PendingTransfers(ctx context.Context, actor policy.Actor) (map[int64]Transfer, error) {
	if !policy.Allowed(actor, policy.TransferClient) {
		return nil, errkind.ErrForbidden
	}
	var ts []Transfer
	if err := sqlx.SelectContext(ctx, s.db, &ts, `SELECT `+transferColumns+transferFrom+
		`WHERE ct.practice_id = $1 AND ct.status = 'pending'`, actor.PracticeID); err != nil {
		return nil, fmt.Errorf("pending transfers: %w", err)
	}
	out := make(map[int64]Transfer, len(ts))
	for _, t := range ts {
		out[t.ClientID] = t
	}
	return out, nil
}

// WithdrawTransfer withdraws the move waiting for a client of the admin's
// practice; without one it is ErrNotFound.
func (s *Service) WithdrawTransfer(ctx context.Context, actor policy.Actor, clientID int64) error {
	if !policy.Allowed(actor, policy.TransferClient) {
		return errkind.ErrForbidden
	}
	return database.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		n, err := withdrawPending(ctx, tx, actor, clientID)
		if err == nil && n == 0 {
			return errkind.ErrNotFound
		}
		return err
	})
}

// withdrawPending ends the move waiting for a client of the actor's
// practice, if there is one, and audits it.
func withdrawPending(ctx context.Context, tx *sqlx.Tx, actor policy.Actor, clientID int64) (int, error) {
	var rows []struct {
		ID   int64  `db:"id"`
		From *int64 `db:"from_therapist_id"`
		To   int64  `db:"to_therapist_id"`
	}
	if err := tx.SelectContext(ctx, &rows, `UPDATE client_transfers SET status = 'withdrawn', decided_by = $3, decided_at = now()
		WHERE client_id = $1 AND practice_id = $2 AND status = 'pending'
		RETURNING id, from_therapist_id, to_therapist_id`, clientID, actor.PracticeID, actor.UserID); err != nil {
		return 0, fmt.Errorf("withdraw transfer: %w", err)
	}
	for _, r := range rows {
		if err := audit.Record(ctx, tx, audit.Entry{Action: audit.TransferWithdrawn, PracticeID: actor.PracticeID, ActorID: actor.UserID,
			TargetType: "user", TargetID: clientID, Detail: transferDetail(r.ID, r.From, r.To)}); err != nil {
			return 0, err
		}
	}
	return len(rows), nil
}

// DecideTransfer is the receiving therapist's answer to a move waiting for
// them. Accepting moves the client (their sessions end so their next
// request sees the new therapist); declining leaves them where they are.
// A move that is not waiting for this therapist is ErrNotFound.
func (s *Service) DecideTransfer(ctx context.Context, actor policy.Actor, transferID int64, accept bool) (Transfer, error) {
	if !policy.Allowed(actor, policy.AcceptTransfer) {
		return Transfer{}, errkind.ErrForbidden
	}
	var t Transfer
	err := database.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		var r struct {
			ClientID int64  `db:"client_id"`
			From     *int64 `db:"from_therapist_id"`
		}
		err := tx.GetContext(ctx, &r, `SELECT client_id, from_therapist_id FROM client_transfers
			WHERE id = $1 AND to_therapist_id = $2 AND practice_id = $3 AND status = 'pending' FOR UPDATE`,
			transferID, actor.UserID, actor.PracticeID)
		if errors.Is(err, sql.ErrNoRows) {
			return errkind.ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("load transfer: %w", err)
		}
		status, action := TransferDeclined, audit.TransferDeclined
		if accept {
			status, action = TransferAccepted, audit.ClientTransfered
			// The client must still be where the move was proposed from
			// (removing them withdraws it, but a direct change must not
			// be overtaken either).
			res, err := tx.ExecContext(ctx, `UPDATE users SET therapist_id = $3, progress_shared = false, auth_version = auth_version + 1, updated_at = now()
				WHERE id = $1 AND practice_id = $2 AND role = 'client' AND therapist_id IS NOT DISTINCT FROM $4`,
				r.ClientID, actor.PracticeID, actor.UserID, r.From)
			if err != nil {
				return fmt.Errorf("transfer client: %w", err)
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return errkind.ErrConflict
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE client_transfers SET status = $2, decided_by = $3, decided_at = now() WHERE id = $1`,
			transferID, status, actor.UserID); err != nil {
			return fmt.Errorf("decide transfer: %w", err)
		}
		if err := audit.Record(ctx, tx, audit.Entry{Action: action, PracticeID: actor.PracticeID, ActorID: actor.UserID,
			TargetType: "user", TargetID: r.ClientID, Detail: transferDetail(transferID, r.From, actor.UserID)}); err != nil {
			return err
		}
		return tx.GetContext(ctx, &t, `SELECT `+transferColumns+transferFrom+`WHERE ct.id = $1`, transferID)
	})
	return t, err
}

// TransferNotices is what a therapist is told about moves: the ones
// waiting for their answer, and those of their clients.
func (s *Service) TransferNotices(ctx context.Context, actor policy.Actor) (TransferNotices, error) {
	var n TransferNotices
	if !policy.Allowed(actor, policy.AcceptTransfer) {
		return n, errkind.ErrForbidden
	}
	// Until they accept, the receiving therapist learns only the client's
	// display name, who proposed the move and when: no email, no current
	// therapist, nothing of the client's work. The name is the minimum
	// necessary, because accepting a client is a professional decision
	// the therapist cannot make blind (they must be able to see that the
	// person is someone they know privately, or treated before, or have a
	// conflict with), and a name alone says nothing clinical.
	// One statement for both lists: the dashboard's query count stays flat.
	var rows []struct {
		Kind string `db:"kind"`
		Transfer
	}
	if err := sqlx.SelectContext(ctx, s.db, &rows, `
		SELECT 'waiting' AS kind, ct.id, ct.client_id, c.display_name AS client_name, NULL::bigint AS from_therapist_id, NULL::text AS from_name,
			ct.to_therapist_id, '' AS to_name, p.display_name AS proposer_name, ct.proposed_at, ct.status::text AS status, ct.decided_at
		FROM client_transfers ct JOIN users c ON c.id = ct.client_id JOIN users p ON p.id = ct.proposed_by
		WHERE ct.to_therapist_id = $1 AND ct.practice_id = $2 AND ct.status = 'pending'
		UNION ALL
		SELECT 'outgoing' AS kind, `+transferColumns+transferFrom+`
		WHERE ct.from_therapist_id = $1 AND ct.practice_id = $2 AND (ct.status = 'pending' OR ct.decided_at > now() - $3::interval)
		ORDER BY proposed_at DESC, id DESC`, actor.UserID, actor.PracticeID, NoticeFor.String()); err != nil {
		return n, fmt.Errorf("transfer notices: %w", err)
	}
	for _, r := range rows {
		if r.Kind == "waiting" {
			n.Waiting = append(n.Waiting, r.Transfer)
		} else {
			n.Outgoing = append(n.Outgoing, r.Transfer)
		}
	}
	return n, nil
}
