-- +goose Up
-- Text posted after a session ended is kept for anyone who posts it
-- (#15 finding 6), so each row records its size and a hash of the address
-- it came from: the total one address may leave is bounded, not only the
-- number of rows. Only a SHA-256 of the address key is stored.
ALTER TABLE pending_drafts
    ADD COLUMN size      integer NOT NULL DEFAULT 0,
    ADD COLUMN addr_hash bytea;
CREATE INDEX pending_drafts_addr_idx ON pending_drafts (addr_hash, created_at);

-- +goose Down
DROP INDEX pending_drafts_addr_idx;
ALTER TABLE pending_drafts DROP COLUMN addr_hash, DROP COLUMN size;
