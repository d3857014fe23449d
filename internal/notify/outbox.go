// Package notify decides what Trellis tells people outside the app, and
// when: invitation and sign-in emails, and homework reminders. Each email
// is a row in email_outbox written in the transaction of what it is about,
// and a job on the queue (River, in PostgreSQL) that delivers it through
// internal/mail, so a slow or absent mail server never fails a request and
// several instances never send the same email twice.
package notify

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/riverqueue/river"

	"github.com/trellis-app/trellis/internal/database"
	"github.com/trellis-app/trellis/internal/mail"
)

// Kind is what an email is for.
type Kind string

// The kinds of email.
const (
	KindInvite         Kind = "invite"
	KindReset          Kind = "reset"
	KindInviteExisting Kind = "invite_existing" // an invitation for an email that has an account
	KindReminder       Kind = "reminder"
)

// Email is one email to queue.
type Email struct {
	Kind       Kind
	PracticeID int64
	UserID     int64 // the recipient
	TokenID    int64 // KindInvite, KindReset: the link to mint when sending
	DedupeKey  string
	Items      int // KindReminder: how many pieces of homework
	// KindInviteExisting: the invitation it is for, so a failure shows on
	// that invitation.
	InvitationID int64
}

// sendArgs is the queued job: the outbox row to deliver, nothing else.
type sendArgs struct {
	OutboxID int64 `json:"outbox_id"`
}

func (sendArgs) Kind() string { return "email.send" }

func (sendArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueEmail, MaxAttempts: MaxAttempts}
}

// QueueEmail is the queue emails are delivered from.
const QueueEmail = "email"

// MaxAttempts is how many times an email is tried before it is marked
// failed for the staff to see. River waits attempt⁴ seconds between
// tries: 8 attempts span about 80 minutes of a mail server being down.
const MaxAttempts = 8

// Queue writes e to the outbox and queues its delivery, in tx. An email
// whose DedupeKey is already in the outbox is not queued again: queued
// reports which.
func Queue(ctx context.Context, q *river.Client[*sql.Tx], tx *sqlx.Tx, e Email) (id int64, queued bool, err error) {
	var token *int64
	if e.TokenID != 0 {
		token = &e.TokenID
	}
	var key *string
	if e.DedupeKey != "" {
		key = &e.DedupeKey
	}
	var invitation *int64
	if e.InvitationID != 0 {
		invitation = &e.InvitationID
	}
	err = tx.QueryRowxContext(ctx, `INSERT INTO email_outbox (practice_id, user_id, kind, token_id, dedupe_key, items, invitation_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (dedupe_key) DO NOTHING RETURNING id`,
		e.PracticeID, e.UserID, e.Kind, token, key, e.Items, invitation).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("outbox: %w", err)
	}
	if _, err := q.InsertTx(ctx, tx.Tx, sendArgs{OutboxID: id}, nil); err != nil {
		return 0, false, fmt.Errorf("queue email: %w", err)
	}
	return id, true, nil
}

// LinkMinter gives a single-use link a fresh secret just before it is
// emailed (the outbox never holds a plain token) and says how long it
// stays valid; ok is false when the link was used, replaced or has
// expired, and the email is then not sent. internal/account implements it:
// it owns the links.
type LinkMinter interface {
	Remint(ctx context.Context, tx *sqlx.Tx, tokenID int64) (token, purpose string, valid time.Duration, ok bool, err error)
	// InvitationOpen: an invitation to an existing address is neither
	// used, withdrawn, replaced nor expired.
	InvitationOpen(ctx context.Context, tx *sqlx.Tx, id int64) (bool, error)
}

// Deliverer is the queue's worker for emails.
type Deliverer struct {
	river.WorkerDefaults[sendArgs]
	DB     *sqlx.DB
	Sender mail.Sender
	Links  LinkMinter
	Base   *url.URL // links are built on it
	Log    *slog.Logger
	// Now is the clock a reminder's day is checked against; nil is
	// time.Now.
	Now func() time.Time
}

func (d *Deliverer) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

// stuckAfter is how long a claimed email may go without an outcome before
// another attempt may claim it again (the worker that claimed it died).
const stuckAfter = 10 * time.Minute

type claimed struct {
	Kind     Kind          `db:"kind"`
	UserID   int64         `db:"user_id"`
	TokenID  sql.NullInt64 `db:"token_id"`
	Invite   sql.NullInt64 `db:"invitation_id"`
	Items    int           `db:"items"`
	Day      sql.NullTime  `db:"about_day"`
	Attempts int           `db:"attempts"`
	Email    string        `db:"email"`
	Active   bool          `db:"active"`
	Removed  bool          `db:"removed"`
}

