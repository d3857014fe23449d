package account

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/mail"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"github.com/trellis-app/trellis/internal/audit"
	"github.com/trellis-app/trellis/internal/auth"
	"github.com/trellis-app/trellis/internal/database"
	"github.com/trellis-app/trellis/internal/errkind"
	"github.com/trellis-app/trellis/internal/notify"
	"github.com/trellis-app/trellis/internal/policy"
)

// Service is the account rules.
type Service struct {
	mail      *notify.Outbox
	db        *sqlx.DB
	stmts     *database.Statements // the principal, read on every request
	hasher    *auth.Hasher
	passwords *auth.PasswordChecker
	now       func() time.Time
}

// NewService returns the account service.
func NewService(db *sqlx.DB, hasher *auth.Hasher, passwords *auth.PasswordChecker) *Service {
	return &Service{db: db, stmts: database.NewStatements(db), hasher: hasher, passwords: passwords, now: time.Now}
}

// UseMail sends invitations and links by email through outbox; a nil or
// disabled one leaves them to be copied by hand.
func (s *Service) UseMail(outbox *notify.Outbox) { s.mail = outbox }

// EmailOn reports whether links are emailed.
func (s *Service) EmailOn() bool { return s.mail.Enabled() }

// SetClock replaces the service's clock (time.Now). Tests use it to pick
// which authenticator code is current.
func (s *Service) SetClock(now func() time.Time) { s.now = now }

// Authenticate checks an email and password. Unknown email, wrong password
// and a locked account all return ErrBadCredentials after the same hashing
// work (R3, R4). So does a right password on an account that cannot sign
// in (disabled): from outside it is a wrong password, and it counts as one;
// the audit log says why.
//
// Each attempt is counted before the password is hashed, in one atomic
// statement, so guesses sent in parallel cannot slip past the lock: at most
// MaxFailures attempts per window are ever checked.
//
// A right password returns the Step the sign-in still needs: with
// two-step sign-in on, the code (see VerifySecondFactor); when it must be
// set up first, the enrolment. Only a finished sign-in is audited as one.
func (s *Service) Authenticate(ctx context.Context, email, password string) (User, Step, error) {
	email = normalizeEmail(email)
	u, err := userByEmail(ctx, s.db, email)
	fail := func(action string, detail map[string]any) (User, Step, error) {
		if err := audit.Record(ctx, s.db, audit.Entry{Action: action, PracticeID: u.PracticeID, TargetType: "user", TargetID: u.ID, Detail: detail}); err != nil {
			return User{}, StepNone, err
		}
		return User{}, StepNone, ErrBadCredentials
	}
	if errors.Is(err, errkind.ErrNotFound) || (err == nil && u.PasswordHash == nil) {
		if err := s.hasher.Waste(ctx, password); err != nil {
			return User{}, StepNone, err
		}
		return fail(audit.LoginFailure, nil)
	}
	if err != nil {
		return User{}, StepNone, err
	}
	attempt, err := reserveAttempt(ctx, s.db, u.ID)
	if err != nil {
		return User{}, StepNone, err
	}
	if attempt.Refused {
		if err := s.hasher.Waste(ctx, password); err != nil {
			return User{}, StepNone, err
		}
		return fail(audit.LoginFailure, map[string]any{"locked": true})
	}
	if err := s.hasher.Verify(ctx, *u.PasswordHash, password); err != nil {
		if !errors.Is(err, auth.ErrMismatch) {
			return User{}, StepNone, err
		}
		if attempt.Locked {
			return fail(audit.LoginLocked, nil)
		}
		return fail(audit.LoginFailure, nil)
	}
	if !u.CanSignIn() {
		return fail(audit.LoginFailure, map[string]any{"inactive": true})
	}
	step, err := s.signInStep(ctx, s.db, u)
	if err != nil {
		return User{}, StepNone, err
	}
	if step == StepCode {
		err = releaseAttempt(ctx, s.db, u.ID, attempt)
	} else {
		err = forgiveAttempts(ctx, s.db, u.ID, attempt)
	}
	if err != nil {
		return User{}, StepNone, err
	}
	entry := audit.Entry{Action: audit.LoginSuccess, PracticeID: u.PracticeID, ActorID: u.ID, TargetType: "user", TargetID: u.ID}
	if step != StepNone {
		entry.Action, entry.Detail = audit.PasswordAccepted, map[string]any{"next": string(step)}
	}
	if err := audit.Record(ctx, s.db, entry); err != nil {
		return User{}, StepNone, err
	}
	return u, step, nil
}

