package account

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/trellis-app/trellis/internal/audit"
	"github.com/trellis-app/trellis/internal/auth"
	"github.com/trellis-app/trellis/internal/database"
	"github.com/trellis-app/trellis/internal/errkind"
	"github.com/trellis-app/trellis/internal/policy"
)

// Two-step sign-in (TOTP, RFC 6238) and its recovery codes.
//
// Sign-in stays one rate-limited flow: a right password on an account with
// two-step sign-in on is only half of it. That attempt alone is forgiven
// (the failures before it stand), the code is its own attempt against the
// same lock, and only a right code clears the count. So knowing the
// password never buys more guesses at the code than at the password.

// Step is what a sign-in still needs after a right password.
type Step string

// The steps.
const (
	// StepNone: signed in.
	StepNone Step = ""
	// StepCode: a code from the authenticator app, or a recovery code.
	StepCode Step = "code"
	// StepEnrol: two-step sign-in must be set up first (the practice
	// requires it, or someone reset it).
	StepEnrol Step = "enrol"
)

// Errors of two-step sign-in.
var (
	// ErrBadCode: a wrong, used or replayed code, or a locked account; one
	// error for all, as for passwords (R3).
	ErrBadCode = errors.New("code not recognised")
	// ErrSignInGone: the half-done sign-in no longer holds (the account
	// was disabled or reset meanwhile): start again.
	ErrSignInGone = errors.New("sign-in no longer valid")
)

// TOTPIssuer names Trellis in authenticator apps.
const TOTPIssuer = "Trellis"

