// Package audit keeps the append-only record of who did what to which
// record, when and from where (R24), and lets a practice admin read it.
// Entries hold ids only: never names, emails or clinical text.
package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/trellis-app/trellis/internal/errkind"
	"github.com/trellis-app/trellis/internal/policy"
)

// Actions recorded. Keep them stable: admins filter by them.
const (
	LoginSuccess      = "login.success"
	LoginFailure      = "login.failure"
	LoginLocked       = "login.locked"
	Logout            = "logout"
	PasswordChanged   = "password.changed"
	PasswordWrong     = "password.wrong_current"
	InviteRefused     = "invite.refused"
	InviteCreated     = "invite.created"
	InviteAccepted    = "invite.accepted"
	InviteExisting    = "invite.used_existing"
	InviteWithdrawn   = "invite.withdrawn"
	ResetCreated      = "reset.created"
	ResetCompleted    = "reset.completed"
	UserDisabled      = "user.disabled"
	UserEnabled       = "user.enabled"
	ClientTransfered  = "client.transferred"
	TransferProposed  = "client.transfer_proposed"
	TransferDeclined  = "client.transfer_declined"
	TransferWithdrawn = "client.transfer_withdrawn"
	ClientRemoved     = "client.removed"
	PracticeUpdated   = "practice.updated"
	ExerciseCreated   = "exercise.created"
	ExerciseUpdated   = "exercise.updated"
	AssignmentMade    = "assignment.created"
	AssignmentChange  = "assignment.changed"
	AssignmentCancel  = "assignment.cancelled"
	SubmissionMade    = "submission.created"
	Reviewed          = "submission.reviewed"
	Discuss           = "submission.discuss"
	FeedbackSaved     = "feedback.saved"
	FeedbackWithdrawn = "feedback.withdrawn"
	NoteAdded         = "note.added"
	FlagFollowedUp    = "flag.followed_up"
	ReportExported    = "report.exported"
	SessionRecorded   = "session.recorded"
	SessionRemoved    = "session.removed"
	ProgressSharing   = "progress.sharing"
	RemindersOffered  = "reminders.offered"
	RemindersOn       = "reminders.on"
	RemindersOff      = "reminders.off"
	CalendarAddress   = "calendar.address"
	// Two-step sign-in (#15).
	PasswordAccepted = "login.password_ok"
	MFAEnabled       = "mfa.enabled"
	MFADisabled      = "mfa.disabled"
	MFAWrongCode     = "mfa.wrong_code"
	RecoveryCodesNew = "mfa.recovery_codes"
	MFAReset         = "mfa.reset"
	MFARequirement   = "mfa.requirement"
	NoticeRead       = "notice.read"
)

// AllActions lists the actions, for the admin's filter.
var AllActions = []string{
	LoginSuccess, LoginFailure, LoginLocked, Logout, PasswordChanged, PasswordWrong, InviteRefused,
	InviteCreated, InviteAccepted, InviteExisting, InviteWithdrawn, ResetCreated, ResetCompleted,
	UserDisabled, UserEnabled, TransferProposed, ClientTransfered, TransferDeclined, TransferWithdrawn, ClientRemoved, PracticeUpdated,
	ExerciseCreated, ExerciseUpdated, AssignmentMade, AssignmentChange, AssignmentCancel, SubmissionMade,
	Reviewed, Discuss, FeedbackSaved, FeedbackWithdrawn, NoteAdded, FlagFollowedUp,
	ReportExported, SessionRecorded, SessionRemoved, ProgressSharing,
	PasswordAccepted, MFAEnabled, MFADisabled, MFAWrongCode, RecoveryCodesNew, MFAReset, MFARequirement, NoticeRead,
	RemindersOffered, RemindersOn, RemindersOff, CalendarAddress,
}

