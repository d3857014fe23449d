package database_test

import (
	"context"
	"sync"
	"testing"

	"github.com/trellis-app/trellis/internal/database"
	"github.com/trellis-app/trellis/internal/testkit"
)

// A statement is prepared once, however many goroutines ask for it at
// once, and each use counts as one statement run.
func TestStatementsPrepareOnceAndRunEachTime(t *testing.T) {
	db, counter := testkit.CountingDB(t)
	st := database.NewStatements(db)
	ctx := context.Background()
	const q = `SELECT $1::int + 1`
	first, err := st.Stmt(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	before := counter.Count()
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 20 {
		wg.Go(func() {
			var n int
			if err := st.Get(ctx, &n, q, i); err != nil {
				errs <- err
				return
			}
			if n != i+1 {
				t.Errorf("got %d for %d", n, i)
			}
			if again, _ := st.Stmt(ctx, q); again != first {
				t.Error("the statement was prepared again")
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if got := counter.Count() - before; got != 20 {
		t.Errorf("%d statements counted for 20 runs", got)
	}
}

// BenchmarkPrimaryKeyLookup compares, in one run, the session read every
// request makes sent unprepared (lib/pq: parse and plan each time, two
// round trips) and prepared (database.Statements: one round trip).
func BenchmarkPrimaryKeyLookup(b *testing.B) {
	db := testkit.DB(b)
	if _, err := db.Exec(`INSERT INTO sessions (token, data, expiry) VALUES ('k', '\x00', now() + interval '1 hour')`); err != nil {
		b.Fatal(err)
	}
	const q = `SELECT data FROM sessions WHERE token = $1 AND expiry > now() AND NOT revoked`
	ctx := context.Background()
	st := database.NewStatements(db)
	b.Run("unprepared", func(b *testing.B) {
		for b.Loop() {
			var data []byte
			if err := db.GetContext(ctx, &data, q, "k"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("prepared", func(b *testing.B) {
		for b.Loop() {
			var data []byte
			if err := st.Get(ctx, &data, q, "k"); err != nil {
				b.Fatal(err)
			}
		}
	})
}
