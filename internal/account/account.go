// Package account owns practices and the people in them: admins,
// therapists and clients; invitations, access resets, sign-in with lockout
// and two-step sign-in (TOTP, recovery codes, the practice's requirement,
// resets and the notices they leave), caseload membership and account
// status. Every method that acts for
// someone takes a policy.Actor and checks policy.Can first; the SQL also
// filters by practice and owner.
package account

import (
	"errors"
	"time"

	"github.com/trellis-app/trellis/internal/policy"
)

// Errors of this package, beyond errkind's.
var (
	// ErrBadCredentials: wrong email or password, a locked account, or
	// the right password of an account that cannot sign in. One error
	// for all, so the answer never tells which (R3, R4).
	ErrBadCredentials = errors.New("email or password not recognised")
	// ErrLinkInvalid: an invite or reset link that is unknown, used or
	// expired; one error for all three (R4, R5).
	ErrLinkInvalid = errors.New("link not valid")
	// ErrAccountExists: an invitation was used whose email already has an
	// account; nothing was changed, and the person should sign in with
	// the account they have.
	ErrAccountExists = errors.New("this email already has an account")
)

// Lockout policy (R3).
const (
	MaxFailures   = 10
	FailureWindow = 15 * time.Minute
	LockDuration  = 15 * time.Minute
)

// Link lifetimes (R5, R6).
const (
	InviteTTL = 72 * time.Hour
	ResetTTL  = 30 * time.Minute
)

// Status of an account.
type Status string

// Statuses.
const (
	StatusInvited  Status = "invited"
	StatusActive   Status = "active"
	StatusDisabled Status = "disabled"
)

// User is an account.
type User struct {
	ID            int64       `db:"id"`
	PracticeID    int64       `db:"practice_id"`
	Role          policy.Role `db:"role"`
	Status        Status      `db:"status"`
	Email         string      `db:"email"`
	DisplayName   string      `db:"display_name"`
	PasswordHash  *string     `db:"password_hash"`
	TherapistID   *int64      `db:"therapist_id"`
	TherapistName *string     `db:"therapist_name"`
	AuthVersion   int         `db:"auth_version"`
	LockedUntil   *time.Time  `db:"locked_until"`
	CreatedAt     time.Time   `db:"created_at"`
	// ProgressShared: the client's therapist lets them see their progress.
	ProgressShared bool `db:"progress_shared"`
	// MFAOn: the user signs in with a code from an authenticator app too.
	MFAOn bool `db:"mfa_on"`
	// MFAEnrolRequired: their two-step sign-in was reset by someone else;
	// they set it up again at their next sign-in.
	MFAEnrolRequired bool `db:"mfa_enrol_required"`
}

// Actor is the user as a policy actor.
func (u User) Actor() policy.Actor {
	return policy.Actor{UserID: u.ID, PracticeID: u.PracticeID, Role: u.Role}
}

// CanSignIn reports whether the account may hold a session: active, and a
// client only while in a caseload.
func (u User) CanSignIn() bool {
	if u.Status != StatusActive {
		return false
	}
	return u.Role != policy.Client || u.TherapistID != nil
}

// Practice is a therapy practice.
type Practice struct {
	ID         int64     `db:"id"`
	Name       string    `db:"name"`
	CrisisText string    `db:"crisis_text"`
	TimeZone   string    `db:"time_zone"`
	CreatedAt  time.Time `db:"created_at"`
	// MFARequiredFrom: from this day (on the practice's calendar) staff
	// must use two-step sign-in; nil when the practice does not require it.
	MFARequiredFrom *time.Time `db:"mfa_required_from"`
	// MissedInARow puts a client on the dashboard after this many pieces
	// of homework missed in a row.
	MissedInARow int `db:"missed_in_a_row"`
	// NHSChangeThresholds: measures' change is also judged by the NHS
	// Talking Therapies thresholds (PHQ-9 6 points, GAD-7 4).
	NHSChangeThresholds bool `db:"nhs_change_thresholds"`
}

// Link is a single-use invite or reset token, shown once to the person who
// made it so they can pass it on.
type Link struct {
	UserID    int64
	Purpose   string // "invite" or "reset"
	Token     string // empty when Emailed
	ExpiresAt time.Time
	// Emailed: the link went to the person's address and nobody else saw
	// it (email is set up); else Token is for the maker to pass on.
	Emailed bool
}
