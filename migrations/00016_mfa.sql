-- +goose Up
-- Two-step sign-in (TOTP, RFC 6238) and its recovery codes (#15), the
-- practice's requirement for staff, and the notices a person is shown when
-- someone else reset their access.

-- One authenticator per user. The secret is stored as the base32 text the
-- authenticator app was given: Trellis has no key of its own to encrypt it
-- with (see the README's remaining trust). last_step is the RFC 6238 time
-- step of the last code accepted; a code is only accepted for a later step,
-- in one UPDATE, so no code works twice, even sent twice at once.
CREATE TABLE user_mfa (
    user_id    bigint PRIMARY KEY REFERENCES users (id),
    secret     text NOT NULL CHECK (char_length(secret) BETWEEN 16 AND 128),
    enabled_at timestamptz NOT NULL DEFAULT now(),
    last_step  bigint NOT NULL DEFAULT 0
);

-- Single-use recovery codes: only a SHA-256 of each is stored.
CREATE TABLE mfa_recovery_codes (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id   bigint NOT NULL REFERENCES users (id),
    code_hash bytea NOT NULL UNIQUE,
    used_at   timestamptz
);
CREATE INDEX mfa_recovery_codes_user_idx ON mfa_recovery_codes (user_id);

-- Set when an admin (or the command line) reset someone's two-step
-- sign-in: they set it up again at their next sign-in.
ALTER TABLE users ADD COLUMN mfa_enrol_required boolean NOT NULL DEFAULT false;

-- From this day (the practice's calendar) every staff member must use
-- two-step sign-in; before it they are reminded. NULL: not required.
ALTER TABLE practices ADD COLUMN mfa_required_from date;

-- What someone else did to a person's access, shown to them at their next
-- sign-in until they mark it read.
CREATE TABLE account_notices (
    id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id bigint NOT NULL REFERENCES users (id),
    kind    text NOT NULL CHECK (kind IN ('password_reset', 'mfa_reset')),
    -- Who did it; NULL for the command line (`trellis user reset-mfa`).
    by_user bigint REFERENCES users (id),
    at      timestamptz NOT NULL DEFAULT now(),
    read_at timestamptz
);
CREATE INDEX account_notices_unread_idx ON account_notices (user_id) WHERE read_at IS NULL;

-- The app role (migration 00013). A secret and its recovery codes are
-- deleted when two-step sign-in is turned off or reset (the audit log
-- keeps that it happened); notices are only marked read.
GRANT SELECT, INSERT, UPDATE, DELETE ON user_mfa TO trellis_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON mfa_recovery_codes TO trellis_app;
GRANT SELECT, INSERT, UPDATE ON account_notices TO trellis_app;

-- +goose Down
DROP TABLE account_notices;
ALTER TABLE practices DROP COLUMN mfa_required_from;
ALTER TABLE users DROP COLUMN mfa_enrol_required;
DROP TABLE mfa_recovery_codes;
DROP TABLE user_mfa;
