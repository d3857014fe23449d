package database

import (
	"context"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/trellis-app/trellis/migrations"
)

// KnownVersions lists the versions of the migrations embedded in this
// binary, oldest first, read from their file names as goose reads them
// (00007_review.sql is version 7).
func KnownVersions() ([]int64, error) {
	names, err := fs.Glob(migrations.FS, "*.sql")
	if err != nil {
		return nil, err
	}
	out := make([]int64, 0, len(names))
	for _, n := range names {
		prefix, _, ok := strings.Cut(n, "_")
		v, err := strconv.ParseInt(prefix, 10, 64)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must start with a version number and an underscore", n)
		}
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out, nil
}

// AppliedVersion reports the newest migration recorded in db, 0 when it
// has never been migrated. Unlike goose it only reads: it creates no
// version table and takes no lock.
func AppliedVersion(ctx context.Context, db *sqlx.DB) (int64, error) {
	var exists bool
	if err := db.GetContext(ctx, &exists, `SELECT to_regclass('goose_db_version') IS NOT NULL`); err != nil {
		return 0, fmt.Errorf("look for the migration table: %w", err)
	}
	if !exists {
		return 0, nil
	}
	var v int64
	if err := db.GetContext(ctx, &v, `SELECT coalesce(max(version_id), 0) FROM goose_db_version WHERE is_applied`); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return v, nil
}

// CountRelations counts the tables, sequences and views in db outside
// PostgreSQL's own schemas and outside extensions: zero means a database
// nothing has been created in yet.
func CountRelations(ctx context.Context, db *sqlx.DB) (int, error) {
	var n int
	err := db.GetContext(ctx, &n, `
		SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind IN ('r', 'p', 'S', 'v', 'm', 'f')
		  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
		  AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp\_%'
		  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
		                  AND d.objid = c.oid AND d.deptype = 'e')`)
	if err != nil {
		return 0, fmt.Errorf("count relations: %w", err)
	}
	return n, nil
}

// ServerMajor reports the major version of the PostgreSQL server db is
// connected to (15 for 15.8).
func ServerMajor(ctx context.Context, db *sqlx.DB) (int, error) {
	var num int
	if err := db.GetContext(ctx, &num, `SELECT current_setting('server_version_num')::int`); err != nil {
		return 0, fmt.Errorf("read server version: %w", err)
	}
	return num / 10000, nil
}
