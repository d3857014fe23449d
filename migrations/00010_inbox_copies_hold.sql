-- +goose Up
-- Two guards for the copies 00009 keeps on assignments.
--
-- 1. A new occurrence copies its client's therapist. Read without a lock,
--    a transfer committing meanwhile could move the client's existing work
--    (its trigger updates the rows it can see) but not the occurrence being
--    inserted, which would keep the old therapist for good: hidden from the
--    new therapist's inbox and dashboard. FOR SHARE makes the two wait for
--    each other, so whichever commits second sees the other's rows.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION assignments_copy_therapist() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT therapist_id INTO NEW.therapist_id FROM users WHERE id = NEW.client_id FOR SHARE;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd

-- 2. Sent work always has the time it was sent: the inbox's keyset orders
--    by it, and a NULL would sort first and then fall off every later page.
ALTER TABLE assignments ADD CONSTRAINT assignments_sent_has_time
    CHECK (status NOT IN ('submitted', 'reviewed') OR submitted_at IS NOT NULL);

-- +goose Down
ALTER TABLE assignments DROP CONSTRAINT assignments_sent_has_time;
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION assignments_copy_therapist() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT therapist_id INTO NEW.therapist_id FROM users WHERE id = NEW.client_id;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd
