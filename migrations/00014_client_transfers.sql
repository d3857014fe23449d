-- +goose Up
-- Moving a client to another therapist is a proposal until the receiving
-- therapist accepts it (#15, R14): an admin alone can no longer put a
-- client, and every reflection they wrote, in a caseload they control.
-- The client stays where they are while it is pending; the row is kept
-- after the decision so both therapists are told how it ended.
CREATE TYPE transfer_status AS ENUM ('pending', 'accepted', 'declined', 'withdrawn');
CREATE TABLE client_transfers (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    practice_id       bigint NOT NULL REFERENCES practices (id),
    client_id         bigint NOT NULL REFERENCES users (id),
    -- The caseload the client was in when it was proposed; NULL: none.
    from_therapist_id bigint REFERENCES users (id),
    to_therapist_id   bigint NOT NULL REFERENCES users (id),
    proposed_by       bigint NOT NULL REFERENCES users (id),
    proposed_at       timestamptz NOT NULL DEFAULT now(),
    status            transfer_status NOT NULL DEFAULT 'pending',
    decided_by        bigint REFERENCES users (id),
    decided_at        timestamptz,
    CHECK ((status = 'pending') = (decided_at IS NULL)),
    CHECK (from_therapist_id IS DISTINCT FROM to_therapist_id)
);
-- At most one move waits for a client at a time.
CREATE UNIQUE INDEX client_transfers_one_pending ON client_transfers (client_id) WHERE status = 'pending';
-- The dashboards' notices: moves to a therapist, and of their clients.
CREATE INDEX client_transfers_to_idx ON client_transfers (to_therapist_id, proposed_at DESC);
CREATE INDEX client_transfers_from_idx ON client_transfers (from_therapist_id, proposed_at DESC);

-- The app role (migration 00013) proposes, decides and reads; rows are
-- never deleted.
GRANT SELECT, INSERT, UPDATE ON client_transfers TO trellis_app;

-- +goose Down
DROP TABLE client_transfers;
DROP TYPE transfer_status;
