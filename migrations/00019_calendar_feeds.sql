-- +goose Up
-- A client's private calendar address (#18). The token in the address is
-- "<selector>.<verifier>": the selector finds the row, and only a SHA-256
-- of the verifier is stored, compared in constant time. One address per
-- client; making a new one replaces it, and removing or disabling the
-- client deletes it.
CREATE TABLE calendar_feeds (
    user_id       bigint PRIMARY KEY REFERENCES users (id),
    selector      text NOT NULL UNIQUE,
    verifier_hash bytea NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);

-- The app role makes, replaces, reads and deletes the addresses.
GRANT SELECT, INSERT, UPDATE, DELETE ON calendar_feeds TO trellis_app;

-- +goose Down
DROP TABLE calendar_feeds;