// RecordLogout audits a sign-out.
func (s *Service) RecordLogout(ctx context.Context, actor policy.Actor) error {
	return audit.Record(ctx, s.db, audit.Entry{Action: audit.Logout, PracticeID: actor.PracticeID, ActorID: actor.UserID, TargetType: "user", TargetID: actor.UserID})
}

// Principal is who a request acts for: the signed-in user with their
// practice, loaded once per request (SessionPrincipal) and read from there
// by every handler, page and service call.
type Principal struct {
	User
	Practice Practice `db:"practice"`
	// Zone is the practice's time zone (UTC if it is not one Go knows).
	Zone *time.Location `db:"-"`
}

// Actor is the principal as a policy actor, with the practice's clock.
func (p Principal) Actor() policy.Actor {
	a := p.User.Actor()
	a.Zone = p.Zone
	return a
}

// SessionPrincipal loads the user a session names, with their practice,
// in one statement. The caller ends the session unless the user CanSignIn
// and the auth version matches.
func (s *Service) SessionPrincipal(ctx context.Context, id int64) (Principal, error) {
	var p Principal
	err := s.stmts.Get(ctx, &p, principalByID, id)
	if errors.Is(err, sql.ErrNoRows) {
		return Principal{}, errkind.ErrNotFound
	}
	if err != nil {
		return Principal{}, fmt.Errorf("load session user: %w", err)
	}
	if p.Zone, err = time.LoadLocation(p.Practice.TimeZone); err != nil {
		p.Zone = time.UTC
	}
	return p, nil
}

// PasswordChange is the change-password form.
type PasswordChange struct {
	Current, New, Confirm string
}

// ChangePassword replaces the actor's password after checking the current
// one. It ends the user's other sessions and returns the new auth version
// for the current session to keep.
func (s *Service) ChangePassword(ctx context.Context, actor policy.Actor, in PasswordChange) (int, error) {
	if !policy.Allowed(actor, policy.ChangeOwnPassword) {
		return 0, errkind.ErrForbidden
	}
	u, err := userByID(ctx, s.db, actor.UserID)
	if err != nil {
		return 0, err
	}
	inv := errkind.NewInvalid()
	// Guessing the current password from a stolen session counts against
	// the same limit as signing in.
	attempt, err := reserveAttempt(ctx, s.db, u.ID)
	if err != nil {
		return 0, err
	}
	switch {
	case attempt.Refused:
		inv.Add("current", "Too many wrong tries. Please wait 15 minutes and try again.")
	case u.PasswordHash == nil:
		inv.Add("current", "That is not your current password.")
	default:
		err := s.hasher.Verify(ctx, *u.PasswordHash, in.Current)
		switch {
		case errors.Is(err, auth.ErrMismatch):
			inv.Add("current", "That is not your current password.")
			if err := audit.Record(ctx, s.db, audit.Entry{Action: audit.PasswordWrong, PracticeID: u.PracticeID, ActorID: u.ID, TargetType: "user", TargetID: u.ID}); err != nil {
				return 0, err
			}
		case err != nil:
			return 0, err
		default:
			if err := forgiveAttempts(ctx, s.db, u.ID, attempt); err != nil {
				return 0, err
			}
		}
	}
	s.checkNewPassword(inv, in.New, in.Confirm, u.Email)
	if err := inv.Err(); err != nil {
		return 0, err
	}
	hash, err := s.hasher.Hash(ctx, in.New)
	if err != nil {
		return 0, err
	}
	var v int
	err = database.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		if v, err = setPassword(ctx, tx, u.ID, hash, true); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: audit.PasswordChanged, PracticeID: u.PracticeID, ActorID: u.ID, TargetType: "user", TargetID: u.ID})
	})
	return v, err
}

