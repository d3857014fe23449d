package database_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/trellis-app/trellis/internal/database"
	"github.com/trellis-app/trellis/internal/pgcluster"
	"github.com/trellis-app/trellis/internal/testkit"
	"github.com/trellis-app/trellis/migrations"
)

func open(t *testing.T, url string) *sqlx.DB {
	t.Helper()
	db, err := database.Open(context.Background(), url, database.Options{MaxOpenConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// The app's role (R24): whatever a bug or an injected statement makes
// the app send, it cannot change, remove or stop recording the audit log,
// nor change the schema. Each refusal is PostgreSQL's privilege error
// (42501), with its own message, not merely some failure.
func TestAppRoleCannotAlterDisableOrDeleteTheAuditLog(t *testing.T) {
	ownerURL := testkit.MigratedDBURL(t)
	owner := open(t, ownerURL)
	app := open(t, testkit.AppRoleURL(t, ownerURL))
	ctx := context.Background()

	var role string
	if err := app.GetContext(ctx, &role, `SELECT current_user`); err != nil {
		t.Fatal(err)
	}
	if role != database.AppRole {
		t.Fatalf("connected as %q, want %q", role, database.AppRole)
	}
	// What the app does: append a row and read the log.
	var id int64
	if err := app.GetContext(ctx, &id, `INSERT INTO audit_log (action, target_type, target_id) VALUES ('test.appended', 'test', 1) RETURNING id`); err != nil {
		t.Fatalf("the app role cannot append to the audit log: %v", err)
	}
	var n int
	if err := app.GetContext(ctx, &n, `SELECT count(*) FROM audit_log WHERE id = $1`, id); err != nil || n != 1 {
		t.Fatalf("the app role reads back %d rows (err %v), want its 1", n, err)
	}

	refused := []struct {
		sql, message string
	}{
		{`ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update`, "must be owner of table audit_log"},
		{`ALTER TABLE audit_log DISABLE TRIGGER ALL`, "must be owner of table audit_log"},
		{`DROP TRIGGER audit_log_no_update ON audit_log`, "must be owner of relation audit_log"},
		{`CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN OLD; END $$`,
			"permission denied for schema public"},
		// Replica mode skips ordinary triggers: only a superuser may set it.
		{`SET session_replication_role = replica`, `permission denied to set parameter "session_replication_role"`},
		{`DELETE FROM audit_log`, "permission denied for table audit_log"},
		{`UPDATE audit_log SET action = 'test.rewritten'`, "permission denied for table audit_log"},
		{`TRUNCATE audit_log`, "permission denied for table audit_log"},
		{`ALTER TABLE audit_log OWNER TO trellis_app`, "must be owner of table audit_log"},
		{`DROP TABLE audit_log`, "must be owner of table audit_log"},
		{`ALTER TABLE users ADD COLUMN backdoor text`, "must be owner of table users"},
		{`CREATE TABLE stash (t text)`, "permission denied for schema public"},
		{`CREATE SCHEMA stash`, "permission denied for database"},
		{`DELETE FROM submissions`, "permission denied for table submissions"},
		{`TRUNCATE sessions`, "permission denied for table sessions"},
		{`UPDATE goose_db_version SET is_applied = false`, "permission denied for table goose_db_version"},
	}
	for _, r := range refused {
		_, err := app.ExecContext(ctx, r.sql)
		var pqErr *pq.Error
		if !errors.As(err, &pqErr) || pqErr.Code != "42501" || !strings.Contains(pqErr.Message, r.message) {
			t.Errorf("%s\n  as %s: err = %v, want 42501 %q", r.sql, database.AppRole, err, r.message)
		}
	}

	// Nothing changed: the row is there as written, and the triggers are on.
	var action string
	if err := owner.GetContext(ctx, &action, `SELECT action FROM audit_log WHERE id = $1`, id); err != nil || action != "test.appended" {
		t.Errorf("audit row %d = %q (err %v), want it unchanged", id, action, err)
	}
	var enabled int
	if err := owner.GetContext(ctx, &enabled, `SELECT count(*) FROM pg_trigger
		WHERE tgrelid = 'audit_log'::regclass AND NOT tgisinternal AND tgenabled = 'O'`); err != nil || enabled != 2 {
		t.Errorf("%d of the audit log's 2 triggers are enabled (err %v)", enabled, err)
	}
}

// Every table has a deliberate grant decision: a new table without a line
// in a migration (or with broader rights than this list) fails here, not in
// production. The app's statements are proved sufficient by the router
// tests, whose app connects as the app role (testkit.NewApp).
func TestAppRoleGrants(t *testing.T) {
	db := testkit.DB(t)
	want := map[string]string{
		"goose_db_version":       "SELECT",
		"practices":              "SELECT,UPDATE",
		"users":                  "INSERT,SELECT,UPDATE",
		"access_tokens":          "INSERT,SELECT,UPDATE",
		"sessions":               "DELETE,INSERT,SELECT,UPDATE",
		"rate_counters":          "DELETE,INSERT,SELECT,UPDATE",
		"audit_log":              "INSERT,SELECT",
		"exercises":              "INSERT,SELECT,UPDATE",
		"exercise_versions":      "INSERT,SELECT",
		"assignment_series":      "INSERT,SELECT,UPDATE",
		"assignments":            "INSERT,SELECT,UPDATE",
		"submissions":            "INSERT,SELECT",
		"tracked_values":         "INSERT,SELECT",
		"drafts":                 "DELETE,INSERT,SELECT,UPDATE",
		"pending_drafts":         "DELETE,INSERT,SELECT,UPDATE",
		"feedback":               "DELETE,INSERT,SELECT,UPDATE",
		"notes":                  "INSERT,SELECT",
		"flag_follow_ups":        "INSERT,SELECT",
		"clinical_sessions":      "DELETE,INSERT,SELECT",
		"client_transfers":       "INSERT,SELECT,UPDATE",
		"existing_email_invites": "INSERT,SELECT,UPDATE",
		"email_outbox":           "INSERT,SELECT,UPDATE",
		"river_job":              "DELETE,INSERT,SELECT,UPDATE",
		"river_job_id_seq":       "USAGE",
		"river_leader":           "DELETE,INSERT,SELECT,UPDATE",
		"river_queue":            "DELETE,INSERT,SELECT,UPDATE",
		"river_migration":        "SELECT",
		"river_notification":     "",
		"reminder_settings":      "INSERT,SELECT,UPDATE",
		"reminder_stop_tokens":   "INSERT,SELECT",
		"calendar_feeds":         "DELETE,INSERT,SELECT,UPDATE",
		"user_mfa":               "DELETE,INSERT,SELECT,UPDATE",
		"mfa_recovery_codes":     "DELETE,INSERT,SELECT,UPDATE",
		"account_notices":        "INSERT,SELECT,UPDATE",
	}
	var rows []struct {
		Name   string `db:"relname"`
		Grants string `db:"grants"`
	}
	if err := db.Select(&rows, `
		SELECT c.relname, coalesce(string_agg(a.privilege_type, ',' ORDER BY a.privilege_type), '') AS grants
		  FROM pg_class c
		  JOIN pg_namespace n ON n.oid = c.relnamespace
		  LEFT JOIN LATERAL aclexplode(c.relacl) a ON a.grantee = $1::regrole
		 WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
		 GROUP BY c.relname, c.relkind
		HAVING c.relkind <> 'S' OR count(a.privilege_type) > 0`, database.AppRole); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range rows {
		seen[r.Name] = true
		w, ok := want[r.Name]
		switch {
		case !ok:
			t.Errorf("%s: the app role has %q on it and this test does not know it: decide what the app may do to it, "+
				"GRANT exactly that to %s in the migration that makes it, and add it here", r.Name, r.Grants, database.AppRole)
		case r.Grants != w:
			t.Errorf("%s: the app role has %q, want %q", r.Name, r.Grants, w)
		}
	}
	for name := range want {
		if !seen[name] {
			t.Errorf("%s: no such table any more: take it out of this list", name)
		}
	}
}

func TestCheckAppRoleRefusesTheOwnerAndASuperuser(t *testing.T) {
	ctx := context.Background()
	ownerURL := testkit.MigratedDBURL(t)
	if err := database.CheckAppRole(ctx, open(t, testkit.AppRoleURL(t, ownerURL))); err != nil {
		t.Errorf("the app role: %v, want it accepted", err)
	}
	err := database.CheckAppRole(ctx, open(t, ownerURL))
	if !errors.Is(err, database.ErrPrivilegedRole) || !strings.Contains(err.Error(), "owns (or may become the owner of) access_tokens, account_notices, assignment_series, assignments, audit_log") ||
		!strings.Contains(err.Error(), "it may create objects in schema public") {
		t.Errorf("the tables' owner: %v, want refused as the owner", err)
	}

	// The superuser of TEST_DATABASE_URL, on the same database.
	super := strings.Replace(ownerURL, "pgtdbuser:pgtdbpass@", superUserInfo(t), 1)
	err = database.CheckAppRole(ctx, open(t, super))
	if !errors.Is(err, database.ErrPrivilegedRole) || !strings.Contains(err.Error(), "it is a superuser") {
		t.Errorf("a superuser: %v, want refused as a superuser", err)
	}
}

// superUserInfo is TEST_DATABASE_URL's user part, "name@" or "name:pw@".
func superUserInfo(t *testing.T) string {
	t.Helper()
	base := testkit.BaseURL(t)
	_, rest, _ := strings.Cut(base, "://")
	user, _, ok := strings.Cut(rest, "@")
	if !ok {
		t.Fatalf("%s has no user", testkit.EnvDatabaseURL)
	}
	return user + "@"
}

func TestCheckSchemaCurrent(t *testing.T) {
	ctx := context.Background()
	db := testkit.DB(t)
	if err := database.CheckSchemaCurrent(ctx, db); err != nil {
		t.Errorf("a migrated database: %v", err)
	}
	if err := database.CheckSchemaCurrent(ctx, testkit.EmptyDB(t)); !errors.Is(err, database.ErrSchemaOlder) {
		t.Errorf("an empty database: %v, want ErrSchemaOlder", err)
	}
	if _, err := db.Exec(`INSERT INTO goose_db_version (version_id, is_applied) VALUES (99999, true)`); err != nil {
		t.Fatal(err)
	}
	if err := database.CheckSchemaCurrent(ctx, db); !errors.Is(err, database.ErrSchemaNewer) {
		t.Errorf("a newer schema: %v, want ErrSchemaNewer", err)
	}
}

// Migration 00013 grants to trellis_app, a role of the whole cluster. On a
// cluster without it, an owner that may not create roles is stopped with
// what to create (never left with the grants silently skipped); an owner
// that may create roles makes it, without LOGIN, and grants to it.
func TestMigrationMakesTheAppRoleOrSaysWhatToCreate(t *testing.T) {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "trellis-approle-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	cluster := &pgcluster.Cluster{Dir: dir, Port: port, Database: "postgres", Settings: []string{"fsync = off"}, Log: t.Logf}
	if err := cluster.Start(ctx); err != nil {
		t.Fatalf("start cluster: %v", err)
	}
	t.Cleanup(func() { _ = cluster.Stop(context.Background()) })
	url := func(role, db string) string {
		return fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable", role, port, db)
	}
	super := open(t, cluster.URL())
	for _, q := range []string{
		`CREATE ROLE plain_owner LOGIN NOCREATEROLE`, `CREATE DATABASE plain OWNER plain_owner`,
		`CREATE ROLE role_maker LOGIN CREATEROLE`, `CREATE DATABASE made OWNER role_maker`,
	} {
		if _, err := super.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}

	plain := open(t, url("plain_owner", "plain"))
	err = database.Migrate(ctx, plain.DB, quiet)
	var pqErr *pq.Error
	if !errors.As(err, &pqErr) || pqErr.Message != "the database role trellis_app does not exist, and plain_owner may not create it" ||
		!strings.Contains(pqErr.Hint, "CREATE ROLE trellis_app LOGIN PASSWORD") {
		t.Fatalf("migrate as an owner without CREATEROLE: %v, want what to create", err)
	}
	if v, err := database.AppliedVersion(ctx, plain); err != nil || v != beforeAppRole(t) {
		t.Errorf("after the refusal the schema is at %d (err %v), want %d: the app-role migration rolled back whole", v, err, beforeAppRole(t))
	}

	made := open(t, url("role_maker", "made"))
	if err := database.Migrate(ctx, made.DB, quiet); err != nil {
		t.Fatalf("migrate as an owner with CREATEROLE: %v", err)
	}
	var role struct {
		Login  bool `db:"rolcanlogin"`
		Insert bool `db:"can_insert"`
		Delete bool `db:"can_delete"`
	}
	if err := made.GetContext(ctx, &role, `SELECT rolcanlogin, has_table_privilege('trellis_app', 'audit_log', 'INSERT') AS can_insert,
		has_table_privilege('trellis_app', 'audit_log', 'DELETE') AS can_delete FROM pg_roles WHERE rolname = 'trellis_app'`); err != nil {
		t.Fatal(err)
	}
	if role.Login || !role.Insert || role.Delete {
		t.Errorf("trellis_app made by the migration: %+v, want no LOGIN (the operator gives it one), INSERT and no DELETE on audit_log", role)
	}

	// Now that the role exists, the first database migrates too.
	if err := database.Migrate(ctx, plain.DB, quiet); err != nil {
		t.Errorf("migrate again once trellis_app exists: %v", err)
	}
}

// beforeAppRole is the version of the migration before the app role's.
func beforeAppRole(t *testing.T) int64 {
	t.Helper()
	names, err := fs.Glob(migrations.FS, "*_app_role.sql")
	if err != nil || len(names) != 1 {
		t.Fatalf("the app-role migration: %v %v", names, err)
	}
	v, err := strconv.ParseInt(strings.SplitN(names[0], "_", 2)[0], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	known, err := database.KnownVersions()
	if err != nil {
		t.Fatal(err)
	}
	for i, k := range known {
		if k == v && i > 0 {
			return known[i-1]
		}
	}
	t.Fatalf("version %d is not among %v", v, known)
	return 0
}
