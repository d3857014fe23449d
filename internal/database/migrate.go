package database

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

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

// MigrationsHash identifies the embedded migrations, so test templates are
// rebuilt when a migration changes.
func MigrationsHash() (string, error) {
	return hashFS(migrations.FS)
}