// MFARequired reports whether the practice requires two-step sign-in of
// its staff at now: from MFARequiredFrom on the practice's calendar.
func MFARequired(p Practice, now time.Time) bool {
	if p.MFARequiredFrom == nil {
		return false
	}
	loc, err := time.LoadLocation(p.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	y, m, d := now.In(loc).Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	fy, fm, fd := p.MFARequiredFrom.UTC().Date() // a DATE column: midnight UTC
	return !today.Before(time.Date(fy, fm, fd, 0, 0, 0, 0, time.UTC))
}

// signInStep says what u's sign-in needs after a right password.
func (s *Service) signInStep(ctx context.Context, q sqlx.QueryerContext, u User) (Step, error) {
	switch {
	case u.MFAOn:
		return StepCode, nil
	case u.MFAEnrolRequired:
		return StepEnrol, nil
	case !u.Role.Staff():
		return StepNone, nil
	}
	p, err := getPractice(ctx, q, u.PracticeID)
	if err != nil {
		return StepNone, err
	}
	if MFARequired(p, s.now()) {
		return StepEnrol, nil
	}
	return StepNone, nil
}

// pendingUser loads the user of a half-done sign-in, if it still holds:
// the account may still sign in and nothing changed its sign-in since.
func (s *Service) pendingUser(ctx context.Context, id int64, authVersion int) (User, error) {
	u, err := userByID(ctx, s.db, id)
	if errors.Is(err, errkind.ErrNotFound) {
		return User{}, ErrSignInGone
	}
	if err != nil {
		return User{}, err
	}
	if !u.CanSignIn() || u.AuthVersion != authVersion {
		return User{}, ErrSignInGone
	}
	return u, nil
}

// PendingUser is pendingUser for the pages of the second step.
func (s *Service) PendingUser(ctx context.Context, id int64, authVersion int) (User, error) {
	return s.pendingUser(ctx, id, authVersion)
}

// VerifySecondFactor finishes a sign-in with a code from the authenticator
// app or a recovery code. A wrong code counts toward the lock exactly as a
// wrong password does, and a locked account answers exactly as a wrong code
// (R3). A code is accepted once: for a time step later than the last one
// used, and a recovery code only while unused.
func (s *Service) VerifySecondFactor(ctx context.Context, id int64, authVersion int, code string) (User, error) {
	u, err := s.pendingUser(ctx, id, authVersion)
	if err != nil {
		return User{}, err
	}
	if !u.MFAOn {
		return User{}, ErrSignInGone // reset in the meantime
	}
	fail := func(action string, detail map[string]any) (User, error) {
		detail["step"] = "code"
		if err := audit.Record(ctx, s.db, audit.Entry{Action: action, PracticeID: u.PracticeID, TargetType: "user", TargetID: u.ID, Detail: detail}); err != nil {
			return User{}, err
		}
		return User{}, ErrBadCode
	}
	attempt, err := reserveAttempt(ctx, s.db, u.ID)
	if err != nil {
		return User{}, err
	}
	if attempt.Refused {
		return fail(audit.LoginFailure, map[string]any{"locked": true})
	}
	how, err := s.useCode(ctx, u.ID, code)
	if err != nil {
		return User{}, err
	}
	if how == "" {
		if attempt.Locked {
			return fail(audit.LoginLocked, map[string]any{})
		}
		return fail(audit.LoginFailure, map[string]any{})
	}
	if err := forgiveAttempts(ctx, s.db, u.ID, attempt); err != nil {
		return User{}, err
	}
	if err := audit.Record(ctx, s.db, audit.Entry{Action: audit.LoginSuccess, PracticeID: u.PracticeID, ActorID: u.ID, TargetType: "user", TargetID: u.ID,
		Detail: map[string]any{"second_step": how}}); err != nil {
		return User{}, err
	}
	return u, nil
}

// useCode accepts code for the user once and says how ("totp" or
// "recovery"), or "" when it is not right. Each check and use is one
// UPDATE, so two requests with the same code cannot both pass.
func (s *Service) useCode(ctx context.Context, userID int64, code string) (string, error) {
	if auth.IsRecoveryCode(code) {
		res, err := s.db.ExecContext(ctx, `UPDATE mfa_recovery_codes SET used_at = now()
			WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL`, userID, auth.HashRecoveryCode(code))
		if err != nil {
			return "", fmt.Errorf("use recovery code: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			return "recovery", nil
		}
		return "", nil
	}
	var secret string
	err := s.db.GetContext(ctx, &secret, `SELECT secret FROM user_mfa WHERE user_id = $1`, userID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("load totp secret: %w", err)
	}
	step, ok := auth.MatchTOTP(secret, code, s.now())
	if !ok {
		return "", nil
	}
	res, err := s.db.ExecContext(ctx, `UPDATE user_mfa SET last_step = $2 WHERE user_id = $1 AND last_step < $2`, userID, step)
	if err != nil {
		return "", fmt.Errorf("use totp code: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return "totp", nil
	}
	return "", nil // this step, or a later one, was used already: a replay
}

// Enrolment is what the set-up page shows: a new secret, its otpauth://
// URI for the QR code, and its text for typing in by hand.
type Enrolment struct {
	Secret string
	URI    string
}

// NewEnrolment makes a new secret for u. Nothing is stored: the caller
// keeps it (sealed, in the session) until a code from it is confirmed.
func (s *Service) NewEnrolment(u User) (Enrolment, error) {
	secret, uri, err := auth.NewTOTP(TOTPIssuer, u.Email)
	return Enrolment{Secret: secret, URI: uri}, err
}

func badSetupCode() error {
	v := errkind.NewInvalid()
	v.Add("code", "That code does not match. Type the 6 digits your authenticator app shows now for Trellis.")
	return v
}

// EnableMFA turns two-step sign-in on for the actor once a code from the
// new secret proves their app has it. It returns the recovery codes, to be
// shown once, and the new auth version: the actor's other sessions end
// (R8), this one keeps going with it.
func (s *Service) EnableMFA(ctx context.Context, actor policy.Actor, secret, code string) ([]string, int, error) {
	if !policy.Allowed(actor, policy.ManageOwnMFA) {
		return nil, 0, errkind.ErrForbidden
	}
	u, err := userByID(ctx, s.db, actor.UserID)
	if err != nil {
		return nil, 0, err
	}
	return s.enable(ctx, u, secret, code, nil)
}

// EnrolAtSignIn is EnableMFA for a sign-in that must set it up first; it
// finishes the sign-in.
func (s *Service) EnrolAtSignIn(ctx context.Context, id int64, authVersion int, secret, code string) (User, []string, error) {
	u, err := s.pendingUser(ctx, id, authVersion)
	if err != nil {
		return User{}, nil, err
	}
	codes, v, err := s.enable(ctx, u, secret, code, &audit.Entry{Action: audit.LoginSuccess, PracticeID: u.PracticeID, ActorID: u.ID,
		TargetType: "user", TargetID: u.ID, Detail: map[string]any{"second_step": "enrolled"}})
	if err != nil {
		return User{}, nil, err
	}
	u.AuthVersion, u.MFAOn, u.MFAEnrolRequired = v, true, false
	return u, codes, nil
}

func (s *Service) enable(ctx context.Context, u User, secret, code string, also *audit.Entry) ([]string, int, error) {
	step, ok := auth.MatchTOTP(secret, code, s.now())
	if !ok {
		return nil, 0, badSetupCode()
	}
	codes, hashes := auth.NewRecoveryCodes()
	var v int
	err := database.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		// The confirming code's step counts as used: it cannot sign in.
		res, err := tx.ExecContext(ctx, `INSERT INTO user_mfa (user_id, secret, last_step) VALUES ($1, $2, $3)
			ON CONFLICT (user_id) DO NOTHING`, u.ID, secret, step)
		if err != nil {
			return fmt.Errorf("enable mfa: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			v := errkind.NewInvalid()
			v.Add("code", "Two-step sign-in is already on for your account.")
			return v
		}
		if err := storeRecoveryCodes(ctx, tx, u.ID, hashes); err != nil {
			return err
		}
		if err := tx.QueryRowxContext(ctx, `UPDATE users SET mfa_enrol_required = false, auth_version = auth_version + 1, updated_at = now()
			WHERE id = $1 RETURNING auth_version`, u.ID).Scan(&v); err != nil {
			return fmt.Errorf("enable mfa: %w", err)
		}
		if err := audit.Record(ctx, tx, audit.Entry{Action: audit.MFAEnabled, PracticeID: u.PracticeID, ActorID: u.ID, TargetType: "user", TargetID: u.ID}); err != nil {
			return err
		}
		if also != nil {
			return audit.Record(ctx, tx, *also)
		}
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	return codes, v, nil
}

func storeRecoveryCodes(ctx context.Context, tx *sqlx.Tx, userID int64, hashes [][]byte) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM mfa_recovery_codes WHERE user_id = $1`, userID); err != nil {
		return fmt.Errorf("replace recovery codes: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO mfa_recovery_codes (user_id, code_hash) SELECT $1, unnest($2::bytea[])`,
		userID, pq.ByteaArray(hashes)); err != nil {
		return fmt.Errorf("store recovery codes: %w", err)
	}
	return nil
}

// proveCode checks a current code (or a recovery code) of the signed-in
// actor before a change to their two-step sign-in. A wrong one counts
// toward the lock as at sign-in, so a stolen session cannot guess its way
// in; field names the form field for the message.
func (s *Service) proveCode(ctx context.Context, actor policy.Actor, code, field string) error {
	attempt, err := reserveAttempt(ctx, s.db, actor.UserID)
	if err != nil {
		return err
	}
	how := ""
	if !attempt.Refused {
		if how, err = s.useCode(ctx, actor.UserID, code); err != nil {
			return err
		}
	}
	if how == "" {
		if err := audit.Record(ctx, s.db, audit.Entry{Action: audit.MFAWrongCode, PracticeID: actor.PracticeID, ActorID: actor.UserID, TargetType: "user", TargetID: actor.UserID}); err != nil {
			return err
		}
		inv := errkind.NewInvalid()
		inv.Add(field, "That code is not right, or it was used already. Type the code your authenticator app shows now.")
		return inv
	}
	return forgiveAttempts(ctx, s.db, actor.UserID, attempt)
}

// DisableMFA turns the actor's own two-step sign-in off, with a current
// code as proof; not while the practice requires it of them. Their other
// sessions end and the new auth version is returned for this one.
func (s *Service) DisableMFA(ctx context.Context, actor policy.Actor, code string) (int, error) {
	if !policy.Allowed(actor, policy.ManageOwnMFA) {
		return 0, errkind.ErrForbidden
	}
	st, err := s.MFAStatus(ctx, actor)
	if err != nil {
		return 0, err
	}
	inv := errkind.NewInvalid()
	switch {
	case !st.On:
		inv.Add("off_code", "Two-step sign-in is already off.")
		return 0, inv
	case st.Required:
		inv.Add("off_code", "Your practice requires two-step sign-in, so it stays on.")
		return 0, inv
	}
	if err := s.proveCode(ctx, actor, code, "off_code"); err != nil {
		return 0, err
	}
	var v int
	err = database.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM mfa_recovery_codes WHERE user_id = $1`, actor.UserID); err != nil {
			return fmt.Errorf("disable mfa: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM user_mfa WHERE user_id = $1`, actor.UserID); err != nil {
			return fmt.Errorf("disable mfa: %w", err)
		}
		if err := tx.QueryRowxContext(ctx, `UPDATE users SET auth_version = auth_version + 1, updated_at = now() WHERE id = $1 RETURNING auth_version`,
			actor.UserID).Scan(&v); err != nil {
			return fmt.Errorf("disable mfa: %w", err)
		}
		return audit.Record(ctx, tx, audit.Entry{Action: audit.MFADisabled, PracticeID: actor.PracticeID, ActorID: actor.UserID, TargetType: "user", TargetID: actor.UserID})
	})
	return v, err
}