// actionWords say what each action means, for the admin reading the log.
var actionWords = map[string]string{
	LoginSuccess:      "Signed in",
	LoginFailure:      "Sign-in failed",
	LoginLocked:       "Sign-in paused after too many wrong tries",
	Logout:            "Signed out",
	PasswordChanged:   "Changed their password",
	PasswordWrong:     "Wrong current password when changing it",
	InviteRefused:     "Invitation refused: email already in use",
	InviteCreated:     "Invitation link made",
	InviteAccepted:    "Accepted an invitation",
	InviteExisting:    "Invitation used by someone who already has an account (nothing changed)",
	InviteWithdrawn:   "Invitation withdrawn",
	ResetCreated:      "Sign-in reset link made",
	ResetCompleted:    "Set a new password with a reset link",
	UserDisabled:      "Account disabled",
	UserEnabled:       "Account enabled",
	ClientTransfered:  "Client move accepted: client moved to another therapist",
	TransferProposed:  "Client move proposed (waits for the receiving therapist)",
	TransferDeclined:  "Client move declined by the receiving therapist",
	TransferWithdrawn: "Client move withdrawn",
	ClientRemoved:     "Client removed from a caseload",
	PracticeUpdated:   "Practice settings changed",
	ExerciseCreated:   "Exercise created",
	ExerciseUpdated:   "Exercise changed",
	AssignmentMade:    "Homework assigned",
	AssignmentChange:  "Homework series changed",
	AssignmentCancel:  "Homework cancelled",
	SubmissionMade:    "Homework sent in",
	Reviewed:          "Sent work marked reviewed",
	Discuss:           "Sent work marked to discuss in session",
	FeedbackSaved:     "Feedback written",
	FeedbackWithdrawn: "Feedback withdrawn",
	NoteAdded:         "Private note added",
	FlagFollowedUp:    "Flag marked followed up",
	ReportExported:    "Report exported",
	SessionRecorded:   "Session date recorded",
	SessionRemoved:    "Session date removed",
	ProgressSharing:   "Progress sharing changed",
	RemindersOffered:  "Email reminders suggested to a client",
	RemindersOn:       "Turned email reminders on",
	RemindersOff:      "Turned email reminders off",
	CalendarAddress:   "Calendar address made or stopped",
	PasswordAccepted:  "Right password; second sign-in step asked for",
	MFAEnabled:        "Turned on two-step sign-in",
	MFADisabled:       "Turned off two-step sign-in",
	MFAWrongCode:      "Wrong code when changing two-step sign-in",
	RecoveryCodesNew:  "Made new recovery codes",
	MFAReset:          "Two-step sign-in reset",
	MFARequirement:    "Two-step sign-in requirement for staff changed",
	NoticeRead:        "Read a notice that their access was reset",
}

// Words says what action means in plain words; an action without words
// (one added later) shows as its code.
func Words(action string) string {
	if w, ok := actionWords[action]; ok {
		return w
	}
	return action
}

// targetWords name the kinds of record an entry can be about.
var targetWords = map[string]string{
	"assignment":        "homework",
	"assignment_series": "homework series",
	"exercise":          "exercise",
	"submission":        "sent work",
}

// Entry is one thing that happened.
type Entry struct {
	PracticeID int64
	ActorID    int64
	Action     string
	TargetType string
	TargetID   int64
	Detail     map[string]any
}

type ipKey struct{}

// WithIP returns ctx carrying the client's IP, recorded with every entry
// made under it.
func WithIP(ctx context.Context, ip string) context.Context {
	return context.WithValue(ctx, ipKey{}, ip)
}

func ipFrom(ctx context.Context) *string {
	s, _ := ctx.Value(ipKey{}).(string)
	if _, err := netip.ParseAddr(s); err != nil {
		return nil
	}
	return &s
}

func nullable(n int64) *int64 {
	if n == 0 {
		return nil
	}
	return &n
}