// LinkUser returns the user a live invite or reset link belongs to, or
// ErrLinkInvalid.
//
// An invitation for an email that already has an account answers like a
// new one: a user with only the name the inviter typed.
func (s *Service) LinkUser(ctx context.Context, purpose, token string) (User, error) {
	u, _, err := tokenUser(ctx, s.db, auth.HashToken(token), purpose)
	if errors.Is(err, ErrLinkInvalid) && purpose == "invite" {
		if d, derr := existingInvite(ctx, s.db, auth.HashToken(token)); derr == nil {
			return User{DisplayName: d.Name}, nil
		} else if !errors.Is(derr, ErrLinkInvalid) {
			return User{}, derr
		}
	}
	if err == nil && u.Status == StatusDisabled {
		return User{}, ErrLinkInvalid
	}
	return u, err
}

func (s *Service) checkNewPassword(inv *errkind.Invalid, password, confirm, email string) {
	if msg := s.passwords.Problem(password, email); msg != "" {
		inv.Add("password", msg)
	}
	if password != confirm {
		inv.Add("confirm", "The two passwords are not the same. Please type them again.")
	}
}

// UseLink sets a password through an invite or reset link: it checks the
// password policy, uses the link exactly once, activates an invited account
// and ends every session of the user (R5, R6). When the account may sign
// in, the caller starts a session for the user it returns, the link and
// the new password being proof enough, unless the returned Step asks for
// more: a link resets the password only, so with two-step sign-in on the
// code is still needed (#15 finding 2b). The sign-in is audited once it is
// finished. A reset made by an admin is left as a notice for the person.
//
// An invitation for an email that already has an account takes the
// password exactly as a new one does (the same checks, the same hashing
// work), then changes nothing of that account: it is used up, audited, and
// ErrAccountExists says the person should sign in with the account they
// have.
func (s *Service) UseLink(ctx context.Context, purpose, token, password, confirm string) (User, Step, error) {
	u, tokenID, err := tokenUser(ctx, s.db, auth.HashToken(token), purpose)
	if errors.Is(err, ErrLinkInvalid) && purpose == "invite" {
		if d, derr := existingInvite(ctx, s.db, auth.HashToken(token)); derr == nil {
			u, err := s.useExistingInvite(ctx, d, password, confirm)
			return u, StepNone, err
		} else if !errors.Is(derr, ErrLinkInvalid) {
			return User{}, StepNone, derr
		}
	}
	if err != nil {
		return User{}, StepNone, err
	}
	if u.Status == StatusDisabled {
		return User{}, StepNone, ErrLinkInvalid
	}
	inv := errkind.NewInvalid()
	s.checkNewPassword(inv, password, confirm, u.Email)
	if err := inv.Err(); err != nil {
		return u, StepNone, err
	}
	hash, err := s.hasher.Hash(ctx, password)
	if err != nil {
		return User{}, StepNone, err
	}
	action := audit.InviteAccepted
	if purpose == "reset" {
		action = audit.ResetCompleted
	}
	step := StepNone
	err = database.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		if err := useToken(ctx, tx, tokenID); err != nil {
			return err
		}
		// With two-step sign-in on, the lock guards the code: a new
		// password must not give whoever holds the link fresh guesses.
		if _, err := setPassword(ctx, tx, u.ID, hash, !u.MFAOn); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, audit.Entry{Action: action, PracticeID: u.PracticeID, ActorID: u.ID, TargetType: "user", TargetID: u.ID}); err != nil {
			return err
		}
		if err := noteAdminReset(ctx, tx, tokenID); err != nil {
			return err
		}
		if u, err = userByID(ctx, tx, u.ID); err != nil || !u.CanSignIn() {
			return err
		}
		if step, err = s.signInStep(ctx, tx, u); err != nil {
			return err
		}
		entry := audit.Entry{Action: audit.LoginSuccess, PracticeID: u.PracticeID, ActorID: u.ID, TargetType: "user", TargetID: u.ID,
			Detail: map[string]any{"via": purpose}}
		if step != StepNone {
			entry.Action, entry.Detail["next"] = audit.PasswordAccepted, string(step)
		}
		return audit.Record(ctx, tx, entry)
	})
	if err != nil {
		return User{}, StepNone, err
	}
	return u, step, nil
}

