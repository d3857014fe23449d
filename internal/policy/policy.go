// Package policy decides who may do what. It is one pure table of role ×
// action plus ownership rules, with no I/O: every service asks Can before it
// acts, and its SQL also filters by owner, so a forgotten check still
// returns nothing.
package policy

import (
	"slices"
	"time"
)

// Role is what a user is in their practice.
type Role string

// The roles.
const (
	Admin     Role = "admin"
	Therapist Role = "therapist"
	Client    Role = "client"
)

// Roles lists every role, for route rules and tests.
var Roles = []Role{Admin, Therapist, Client}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r == Admin || r == Therapist || r == Client }

// Staff reports whether r works at the practice (admin or therapist).
func (r Role) Staff() bool { return r == Admin || r == Therapist }

// Actor is the signed-in user a service acts for.
type Actor struct {
	UserID     int64
	PracticeID int64
	Role       Role
	// Zone is the practice's time zone when the caller has it (a request
	// loads it with the user); nil lets a service look it up.
	Zone *time.Location
}

// Action is something an actor may want to do.
type Action string

// The actions. Clinical actions (reading reflections, notes, reports) are
// never granted to admins (R14).
const (
	ChangeOwnPassword Action = "account.change_password"
	ManageOwnMFA      Action = "account.manage_mfa"
	// UseOwnAccount: sign out, read what was done to one's access.
	UseOwnAccount Action = "account.use"

	ManagePractice Action = "practice.manage"
	ManageStaff    Action = "staff.manage"
	ListUsers      Action = "users.list"
	DisableUser    Action = "users.disable"
	TransferClient Action = "client.transfer"
	ReadAudit      Action = "audit.read"
	// HandOffLinks: see a link one made (an invitation, a new sign-in
	// link) to pass it on; ManageInvitations: renew or withdraw one's
	// invitations. Admins for staff, therapists for clients.
	HandOffLinks      Action = "links.hand_off"
	ManageInvitations Action = "invitations.manage"

	ViewCaseload Action = "caseload.view"
	InviteClient Action = "client.invite"
	ResetClient  Action = "client.reset_access"
	RemoveClient Action = "client.remove"
	ViewClient   Action = "client.view"
	// AcceptTransfer: answer a move of a client into one's own caseload.
	AcceptTransfer Action = "client.accept_transfer"

	ViewLibrary  Action = "exercise.view"
	EditExercise Action = "exercise.edit"
	Assign       Action = "assignment.create"
	ManageWork   Action = "assignment.manage"
	ReviewWork   Action = "submission.review"
	ExportReport Action = "report.export"
	KeepSessions Action = "session.record"

	UsePortal    Action = "portal.use"
	SetReminders Action = "reminders.set"

	OfferReminders Action = "reminders.offer"
)

// table is the whole grant table: which roles may take each action.
var table = map[Action][]Role{
	ChangeOwnPassword: {Admin, Therapist, Client},
	ManageOwnMFA:      {Admin, Therapist, Client},
	UseOwnAccount:     {Admin, Therapist, Client},

	HandOffLinks:      {Admin, Therapist},
	ManageInvitations: {Admin, Therapist},

	ManagePractice: {Admin},
	ManageStaff:    {Admin},
	ListUsers:      {Admin},
	DisableUser:    {Admin},
	TransferClient: {Admin},
	ReadAudit:      {Admin},

	ViewCaseload: {Therapist},
	InviteClient: {Therapist},
	ResetClient:  {Therapist},
	RemoveClient: {Therapist},
	ViewClient:   {Therapist},

	AcceptTransfer: {Therapist},

	ViewLibrary:  {Therapist},
	EditExercise: {Therapist},
	Assign:       {Therapist},
	ManageWork:   {Therapist},
	ReviewWork:   {Therapist},
	ExportReport: {Therapist},
	KeepSessions: {Therapist},

	UsePortal:    {Client},
	SetReminders: {Client},

	OfferReminders: {Therapist},
}

// Actions lists every action in the table, for tests.
func Actions() []Action {
	out := make([]Action, 0, len(table))
	for a := range table {
		out = append(out, a)
	}
	return out
}

// Resource describes the record an action touches. Zero fields are not
// checked: a practice-wide action names only PracticeID.
type Resource struct {
	PracticeID  int64
	TherapistID int64 // the therapist whose caseload the record is in
	ClientID    int64 // the client the record belongs to
	UserID      int64 // the account the action is about
}

// Allowed reports whether actor's role is granted action: the check every
// service makes before it acts, and the router for each route (a route
// names its action). Whose records they are is for the SQL to decide, as
// each statement filters by practice and owner, and for Can where a
// record is already in hand.
func Allowed(actor Actor, action Action) bool {
	return actor.UserID != 0 && actor.Role.Valid() && slices.Contains(table[action], actor.Role)
}

// RolesFor lists the roles granted action.
func RolesFor(action Action) []Role { return slices.Clone(table[action]) }

// Can reports whether actor may take action on res, a record in hand: their
// role must be granted the action, the record must be in their practice, a
// therapist's record must be in their own caseload, and a client's their
// own.
func Can(actor Actor, action Action, res Resource) bool {
	if !Allowed(actor, action) {
		return false
	}
	if res.PracticeID != 0 && res.PracticeID != actor.PracticeID {
		return false
	}
	switch actor.Role {
	case Therapist:
		if res.ClientID != 0 && res.TherapistID != actor.UserID {
			return false
		}
	case Client:
		if res.ClientID != 0 && res.ClientID != actor.UserID {
			return false
		}
		if res.UserID != 0 && res.UserID != actor.UserID {
			return false
		}
	}
	return true
}
