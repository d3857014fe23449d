package server_test

import (
	"context"
	"testing"
	"time"

	"github.com/trellis-app/trellis/internal/testkit"
)

// An occurrence assigned while its client is being moved to another
// therapist ends up with the new therapist, so it shows in their inbox and
// dashboard: the copy of the therapist on assignments waits for the move
// (migration 00010) instead of reading the old therapist and keeping it.
func TestWorkAssignedDuringATransferFollowsTheClient(t *testing.T) {
	a := testkit.NewApp(t)
	w := seedMatrix(t, a, true)
	ctx := context.Background()

	move, err := a.DB.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = move.Rollback() }()
	if _, err := move.ExecContext(ctx, `UPDATE users SET therapist_id = $2 WHERE id = $1`, w.Client.ID, w.Therapist2.ID); err != nil {
		t.Fatal(err)
	}

	inserted := make(chan error, 1)
	var id int64
	go func() {
		inserted <- a.DB.GetContext(ctx, &id, `
			INSERT INTO assignments (series_id, client_id, exercise_id, exercise_version, due_on, due_at)
			SELECT id, client_id, exercise_id, exercise_version, current_date + 60, now() + interval '60 days'
			FROM assignment_series WHERE id = $1 RETURNING id`, w.Series)
	}()
	// The insert must wait for the move: poll until PostgreSQL shows it
	// waiting on a lock, or it finishes (which, before the move commits,
	// means it read the old therapist).
	waiting := false
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && !waiting; {
		select {
		case err := <-inserted:
			inserted <- err
			deadline = time.Now()
			continue
		default:
		}
		if err := a.DB.GetContext(ctx, &waiting, `SELECT EXISTS (SELECT 1 FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%INSERT INTO assignments%')`); err != nil {
			t.Fatal(err)
		}
		if !waiting {
			time.Sleep(10 * time.Millisecond)
		}
	}
	if !waiting {
		t.Error("the new occurrence did not wait for the transfer in progress")
	}
	if err := move.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-inserted; err != nil {
		t.Fatalf("insert: %v", err)
	}
	var therapist int64
	if err := a.DB.Get(&therapist, `SELECT therapist_id FROM assignments WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	if therapist != w.Therapist2.ID {
		t.Errorf("the occurrence assigned during the transfer belongs to therapist %d, want the new therapist %d", therapist, w.Therapist2.ID)
	}
	if n := countOf(t, a, `SELECT count(*) FROM assignments a JOIN users c ON c.id = a.client_id
		WHERE a.therapist_id IS DISTINCT FROM c.therapist_id`); n != 0 {
		t.Errorf("%d assignments carry a therapist other than their client's", n)
	}
}
