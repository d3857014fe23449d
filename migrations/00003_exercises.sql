-- +goose Up
-- Exercises are data: each version's definition (texts and an ordered list
-- of typed fields) is a JSON document validated by internal/exercise.
-- Built-in exercises belong to no practice and are shared by all.

CREATE TABLE exercises (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    practice_id    bigint REFERENCES practices (id),
    builtin_key    text UNIQUE,
    -- For a practice's copy of a built-in: where it came from.
    copied_from    bigint REFERENCES exercises (id),
    created_by     bigint REFERENCES users (id),
    latest_version integer NOT NULL DEFAULT 1,
    archived_at    timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CHECK ((practice_id IS NULL) = (builtin_key IS NOT NULL))
);
CREATE INDEX exercises_practice_idx ON exercises (practice_id);

-- Versions are never changed once written: an assignment pins one, so a
-- client's answers always match the questions they were shown.
CREATE TABLE exercise_versions (
    exercise_id bigint NOT NULL REFERENCES exercises (id),
    version     integer NOT NULL CHECK (version > 0),
    definition  jsonb NOT NULL,
    created_by  bigint REFERENCES users (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (exercise_id, version)
);

-- +goose StatementBegin
CREATE FUNCTION exercise_versions_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'exercise versions are immutable; write a new version';
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER exercise_versions_no_update BEFORE UPDATE OR DELETE ON exercise_versions
    FOR EACH ROW EXECUTE FUNCTION exercise_versions_immutable();

-- +goose Down
DROP TABLE exercise_versions;
DROP FUNCTION exercise_versions_immutable();
DROP TABLE exercises;
