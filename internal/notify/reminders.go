package notify

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/riverqueue/river"

	"github.com/trellis-app/trellis/internal/auth"
	"github.com/trellis-app/trellis/internal/mail"
)

// Reminders: a client who turned them on gets at most one email a day, at
// the local time they chose, when homework they have not sent is due today
// or tomorrow. It says how many pieces, never which.

// scheduleArgs is the periodic job that queues the day's reminders.
type scheduleArgs struct{}

func (scheduleArgs) Kind() string { return "reminder.schedule" }

// ScheduleEvery is how often reminders due are looked for: a digest set
// for 18:00 leaves by 18:01.
const ScheduleEvery = time.Minute

// ReminderWindow is how long after the chosen time a reminder may still
// be queued (the schedule did not run: every instance was down). Past it,
// that day's reminder is skipped rather than sent at a time nobody chose;
// homework assigned in the evening waits for the next day's.
const ReminderWindow = time.Hour

// Scheduler is the periodic job's worker. River runs periodic jobs on the
// one instance that is its leader; the outbox's dedupe key (one reminder
// per client per local day) holds even if two ever ran at once.
type Scheduler struct {
	river.WorkerDefaults[scheduleArgs]
	DB    *sqlx.DB
	Queue func() *river.Client[*sql.Tx]
	Now   func() time.Time
}

// Work queues the reminders due now.
func (s *Scheduler) Work(ctx context.Context, _ *river.Job[scheduleArgs]) error {
	_, err := ScheduleReminders(ctx, s.DB, s.Queue(), s.Now())
	return err
}

// ScheduleReminders queues, in one transaction, today's reminder for every
// client whose chosen time came in the last ReminderWindow in their time
// zone (their own, else the practice's) and who has homework open that is
// due today or tomorrow, unless they already have today's. Due dates are
// the practice's calendar days, so "today" is the practice's. Local times
// are PostgreSQL's: on the nights the clocks change, a chosen time that
// falls in the skipped hour leaves when the clock jumps past it, and one
// in the doubled hour leaves once. It returns how many were queued.
func ScheduleReminders(ctx context.Context, db *sqlx.DB, q *river.Client[*sql.Tx], now time.Time) (int, error) {
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer func() { _ = tx.Rollback() }()
	var ids []int64
	err = tx.SelectContext(ctx, &ids, `
		WITH local AS (
			SELECT r.user_id, u.practice_id, r.send_at,
			       ($1::timestamptz AT TIME ZONE coalesce(r.time_zone, p.time_zone)) AS local_now,
			       ($1::timestamptz AT TIME ZONE p.time_zone)::date AS practice_day
			FROM reminder_settings r
			JOIN users u ON u.id = r.user_id AND u.role = 'client' AND u.status = 'active' AND u.therapist_id IS NOT NULL
			JOIN practices p ON p.id = u.practice_id
			WHERE r.enabled
		), ready AS (
			SELECT l.user_id, l.practice_id, l.local_now::date AS day, l.practice_day,
			       (SELECT count(*) FROM assignments a
			        WHERE a.client_id = l.user_id AND a.status = 'open'
			          AND a.due_on BETWEEN l.practice_day AND l.practice_day + 1) AS items
			FROM local l
			WHERE l.local_now >= l.local_now::date + l.send_at
			  AND l.local_now < l.local_now::date + l.send_at + $2::interval
		)
		INSERT INTO email_outbox (practice_id, user_id, kind, dedupe_key, items, about_day)
		SELECT practice_id, user_id, 'reminder', 'reminder:' || user_id || ':' || day, items, practice_day
		FROM ready WHERE items > 0
		ON CONFLICT (dedupe_key) DO NOTHING
		RETURNING id`, now, interval(ReminderWindow))
	if err != nil {
		return 0, fmt.Errorf("schedule reminders: %w", err)
	}
	if len(ids) > 0 {
		jobs := make([]river.InsertManyParams, len(ids))
		for i, id := range ids {
			jobs[i] = river.InsertManyParams{Args: sendArgs{OutboxID: id}}
		}
		if _, err := q.InsertManyFastTx(ctx, tx.Tx, jobs); err != nil {
			return 0, fmt.Errorf("queue reminders: %w", err)
		}
	}
	return len(ids), tx.Commit()
}

