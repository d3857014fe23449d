package testkit

import (
	"testing"

	"github.com/trellis-app/trellis/internal/account"
)

// SeedCaseload gives therapist n more clients, each with a year of weekly
// check-ins: weeks occurrences due one week apart ending last week, all but
// the last two submitted (with tracked values for the six check-in scales),
// one overdue, one waiting for review, and one open next week. It works in
// a few statements, whatever n, so benchmarks can build large caseloads.
func (a *App) SeedCaseload(t testing.TB, therapist account.User, n, weeks int) {
	t.Helper()
	stmts := []string{
		`CREATE TEMP TABLE seed_clients AS
		 WITH ins AS (
			INSERT INTO users (practice_id, role, status, email, display_name, password_hash, therapist_id)
			SELECT $1, 'client', 'active', 'seed' || $2::bigint || '-' || g || '@test.example', 'Seed Client ' || lpad(g::text, 4, '0'), $3, $2::bigint
			FROM generate_series(1, $4) g RETURNING id)
		 SELECT id FROM ins`,
		`CREATE TEMP TABLE seed_series AS
		 WITH ins AS (
			INSERT INTO assignment_series (practice_id, client_id, assigned_by, exercise_id, exercise_version, recurrence, first_due, occurrence_count)
			SELECT $1, c.id, $2, e.id, e.latest_version, 'weekly', current_date - 7 * $3, $3 + 1
			FROM seed_clients c, exercises e WHERE e.builtin_key = 'weekly-trust-check-in' RETURNING id, client_id, exercise_id, exercise_version)
		 SELECT * FROM ins`,
		`INSERT INTO assignments (series_id, client_id, exercise_id, exercise_version, due_on, due_at, status, submitted_at)
		 SELECT s.id, s.client_id, s.exercise_id, s.exercise_version, current_date - 7 * w, (current_date - 7 * w) + time '23:59:59',
		        CASE WHEN w = 0 THEN 'open' WHEN w = 1 THEN 'open' WHEN w = 2 THEN 'submitted' ELSE 'reviewed' END,
		        CASE WHEN w >= 2 THEN (current_date - 7 * w) + time '20:00' END
		 FROM seed_series s, generate_series(0, $1) w`,
		`UPDATE assignments SET due_on = due_on + 7, due_at = due_at + interval '7 days'
		 WHERE series_id IN (SELECT id FROM seed_series) AND due_on = current_date`,
		`INSERT INTO submissions (assignment_id, client_id, answers, submitted_at, form_token)
		 SELECT a.id, a.client_id, '{"overall": ["6"]}', a.submitted_at, gen_random_uuid() FROM assignments a
		 WHERE a.series_id IN (SELECT id FROM seed_series) AND a.submitted_at IS NOT NULL`,
		`INSERT INTO tracked_values (submission_id, client_id, exercise_id, field_key, value, recorded_at)
		 SELECT s.id, s.client_id, a.exercise_id, k, (s.id + length(k)) % 11, s.submitted_at
		 FROM submissions s JOIN assignments a ON a.id = s.assignment_id
		 CROSS JOIN unnest(ARRAY['open_communication','respect','consistency','empathy','forgiveness','overall']) k
		 WHERE a.series_id IN (SELECT id FROM seed_series)`,
		`DROP TABLE seed_clients`,
		`DROP TABLE seed_series`,
	}
	args := [][]any{
		{therapist.PracticeID, therapist.ID, a.passwordHash, n},
		{therapist.PracticeID, therapist.ID, weeks},
		{weeks},
		nil, nil, nil, nil, nil,
	}
	tx, err := a.DB.Beginx()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	for i, q := range stmts {
		if _, err := tx.Exec(q, args[i]...); err != nil {
			t.Fatalf("seed caseload (statement %d): %v", i+1, err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}
