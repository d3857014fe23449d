package database

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strings"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/trellis-app/trellis/migrations"
)

// ErrSchemaNewer means the database was migrated by a newer Trellis than this
// binary; running would risk writing data the newer schema does not expect.
var ErrSchemaNewer = errors.New("database schema is newer than this Trellis binary")

// MigrationLockID is the PostgreSQL advisory lock key that serialises
// migrations, so instances starting together migrate once (FT6). The
// fault test holds it to watch instances wait for it.
const MigrationLockID int64 = 0x7472656c6c6973 // "trellis"

func provider(db *sql.DB, fsys fs.FS) (*goose.Provider, error) {
	// Poll for the lock every second for up to five minutes: instances that
	// lose the race start a second after the winner finishes.
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(MigrationLockID), lock.WithLockTimeout(1, 300))
	if err != nil {
		return nil, fmt.Errorf("migration lock: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, fsys,
		goose.WithSessionLocker(locker),
		goose.WithDisableGlobalRegistry(true),
	)
	if err != nil {
		return nil, fmt.Errorf("load migrations: %w", err)
	}
	return p, nil
}

// Migrate applies every pending migration under an advisory lock. It
// refuses to run against a schema newer than the migrations it knows.
func Migrate(ctx context.Context, db *sql.DB, log *slog.Logger) error {
	// The job queue's tables come first, so Trellis's own migrations can
	// grant the app role what it needs on them (00017).
	if err := migrateRiver(ctx, db, log); err != nil {
		return err
	}
	return migrateFS(ctx, db, migrations.FS, log)
}

func migrateFS(ctx context.Context, db *sql.DB, fsys fs.FS, log *slog.Logger) error {
	p, err := provider(db, fsys)
	if err != nil {
		return err
	}
	current, err := p.GetDBVersion(ctx)
	if err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	sources := p.ListSources()
	if n := len(sources); n > 0 && current > sources[n-1].Version {
		return fmt.Errorf("%w: database is at %d, this binary knows up to %d", ErrSchemaNewer, current, sources[n-1].Version)
	}
	results, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("apply migrations: %w", err)
	}
	for _, r := range results {
		log.Info("migration applied", "version", r.Source.Version, "file", r.Source.Path, "duration_ms", r.Duration.Milliseconds())
	}
	return nil
}

// riverLockID serialises River's migrations across instances starting
// together. It is MigrationLockID itself: whoever holds that lock holds
// back every migration, River's included (goose takes it again after).
const riverLockID = MigrationLockID

// migrateRiver applies the job queue's own schema (River's river_job,
// river_queue, river_leader …), as the River version in go.mod ships it.
// Each of River's versions runs in its own transaction (one adds an enum
// value the next uses, which PostgreSQL refuses in one transaction), so
// instances starting together are kept apart by a session advisory lock
// held on a connection of its own for the whole run.
func migrateRiver(ctx context.Context, db *sql.DB, log *slog.Logger) error {
	// River's own log lines would repeat ours below; it speaks up only
	// for warnings.
	m, err := rivermigrate.New(riverdatabasesql.New(db), &rivermigrate.Config{Logger: slog.New(warnOnly{log.Handler()})})
	if err != nil {
		return fmt.Errorf("job queue migrations: %w", err)
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	// As goose's locker does: try every second for up to five minutes.
	for tries := 0; ; tries++ {
		var got bool
		if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1)`, riverLockID).Scan(&got); err != nil {
			return fmt.Errorf("job queue migration lock: %w", err)
		}
		if got {
			break
		}
		if tries == 300 {
			return errors.New("job queue migration lock: still held elsewhere after five minutes")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
	defer func() {
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, riverLockID)
	}()
	res, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return fmt.Errorf("apply job queue migrations: %w", err)
	}
	for _, v := range res.Versions {
		log.Info("job queue migration applied", "version", v.Version, "name", v.Name, "duration_ms", v.Duration.Milliseconds())
	}
	return nil
}

// riverVersions names the job queue migrations this binary ships, for
// MigrationsHash.
func riverVersions() (string, error) {
	m, err := rivermigrate.New(riverdatabasesql.New(nil), &rivermigrate.Config{})
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, v := range m.AllVersions() {
		fmt.Fprintf(&b, "river %d %s\n%s\n", v.Version, v.Name, v.SQLUp)
	}
	return b.String(), nil
}

// MigrationsHash identifies the embedded migrations, so test templates are
// rebuilt when a migration changes.
func MigrationsHash() (string, error) {
	own, err := hashFS(migrations.FS)
	if err != nil {
		return "", err
	}
	river, err := riverVersions()
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(own + "\n" + river))
	return hex.EncodeToString(sum[:]), nil
}

// warnOnly passes on a handler's warnings and errors only.
type warnOnly struct{ slog.Handler }

func (w warnOnly) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn && w.Handler.Enabled(ctx, l)
}

func (w warnOnly) WithAttrs(a []slog.Attr) slog.Handler { return warnOnly{w.Handler.WithAttrs(a)} }
func (w warnOnly) WithGroup(g string) slog.Handler      { return warnOnly{w.Handler.WithGroup(g)} }
