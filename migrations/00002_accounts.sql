-- +goose Up
-- Practices, their people, invitations and resets, sessions, the audit log.

CREATE TABLE practices (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    -- Shown on every client page: homework is not crisis care.
    crisis_text text NOT NULL DEFAULT 'Trellis is not for emergencies. If you are in danger or thinking about harming yourself, call your local emergency number now. In the US, call or text 988 (Suicide & Crisis Lifeline).'
                CHECK (char_length(crisis_text) BETWEEN 1 AND 1000),
    time_zone   text NOT NULL DEFAULT 'UTC',
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TYPE user_role AS ENUM ('admin', 'therapist', 'client');
CREATE TYPE user_status AS ENUM ('invited', 'active', 'disabled');

CREATE TABLE users (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    practice_id    bigint NOT NULL REFERENCES practices (id),
    role           user_role NOT NULL,
    status         user_status NOT NULL DEFAULT 'invited',
    email          citext NOT NULL UNIQUE CHECK (char_length(email) BETWEEN 3 AND 254),
    display_name   text NOT NULL CHECK (char_length(display_name) BETWEEN 1 AND 120),
    password_hash  text,
    -- A client's therapist; NULL once removed from a caseload (records stay).
    therapist_id   bigint REFERENCES users (id),
    -- Bumped to end every session of the user at once (R6, R10).
    auth_version   integer NOT NULL DEFAULT 1,
    failed_logins  integer NOT NULL DEFAULT 0,
    first_failed_at timestamptz,
    locked_until   timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CHECK (role = 'client' OR therapist_id IS NULL),
    -- Only an account that has set a password can be active; an invitation
    -- may be withdrawn (disabled) before it is accepted.
    CHECK (status <> 'active' OR password_hash IS NOT NULL)
);
CREATE INDEX users_practice_idx ON users (practice_id, role);
CREATE INDEX users_therapist_idx ON users (therapist_id) WHERE therapist_id IS NOT NULL;

-- Single-use links: invitations (72 h) and access resets (30 min). Only a
-- SHA-256 of the token is stored (R5, R6).
CREATE TYPE token_purpose AS ENUM ('invite', 'reset');
CREATE TABLE access_tokens (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users (id),
    purpose     token_purpose NOT NULL,
    token_hash  bytea NOT NULL UNIQUE,
    created_by  bigint REFERENCES users (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);
CREATE INDEX access_tokens_user_idx ON access_tokens (user_id);

-- Sessions for scs. The token column holds a SHA-256 of the cookie value,
-- so a copy of this table does not let anyone sign in (R7).
CREATE TABLE sessions (
    token   text PRIMARY KEY,
    data    bytea NOT NULL,
    expiry  timestamptz NOT NULL,
    -- A signed-out session is kept, revoked, until it would have expired,
    -- so a request still in flight cannot write it back.
    revoked boolean NOT NULL DEFAULT false
);
CREATE INDEX sessions_expiry_idx ON sessions (expiry);

-- Per-IP login throttling counters, shared by every instance.
CREATE TABLE rate_counters (
    key          text NOT NULL,
    window_start timestamptz NOT NULL,
    count        integer NOT NULL,
    PRIMARY KEY (key, window_start)
);

-- The audit log: who did what to which record, when, from where (R24).
-- Ids only, never names, emails or clinical text.
CREATE TABLE audit_log (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at           timestamptz NOT NULL DEFAULT now(),
    practice_id  bigint REFERENCES practices (id),
    actor_id     bigint REFERENCES users (id),
    action       text NOT NULL,
    target_type  text,
    target_id    bigint,
    ip           inet,
    detail       jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_practice_at_idx ON audit_log (practice_id, at DESC, id DESC);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, at DESC);

-- Append-only: no role the application connects as may change or remove a
-- row, whatever its grants.
-- +goose StatementBegin
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- +goose Down
DROP TABLE audit_log;
DROP FUNCTION audit_log_append_only();
DROP TABLE rate_counters;
DROP TABLE sessions;
DROP TABLE access_tokens;
DROP TYPE token_purpose;
DROP TABLE users;
DROP TYPE user_status;
DROP TYPE user_role;
DROP TABLE practices;
