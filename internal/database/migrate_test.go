package database_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/trellis-app/trellis/internal/database"
	"github.com/trellis-app/trellis/internal/testkit"
	"github.com/trellis-app/trellis/migrations"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// fileVersions are the migrations' numbers, in file order.
func fileVersions(t *testing.T) []int64 {
	t.Helper()
	entries, err := migrations.FS.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	var out []int64
	for _, e := range entries {
		if len(e.Name()) > 5 && e.Name()[5] == '_' {
			n, err := strconv.ParseInt(e.Name()[:5], 10, 64)
			if err != nil {
				t.Fatalf("migration %s: %v", e.Name(), err)
			}
			out = append(out, n)
		}
	}
	return out
}

func latestVersion(t *testing.T) int64 {
	t.Helper()
	entries, err := migrations.FS.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, e := range entries {
		if len(e.Name()) > 5 && e.Name()[5] == '_' {
			n++
		}
	}
	return n
}

func appliedVersions(t *testing.T, db *sqlx.DB) []int64 {
	t.Helper()
	var v []int64
	if err := db.Select(&v, `SELECT version_id FROM goose_db_version WHERE version_id > 0 ORDER BY id`); err != nil {
		t.Fatalf("read goose_db_version: %v", err)
	}
	return v
}

func TestMigrateFromEmptyAppliesEveryMigrationOnce(t *testing.T) {
	db := testkit.EmptyDB(t)
	ctx := context.Background()
	if err := database.Migrate(ctx, db.DB, quiet); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	// Running again is a no-op.
	if err := database.Migrate(ctx, db.DB, quiet); err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
	got := appliedVersions(t, db)
	if int64(len(got)) != latestVersion(t) {
		t.Fatalf("applied %v, want %d migrations each once", got, latestVersion(t))
	}
	// In the files' order. Numbers may skip: parallel branches are given
	// ranges of numbers (00020–00024, 00025–00029, …), not always filled.
	want := fileVersions(t)
	for i, v := range got {
		if v != want[i] {
			t.Fatalf("applied %v, want %v in order", got, want)
		}
	}
}

func TestConcurrentMigrationsRunOnce(t *testing.T) {
	url := testkit.EmptyDBURL(t)
	ctx := context.Background()
	const instances = 4
	var wg sync.WaitGroup
	errs := make([]error, instances)
	for i := range instances {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Each "instance" has its own pool, as separate processes would.
			db, err := database.Open(ctx, url, database.Options{MaxOpenConns: 2})
			if err != nil {
				errs[i] = err
				return
			}
			defer db.Close()
			errs[i] = database.Migrate(ctx, db.DB, quiet)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("instance %d: %v", i, err)
		}
	}
	db, err := database.Open(ctx, url, database.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got := appliedVersions(t, db); int64(len(got)) != latestVersion(t) {
		t.Fatalf("goose_db_version has %v: want each of %d migrations recorded once", got, latestVersion(t))
	}
}

func TestMigrateRefusesANewerSchema(t *testing.T) {
	db := testkit.DB(t)
	if _, err := db.Exec(`INSERT INTO goose_db_version (version_id, is_applied) VALUES (99999, true)`); err != nil {
		t.Fatal(err)
	}
	err := database.Migrate(context.Background(), db.DB, quiet)
	if !errors.Is(err, database.ErrSchemaNewer) {
		t.Fatalf("Migrate = %v, want ErrSchemaNewer", err)
	}
}

func TestWithTxCommitsOrRollsBack(t *testing.T) {
	db := testkit.DB(t)
	ctx := context.Background()
	if _, err := db.Exec(`CREATE TABLE t (n int)`); err != nil {
		t.Fatal(err)
	}
	if err := database.WithTx(ctx, db, func(tx *sqlx.Tx) error {
		_, err := tx.Exec(`INSERT INTO t VALUES (1)`)
		return err
	}); err != nil {
		t.Fatalf("WithTx: %v", err)
	}
	boom := errors.New("boom")
	err := database.WithTx(ctx, db, func(tx *sqlx.Tx) error {
		if _, err := tx.Exec(`INSERT INTO t VALUES (2)`); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("WithTx = %v, want the callback's error", err)
	}
	var got []int
	if err := db.Select(&got, `SELECT n FROM t ORDER BY n`); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0] != 1 {
		t.Fatalf("rows = %v, want only the committed 1", got)
	}
}
