-- +goose Up
-- A new practice's crisis text named the US 988 line wherever the practice
-- was (#14). The default now names no country; the admin writes their own
-- country's numbers in the practice settings. Existing practices keep the
-- text they have: it may be the one they chose.
ALTER TABLE practices ALTER COLUMN crisis_text SET DEFAULT
    'Trellis is not for emergencies. If you are in danger or thinking about harming yourself, call your local emergency number now.';

-- +goose Down
ALTER TABLE practices ALTER COLUMN crisis_text SET DEFAULT
    'Trellis is not for emergencies. If you are in danger or thinking about harming yourself, call your local emergency number now. In the US, call or text 988 (Suicide & Crisis Lifeline).';
