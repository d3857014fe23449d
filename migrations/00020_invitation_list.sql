-- +goose Up
-- Invitations are listed apart from accounts (#15 finding 1, R4): a
-- caseload or staff list that showed a new address as an "Invited" account
-- and said nothing of an address that already had one told the inviter
-- which was which. Both kinds are now one list, read from the accounts an
-- invitation made and from these rows, which are kept for every invitation
-- to an existing address, with email set up or not.

-- The role the invitation was for, shown as a new account's is: a client
-- (from a therapist) or staff (from an admin). Rows from before this: by
-- the role of whoever made them.
ALTER TABLE existing_email_invites ADD COLUMN role user_role NOT NULL DEFAULT 'client';
UPDATE existing_email_invites i SET role = 'therapist'
FROM users u WHERE u.id = i.created_by AND u.role = 'admin';
-- Withdrawn (or replaced by a new link) by the inviter.
ALTER TABLE existing_email_invites ADD COLUMN withdrawn_at timestamptz;
CREATE INDEX existing_email_invites_open_idx ON existing_email_invites (practice_id, created_by)
    WHERE used_at IS NULL AND withdrawn_at IS NULL;

-- The invitation an email to an existing address was for, so a failed one
-- shows on that invitation, as a failed email to a new address does.
ALTER TABLE email_outbox ADD COLUMN invitation_id bigint REFERENCES existing_email_invites (id);

-- +goose Down
ALTER TABLE email_outbox DROP COLUMN invitation_id;
DROP INDEX existing_email_invites_open_idx;
ALTER TABLE existing_email_invites DROP COLUMN withdrawn_at;
ALTER TABLE existing_email_invites DROP COLUMN role;
