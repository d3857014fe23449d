// Package testkit gives tests a real PostgreSQL database, a running Trellis
// and a headless browser. Every database test gets its own database, cloned
// from a template built by the real migrations, so it takes milliseconds.
//
// Tests never skip for want of PostgreSQL: `make test` starts a private
// cluster and sets TEST_DATABASE_URL; without it, tests fail and say so.
package testkit

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/peterldowns/pgtestdb"

	"github.com/trellis-app/trellis/internal/config"
	"github.com/trellis-app/trellis/internal/database"
)

// EnvDatabaseURL names the variable that points tests at a PostgreSQL server
// whose role may create databases and roles.
const EnvDatabaseURL = "TEST_DATABASE_URL"

// BaseURL returns TEST_DATABASE_URL or fails the test loudly.
func BaseURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(EnvDatabaseURL)
	if u == "" {
		t.Fatalf("%s is not set. Run the tests with `make test`, which starts a private PostgreSQL under .data/ "+
			"and sets it; or point %s at a PostgreSQL superuser URL.", EnvDatabaseURL, EnvDatabaseURL)
	}
	return u
}

func pgConfig(t testing.TB) pgtestdb.Config {
	t.Helper()
	u, err := url.Parse(BaseURL(t))
	if err != nil {
		t.Fatalf("%s: %v", EnvDatabaseURL, err)
	}
	// The migrations grant to the app role; it must exist in the cluster
	// before the template is migrated (pgtestdb's owner may not create it).
	ensureAppRole(t)
	pw, _ := u.User.Password()
	return pgtestdb.Config{
		DriverName:                "postgres",
		Host:                      u.Hostname(),
		Port:                      u.Port(),
		User:                      u.User.Username(),
		Password:                  pw,
		Database:                  strings.TrimPrefix(u.Path, "/"),
		Options:                   u.RawQuery,
		ForceTerminateConnections: true,
	}
}

// AppRolePassword is the test cluster's password for database.AppRole,
// published like pgtestdb's own: test clusters hold no real data.
const AppRolePassword = "trellis-app-test"

var (
	appRoleOnce sync.Once
	appRoleErr  error
)

// ensureAppRole creates database.AppRole as a login role in the test
// cluster, once per test binary. Test binaries run in parallel against one
// cluster, so it happens under an advisory lock held to commit: the second
// binary finds the role made and only sets the same password again.
func ensureAppRole(t testing.TB) {
	t.Helper()
	appRoleOnce.Do(func() {
		db, err := sql.Open("postgres", BaseURL(t))
		if err != nil {
			appRoleErr = err
			return
		}
		defer db.Close()
		appRoleErr = database.WithTx(context.Background(), sqlx.NewDb(db, "postgres"), func(tx *sqlx.Tx) error {
			if _, err := tx.Exec(`SELECT pg_advisory_xact_lock(hashtext('trellis test app role'))`); err != nil {
				return err
			}
			_, err := tx.Exec(`DO $$ BEGIN
				IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '` + database.AppRole + `') THEN
					CREATE ROLE ` + database.AppRole + `;
				END IF;
				ALTER ROLE ` + database.AppRole + ` LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '` + AppRolePassword + `';
			END $$`)
			return err
		})
	})
	if appRoleErr != nil {
		t.Fatalf("create the app role %s in the test cluster (%s must be a superuser URL): %v", database.AppRole, EnvDatabaseURL, appRoleErr)
	}
}

// AppRoleURL is databaseURL with the app role's credentials in place of its
// own: the same database, with the privileges `trellis serve` has.
func AppRoleURL(t testing.TB, databaseURL string) string {
	t.Helper()
	ensureAppRole(t)
	u, err := url.Parse(databaseURL)
	if err != nil {
		t.Fatalf("database URL: %v", err)
	}
	u.User = url.UserPassword(database.AppRole, AppRolePassword)
	return u.String()
}

// migrator builds template databases with Trellis's real migrations.
type migrator struct{}

func (migrator) Hash() (string, error) { return database.MigrationsHash() }

func (migrator) Migrate(ctx context.Context, db *sql.DB, _ pgtestdb.Config) error {
	return database.Migrate(ctx, db, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

// DB returns a fresh, fully migrated database for this test, dropped when
// the test passes (kept for inspection when it fails).
func DB(t testing.TB) *sqlx.DB {
	t.Helper()
	db, _ := CountingDB(t)
	return db
}

// CountingDB is DB with a counter of the statements its pool sends.
func CountingDB(t testing.TB) (*sqlx.DB, *QueryCounter) {
	t.Helper()
	return countingPool(t, MigratedDBURL(t))
}

// MigratedDBURL returns the URL of a fresh, fully migrated database, as
// its owner (the role the migrations ran as), for tests that open their
// own connections.
func MigratedDBURL(t testing.TB) string {
	t.Helper()
	return pgtestdb.Custom(t, pgConfig(t), migrator{}).URL()
}

// countingPool opens a pool on databaseURL that counts its statements.
func countingPool(t testing.TB, databaseURL string) (*sqlx.DB, *QueryCounter) {
	t.Helper()
	connector, err := pq.NewConnector(databaseURL)
	if err != nil {
		t.Fatalf("connector: %v", err)
	}
	counter := &QueryCounter{}
	db := sql.OpenDB(countingConnector{Connector: connector, counter: counter})
	t.Cleanup(func() { _ = db.Close() })
	return sqlx.NewDb(db, "postgres"), counter
}

// EmptyDB returns a fresh database with no migrations applied.
func EmptyDB(t testing.TB) *sqlx.DB {
	t.Helper()
	return sqlx.NewDb(pgtestdb.New(t, pgConfig(t), pgtestdb.NoopMigrator{}), "postgres")
}

// EmptyDBURL returns the URL of a fresh database with no migrations
// applied, for tests that open their own connections.
func EmptyDBURL(t testing.TB) string {
	t.Helper()
	return pgtestdb.Custom(t, pgConfig(t), pgtestdb.NoopMigrator{}).URL()
}

// Config is a valid development configuration pointing at databaseURL.
func Config(t testing.TB, databaseURL string) config.Config {
	t.Helper()
	cfg, err := config.Load(func(k string) string {
		if k == config.VarDatabaseURL {
			return databaseURL
		}
		return ""
	})
	if err != nil {
		t.Fatalf("test config: %v", err)
	}
	return cfg
}

// Logger returns a logger that writes to the test's log, so a failing test
// shows what the server said.
func Logger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// OwnerAndAppDB returns a fresh, fully migrated database twice: as its
// owner, for fixtures, and as the app role, with exactly the privileges
// `trellis serve` and `trellis worker` have, for the code under test.
func OwnerAndAppDB(t testing.TB) (owner, app *sqlx.DB) {
	t.Helper()
	u := MigratedDBURL(t)
	owner, _ = countingPool(t, u)
	app, _ = countingPool(t, AppRoleURL(t, u))
	return owner, app
}
