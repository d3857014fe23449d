// Package demo fills the demo practice with homework, so that a newcomer's
// `make run` shows a living dashboard, inbox, portal and progress charts:
// eight weeks of weekly check-ins for the first therapist's clients, some
// reviewed with feedback, one waiting (marked to discuss), one overdue, an
// honest conversation plan due this week, a past and a planned session,
// and progress shared with the first client. It is only ever run by `trellis
// seed-demo`, on the demo practice, once.
package demo

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/trellis-app/trellis/internal/database"
)

// Homework adds the demo homework to the practice named practiceName if it
// has none yet. It reports whether it added anything.
func Homework(ctx context.Context, db *sqlx.DB, practiceName string) (bool, error) {
	var have bool
	if err := db.GetContext(ctx, &have, `SELECT EXISTS (SELECT 1 FROM assignment_series s JOIN practices p ON p.id = s.practice_id WHERE p.name = $1)`, practiceName); err != nil {
		return false, fmt.Errorf("look for demo homework: %w", err)
	}
	if have {
		return false, nil
	}
	stmts := []string{
		// Weekly check-ins, eight weeks back and two ahead, for each client
		// of the practice's first therapist.
		`CREATE TEMP TABLE demo_series ON COMMIT DROP AS
		 WITH t AS (SELECT u.id, u.practice_id FROM users u JOIN practices p ON p.id = u.practice_id
		            WHERE p.name = $1 AND u.role = 'therapist' ORDER BY u.id LIMIT 1),
		 ins AS (
			INSERT INTO assignment_series (practice_id, client_id, assigned_by, exercise_id, exercise_version, note, recurrence, first_due, occurrence_count)
			SELECT t.practice_id, c.id, t.id, e.id, e.latest_version,
			       'Each Sunday evening, take five minutes for this. There are no right answers.', 'weekly', current_date - 56, 11
			FROM t JOIN users c ON c.therapist_id = t.id AND c.role = 'client'
			CROSS JOIN exercises e WHERE e.builtin_key = 'weekly-trust-check-in'
			RETURNING id, client_id, exercise_id, exercise_version)
		 SELECT * FROM ins`,
		`INSERT INTO assignments (series_id, client_id, exercise_id, exercise_version, due_on, due_at, status, submitted_at, reviewed_at)
		 SELECT s.id, s.client_id, s.exercise_id, s.exercise_version, current_date + 7 * w, (current_date + 7 * w) + time '23:59:59',
		        CASE WHEN w >= 0 THEN 'open' WHEN w = -1 AND s.client_id % 2 = 0 THEN 'open' WHEN w = -1 THEN 'submitted' ELSE 'reviewed' END,
		        CASE WHEN w < -1 OR (w = -1 AND s.client_id % 2 = 1) THEN (current_date + 7 * w) + time '19:30' END,
		        CASE WHEN w < -1 THEN (current_date + 7 * w + 2) + time '09:00' END
		 FROM demo_series s, generate_series(-8, 2) w`,
		// What they sent: scores that drift upwards, with a few words.
		`CREATE TEMP TABLE demo_sent ON COMMIT DROP AS
		 SELECT a.id AS assignment_id, a.client_id, a.exercise_id, a.submitted_at,
		        (a.due_on - current_date) / 7 AS w
		 FROM assignments a JOIN demo_series s ON s.id = a.series_id WHERE a.submitted_at IS NOT NULL`,
		`INSERT INTO submissions (assignment_id, client_id, answers, submitted_at, form_token)
		 SELECT d.assignment_id, d.client_id,
		        jsonb_build_object(
		          'open_communication', jsonb_build_array(greatest(0, least(10, 4 + (8 + d.w) / 2 + d.client_id % 3))::text),
		          'respect', jsonb_build_array(greatest(0, least(10, 5 + (8 + d.w) / 3))::text),
		          'consistency', jsonb_build_array(greatest(0, least(10, 3 + (8 + d.w) / 2))::text),
		          'empathy', jsonb_build_array(greatest(0, least(10, 5 + (8 + d.w) / 3 + d.client_id % 2))::text),
		          'forgiveness', jsonb_build_array(greatest(0, least(10, 2 + (8 + d.w) / 2))::text),
		          'overall', jsonb_build_array(greatest(0, least(10, 3 + (8 + d.w) / 2 + d.client_id % 2))::text),
		          'note', jsonb_build_array(CASE (d.w + 8) % 3
		            WHEN 0 THEN 'We had a calmer week. I told them when plans changing worried me, and they listened.'
		            WHEN 1 THEN 'A hard conversation on Tuesday. I stayed with it instead of going quiet, which felt new.'
		            ELSE 'Small things helped: texts when running late, and keeping a promise about the weekend.' END)),
		        d.submitted_at, gen_random_uuid()
		 FROM demo_sent d`,
		`INSERT INTO tracked_values (submission_id, client_id, exercise_id, field_key, value, recorded_at)
		 SELECT sub.id, sub.client_id, d.exercise_id, k.key, (k.value->>0)::int, sub.submitted_at
		 FROM submissions sub JOIN demo_sent d ON d.assignment_id = sub.assignment_id
		 CROSS JOIN LATERAL jsonb_each(sub.answers) k
		 WHERE k.key <> 'note'`,
		// Feedback on the reviewed ones, seen by the client.
		`INSERT INTO feedback (assignment_id, author_id, body, created_at, updated_at, seen_at)
		 SELECT d.assignment_id, s.assigned_by,
		        'Thank you for this. I noticed you named what you needed instead of waiting to be asked. Let''s talk about what made that possible.',
		        d.submitted_at + interval '2 days', d.submitted_at + interval '2 days', d.submitted_at + interval '3 days'
		 FROM demo_sent d JOIN assignments a ON a.id = d.assignment_id JOIN assignment_series s ON s.id = a.series_id
		 WHERE d.w IN (-3, -5)`,
		// An honest-conversation plan due this week, for each of them.
		`WITH ins AS (
			INSERT INTO assignment_series (practice_id, client_id, assigned_by, exercise_id, exercise_version, note, recurrence, first_due, occurrence_count)
			SELECT u.practice_id, s.client_id, (SELECT assigned_by FROM demo_series ds JOIN assignment_series x ON x.id = ds.id LIMIT 1),
			       e.id, e.latest_version, 'Plan it first; we can go through it together next time.', 'once', current_date + 3, 1
			FROM demo_series s JOIN users u ON u.id = s.client_id CROSS JOIN exercises e WHERE e.builtin_key = 'honest-conversation'
			RETURNING id, client_id, exercise_id, exercise_version)
		 INSERT INTO assignments (series_id, client_id, exercise_id, exercise_version, due_on, due_at)
		 SELECT id, client_id, exercise_id, exercise_version, current_date + 3, (current_date + 3) + time '23:59:59' FROM ins`,
		// A session a fortnight ago and the next one planned, so the
		// session report has a "since"; last week's check-in marked to
		// discuss where it was sent.
		`INSERT INTO clinical_sessions (client_id, therapist_id, held_on)
		 SELECT s.client_id, x.assigned_by, current_date + d
		 FROM demo_series s JOIN assignment_series x ON x.id = s.id, (VALUES (-14), (4)) v(d)`,
		`UPDATE assignments a SET discuss = true FROM demo_series s
		 WHERE a.series_id = s.id AND a.status = 'submitted'`,
		// The first client sees their own progress.
		`UPDATE users SET progress_shared = true WHERE id = (SELECT min(client_id) FROM demo_series)`,
	}
	err := database.WithTx(ctx, db, func(tx *sqlx.Tx) error {
		for i, q := range stmts {
			args := []any{}
			if i == 0 {
				args = append(args, practiceName)
			}
			if _, err := tx.ExecContext(ctx, q, args...); err != nil {
				return fmt.Errorf("demo homework (step %d): %w", i+1, err)
			}
		}
		return nil
	})
	return err == nil, err
}
