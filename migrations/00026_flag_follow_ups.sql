-- +goose Up
-- A flagged submission (risk language, or PHQ-9 item 9 above 0) is marked
-- followed up only by the client's therapist, with a note of what they
-- did; each mark is kept (and audited), never changed or removed. The flag
-- itself never goes away: this records that someone acted on it.
CREATE TABLE flag_follow_ups (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    assignment_id bigint NOT NULL REFERENCES assignments (id),
    therapist_id  bigint NOT NULL REFERENCES users (id),
    note          text NOT NULL CHECK (char_length(note) BETWEEN 1 AND 10000),
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX flag_follow_ups_assignment_idx ON flag_follow_ups (assignment_id, created_at);
GRANT SELECT, INSERT ON flag_follow_ups TO trellis_app;

-- +goose Down
DROP TABLE flag_follow_ups;
