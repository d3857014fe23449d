-- +goose Up
-- Every email Trellis sends (#18) is a row here first, written in the same
-- transaction as what it is about (an invitation, a link, a reminder), and
-- a job on the queue (River, in PostgreSQL) that delivers it. The row holds
-- ids only: no address (read from users when sending), no words, and no
-- link: a link's token is minted when the email is sent, so no plain token
-- is ever stored.
CREATE TABLE email_outbox (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    practice_id bigint NOT NULL REFERENCES practices (id),
    user_id     bigint NOT NULL REFERENCES users (id),
    kind        text NOT NULL CHECK (kind IN ('invite', 'reset', 'invite_existing', 'reminder')),
    -- The link to mint for invite and reset.
    token_id    bigint REFERENCES access_tokens (id),
    -- One email per purpose: a reminder is 'reminder:<user>:<local date>',
    -- so instances racing to queue the same reminder make one row.
    dedupe_key  text UNIQUE,
    -- For a reminder: how many pieces of homework it is about.
    items       integer NOT NULL DEFAULT 0,
    status      text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'cancelled')),
    attempts    integer NOT NULL DEFAULT 0,
    -- What went wrong, in words that name no address.
    last_error  text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    claimed_at  timestamptz,
    sent_at     timestamptz,
    CHECK ((kind IN ('invite', 'reset')) = (token_id IS NOT NULL))
);
CREATE INDEX email_outbox_user_idx ON email_outbox (user_id, created_at DESC);
CREATE INDEX email_outbox_failed_idx ON email_outbox (practice_id, created_at DESC) WHERE status = 'failed';

-- The app role queues, claims and records outcomes; rows are kept.
GRANT SELECT, INSERT, UPDATE ON email_outbox TO trellis_app;

-- The job queue's own tables (River's, made before these migrations run):
-- the app inserts, fetches, completes and cleans up jobs, and instances
-- elect a leader for the periodic schedule. No DDL: River's schema is
-- changed by `trellis migrate` alone.
GRANT SELECT, INSERT, UPDATE, DELETE ON river_job, river_leader, river_queue TO trellis_app;
GRANT USAGE ON SEQUENCE river_job_id_seq TO trellis_app;
GRANT SELECT ON river_migration TO trellis_app;

-- +goose Down
DROP TABLE email_outbox;
