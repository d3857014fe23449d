-- +goose Up
-- Least privilege for the running app (R24). The role that runs these
-- migrations owns every table; `trellis serve` connects as trellis_app,
-- which owns nothing and gets only what the app's own statements need.
-- In particular it may read and append to audit_log but never change,
-- delete or truncate it, and it can neither create nor alter tables (nor
-- disable a trigger: only an owner can).
--
-- Roles belong to the whole cluster, not to this database. The operator
-- normally creates trellis_app (with LOGIN and a password) before the first
-- migration; when it is missing, an owner allowed to create roles creates it
-- without LOGIN, so the grants below are never skipped and the operator
-- only has to `ALTER ROLE trellis_app LOGIN PASSWORD '...'`.
-- +goose StatementBegin
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'trellis_app') THEN
        CREATE ROLE trellis_app NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;
    END IF;
EXCEPTION
    -- Another database's migration created it at the same moment.
    WHEN duplicate_object OR unique_violation THEN NULL;
    WHEN insufficient_privilege THEN
        RAISE EXCEPTION 'the database role trellis_app does not exist, and % may not create it', current_user
            USING HINT = 'As a superuser or a role with CREATEROLE run: CREATE ROLE trellis_app LOGIN PASSWORD ''...'' (see README, Deploying), then migrate again.';
END
$$;
-- +goose StatementEnd

-- Every table is listed, with what the app does to it; a test fails when a
-- table has no line here (internal/database's TestAppRoleGrants).
GRANT SELECT ON goose_db_version TO trellis_app;          -- serve checks the schema version
GRANT SELECT, UPDATE ON practices TO trellis_app;         -- practices are created by `trellis user create-admin`
GRANT SELECT, INSERT, UPDATE ON users TO trellis_app;     -- accounts are disabled, never deleted
GRANT SELECT, INSERT, UPDATE ON access_tokens TO trellis_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON sessions TO trellis_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON rate_counters TO trellis_app;
GRANT SELECT, INSERT ON audit_log TO trellis_app;         -- append-only (R24)
GRANT SELECT, INSERT, UPDATE ON exercises TO trellis_app;
GRANT SELECT, INSERT ON exercise_versions TO trellis_app; -- versions are immutable
GRANT SELECT, INSERT, UPDATE ON assignment_series TO trellis_app;
GRANT SELECT, INSERT, UPDATE ON assignments TO trellis_app;
GRANT SELECT, INSERT ON submissions TO trellis_app;       -- never overwritten (R25)
GRANT SELECT, INSERT ON tracked_values TO trellis_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON drafts TO trellis_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON pending_drafts TO trellis_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON feedback TO trellis_app;
GRANT SELECT, INSERT ON notes TO trellis_app;             -- private notes are append-only
GRANT SELECT, INSERT, DELETE ON clinical_sessions TO trellis_app;

-- +goose Down
REVOKE ALL ON goose_db_version, practices, users, access_tokens, sessions, rate_counters, audit_log,
    exercises, exercise_versions, assignment_series, assignments, submissions, tracked_values,
    drafts, pending_drafts, feedback, notes, clinical_sessions FROM trellis_app;
