package notify

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

// Reminders is the service behind reminder settings: a therapist may
// suggest them; only the client turns them on (their consent, with its
// time, is recorded) or off.
type Reminders struct {
	db     *sqlx.DB
	outbox *Outbox
}

// NewReminders returns the service; with outbox disabled (no SMTP),
// reminders cannot be turned on and pages say why.
func NewReminders(db *sqlx.DB, outbox *Outbox) *Reminders {
	return &Reminders{db: db, outbox: outbox}
}

// EmailOn reports whether Trellis can send email at all.
func (r *Reminders) EmailOn() bool { return r.outbox.Enabled() }

// Settings are one client's reminder settings.
type Settings struct {
	Enabled     bool
	SendAt      string // "18:00", local
	TimeZone    string // empty: the practice's
	OfferedAt   *time.Time
	ConsentedAt *time.Time
	StoppedAt   *time.Time
}

// SendTimes are the times a digest can be set for: on the hour and half
// hour from 06:00 to 22:00.
func SendTimes() []string {
	var out []string
	for m := 6 * 60; m <= 22*60; m += 30 {
		out = append(out, fmt.Sprintf("%02d:%02d", m/60, m%60))
	}
	return out
}

type settingsRow struct {
	Enabled     bool         `db:"enabled"`
	SendAt      string       `db:"send_at"`
	TimeZone    *string      `db:"time_zone"`
	OfferedAt   sql.NullTime `db:"offered_at"`
	ConsentedAt sql.NullTime `db:"consented_at"`
	StoppedAt   sql.NullTime `db:"stopped_at"`
}

func (s settingsRow) settings() Settings {
	out := Settings{Enabled: s.Enabled, SendAt: s.SendAt[:5]}
	if s.TimeZone != nil {
		out.TimeZone = *s.TimeZone
	}
	at := func(t sql.NullTime) *time.Time {
		if !t.Valid {
			return nil
		}
		return &t.Time
	}
	out.OfferedAt, out.ConsentedAt, out.StoppedAt = at(s.OfferedAt), at(s.ConsentedAt), at(s.StoppedAt)
	return out
}

func (r *Reminders) load(ctx context.Context, userID int64) (Settings, error) {
	var row settingsRow
	err := r.db.GetContext(ctx, &row, `SELECT enabled, send_at::text, time_zone, offered_at, consented_at, stopped_at
		FROM reminder_settings WHERE user_id = $1`, userID)
	if errors.Is(err, sql.ErrNoRows) {
		return Settings{SendAt: "18:00"}, nil
	}
	if err != nil {
		return Settings{}, fmt.Errorf("reminder settings: %w", err)
	}
	return row.settings(), nil
}

// Mine is the client's own settings.
func (r *Reminders) Mine(ctx context.Context, actor policy.Actor) (Settings, error) {
	if !policy.Allowed(actor, policy.SetReminders) {
		return Settings{}, errkind.ErrForbidden
	}
	return r.load(ctx, actor.UserID)
}

