-- +goose Up
-- An invitation for an email that already has an account the inviter may
-- not know of (another practice's, another therapist's client) used to
-- make a link that led nowhere, so its 404 told the inviter the email was
-- taken (#15 finding 1, R4). It is now a link like any other: it opens
-- the same page and takes a password the same way, but changes nothing of
-- the existing account; the person is told to sign in with it. Kept apart
-- from access_tokens so nothing done to the existing account (a new link,
-- disabling it) touches these, which would show through.
CREATE TABLE existing_email_invites (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    practice_id  bigint NOT NULL REFERENCES practices (id),
    created_by   bigint REFERENCES users (id),
    -- The account that has the email: its address is what the password
    -- policy checks, as for the person a real invitation is for.
    user_id      bigint NOT NULL REFERENCES users (id),
    -- The name the inviter typed, shown as a real invitation shows it.
    display_name text NOT NULL CHECK (char_length(display_name) BETWEEN 1 AND 120),
    token_hash   bytea NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    used_at      timestamptz
);

-- The app role (migration 00013) proposes, decides and reads; rows are
-- never deleted.
GRANT SELECT, INSERT, UPDATE ON existing_email_invites TO trellis_app;

-- +goose Down
DROP TABLE existing_email_invites;