// NewRecoveryCodes replaces the actor's recovery codes with ten new ones
// (the old stop working), with a current code as proof.
func (s *Service) NewRecoveryCodes(ctx context.Context, actor policy.Actor, code string) ([]string, error) {
	if !policy.Allowed(actor, policy.ManageOwnMFA) {
		return nil, errkind.ErrForbidden
	}
	st, err := s.MFAStatus(ctx, actor)
	if err != nil {
		return nil, err
	}
	if !st.On {
		inv := errkind.NewInvalid()
		inv.Add("new_code", "Two-step sign-in is off: there are no recovery codes to replace.")
		return nil, inv
	}
	if err := s.proveCode(ctx, actor, code, "new_code"); err != nil {
		return nil, err
	}
	codes, hashes := auth.NewRecoveryCodes()
	err = database.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		if err := storeRecoveryCodes(ctx, tx, actor.UserID, hashes); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: audit.RecoveryCodesNew, PracticeID: actor.PracticeID, ActorID: actor.UserID, TargetType: "user", TargetID: actor.UserID})
	})
	if err != nil {
		return nil, err
	}
	return codes, nil
}

// MFAStatus is what the person's own two-step sign-in page shows.
type MFAStatus struct {
	On           bool
	EnabledAt    time.Time
	RecoveryLeft int
	// RequiredFrom: the practice requires it of staff from this day.
	RequiredFrom *time.Time
	// Required: it is required of this person now.
	Required bool
}

