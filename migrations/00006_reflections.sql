-- +goose Up
-- What clients write: drafts saved as they type, and the one-time token
-- that makes a double-clicked or retried submit store exactly once (FT4).

CREATE TABLE drafts (
    assignment_id bigint PRIMARY KEY REFERENCES assignments (id),
    client_id     bigint NOT NULL REFERENCES users (id),
    answers       jsonb NOT NULL,
    saved_at      timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE submissions ADD COLUMN form_token uuid;
UPDATE submissions SET form_token = gen_random_uuid() WHERE form_token IS NULL;
ALTER TABLE submissions ALTER COLUMN form_token SET NOT NULL;
ALTER TABLE submissions ADD CONSTRAINT submissions_form_token_key UNIQUE (client_id, form_token);

-- Text posted after the session ended (FT5): kept under a random token
-- held in that browser's cookie, and put into the client's draft once they
-- sign in again, only if the assignment is theirs. Only a hash of the token
-- is stored; rows expire after a day.
CREATE TABLE pending_drafts (
    token_hash    bytea PRIMARY KEY,
    assignment_id bigint NOT NULL,
    answers       jsonb NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX pending_drafts_created_idx ON pending_drafts (created_at);

-- +goose Down
DROP TABLE pending_drafts;
ALTER TABLE submissions DROP CONSTRAINT submissions_form_token_key;
ALTER TABLE submissions DROP COLUMN form_token;
DROP TABLE drafts;
