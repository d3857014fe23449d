-- +goose Up
-- Review: the therapist reads what came in, marks it reviewed or to
-- discuss in session, writes feedback the client sees, and keeps private
-- notes only they can read.

ALTER TABLE assignments ADD COLUMN discuss boolean NOT NULL DEFAULT false;

-- Categories of risk language found when the submission was stored (a
-- prompt to look, never an assessment).
ALTER TABLE submissions ADD COLUMN flags text[] NOT NULL DEFAULT '{}';
CREATE INDEX submissions_flagged_idx ON submissions (assignment_id) WHERE flags <> '{}';

-- One piece of feedback per assignment, which its therapist may edit or
-- withdraw; the client sees it under what they sent.
CREATE TABLE feedback (
    assignment_id bigint PRIMARY KEY REFERENCES assignments (id),
    author_id     bigint NOT NULL REFERENCES users (id),
    body          text NOT NULL CHECK (char_length(body) BETWEEN 1 AND 10000),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    seen_at       timestamptz
);

-- Private notes: visible to their author only, never on a client page,
-- never to an admin (R14).
CREATE TABLE notes (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    author_id     bigint NOT NULL REFERENCES users (id),
    client_id     bigint NOT NULL REFERENCES users (id),
    assignment_id bigint REFERENCES assignments (id),
    body          text NOT NULL CHECK (char_length(body) BETWEEN 1 AND 10000),
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notes_author_client_idx ON notes (author_id, client_id, created_at DESC);

-- The inbox pages through submitted work newest first.
CREATE INDEX assignments_inbox_idx ON assignments (client_id, submitted_at DESC, id DESC) WHERE status IN ('submitted', 'reviewed');

-- +goose Down
DROP INDEX assignments_inbox_idx;
DROP TABLE notes;
DROP TABLE feedback;
DROP INDEX submissions_flagged_idx;
ALTER TABLE submissions DROP COLUMN flags;
ALTER TABLE assignments DROP COLUMN discuss;
