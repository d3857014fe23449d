-- +goose Up
-- Homework reminders (#18): opt-in per client. The therapist may offer
-- them; only the client turns them on (consent recorded) or off.
CREATE TABLE reminder_settings (
    user_id      bigint PRIMARY KEY REFERENCES users (id),
    -- When the therapist suggested reminders (shown to the client).
    offered_by   bigint REFERENCES users (id),
    offered_at   timestamptz,
    enabled      boolean NOT NULL DEFAULT false,
    -- When the client last turned them on: their consent.
    consented_at timestamptz,
    stopped_at   timestamptz,
    -- The local time of day for the daily digest, and the zone it is in
    -- (NULL: the practice's).
    send_at      time NOT NULL DEFAULT '18:00',
    time_zone    text,
    CHECK (NOT enabled OR consented_at IS NOT NULL)
);
CREATE INDEX reminder_settings_enabled_idx ON reminder_settings (user_id) WHERE enabled;

-- Every reminder carries a stop link that works without signing in. Only
-- a SHA-256 of its token is stored; it does one thing, for one client.
CREATE TABLE reminder_stop_tokens (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users (id),
    token_hash  bytea NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX reminder_stop_tokens_user_idx ON reminder_stop_tokens (user_id);

-- Clients with this many missed pieces of homework in a row are shown on
-- the therapist's dashboard.
ALTER TABLE practices ADD COLUMN missed_in_a_row integer NOT NULL DEFAULT 3
    CHECK (missed_in_a_row BETWEEN 1 AND 20);

-- A reminder is about one local day's homework; it is counted again
-- when it is sent, so work sent in between is not mentioned.
ALTER TABLE email_outbox ADD COLUMN about_day date;

-- The app role: settings are changed, never deleted; stop links are made
-- and read.
GRANT SELECT, INSERT, UPDATE ON reminder_settings TO trellis_app;
GRANT SELECT, INSERT ON reminder_stop_tokens TO trellis_app;

-- +goose Down
ALTER TABLE email_outbox DROP COLUMN about_day;
ALTER TABLE practices DROP COLUMN missed_in_a_row;
DROP TABLE reminder_stop_tokens;
DROP TABLE reminder_settings;