// MFAStatus reports the actor's two-step sign-in.
func (s *Service) MFAStatus(ctx context.Context, actor policy.Actor) (MFAStatus, error) {
	if !policy.Allowed(actor, policy.ManageOwnMFA) {
		return MFAStatus{}, errkind.ErrForbidden
	}
	var st MFAStatus
	var enabled sql.NullTime
	err := s.db.QueryRowxContext(ctx, `SELECT (SELECT enabled_at FROM user_mfa WHERE user_id = $1),
		(SELECT count(*) FROM mfa_recovery_codes WHERE user_id = $1 AND used_at IS NULL)`, actor.UserID).Scan(&enabled, &st.RecoveryLeft)
	if err != nil {
		return MFAStatus{}, fmt.Errorf("mfa status: %w", err)
	}
	st.On, st.EnabledAt = enabled.Valid, enabled.Time
	if actor.Role.Staff() {
		p, err := getPractice(ctx, s.db, actor.PracticeID)
		if err != nil {
			return MFAStatus{}, err
		}
		st.RequiredFrom, st.Required = p.MFARequiredFrom, MFARequired(p, s.now())
	}
	return st, nil
}

// ResetMFA turns off a colleague's two-step sign-in (they lost their phone
// and their recovery codes), for an admin; a therapist may do the same for
// a client of their caseload. Staff must set it up again at their next
// sign-in; their sessions end now. The person is told at their next
// sign-in who did it and when, and it is audited.
func (s *Service) ResetMFA(ctx context.Context, actor policy.Actor, userID int64) error {
	if userID == actor.UserID {
		v := errkind.NewInvalid()
		v.Add("status", "Your own two-step sign-in is on your account page.")
		return v
	}
	u, err := s.manageable(ctx, actor, userID)
	if err != nil {
		return err
	}
	return database.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		return resetMFA(ctx, tx, u, actor.UserID, nil)
	})
}

