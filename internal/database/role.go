package database

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"
)

// AppRole is the database role the running app's privileges are granted to
// (migration 00013). `trellis serve` connects as it, or as a login role
// that is a member of it; migrations connect as the role owning the tables.
const AppRole = "trellis_app"

// ErrPrivilegedRole means the role `trellis serve` connects as could
// change or remove the audit log, or the schema: it must be a role like
// AppRole, never the tables' owner or a superuser (R24).
var ErrPrivilegedRole = errors.New("the database role is too powerful to serve with")

// ErrSchemaOlder means the database has not been migrated to the schema
// this binary needs.
var ErrSchemaOlder = errors.New("database schema is older than this Trellis binary")

// CheckAppRole refuses a connection whose role could get round the audit
// log's protection: a superuser (or a member of one), a role allowed to
// grant itself other roles, the owner of any of Trellis's tables (an owner
// may disable triggers and drop them), or a role that may create objects
// or change, delete or truncate audit_log rows. It names every problem.
func CheckAppRole(ctx context.Context, db *sqlx.DB) error {
	var r struct {
		Role       string `db:"role"`
		Super      bool   `db:"super"`
		CreateRole bool   `db:"create_role"`
		Owns       string `db:"owns"`
		Audit      string `db:"audit"`
		Schema     string `db:"schema"`
		SchemaDDL  bool   `db:"schema_ddl"`
		DBDDL      bool   `db:"db_ddl"`
	}
	// pg_has_role(..., 'MEMBER') also counts roles current_user could SET
	// ROLE to: being able to become the owner is as good as being it.
	err := db.GetContext(ctx, &r, `
		WITH audit AS (SELECT c.relnamespace AS nsp FROM pg_class c WHERE c.oid = to_regclass('audit_log'))
		SELECT current_user AS role,
		       EXISTS (SELECT FROM pg_roles s WHERE s.rolsuper AND pg_has_role(current_user, s.oid, 'MEMBER')) AS super,
		       (SELECT rolcreaterole FROM pg_roles WHERE rolname = current_user) AS create_role,
		       coalesce((SELECT string_agg(c.relname, ', ' ORDER BY c.relname) FROM pg_class c, audit
		                 WHERE c.relnamespace = audit.nsp AND c.relkind IN ('r', 'p', 'v', 'm')
		                   AND pg_has_role(current_user, c.relowner, 'MEMBER')), '') AS owns,
		       concat_ws(', ',
		           CASE WHEN has_table_privilege('audit_log', 'UPDATE') THEN 'UPDATE' END,
		           CASE WHEN has_table_privilege('audit_log', 'DELETE') THEN 'DELETE' END,
		           CASE WHEN has_table_privilege('audit_log', 'TRUNCATE') THEN 'TRUNCATE' END,
		           CASE WHEN has_table_privilege('audit_log', 'TRIGGER') THEN 'TRIGGER' END) AS audit,
		       (SELECT nspname FROM pg_namespace, audit WHERE oid = audit.nsp) AS schema,
		       (SELECT has_schema_privilege(audit.nsp, 'CREATE') OR pg_has_role(current_user, n.nspowner, 'MEMBER')
		          FROM audit JOIN pg_namespace n ON n.oid = audit.nsp) AS schema_ddl,
		       has_database_privilege(current_database(), 'CREATE') AS db_ddl
		  FROM audit`)
	if err != nil {
		return fmt.Errorf("check the database role's privileges (is the database migrated?): %w", err)
	}
	var problems []string
	if r.Super {
		problems = append(problems, "it is a superuser (or may become one)")
	}
	if r.CreateRole {
		problems = append(problems, "it may create roles and grant itself others (CREATEROLE)")
	}
	if r.Owns != "" {
		problems = append(problems, "it owns (or may become the owner of) "+r.Owns)
	}
	if r.Audit != "" {
		problems = append(problems, "it holds "+r.Audit+" on audit_log")
	}
	if r.SchemaDDL {
		problems = append(problems, "it may create objects in schema "+r.Schema)
	}
	if r.DBDDL {
		problems = append(problems, "it may create schemas in the database")
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: role %s: %s. Connect as %s (see README, Deploying): "+
			"migrations run as the tables' owner, with DATABASE_OWNER_URL", ErrPrivilegedRole, r.Role, strings.Join(problems, "; "), AppRole)
	}
	return nil
}

// CheckSchemaCurrent checks that db has been migrated exactly to the newest
// migration this binary knows, for a server that does not migrate itself.
func CheckSchemaCurrent(ctx context.Context, db *sqlx.DB) error {
	applied, err := AppliedVersion(ctx, db)
	if err != nil {
		return err
	}
	known, err := KnownVersions()
	if err != nil {
		return err
	}
	switch latest := known[len(known)-1]; {
	case applied > latest:
		return fmt.Errorf("%w: database is at %d, this binary knows up to %d", ErrSchemaNewer, applied, latest)
	case applied < latest:
		return fmt.Errorf("%w: database is at %d, this binary needs %d: run `trellis migrate` with DATABASE_OWNER_URL first "+
			"(or give serve DATABASE_OWNER_URL too, and it migrates before serving)", ErrSchemaOlder, applied, latest)
	}
	return nil
}
