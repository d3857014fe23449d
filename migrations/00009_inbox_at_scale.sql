-- +goose Up
-- The inbox at the size of a busy practice: its order (flagged and waiting,
-- then waiting, then reviewed; newest first within each) is read from one
-- index instead of ranking every submission of the caseload before LIMIT.
-- The facts the order needs are copied onto assignments:
--
--   therapist_id  the client's current therapist (users.therapist_id), so
--                 a caseload's work is one index range. Ownership is still
--                 checked by joining users: a stale copy could only hide
--                 work, never show someone else's.
--   flagged       any version ever sent had risk language (a flag edited
--                 out still needs a look).
--   inbox_tier    2 flagged and waiting, 1 waiting, 0 reviewed, NULL not
--                 sent: higher first, so one descending scan of
--                 (therapist_id, inbox_tier, submitted_at, id) is the order
--                 and a row comparison is the keyset.
--
-- Triggers keep the copies right whoever writes: the services, the demo
-- and load-test seeders and tests that insert rows directly. They fire only
-- when something they copy is missing or changes (WHEN clauses): assigning
-- looks up the client's therapist once per occurrence; an ordinary submit,
-- and a bulk COPY that brings its own values, pay nothing.

ALTER TABLE assignments
    ADD COLUMN therapist_id bigint,
    ADD COLUMN flagged boolean NOT NULL DEFAULT false;

ALTER TABLE assignments ADD COLUMN inbox_tier smallint GENERATED ALWAYS AS (
    CASE WHEN status = 'submitted' AND flagged THEN 2
         WHEN status = 'submitted' THEN 1
         WHEN status = 'reviewed' THEN 0 END) STORED;

UPDATE assignments a SET therapist_id = c.therapist_id FROM users c WHERE c.id = a.client_id AND c.therapist_id IS NOT NULL;
UPDATE assignments a SET flagged = true
 WHERE EXISTS (SELECT 1 FROM submissions s WHERE s.assignment_id = a.id AND s.flags <> '{}');

-- +goose StatementBegin
CREATE FUNCTION assignments_copy_therapist() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT therapist_id INTO NEW.therapist_id FROM users WHERE id = NEW.client_id;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER assignments_therapist BEFORE INSERT ON assignments
    FOR EACH ROW WHEN (NEW.therapist_id IS NULL) EXECUTE FUNCTION assignments_copy_therapist();

-- A transfer or a removal from the caseload moves the client's work with
-- them, as the joins on users.therapist_id always did.
-- +goose StatementBegin
CREATE FUNCTION users_move_assignments() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE assignments SET therapist_id = NEW.therapist_id WHERE client_id = NEW.id;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER users_therapist_moves_assignments AFTER UPDATE OF therapist_id ON users
    FOR EACH ROW WHEN (OLD.therapist_id IS DISTINCT FROM NEW.therapist_id) EXECUTE FUNCTION users_move_assignments();

-- Submissions are never updated by the app (a change is a new version),
-- but a flag set or cleared by hand must still reach the inbox.
-- +goose StatementBegin
CREATE FUNCTION submissions_flag_assignment() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE assignments a SET flagged = f.flagged
      FROM (SELECT EXISTS (SELECT 1 FROM submissions s WHERE s.assignment_id = NEW.assignment_id AND s.flags <> '{}') AS flagged) f
     WHERE a.id = NEW.assignment_id AND a.flagged IS DISTINCT FROM f.flagged;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER submissions_flagged AFTER INSERT ON submissions
    FOR EACH ROW WHEN (NEW.flags <> '{}') EXECUTE FUNCTION submissions_flag_assignment();
CREATE TRIGGER submissions_flags_changed AFTER UPDATE OF flags ON submissions
    FOR EACH ROW WHEN (OLD.flags IS DISTINCT FROM NEW.flags) EXECUTE FUNCTION submissions_flag_assignment();

CREATE INDEX assignments_therapist_inbox_idx ON assignments (therapist_id, inbox_tier, submitted_at, id)
    WHERE inbox_tier IS NOT NULL;
-- The inbox's filters, read in the same order: flagged (a small share of
-- the work), one client, one exercise.
CREATE INDEX assignments_flagged_inbox_idx ON assignments (therapist_id, inbox_tier, submitted_at, id)
    WHERE flagged;
CREATE INDEX assignments_client_inbox_idx ON assignments (client_id, inbox_tier, submitted_at, id)
    WHERE inbox_tier IS NOT NULL;
CREATE INDEX assignments_exercise_inbox_idx ON assignments (therapist_id, exercise_id, inbox_tier, submitted_at, id)
    WHERE inbox_tier IS NOT NULL;
-- The dashboard's "needs attention" list counts the caseload's overdue
-- work, which two years of missed homework make long: counted from the
-- index alone.
CREATE INDEX assignments_therapist_open_idx ON assignments (therapist_id, due_at, id)
    WHERE status = 'open';
-- Progress counts the work given in a period, not the client's history.
CREATE INDEX assignments_client_due_idx ON assignments (client_id, due_on)
    WHERE status <> 'cancelled';

-- +goose Down
DROP INDEX assignments_client_due_idx;
DROP INDEX assignments_therapist_open_idx;
DROP INDEX assignments_exercise_inbox_idx;
DROP INDEX assignments_client_inbox_idx;
DROP INDEX assignments_flagged_inbox_idx;
DROP INDEX assignments_therapist_inbox_idx;
DROP TRIGGER submissions_flags_changed ON submissions;
DROP TRIGGER submissions_flagged ON submissions;
DROP FUNCTION submissions_flag_assignment();
DROP TRIGGER users_therapist_moves_assignments ON users;
DROP FUNCTION users_move_assignments();
DROP TRIGGER assignments_therapist ON assignments;
DROP FUNCTION assignments_copy_therapist();
ALTER TABLE assignments DROP COLUMN inbox_tier, DROP COLUMN flagged, DROP COLUMN therapist_id;