// ResetMFAByEmail is ResetMFA from the command line, for a practice whose
// only admin lost their phone. The audit entry and the notice name no one.
func (s *Service) ResetMFAByEmail(ctx context.Context, email string) (User, error) {
	u, err := userByEmail(ctx, s.db, normalizeEmail(email))
	if err != nil {
		return User{}, err
	}
	err = database.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		return resetMFA(ctx, tx, u, 0, map[string]any{"via": "command line"})
	})
	return u, err
}

func resetMFA(ctx context.Context, tx *sqlx.Tx, u User, by int64, detail map[string]any) error {
	if detail == nil {
		detail = map[string]any{}
	}
	detail["was_on"] = u.MFAOn
	if _, err := tx.ExecContext(ctx, `DELETE FROM mfa_recovery_codes WHERE user_id = $1`, u.ID); err != nil {
		return fmt.Errorf("reset mfa: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM user_mfa WHERE user_id = $1`, u.ID); err != nil {
		return fmt.Errorf("reset mfa: %w", err)
	}
	// Staff set it up again before they can work; for a client it was
	// their own choice, which they may make again.
	if _, err := tx.ExecContext(ctx, `UPDATE users SET mfa_enrol_required = (role <> 'client'), auth_version = auth_version + 1, updated_at = now()
		WHERE id = $1`, u.ID); err != nil {
		return fmt.Errorf("reset mfa: %w", err)
	}
	if err := addNotice(ctx, tx, u.ID, "mfa_reset", by); err != nil {
		return err
	}
	return audit.Record(ctx, tx, audit.Entry{Action: audit.MFAReset, PracticeID: u.PracticeID, ActorID: by, TargetType: "user", TargetID: u.ID, Detail: detail})
}

// SetMFARequirement requires two-step sign-in of every staff member from
// the day from ("2027-01-31"); "" stops requiring it. Until that day they
// are reminded; from it, anyone without it sets it up at sign-in.
func (s *Service) SetMFARequirement(ctx context.Context, actor policy.Actor, from string) error {
	if !policy.Allowed(actor, policy.ManagePractice) {
		return errkind.ErrForbidden
	}
	from = strings.TrimSpace(from)
	var day *time.Time
	if from != "" {
		t, err := time.Parse("2006-01-02", from)
		if err != nil || t.Year() < 2000 || t.Year() > 9999 {
			v := errkind.NewInvalid()
			v.Add("mfa_required_from", "Enter a date like 2027-01-31, or leave it empty to not require it.")
			return v
		}
		day = &t
	}
	return database.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE practices SET mfa_required_from = $2 WHERE id = $1`, actor.PracticeID, day); err != nil {
			return fmt.Errorf("set mfa requirement: %w", err)
		}
		return audit.Record(ctx, tx, audit.Entry{Action: audit.MFARequirement, PracticeID: actor.PracticeID, ActorID: actor.UserID,
			TargetType: "practice", TargetID: actor.PracticeID, Detail: map[string]any{"from": from}})
	})
}

// Notice tells a person that someone else reset their access.
type Notice struct {
	ID   int64     `db:"id"`
	Kind string    `db:"kind"` // "password_reset" or "mfa_reset"
	At   time.Time `db:"at"`
	// ByName is who did it, and their role; "" for the command line.
	ByName string `db:"by_name"`
	ByRole string `db:"by_role"`
}

func addNotice(ctx context.Context, e sqlx.ExecerContext, userID int64, kind string, by int64) error {
	if _, err := e.ExecContext(ctx, `INSERT INTO account_notices (user_id, kind, by_user) VALUES ($1, $2, $3)`, userID, kind, nullableID(by)); err != nil {
		return fmt.Errorf("add notice: %w", err)
	}
	return nil
}

// noteAdminReset leaves a notice when a reset link made by an admin (not
// by the person) set their password (#15 finding 2b): the admin may have
// used it themselves.
func noteAdminReset(ctx context.Context, e sqlx.ExecerContext, tokenID int64) error {
	_, err := e.ExecContext(ctx, `INSERT INTO account_notices (user_id, kind, by_user)
		SELECT t.user_id, 'password_reset', t.created_by FROM access_tokens t JOIN users a ON a.id = t.created_by
		WHERE t.id = $1 AND t.purpose = 'reset' AND a.role = 'admin' AND t.created_by <> t.user_id`, tokenID)
	if err != nil {
		return fmt.Errorf("note reset: %w", err)
	}
	return nil
}

// Notices lists the actor's unread notices, oldest first.
func (s *Service) Notices(ctx context.Context, actor policy.Actor) ([]Notice, error) {
	var ns []Notice
	err := sqlx.SelectContext(ctx, s.db, &ns, `SELECT n.id, n.kind, n.at, coalesce(b.display_name, '') AS by_name, coalesce(b.role::text, '') AS by_role
		FROM account_notices n LEFT JOIN users b ON b.id = n.by_user
		WHERE n.user_id = $1 AND n.read_at IS NULL ORDER BY n.id`, actor.UserID)
	if err != nil {
		return nil, fmt.Errorf("list notices: %w", err)
	}
	return ns, nil
}

// ReadNotice marks one of the actor's notices read; it is audited, so the
// log shows who read it, when and from where. Someone else's notice is not
// found.
func (s *Service) ReadNotice(ctx context.Context, actor policy.Actor, id int64) error {
	return database.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		var kind string
		err := tx.QueryRowxContext(ctx, `UPDATE account_notices SET read_at = now() WHERE id = $1 AND user_id = $2 AND read_at IS NULL RETURNING kind`,
			id, actor.UserID).Scan(&kind)
		if errors.Is(err, sql.ErrNoRows) {
			return errkind.ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("read notice: %w", err)
		}
		return audit.Record(ctx, tx, audit.Entry{Action: audit.NoticeRead, PracticeID: actor.PracticeID, ActorID: actor.UserID, TargetType: "user", TargetID: actor.UserID,
			Detail: map[string]any{"notice": id, "kind": kind}})
	})
}

func nullableID(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

// releaseAttempt forgives only the attempt a (a right password whose
// sign-in still needs its code): the failures before it stay counted. If a
// set the lock, the lock goes and the count stands one short of it.
func releaseAttempt(ctx context.Context, e sqlx.ExecerContext, userID int64, a attempt) error {
	var err error
	if a.Locked {
		_, err = e.ExecContext(ctx, `UPDATE users SET locked_until = NULL, failed_logins = $3, first_failed_at = now()
			WHERE id = $1 AND locked_until = $2`, userID, a.LockedUntil, MaxFailures-1)
	} else {
		_, err = e.ExecContext(ctx, `UPDATE users SET failed_logins = greatest(failed_logins - 1, 0) WHERE id = $1`, userID)
	}
	if err != nil {
		return fmt.Errorf("release sign-in attempt: %w", err)
	}
	return nil
}
