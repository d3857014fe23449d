-- +goose Up
-- Assignments: a therapist gives a client an exercise, once or on a
-- schedule. A series holds the schedule; each occurrence is filled in and
-- reviewed on its own. Ownership follows the caseload: queries join the
-- client's current therapist, so a transfer moves the work with the client.

CREATE TABLE assignment_series (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    practice_id      bigint NOT NULL REFERENCES practices (id),
    client_id        bigint NOT NULL REFERENCES users (id),
    assigned_by      bigint NOT NULL REFERENCES users (id),
    exercise_id      bigint NOT NULL,
    exercise_version integer NOT NULL,
    note             text NOT NULL DEFAULT '' CHECK (char_length(note) <= 2000),
    recurrence       text NOT NULL CHECK (recurrence IN ('once', 'weekly', 'every_n_days')),
    interval_days    integer NOT NULL DEFAULT 7 CHECK (interval_days BETWEEN 1 AND 90),
    first_due        date NOT NULL,
    until_date       date,
    occurrence_count integer CHECK (occurrence_count BETWEEN 1 AND 104),
    cancelled_at     timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (exercise_id, exercise_version) REFERENCES exercise_versions (exercise_id, version)
);
CREATE INDEX assignment_series_client_idx ON assignment_series (client_id);

CREATE TABLE assignments (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    series_id        bigint NOT NULL REFERENCES assignment_series (id),
    client_id        bigint NOT NULL REFERENCES users (id),
    exercise_id      bigint NOT NULL,
    exercise_version integer NOT NULL,
    due_on           date NOT NULL,
    -- The end of due_on in the practice's time zone.
    due_at           timestamptz NOT NULL,
    status           text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'submitted', 'reviewed', 'cancelled')),
    submitted_at     timestamptz,
    reviewed_at      timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (series_id, due_on),
    FOREIGN KEY (exercise_id, exercise_version) REFERENCES exercise_versions (exercise_id, version)
);
CREATE INDEX assignments_client_status_idx ON assignments (client_id, status, due_at);
-- Work still in play (open or waiting for review): a small part of a long
-- history, which the dashboard counts on every load.
CREATE INDEX assignments_active_idx ON assignments (client_id, due_at) WHERE status IN ('open', 'submitted');
CREATE INDEX assignments_series_idx ON assignments (series_id, due_on);

-- What a client sent. A change after submitting is a new version (R25):
-- rows are never updated.
CREATE TABLE submissions (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    assignment_id bigint NOT NULL REFERENCES assignments (id),
    client_id     bigint NOT NULL REFERENCES users (id),
    version       integer NOT NULL DEFAULT 1 CHECK (version > 0),
    answers       jsonb NOT NULL,
    submitted_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (assignment_id, version)
);
CREATE INDEX submissions_client_idx ON submissions (client_id, submitted_at DESC);

-- Numeric answers of tracked fields, one row each, for charts and the
-- dashboard's latest check-in.
CREATE TABLE tracked_values (
    submission_id bigint NOT NULL REFERENCES submissions (id),
    client_id     bigint NOT NULL REFERENCES users (id),
    exercise_id   bigint NOT NULL REFERENCES exercises (id),
    field_key     text NOT NULL,
    value         integer NOT NULL,
    recorded_at   timestamptz NOT NULL,
    PRIMARY KEY (submission_id, field_key)
);
CREATE INDEX tracked_values_series_idx ON tracked_values (client_id, exercise_id, field_key, recorded_at DESC);

-- +goose Down
DROP TABLE tracked_values;
DROP TABLE submissions;
DROP TABLE assignments;
DROP TABLE assignment_series;