// Save sets the client's own reminders. Turning them on records the
// consent's time; every change is audited (ids only).
func (r *Reminders) Save(ctx context.Context, actor policy.Actor, in Settings) error {
	if !policy.Allowed(actor, policy.SetReminders) {
		return errkind.ErrForbidden
	}
	v := errkind.NewInvalid()
	if in.Enabled && !r.EmailOn() {
		v.Add("enabled", "Reminders cannot be sent: this Trellis has no email set up. Ask your practice.")
	}
	validTime := false
	for _, t := range SendTimes() {
		validTime = validTime || t == in.SendAt
	}
	if !validTime {
		v.Add("send_at", "Choose a time from the list.")
	}
	if in.TimeZone != "" {
		if _, err := time.LoadLocation(in.TimeZone); err != nil {
			v.Add("time_zone", "Choose a time zone from the list.")
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	var zone *string
	if in.TimeZone != "" {
		zone = &in.TimeZone
	}
	return database.WithTx(ctx, r.db, func(tx *sqlx.Tx) error {
		var was bool
		err := tx.GetContext(ctx, &was, `SELECT enabled FROM reminder_settings WHERE user_id = $1 FOR UPDATE`, actor.UserID)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO reminder_settings (user_id, enabled, consented_at, stopped_at, send_at, time_zone)
			VALUES ($1, $2, CASE WHEN $2 THEN now() END, CASE WHEN NOT $2 THEN now() END, $3::time, $4)
			ON CONFLICT (user_id) DO UPDATE SET enabled = $2, send_at = $3::time, time_zone = $4,
				consented_at = CASE WHEN $2 AND NOT reminder_settings.enabled THEN now() ELSE reminder_settings.consented_at END,
				stopped_at = CASE WHEN NOT $2 AND reminder_settings.enabled THEN now() ELSE reminder_settings.stopped_at END`,
			actor.UserID, in.Enabled, in.SendAt, zone); err != nil {
			return fmt.Errorf("save reminder settings: %w", err)
		}
		if was == in.Enabled {
			return nil
		}
		action := audit.RemindersOff
		if in.Enabled {
			action = audit.RemindersOn
		}
		return audit.Record(ctx, tx, audit.Entry{Action: action, PracticeID: actor.PracticeID, ActorID: actor.UserID, TargetType: "user", TargetID: actor.UserID})
	})
}

// ForClient is a client's settings as their therapist sees them: on or
// off, and when suggested. Anyone else's client is ErrNotFound.
func (r *Reminders) ForClient(ctx context.Context, actor policy.Actor, clientID int64) (Settings, error) {
	if err := r.caseload(ctx, actor, clientID); err != nil {
		return Settings{}, err
	}
	return r.load(ctx, clientID)
}

// Offer suggests reminders to a client in the therapist's caseload: the
// client sees the suggestion; nothing is turned on.
func (r *Reminders) Offer(ctx context.Context, actor policy.Actor, clientID int64) error {
	if err := r.caseload(ctx, actor, clientID); err != nil {
		return err
	}
	return database.WithTx(ctx, r.db, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO reminder_settings (user_id, offered_by, offered_at) VALUES ($1, $2, now())
			ON CONFLICT (user_id) DO UPDATE SET offered_by = $2, offered_at = now()`, clientID, actor.UserID); err != nil {
			return fmt.Errorf("offer reminders: %w", err)
		}
		return audit.Record(ctx, tx, audit.Entry{Action: audit.RemindersOffered, PracticeID: actor.PracticeID, ActorID: actor.UserID, TargetType: "user", TargetID: clientID})
	})
}

func (r *Reminders) caseload(ctx context.Context, actor policy.Actor, clientID int64) error {
	if !policy.Allowed(actor, policy.OfferReminders) {
		return errkind.ErrForbidden
	}
	var ok bool
	if err := r.db.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM users WHERE id = $1 AND role = 'client' AND therapist_id = $2 AND practice_id = $3 AND status <> 'invited')`,
		clientID, actor.UserID, actor.PracticeID); err != nil {
		return err
	}
	if !ok {
		return errkind.ErrNotFound
	}
	return nil
}

// Stop turns reminders off from a stop link, signed out; the change is
// audited as the client's own.
func (r *Reminders) Stop(ctx context.Context, token string) (bool, error) {
	user, ok, err := StopReminders(ctx, r.db, token)
	if err != nil || !ok {
		return false, err
	}
	var practice int64
	if err := r.db.GetContext(ctx, &practice, `SELECT practice_id FROM users WHERE id = $1`, user); err != nil {
		return true, err
	}
	return true, audit.Record(ctx, r.db, audit.Entry{Action: audit.RemindersOff, PracticeID: practice, ActorID: user, TargetType: "user", TargetID: user,
		Detail: map[string]any{"by": "stop link"}})
}

// Attention is what the therapist's dashboard shows about reaching
// clients: who has missed several pieces of homework in a row (as many as
// the practice set, or more), and emails to their clients that could not
// be sent.
type Attention struct {
	MissedInARow int // the practice's threshold
	Missed       []MissedRun
	Failed       []FailedEmail
}

// MissedRun is one client's latest run of homework not sent by its due
// time.
type MissedRun struct {
	ClientID int64  `db:"client_id"`
	Name     string `db:"display_name"`
	Count    int    `db:"missed"`
}

// FailedEmail is an email to a client that was given up on.
type FailedEmail struct {
	ClientID int64     `db:"user_id"`
	Name     string    `db:"display_name"`
	Kind     Kind      `db:"kind"`
	At       time.Time `db:"created_at"`
}

// What it says, for the dashboard.
func (f FailedEmail) What() string {
	switch f.Kind {
	case KindReminder:
		return "a reminder"
	case KindReset:
		return "a sign-in link"
	}
	return "an invitation"
}

// FailedFor is how long a failed email stays on the dashboard.
const FailedFor = 14 * 24 * time.Hour

// Attention loads the therapist's reach items in one statement: each
// caseload client's last (up to 20) pieces of homework due by now, and
// their failed emails of the last FailedFor.
func (r *Reminders) Attention(ctx context.Context, actor policy.Actor, now time.Time) (Attention, error) {
	if !policy.Allowed(actor, policy.OfferReminders) {
		return Attention{}, errkind.ErrForbidden
	}
	var rows []struct {
		Row      string       `db:"row"`
		ClientID int64        `db:"client_id"`
		Name     string       `db:"display_name"`
		N        int          `db:"n"`
		Kind     string       `db:"kind"`
		At       sql.NullTime `db:"at"`
	}
	err := r.db.SelectContext(ctx, &rows, `
		WITH caseload AS (
			SELECT u.id, u.display_name, p.missed_in_a_row AS threshold
			FROM users u JOIN practices p ON p.id = u.practice_id
			WHERE u.therapist_id = $1 AND u.role = 'client' AND u.practice_id = $2 AND u.status <> 'invited'
		), runs AS (
			SELECT c.id, c.display_name, c.threshold,
			       coalesce((SELECT min(rn) - 1 FROM (
			           SELECT a.status, row_number() OVER (ORDER BY a.due_at DESC) AS rn
			           FROM (SELECT status, due_at FROM assignments
			                 WHERE client_id = c.id AND status <> 'cancelled' AND due_at < $3
			                 ORDER BY due_at DESC LIMIT 20) a) last
			         WHERE last.status <> 'open'),
			         (SELECT count(*) FROM (SELECT 1 FROM assignments
			                 WHERE client_id = c.id AND status <> 'cancelled' AND due_at < $3 LIMIT 20) x)) AS missed
			FROM caseload c
		)
		SELECT 'threshold' AS row, 0 AS client_id, '' AS display_name, coalesce((SELECT missed_in_a_row FROM practices WHERE id = $2), 3) AS n, '' AS kind, NULL::timestamptz AS at
		UNION ALL
		SELECT 'missed', id, display_name, missed, '', NULL FROM runs WHERE missed >= threshold
		UNION ALL
		SELECT 'failed', o.user_id, c.display_name, 0, o.kind, o.created_at
		FROM email_outbox o JOIN caseload c ON c.id = o.user_id
		WHERE o.status = 'failed' AND o.created_at > $3::timestamptz - $4::interval
		ORDER BY row, n DESC, at DESC, display_name`,
		actor.UserID, actor.PracticeID, now, interval(FailedFor))
	if err != nil {
		return Attention{}, fmt.Errorf("dashboard reach: %w", err)
	}
	var out Attention
	for _, row := range rows {
		switch row.Row {
		case "threshold":
			out.MissedInARow = row.N
		case "missed":
			out.Missed = append(out.Missed, MissedRun{ClientID: row.ClientID, Name: row.Name, Count: row.N})
		case "failed":
			out.Failed = append(out.Failed, FailedEmail{ClientID: row.ClientID, Name: row.Name, Kind: Kind(row.Kind), At: row.At.Time})
		}
	}
	return out, nil
}

// FailedStaffEmails lists, for an admin, the emails to the practice's
// staff given up on in the last FailedFor: new sign-in links the admin
// made that never arrived. (A failed invitation shows on the invitation.)
func (r *Reminders) FailedStaffEmails(ctx context.Context, actor policy.Actor, now time.Time) ([]FailedEmail, error) {
	if !policy.Allowed(actor, policy.ManageStaff) {
		return nil, errkind.ErrForbidden
	}
	var out []FailedEmail
	err := r.db.SelectContext(ctx, &out, `
		SELECT o.user_id, u.display_name, o.kind, o.created_at
		FROM email_outbox o JOIN users u ON u.id = o.user_id
		WHERE o.practice_id = $1 AND o.status = 'failed' AND o.created_at > $2::timestamptz - $3::interval
		  AND u.practice_id = $1 AND u.role <> 'client' AND u.status <> 'invited'
		ORDER BY o.created_at DESC`,
		actor.PracticeID, now, interval(FailedFor))
	if err != nil {
		return nil, fmt.Errorf("failed staff emails: %w", err)
	}
	return out, nil
}