// Work delivers one outbox row. Claiming the row is one UPDATE, so two
// workers (in two instances) never both send it; a row already sent,
// cancelled or failed is done.
func (d *Deliverer) Work(ctx context.Context, job *river.Job[sendArgs]) error {
	id := job.Args.OutboxID
	last := job.Attempt >= job.MaxAttempts
	var msg mail.Message
	var c claimed
	sendIt := false
	var inHand time.Duration
	err := database.WithTx(ctx, d.DB, func(tx *sqlx.Tx) error {
		err := tx.GetContext(ctx, &c, `UPDATE email_outbox o SET status = 'sending', attempts = attempts + 1, claimed_at = now()
			FROM users u WHERE o.id = $1 AND u.id = o.user_id
			  AND (o.status = 'queued' OR (o.status = 'sending' AND o.claimed_at < now() - $2::interval))
			RETURNING o.kind, o.user_id, o.token_id, o.invitation_id, o.items, o.about_day, o.attempts, u.email,
			          u.status <> 'disabled' AS active, u.role = 'client' AND u.therapist_id IS NULL AS removed`,
			id, interval(stuckAfter))
		if errors.Is(err, sql.ErrNoRows) {
			// Done, or claimed moments ago (another worker, or this job's
			// own attempt whose outcome was not recorded): then it is not
			// done, and this job waits for the claim to go stale.
			var status string
			var claimedAt sql.NullTime
			if err := tx.QueryRowxContext(ctx, `SELECT status, claimed_at FROM email_outbox WHERE id = $1`, id).Scan(&status, &claimedAt); err != nil {
				return err
			}
			if status == "sending" && claimedAt.Valid {
				inHand = max(time.Second, time.Until(claimedAt.Time.Add(stuckAfter)))
			}
			return nil
		}
		if err != nil {
			return err
		}
		switch {
		case !c.Active:
			return cancel(ctx, tx, id, "account disabled")
		case c.Removed && c.Kind == KindReminder:
			return cancel(ctx, tx, id, "no longer in a caseload")
		}
		m, ok, err := d.compose(ctx, tx, c)
		if err != nil {
			return err
		}
		if !ok {
			if c.Attempts > 1 && (c.Kind == KindInvite || c.Kind == KindReset) {
				// It expired while the mail server was refusing it: that is a
				// failure the staff must see, not a change of plan.
				return finish(ctx, tx, id, "failed", "the link expired before the mail server took the email")
			}
			return cancel(ctx, tx, id, "nothing to send: the link is no longer valid, reminders are off, or the homework was sent")
		}
		msg, sendIt = withID(m, id, c), true
		return nil
	})
	if err != nil {
		if last {
			// The final attempt: whatever went wrong, the staff see it.
			_, _ = d.DB.ExecContext(context.WithoutCancel(ctx), `UPDATE email_outbox SET status = 'failed', last_error = $2 WHERE id = $1 AND status IN ('queued', 'sending')`, id, "could not be prepared")
		}
		return err
	}
	if inHand > 0 {
		return river.JobSnooze(inHand)
	}
	if !sendIt {
		return nil
	}
	if err := d.Sender.Send(ctx, msg); err != nil {
		status := "queued"
		if last || errors.Is(err, mail.ErrBadAddress) {
			status = "failed"
		}
		why := mail.Reason(err)
		if _, uerr := d.DB.ExecContext(context.WithoutCancel(ctx), `UPDATE email_outbox SET status = $2, last_error = $3 WHERE id = $1`,
			id, status, why); uerr != nil {
			d.Log.Error("outbox: record a failed send", "outbox_id", id, "err", uerr)
		}
		d.Log.Warn("email not sent", "outbox_id", id, "kind", string(c.Kind), "attempt", job.Attempt, "reason", why)
		if status == "failed" {
			return river.JobCancel(errors.New(why))
		}
		return errors.New(why)
	}
	if _, err := d.DB.ExecContext(context.WithoutCancel(ctx), `UPDATE email_outbox SET status = 'sent', sent_at = now(), last_error = NULL WHERE id = $1`, id); err != nil {
		return fmt.Errorf("outbox: record a sent email: %w", err)
	}
	d.Log.Info("email sent", "outbox_id", id, "kind", string(c.Kind), "user_id", c.UserID)
	return nil
}

func (d *Deliverer) compose(ctx context.Context, tx *sqlx.Tx, c claimed) (mail.Message, bool, error) {
	m := mail.Message{To: c.Email}
	switch c.Kind {
	case KindInvite, KindReset:
		token, purpose, valid, ok, err := d.Links.Remint(ctx, tx, c.TokenID.Int64)
		if err != nil || !ok {
			return m, false, err
		}
		m.Subject, m.Text = linkMessage(Kind(purpose), d.Base.JoinPath(purpose, token), valid)
	case KindInviteExisting:
		if c.Invite.Valid {
			if open, err := d.Links.InvitationOpen(ctx, tx, c.Invite.Int64); err != nil || !open {
				return m, false, err
			}
		}
		m.Subject, m.Text = existingAccountMessage(d.Base.JoinPath("signin"))
	case KindReminder:
		r, ok, err := d.reminderMessage(ctx, tx, c.UserID, c.Day.Time)
		if err != nil || !ok {
			return m, false, err
		}
		r.To = m.To
		m = r
	default:
		return m, false, fmt.Errorf("outbox: no message for kind %q", c.Kind)
	}
	return m, true, nil
}

func cancel(ctx context.Context, tx *sqlx.Tx, id int64, why string) error {
	return finish(ctx, tx, id, "cancelled", why)
}

func finish(ctx context.Context, tx *sqlx.Tx, id int64, status, why string) error {
	_, err := tx.ExecContext(ctx, `UPDATE email_outbox SET status = $2, last_error = $3 WHERE id = $1`, id, status, why)
	return err
}

// interval is d as a PostgreSQL interval literal, for a $n::interval.
func interval(d time.Duration) string { return fmt.Sprintf("%d seconds", int(d.Seconds())) }