// useExistingInvite answers the password form of an invitation for an
// email that already has an account: as a new invitation would, up to the
// point where the person must prove who they are, and without touching the
// account. The password typed is hashed and thrown away, so the answer
// takes as long as a real one.
func (s *Service) useExistingInvite(ctx context.Context, d existingEmailInvite, password, confirm string) (User, error) {
	shown := User{DisplayName: d.Name}
	inv := errkind.NewInvalid()
	s.checkNewPassword(inv, password, confirm, d.Email)
	if err := inv.Err(); err != nil {
		return shown, err
	}
	if err := s.hasher.Waste(ctx, password); err != nil {
		return User{}, err
	}
	err := database.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE existing_email_invites SET used_at = now() WHERE id = $1 AND used_at IS NULL`, d.ID)
		if err != nil {
			return fmt.Errorf("use invitation: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrLinkInvalid
		}
		return audit.Record(ctx, tx, audit.Entry{Action: audit.InviteExisting, PracticeID: d.PracticeID,
			Detail: map[string]any{"invitation": d.ID}})
	})
	if err != nil {
		return User{}, err
	}
	return shown, ErrAccountExists
}

// Invitation is what staff type to invite someone.
type Invitation struct {
	Name  string
	Email string
	Role  policy.Role // for staff invites: admin or therapist
}

func (s *Service) validateInvitation(inv Invitation, staff bool) (Invitation, error) {
	v := errkind.NewInvalid()
	inv.Name = strings.TrimSpace(inv.Name)
	inv.Email = normalizeEmail(inv.Email)
	if msg := nameProblem(inv.Name); msg != "" {
		v.Add("name", msg)
	}
	if msg := emailProblem(inv.Email); msg != "" {
		v.Add("email", msg)
	}
	if staff && inv.Role != policy.Admin && inv.Role != policy.Therapist {
		v.Add("role", "Choose therapist or practice admin.")
	}
	return inv, v.Err()
}

// InviteStaff creates a therapist or admin account in the actor's practice
// and returns its invite link.
func (s *Service) InviteStaff(ctx context.Context, actor policy.Actor, in Invitation) (Link, error) {
	if !policy.Allowed(actor, policy.ManageStaff) {
		return Link{}, errkind.ErrForbidden
	}
	in, err := s.validateInvitation(in, true)
	if err != nil {
		return Link{}, err
	}
	return s.invite(ctx, actor.UserID, User{PracticeID: actor.PracticeID, Role: in.Role, Email: in.Email, DisplayName: in.Name})
}

// InviteClient creates a client in the therapist's caseload and returns
// its invite link.
func (s *Service) InviteClient(ctx context.Context, actor policy.Actor, in Invitation) (Link, error) {
	if !policy.Allowed(actor, policy.InviteClient) {
		return Link{}, errkind.ErrForbidden
	}
	in, err := s.validateInvitation(in, false)
	if err != nil {
		return Link{}, err
	}
	tid := actor.UserID
	return s.invite(ctx, actor.UserID, User{PracticeID: actor.PracticeID, Role: policy.Client, Email: in.Email, DisplayName: in.Name, TherapistID: &tid})
}

func (s *Service) invite(ctx context.Context, by int64, u User) (Link, error) {
	token, hash := auth.NewToken()
	expires := s.now().Add(InviteTTL)
	existing, err := userByEmail(ctx, s.db, u.Email)
	switch {
	case err == nil && unclaimed(existing, u):
		return s.reinvite(ctx, by, u, existing.ID, hash, token, expires)
	case err == nil:
		return s.refuseInvite(ctx, by, u, existing, token, hash, expires)
	case !errors.Is(err, errkind.ErrNotFound):
		return Link{}, err
	}
	err = database.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		id, err := insertUser(ctx, tx, u)
		if database.IsUniqueViolation(err, "users_email_key") {
			return errEmailTaken // another invitation for this email won a race
		}
		if err != nil {
			return err
		}
		u.ID = id
		return s.issueLink(ctx, tx, by, u, "invite", hash, expires, audit.InviteCreated, map[string]any{"role": string(u.Role)})
	})
	if errors.Is(err, errEmailTaken) {
		if existing, err := userByEmail(ctx, s.db, u.Email); err == nil {
			return s.refuseInvite(ctx, by, u, existing, token, hash, expires)
		}
	}
	if err != nil {
		return Link{}, err
	}
	return s.link(Link{UserID: u.ID, Purpose: "invite", Token: token, ExpiresAt: expires}), nil
}

// issueLink stores a new single-use link of purpose for u (its hash,
// valid until expires), queues its email and audits it as action, in tx.
// by made it (0: the command line).
func (s *Service) issueLink(ctx context.Context, tx *sqlx.Tx, by int64, u User, purpose string, hash []byte, expires time.Time, action string, detail map[string]any) error {
	tokenID, err := insertToken(ctx, tx, u.ID, purpose, hash, by, expires)
	if err != nil {
		return err
	}
	if err := s.email(ctx, tx, notify.Email{Kind: notify.Kind(purpose), PracticeID: u.PracticeID, UserID: u.ID, TokenID: tokenID}); err != nil {
		return err
	}
	return audit.Record(ctx, tx, audit.Entry{Action: action, PracticeID: u.PracticeID, ActorID: by, TargetType: "user", TargetID: u.ID, Detail: detail})
}

// email queues e in tx when email is set up; without it nothing is sent
// and the link is handed to its maker.
func (s *Service) email(ctx context.Context, tx *sqlx.Tx, e notify.Email) error {
	if !s.mail.Enabled() {
		return nil
	}
	_, _, err := s.mail.Queue(ctx, tx, e)
	return err
}

// link is l as its maker sees it: with email set up the link went to the
// person and its token is not shown (the email carries a fresh one).
func (s *Service) link(l Link) Link {
	if s.mail.Enabled() {
		l.Token, l.Emailed = "", true
	}
	return l
}

var errEmailTaken = errors.New("email in use")

// refuseInvite answers an invitation for an email that already has an
// account. Someone who can already see that account (an admin of its
// practice, the therapist of that client) is told plainly. Anyone else gets
// exactly the answer a new invitation gets, and a link that behaves like
// one up to the point where the person must prove who they are: it opens
// the same page and takes a password the same way, but changes nothing of
// the existing account (see UseLink). So an invitation never reveals that
// a person has an account elsewhere, let alone that they are someone's
// client (R4). The refusal is audited.
func (s *Service) refuseInvite(ctx context.Context, by int64, u, existing User, token string, hash []byte, expires time.Time) (Link, error) {
	visible := existing.PracticeID == u.PracticeID &&
		(u.Role != policy.Client || (existing.TherapistID != nil && *existing.TherapistID == by) || by == 0)
	if err := audit.Record(ctx, s.db, audit.Entry{Action: audit.InviteRefused, PracticeID: u.PracticeID, ActorID: by,
		Detail: map[string]any{"reason": "email in use"}}); err != nil {
		return Link{}, err
	}
	if visible {
		v := errkind.NewInvalid()
		v.Add("email", "Someone in your practice already has an account with this email address.")
		return Link{}, v
	}
	// The invitation is kept and listed like any other (see Invitations);
	// with email set up the email goes to the address's owner only and
	// tells them to sign in with the account they have, and the inviter
	// holds no link that could tell the two apart.
	if err := s.inviteExisting(ctx, by, u.PracticeID, u.Role, existing.ID, u.DisplayName, hash, expires); err != nil {
		return Link{}, err
	}
	return s.link(Link{Purpose: "invite", Token: token, ExpiresAt: expires}), nil
}

// ResetAccess makes a new single-use link for a user: a fresh invite if
// they never joined, else a 30-minute reset link. Admins reset anyone in
// their practice; therapists only clients in their caseload.
func (s *Service) ResetAccess(ctx context.Context, actor policy.Actor, userID int64) (Link, error) {
	u, err := s.manageable(ctx, actor, userID)
	if err != nil {
		return Link{}, err
	}
	return s.newLink(ctx, actor, u)
}

// newLink makes u's new link, for an actor allowed to.
func (s *Service) newLink(ctx context.Context, actor policy.Actor, u User) (Link, error) {
	if u.Status == StatusDisabled {
		v := errkind.NewInvalid()
		v.Add("status", "This account is disabled. Enable it first.")
		return Link{}, v
	}
	purpose, ttl, action := "reset", ResetTTL, audit.ResetCreated
	if u.Status == StatusInvited {
		purpose, ttl, action = "invite", InviteTTL, audit.InviteCreated
	}
	token, hash := auth.NewToken()
	expires := s.now().Add(ttl)
	err := database.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		return s.issueLink(ctx, tx, actor.UserID, u, purpose, hash, expires, action, nil)
	})
	if err != nil {
		return Link{}, err
	}
	return s.link(Link{UserID: u.ID, Purpose: purpose, Token: token, ExpiresAt: expires}), nil
}

// manageable loads a user the actor may manage: for an admin anyone in the
// practice, for a therapist a client in their caseload. Anyone else is
// ErrNotFound, exactly like a user that does not exist.
func (s *Service) manageable(ctx context.Context, actor policy.Actor, userID int64) (User, error) {
	switch {
	case policy.Allowed(actor, policy.ListUsers):
		u, err := practiceUser(ctx, s.db, actor.PracticeID, userID)
		if err == nil && u.Role == policy.Client {
			// A client's sign-in is theirs and their therapist's business:
			// an admin who could reset it could read their homework (R14).
			v := errkind.NewInvalid()
			v.Add("status", "A client's sign-in link comes from their therapist. Ask them to make a new one.")
			return User{}, v
		}
		return u, err
	case policy.Allowed(actor, policy.ResetClient):
		u, err := caseloadClient(ctx, s.db, actor.UserID, userID)
		if err != nil {
			return User{}, err
		}
		if !policy.Can(actor, policy.ResetClient, policy.Resource{PracticeID: u.PracticeID, TherapistID: *u.TherapistID, ClientID: u.ID}) {
			return User{}, errkind.ErrNotFound
		}
		return u, nil
	}
	return User{}, errkind.ErrNotFound
}

// SetDisabled disables or re-enables an account; disabling ends its
// sessions at once (R10). Admins cannot disable themselves.
func (s *Service) SetDisabled(ctx context.Context, actor policy.Actor, userID int64, disabled bool) error {
	if !policy.Allowed(actor, policy.DisableUser) {
		return errkind.ErrForbidden
	}
	u, err := practiceUser(ctx, s.db, actor.PracticeID, userID)
	if err != nil {
		return err
	}
	if u.ID == actor.UserID {
		v := errkind.NewInvalid()
		v.Add("status", "You cannot disable your own account.")
		return v
	}
	if disabled == (u.Status == StatusDisabled) {
		return nil // already so: nothing changes, nobody is signed out
	}
	action, status := audit.UserEnabled, StatusActive
	if disabled {
		action, status = audit.UserDisabled, StatusDisabled
	} else if u.PasswordHash == nil {
		status = StatusInvited
	}
	return database.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE users SET status = $3, auth_version = auth_version + 1, updated_at = now()
			WHERE id = $1 AND practice_id = $2`, u.ID, actor.PracticeID, status); err != nil {
			return fmt.Errorf("set status: %w", err)
		}
		if disabled {
			if err := retireLinks(ctx, tx, u.ID); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, audit.Entry{Action: action, PracticeID: actor.PracticeID, ActorID: actor.UserID, TargetType: "user", TargetID: u.ID})
	})
}

