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
	if !policy.Can(actor, policy.SetReminders, policy.Resource{UserID: actor.UserID}) {
		return Settings{}, errkind.ErrForbidden
	}
	return r.load(ctx, actor.UserID)
}

// Save sets the client's own reminders. Turning them on records the
// consent's time; every change is audited (ids only).
func (r *Reminders) Save(ctx context.Context, actor policy.Actor, in Settings) error {
	if !policy.Can(actor, policy.SetReminders, policy.Resource{UserID: actor.UserID}) {
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
	if !policy.Can(actor, policy.OfferReminders, policy.Resource{PracticeID: actor.PracticeID}) {
		return errkind.ErrForbidden
	}
	var ok bool
	if err := r.db.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM users WHERE id = $1 AND role = 'client' AND therapist_id = $2 AND practice_id = $3)`,
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
