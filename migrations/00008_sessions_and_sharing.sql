-- +goose Up
-- Session dates the therapist records, so a session report can cover
-- "everything since the last session", and a per-client switch that lets
-- the client see a simple view of their own progress.

CREATE TABLE clinical_sessions (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    client_id    bigint NOT NULL REFERENCES users (id),
    therapist_id bigint NOT NULL REFERENCES users (id),
    held_on      date NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (client_id, held_on)
);

-- Off until the therapist decides the client would find the charts
-- helpful; some clients would not.
ALTER TABLE users ADD COLUMN progress_shared boolean NOT NULL DEFAULT false;

-- +goose Down
ALTER TABLE users DROP COLUMN progress_shared;
DROP TABLE clinical_sessions;