// RemoveClient takes a client out of the therapist's caseload: their
// sessions end and they can no longer sign in; their records stay.
func (s *Service) RemoveClient(ctx context.Context, actor policy.Actor, clientID int64) error {
	if !policy.Allowed(actor, policy.RemoveClient) {
		return errkind.ErrForbidden
	}
	c, err := caseloadClient(ctx, s.db, actor.UserID, clientID)
	if err != nil {
		return err
	}
	return database.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET therapist_id = NULL, progress_shared = false, auth_version = auth_version + 1, updated_at = now()
			WHERE id = $1 AND therapist_id = $2`, c.ID, actor.UserID)
		if err != nil {
			return fmt.Errorf("remove client: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errkind.ErrNotFound
		}
		if err := retireLinks(ctx, tx, c.ID); err != nil {
			return err
		}
		// A move proposed from this caseload no longer describes where
		// the client is: it ends here, and the admin may propose again.
		if _, err := withdrawPending(ctx, tx, actor, c.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{Action: audit.ClientRemoved, PracticeID: actor.PracticeID, ActorID: actor.UserID, TargetType: "user", TargetID: c.ID})
	})
}

// ListUsers lists every account of the actor's practice, for admins.
func (s *Service) ListUsers(ctx context.Context, actor policy.Actor) ([]User, error) {
	if !policy.Allowed(actor, policy.ListUsers) {
		return nil, errkind.ErrForbidden
	}
	// Invitations are listed apart (Invitations), both kinds alike.
	return listUsers(ctx, s.db, `u.practice_id = $1 AND u.status <> 'invited'`, actor.PracticeID)
}

// User loads one account of the actor's practice, for admins.
func (s *Service) User(ctx context.Context, actor policy.Actor, id int64) (User, error) {
	if !policy.Allowed(actor, policy.ListUsers) {
		return User{}, errkind.ErrForbidden
	}
	return practiceUser(ctx, s.db, actor.PracticeID, id)
}

// Therapists lists the practice's therapists, for the transfer form.
func (s *Service) Therapists(ctx context.Context, actor policy.Actor) ([]User, error) {
	if !policy.Allowed(actor, policy.TransferClient) {
		return nil, errkind.ErrForbidden
	}
	return listUsers(ctx, s.db, `u.practice_id = $1 AND u.role = 'therapist' AND u.status <> 'disabled'`, actor.PracticeID)
}

// Caseload lists the therapist's clients.
func (s *Service) Caseload(ctx context.Context, actor policy.Actor) ([]User, error) {
	if !policy.Allowed(actor, policy.ViewCaseload) {
		return nil, errkind.ErrForbidden
	}
	// An invitation is not yet a client: it is listed with Invitations.
	return listUsers(ctx, s.db, `u.role = 'client' AND u.therapist_id = $1 AND u.status <> 'invited'`, actor.UserID)
}

// Named is an account by id and name, for a filter's choices.
type Named struct {
	ID          int64  `db:"id"`
	DisplayName string `db:"display_name"`
}

// CaseloadNames lists the therapist's clients by id and name only, in
// Caseload's order.
func (s *Service) CaseloadNames(ctx context.Context, actor policy.Actor) ([]Named, error) {
	if !policy.Allowed(actor, policy.ViewCaseload) {
		return nil, errkind.ErrForbidden
	}
	var out []Named
	if err := sqlx.SelectContext(ctx, s.db, &out, `SELECT u.id, u.display_name FROM users u
		WHERE u.role = 'client' AND u.therapist_id = $1 AND u.status <> 'invited'
		ORDER BY u.display_name COLLATE "und-x-icu", u.id`, actor.UserID); err != nil {
		return nil, fmt.Errorf("list caseload names: %w", err)
	}
	return out, nil
}

// Client loads a client of the therapist's caseload; any other id is
// ErrNotFound (R13).
func (s *Service) Client(ctx context.Context, actor policy.Actor, id int64) (User, error) {
	if !policy.Allowed(actor, policy.ViewCaseload) {
		return User{}, errkind.ErrForbidden
	}
	return caseloadClient(ctx, s.db, actor.UserID, id)
}

// PracticeSettings is what an admin may change.
type PracticeSettings struct {
	Name       string
	CrisisText string
	TimeZone   string
	// MissedInARow is how many pieces of homework missed in a row put a
	// client on their therapist's dashboard, as typed ("3").
	MissedInARow string
	// NHSChangeThresholds: also judge measures' change by the NHS
	// Talking Therapies thresholds.
	NHSChangeThresholds bool
}

// UpdatePractice changes the practice's settings.
func (s *Service) UpdatePractice(ctx context.Context, actor policy.Actor, in PracticeSettings) error {
	if !policy.Allowed(actor, policy.ManagePractice) {
		return errkind.ErrForbidden
	}
	in.Name = strings.TrimSpace(in.Name)
	in.CrisisText = strings.TrimSpace(in.CrisisText)
	in.TimeZone = strings.TrimSpace(in.TimeZone)
	v := errkind.NewInvalid()
	if n := utf8.RuneCountInString(in.Name); n == 0 || n > 200 || !utf8.ValidString(in.Name) {
		v.Add("name", "Enter the practice's name (up to 200 characters).")
	}
	if n := utf8.RuneCountInString(in.CrisisText); n == 0 || n > 1000 || !utf8.ValidString(in.CrisisText) {
		v.Add("crisis_text", "Enter the crisis line text clients see on every page (up to 1,000 characters).")
	}
	if _, err := time.LoadLocation(in.TimeZone); err != nil || in.TimeZone == "" || in.TimeZone == "Local" {
		v.Add("time_zone", "Choose the time zone of the practice from the list.")
	}
	missed, err := strconv.Atoi(strings.TrimSpace(in.MissedInARow))
	if err != nil || missed < 1 || missed > 20 {
		v.Add("missed_in_a_row", "Enter a whole number from 1 to 20.")
	}
	if err := v.Err(); err != nil {
		return err
	}
	return database.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE practices SET name = $2, crisis_text = $3, time_zone = $4, missed_in_a_row = $5, nhs_change_thresholds = $6 WHERE id = $1`,
			actor.PracticeID, in.Name, in.CrisisText, in.TimeZone, missed, in.NHSChangeThresholds); err != nil {
			return fmt.Errorf("update practice: %w", err)
		}
		return audit.Record(ctx, tx, audit.Entry{Action: audit.PracticeUpdated, PracticeID: actor.PracticeID, ActorID: actor.UserID, TargetType: "practice", TargetID: actor.PracticeID})
	})
}