// Record appends e, in the caller's transaction when ext is one, so the
// entry commits or rolls back with what it records.
func Record(ctx context.Context, ext sqlx.ExtContext, e Entry) error {
	detail := []byte("{}")
	if len(e.Detail) > 0 {
		var err error
		if detail, err = json.Marshal(e.Detail); err != nil {
			return fmt.Errorf("audit detail: %w", err)
		}
	}
	var target *string
	if e.TargetType != "" {
		target = &e.TargetType
	}
	_, err := ext.ExecContext(ctx, `
		INSERT INTO audit_log (practice_id, actor_id, action, target_type, target_id, ip, detail)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		nullable(e.PracticeID), nullable(e.ActorID), e.Action, target, nullable(e.TargetID), ipFrom(ctx), detail)
	if err != nil {
		return fmt.Errorf("record audit %s: %w", e.Action, err)
	}
	return nil
}

// Row is an entry as an admin reads it.
type Row struct {
	ID         int64     `db:"id"`
	At         time.Time `db:"at"`
	ActorID    *int64    `db:"actor_id"`
	ActorName  *string   `db:"actor_name"`
	ActorRole  *string   `db:"actor_role"`
	Action     string    `db:"action"`
	TargetType *string   `db:"target_type"`
	TargetID   *int64    `db:"target_id"`
	// TargetName is the person an entry is about, for the practice's own
	// admin: shown on their page, never written to a log.
	TargetName *string `db:"target_name"`
	IP         *string `db:"ip"`
	Detail     string  `db:"detail"`
}

// Words says what the entry's action means.
func (r Row) Words() string { return Words(r.Action) }

// Record names what the entry is about: a person by name, the practice,
// or a kind of record and its number ("homework #12"), never its content.
func (r Row) Record() string {
	switch {
	case r.TargetName != nil:
		return *r.TargetName
	case r.TargetType == nil:
		return ""
	case *r.TargetType == "practice":
		return "the practice"
	}
	kind := *r.TargetType
	if w, ok := targetWords[kind]; ok {
		kind = w
	}
	if r.TargetID == nil {
		return kind
	}
	return fmt.Sprintf("%s #%d", kind, *r.TargetID)
}

// Filter narrows the log. Zero fields do not filter.
type Filter struct {
	ActorID int64
	Action  string
	From    time.Time // inclusive
	To      time.Time // exclusive
	// BeforeID pages backwards: entries older than this id.
	BeforeID int64
	Limit    int
}

// Reader lists a practice's log for its admins.
type Reader struct {
	db *sqlx.DB
}

// NewReader returns a Reader over db.
func NewReader(db *sqlx.DB) *Reader { return &Reader{db: db} }

// List returns up to f.Limit entries, newest first, and whether more
// remain. Keyset paging keeps every page as fast as the first.
func (r *Reader) List(ctx context.Context, actor policy.Actor, f Filter) ([]Row, bool, error) {
	if !policy.Allowed(actor, policy.ReadAudit) {
		return nil, false, errkind.ErrForbidden
	}
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	var rows []Row
	err := sqlx.SelectContext(ctx, r.db, &rows, `
		SELECT a.id, a.at, a.actor_id, u.display_name AS actor_name, u.role::text AS actor_role,
		       a.action, a.target_type, a.target_id, t.display_name AS target_name, host(a.ip) AS ip, a.detail::text AS detail
		FROM audit_log a
		LEFT JOIN users u ON u.id = a.actor_id
		LEFT JOIN users t ON a.target_type IN ('user', 'client') AND t.id = a.target_id AND t.practice_id = a.practice_id
		WHERE a.practice_id = $1
		  AND ($2::bigint = 0 OR a.actor_id = $2)
		  AND ($3 = '' OR a.action = $3)
		  AND ($4::timestamptz IS NULL OR a.at >= $4)
		  AND ($5::timestamptz IS NULL OR a.at < $5)
		  AND ($6::bigint = 0 OR a.id < $6)
		ORDER BY a.id DESC
		LIMIT $7`,
		actor.PracticeID, f.ActorID, f.Action, nullTime(f.From), nullTime(f.To), f.BeforeID, f.Limit+1)
	if err != nil {
		return nil, false, fmt.Errorf("list audit log: %w", err)
	}
	more := len(rows) > f.Limit
	if more {
		rows = rows[:f.Limit]
	}
	return rows, more, nil
}

func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