// reminderMessage counts the day's homework again as it is sent: work sent
// since it was queued is not mentioned, and with none left nothing is
// sent (ok false). Each reminder carries its own stop link.
func (d *Deliverer) reminderMessage(ctx context.Context, tx *sqlx.Tx, userID int64, day time.Time) (mail.Message, bool, error) {
	// Still wanted, still that day, and still homework to do: reminders
	// turned off (a stop link), a client removed, or a retry that crossed
	// midnight send nothing.
	var today, tomorrow int
	err := tx.QueryRowxContext(ctx, `SELECT count(*) FILTER (WHERE a.due_on = $2::date), count(*) FILTER (WHERE a.due_on = $2::date + 1)
		FROM assignments a
		JOIN users u ON u.id = a.client_id AND u.therapist_id IS NOT NULL
		JOIN practices p ON p.id = u.practice_id
		JOIN reminder_settings r ON r.user_id = u.id AND r.enabled
		WHERE a.client_id = $1 AND a.status = 'open' AND a.due_on BETWEEN $2::date AND $2::date + 1
		  AND ($3::timestamptz AT TIME ZONE p.time_zone)::date = $2::date`,
		userID, day.Format(time.DateOnly), d.now()).Scan(&today, &tomorrow)
	if err != nil {
		return mail.Message{}, false, fmt.Errorf("reminder: count homework: %w", err)
	}
	if today+tomorrow == 0 {
		return mail.Message{}, false, nil
	}
	token, hash := auth.NewToken()
	if _, err := tx.ExecContext(ctx, `INSERT INTO reminder_stop_tokens (user_id, token_hash) VALUES ($1, $2)`, userID, hash); err != nil {
		return mail.Message{}, false, fmt.Errorf("reminder: stop link: %w", err)
	}
	stop := d.Base.JoinPath("stop", token)
	m := mail.Message{Headers: map[string]string{
		// One click in the mail client stops them (RFC 8058).
		"List-Unsubscribe":      "<" + stop.String() + ">",
		"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
	}}
	m.Subject, m.Text = reminderText(today, tomorrow, d.Base.JoinPath("signin"), stop)
	return m, true, nil
}

func reminderText(today, tomorrow int, signin, stop *url.URL) (subject, text string) {
	pieces := func(n int) string {
		if n == 1 {
			return "1 piece of homework"
		}
		return fmt.Sprintf("%d pieces of homework", n)
	}
	var line string
	switch {
	case tomorrow == 0:
		line = fmt.Sprintf("You have %s due today.", pieces(today))
	case today == 0:
		line = fmt.Sprintf("You have %s due tomorrow.", pieces(tomorrow))
	default:
		line = fmt.Sprintf("You have %s due: %d today and %d tomorrow.", pieces(today+tomorrow), today, tomorrow)
	}
	return "A reminder from Trellis", fmt.Sprintf(`Hello,

%s Sign in to see it:

%s

You get this email because you turned on reminders. To stop them, open this link (no need to sign in):

%s

You can also change the time or turn them off in Trellis, under Reminders.
`, line, signin, stop) + signature
}

// StopReminders turns reminders off for the client whose stop link this
// is, without a sign-in. ok is false for a link that is not one.
func StopReminders(ctx context.Context, db *sqlx.DB, token string) (userID int64, ok bool, err error) {
	err = db.QueryRowxContext(ctx, `UPDATE reminder_settings r SET enabled = false, stopped_at = now()
		FROM reminder_stop_tokens t WHERE t.token_hash = $1 AND r.user_id = t.user_id
		RETURNING r.user_id`, auth.HashToken(token)).Scan(&userID)
	if err == sql.ErrNoRows {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("stop reminders: %w", err)
	}
	return userID, true, nil
}