// CreateAdmin bootstraps a practice's first admin from the command line:
// it creates the practice if no practice of that name exists and returns
// an invite link for the admin to choose their password.
func (s *Service) CreateAdmin(ctx context.Context, practiceName, name, email string) (Link, error) {
	practiceName = strings.TrimSpace(practiceName)
	if practiceName == "" {
		return Link{}, errors.New("a practice name is required")
	}
	in, err := s.validateInvitation(Invitation{Name: name, Email: email, Role: policy.Admin}, true)
	if err != nil {
		return Link{}, err
	}
	practiceID, err := ensurePractice(ctx, s.db, practiceName)
	if err != nil {
		return Link{}, err
	}
	return s.invite(ctx, 0, User{PracticeID: practiceID, Role: policy.Admin, Email: in.Email, DisplayName: in.Name})
}

func normalizeEmail(e string) string { return strings.ToLower(strings.TrimSpace(e)) }

func nameProblem(name string) string {
	n := utf8.RuneCountInString(name)
	switch {
	// PostgreSQL cannot store U+0000. The router drops it, but the rule
	// is the service's: any caller gets the message, not a failed insert.
	case !utf8.ValidString(name) || strings.ContainsRune(name, 0):
		return "The name has characters we cannot read. Please type it again."
	case n == 0:
		return "Enter the person's name."
	case n > 120:
		return "Enter a name of at most 120 characters."
	}
	return ""
}

func emailProblem(email string) string {
	if email == "" {
		return "Enter an email address."
	}
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || !strings.Contains(email, ".") || len(email) > 254 {
		return "Enter an email address like name@example.org."
	}
	return ""
}
