-- +goose Up
-- The foundation every later table stands on.

-- citext gives case-insensitive e-mail addresses without lower() everywhere.
CREATE EXTENSION IF NOT EXISTS citext;

-- +goose Down
DROP EXTENSION IF EXISTS citext;
