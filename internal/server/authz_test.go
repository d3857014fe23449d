package server_test

// Authorization from the outside: the role × route matrix (R12), someone
// else's record answering exactly like no record (R13), the admin kept out of
// clinical work (R14) and cross-origin POSTs refused (R16).

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/trellis-app/trellis/internal/account"
	"github.com/trellis-app/trellis/internal/server"
	"github.com/trellis-app/trellis/internal/testkit"
)

// matrixWant is the answer one actor must get from one route.
type matrixWant struct {
	code int
	// loc is the Location of a 303, compared as path plus query values.
	// "{path}" stands for the requested path; "{client}", "{exercise}" and
	// "{new}" for ids of the matrixWorld (see matrixWorld.location).
	loc string
}

var (
	wantOK        = matrixWant{code: http.StatusOK}
	wantForbidden = matrixWant{code: http.StatusForbidden}
	wantNotFound  = matrixWant{code: http.StatusNotFound}
	// A form refused for what it names: shown again with the message
	// beside the field, nothing saved.
	wantInvalid = matrixWant{code: http.StatusUnprocessableEntity}
	// An anonymous GET of a protected page is sent to sign in and brought
	// back afterwards.
	wantSigninNext = matrixWant{code: http.StatusSeeOther, loc: "/signin?next={path}"}
	// An anonymous POST is sent to sign in with nowhere to come back to: a
	// form post cannot be replayed by a redirect.
	wantSignin = matrixWant{code: http.StatusSeeOther, loc: "/signin"}
	// An anonymous POST of a client's words is kept, not dropped (FT5): sent
	// to sign in and brought back to the assignment afterwards.
	wantKept = seeOther("/signin?kept=1&next=/home/assignments/{assignment}")

	wantClientHome    = seeOther("/home")
	wantTherapistHome = seeOther("/therapist")
	wantAdminHome     = seeOther("/admin/users")
	wantSignedOut     = seeOther("/signin?signed_out=1")
	wantLinkPage      = seeOther("/links/{link}")
)

func seeOther(loc string) matrixWant { return matrixWant{code: http.StatusSeeOther, loc: loc} }

func (m matrixWant) String() string {
	if m.loc != "" {
		return fmt.Sprintf("%d → %s", m.code, m.loc)
	}
	return strconv.Itoa(m.code)
}

// matrixRow is one registered route and what each actor must get from it.
type matrixRow struct {
	route string // "METHOD /pattern", exactly as registered
	path  func(w matrixWorld) string
	// form is the POST body; it is valid wherever the expected answer is
	// success, so a success cell proves the action really is allowed.
	form func(w matrixWorld, as *account.User) url.Values
	// work: the row asks about Therapist's work (an exercise made with the
	// builder, a series and its occurrences), seeded for it through the
	// real routes.
	work bool
	// sent: the row asks about work Client has sent (w.Submitted, the
	// series' first occurrence, sent through the work form); implies work.
	sent bool
	// notice: the row asks about w.Notice, left for Therapist (who then
	// lands on it at sign-in, so only rows that need it have it).
	notice bool

	anon, client, otherClient, therapist, therapist2, admin matrixWant
}

func (r matrixRow) method() string {
	m, _, _ := strings.Cut(r.route, " ")
	return m
}

// seed builds the row's world: the matrixWorld, with the work and the sent
// check-in when the row asks about them.
func (r matrixRow) seed(t *testing.T, a *testkit.App) matrixWorld {
	t.Helper()
	w := seedMatrix(t, a, r.work || r.sent)
	if r.sent {
		seedSubmission(t, a, &w)
	}
	if r.notice {
		if err := a.DB.Get(&w.Notice, `INSERT INTO account_notices (user_id, kind, by_user) VALUES ($1, 'mfa_reset', $2) RETURNING id`,
			w.Therapist.ID, w.Admin.ID); err != nil {
			t.Fatalf("seed a notice: %v", err)
		}
	}
	return w
}

func (r matrixRow) pattern() string {
	_, p, _ := strings.Cut(r.route, " ")
	return p
}

// matrixActor is one column of the matrix.
type matrixActor struct {
	name string
	user func(w testkit.World) *account.User // nil: anonymous
	home matrixWant                          // where "/" sends them
	want func(r matrixRow) matrixWant
}

var matrixActors = []matrixActor{
	{"anonymous", nil, seeOther("/signin"), func(r matrixRow) matrixWant { return r.anon }},
	{"client", func(w testkit.World) *account.User { return &w.Client }, wantClientHome, func(r matrixRow) matrixWant { return r.client }},
	{"another client", func(w testkit.World) *account.User { return &w.OtherClient }, wantClientHome, func(r matrixRow) matrixWant { return r.otherClient }},
	{"therapist", func(w testkit.World) *account.User { return &w.Therapist }, wantTherapistHome, func(r matrixRow) matrixWant { return r.therapist }},
	{"another therapist", func(w testkit.World) *account.User { return &w.Therapist2 }, wantTherapistHome, func(r matrixRow) matrixWant { return r.therapist2 }},
	{"admin", func(w testkit.World) *account.User { return &w.Admin }, wantAdminHome, func(r matrixRow) matrixWant { return r.admin }},
}

func at(p string) func(matrixWorld) string { return func(matrixWorld) string { return p } }

// userPath fills the :id of a route with a user of the World.
func userPath(format string, pick func(w testkit.World) account.User) func(matrixWorld) string {
	return func(w matrixWorld) string { return fmt.Sprintf(format, pick(w.World).ID) }
}

func theClient(w testkit.World) account.User { return w.Client }

func theTransfer(w matrixWorld) int64 { return w.Transfer }

// transferPath is the route answering the move w.Transfer with op.
func transferPath(op string) func(matrixWorld) string {
	return func(w matrixWorld) string { return fmt.Sprintf("/therapist/transfers/%d/%s", w.Transfer, op) }
}
func theTherapist(w testkit.World) account.User { return w.Therapist }

// newPassphrase passes the password policy and is nobody's current one.
const newPassphrase = "lantern orchard velvet compass"

func noForm(matrixWorld, *account.User) url.Values { return url.Values{} }

func bogusInvitation(matrixWorld, *account.User) url.Values {
	return url.Values{"invitation": {"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}}
}

func remindersForm(matrixWorld, *account.User) url.Values {
	return url.Values{"send_at": {"18:00"}, "time_zone": {""}}
}

func calendarForm(matrixWorld, *account.User) url.Values { return url.Values{"op": {"make"}} }

func signinForm(w matrixWorld, as *account.User) url.Values {
	u := as
	if u == nil { // an anonymous visitor signs in as the client
		u = &w.Client
	}
	return url.Values{"email": {u.Email}, "password": {testkit.Password}}
}

func newPasswordForm(matrixWorld, *account.User) url.Values {
	return url.Values{"password": {newPassphrase}, "confirm": {newPassphrase}}
}

func changePasswordForm(matrixWorld, *account.User) url.Values {
	return url.Values{"current": {testkit.Password}, "password": {newPassphrase}, "confirm": {newPassphrase}}
}

// codeForm is an authenticator code that is nobody's.
func codeForm(matrixWorld, *account.User) url.Values { return url.Values{"code": {"000000"}} }

func staffInviteForm(matrixWorld, *account.User) url.Values {
	return url.Values{"name": {"Nora Newcomer"}, "email": {"nora@test.example"}, "role": {"therapist"}}
}

func clientInviteForm(matrixWorld, *account.User) url.Values {
	return url.Values{"name": {"Carl Newclient"}, "email": {"carl@test.example"}}
}

func transferForm(w matrixWorld, _ *account.User) url.Values {
	return url.Values{"therapist": {strconv.FormatInt(w.Therapist2.ID, 10)}}
}

func practiceForm(matrixWorld, *account.User) url.Values {
	return url.Values{"name": {"Renamed practice"}, "crisis_text": {"Call 988 in a crisis."}, "time_zone": {"Europe/London"}, "missed_in_a_row": {"3"}}
}

// matrixRows is the role × route matrix (R12). Every route of routes.go has
// exactly one row; TestRoleRouteMatrix fails on a route without a row and on
// a row without a route.
var matrixRows = []matrixRow{
	{route: "GET /healthz", path: at("/healthz"),
		anon: wantOK, client: wantOK, otherClient: wantOK, therapist: wantOK, therapist2: wantOK, admin: wantOK},
	{route: "GET /readyz", path: at("/readyz"),
		anon: wantOK, client: wantOK, otherClient: wantOK, therapist: wantOK, therapist2: wantOK, admin: wantOK},
	{route: "GET /static/*filepath", path: at("/static/app.css"),
		anon: wantOK, client: wantOK, otherClient: wantOK, therapist: wantOK, therapist2: wantOK, admin: wantOK},

	{route: "GET /", path: at("/"),
		anon: seeOther("/signin"), client: wantClientHome, otherClient: wantClientHome,
		therapist: wantTherapistHome, therapist2: wantTherapistHome, admin: wantAdminHome},
	{route: "GET /signin", path: at("/signin"),
		anon: wantOK, client: wantClientHome, otherClient: wantClientHome,
		therapist: wantTherapistHome, therapist2: wantTherapistHome, admin: wantAdminHome},
	{route: "POST /signin", path: at("/signin"), form: signinForm,
		anon: wantClientHome, client: wantClientHome, otherClient: wantClientHome,
		therapist: wantTherapistHome, therapist2: wantTherapistHome, admin: wantAdminHome},
	{route: "POST /signout", path: at("/signout"), form: noForm,
		anon: wantSignin, client: wantSignedOut, otherClient: wantSignedOut, therapist: wantSignedOut, therapist2: wantSignedOut, admin: wantSignedOut},
	// The second step of a sign-in belongs to a session holding a
	// half-done sign-in (mfa_test.go walks it): without one, a visitor is
	// sent to sign in; someone signed in goes home.
	{route: "GET /signin/code", path: at("/signin/code"),
		anon: seeOther("/signin"), client: wantClientHome, otherClient: wantClientHome,
		therapist: wantTherapistHome, therapist2: wantTherapistHome, admin: wantAdminHome},
	{route: "POST /signin/code", path: at("/signin/code"), form: codeForm,
		anon: wantSignin, client: wantClientHome, otherClient: wantClientHome,
		therapist: wantTherapistHome, therapist2: wantTherapistHome, admin: wantAdminHome},
	{route: "GET /signin/enrol", path: at("/signin/enrol"),
		anon: seeOther("/signin"), client: wantClientHome, otherClient: wantClientHome,
		therapist: wantTherapistHome, therapist2: wantTherapistHome, admin: wantAdminHome},
	{route: "POST /signin/enrol", path: at("/signin/enrol"), form: codeForm,
		anon: wantSignin, client: wantClientHome, otherClient: wantClientHome,
		therapist: wantTherapistHome, therapist2: wantTherapistHome, admin: wantAdminHome},
	{route: "GET /invite/:token", path: at("/invite/not-a-real-token"),
		anon: wantNotFound, client: wantNotFound, otherClient: wantNotFound, therapist: wantNotFound, therapist2: wantNotFound, admin: wantNotFound},
	{route: "POST /invite/:token", path: at("/invite/not-a-real-token"), form: newPasswordForm,
		anon: wantNotFound, client: wantNotFound, otherClient: wantNotFound, therapist: wantNotFound, therapist2: wantNotFound, admin: wantNotFound},
	{route: "GET /reset/:token", path: at("/reset/not-a-real-token"),
		anon: wantNotFound, client: wantNotFound, otherClient: wantNotFound, therapist: wantNotFound, therapist2: wantNotFound, admin: wantNotFound},
	{route: "POST /reset/:token", path: at("/reset/not-a-real-token"), form: newPasswordForm,
		anon: wantNotFound, client: wantNotFound, otherClient: wantNotFound, therapist: wantNotFound, therapist2: wantNotFound, admin: wantNotFound},
	// A link page lives in the session of the staff member who made the
	// link: for anyone else, and for an id never made, there is none.
	{route: "GET /links/:id", path: at("/links/no-such-link-page"),
		anon: wantSigninNext, client: wantForbidden, otherClient: wantForbidden, therapist: wantNotFound, therapist2: wantNotFound, admin: wantNotFound},
	// An invitation is named by a ref sealed to the session that listed
	// it: any other is one that never was (invitations_test.go).
	{route: "POST /invitations/renew", path: at("/invitations/renew"), form: bogusInvitation,
		anon: wantSignin, client: wantForbidden, otherClient: wantForbidden, therapist: wantNotFound, therapist2: wantNotFound, admin: wantNotFound},
	{route: "POST /invitations/withdraw", path: at("/invitations/withdraw"), form: bogusInvitation,
		anon: wantSignin, client: wantForbidden, otherClient: wantForbidden, therapist: wantNotFound, therapist2: wantNotFound, admin: wantNotFound},
	{route: "GET /account/password", path: at("/account/password"),
		anon: wantSigninNext, client: wantOK, otherClient: wantOK, therapist: wantOK, therapist2: wantOK, admin: wantOK},
	{route: "POST /account/password", path: at("/account/password"), form: changePasswordForm,
		anon: wantSignin, client: wantClientHome, otherClient: wantClientHome,
		therapist: wantTherapistHome, therapist2: wantTherapistHome, admin: wantAdminHome},
	// Everyone's own two-step sign-in. Confirming a code needs the secret
	// the set-up page keeps in that session: without one, back to it.
	{route: "GET /account/mfa", path: at("/account/mfa"),
		anon: wantSigninNext, client: wantOK, otherClient: wantOK, therapist: wantOK, therapist2: wantOK, admin: wantOK},
	{route: "GET /account/mfa/setup", path: at("/account/mfa/setup"),
		anon: wantSigninNext, client: wantOK, otherClient: wantOK, therapist: wantOK, therapist2: wantOK, admin: wantOK},
	{route: "POST /account/mfa/setup", path: at("/account/mfa/setup"), form: codeForm,
		anon: wantSignin, client: seeOther("/account/mfa/setup"), otherClient: seeOther("/account/mfa/setup"),
		therapist: seeOther("/account/mfa/setup"), therapist2: seeOther("/account/mfa/setup"), admin: seeOther("/account/mfa/setup")},
	// Nobody in the matrix has two-step sign-in on: there is nothing to
	// turn off (mfa_test.go turns it off).
	{route: "POST /account/mfa/off", path: at("/account/mfa/off"), form: func(matrixWorld, *account.User) url.Values { return url.Values{"off_code": {"000000"}} },
		anon: wantSignin, client: wantInvalid, otherClient: wantInvalid, therapist: wantInvalid, therapist2: wantInvalid, admin: wantInvalid},
	{route: "POST /account/mfa/recovery-codes", path: at("/account/mfa/recovery-codes"), form: func(matrixWorld, *account.User) url.Values { return url.Values{"new_code": {"000000"}} },
		anon: wantSignin, client: wantInvalid, otherClient: wantInvalid, therapist: wantInvalid, therapist2: wantInvalid, admin: wantInvalid},
	// Recovery codes are shown once, in the session that made them.
	{route: "GET /account/mfa/recovery-codes", path: at("/account/mfa/recovery-codes"),
		anon: wantSigninNext, client: wantNotFound, otherClient: wantNotFound, therapist: wantNotFound, therapist2: wantNotFound, admin: wantNotFound},
	{route: "GET /account/notices", path: at("/account/notices"),
		anon: wantSigninNext, client: wantOK, otherClient: wantOK, therapist: wantOK, therapist2: wantOK, admin: wantOK},
	// w.Notice is Therapist's: anyone else's answers like none at all.
	{notice: true, route: "POST /account/notices/:id/read", path: func(w matrixWorld) string { return fmt.Sprintf("/account/notices/%d/read", w.Notice) }, form: noForm,
		anon: wantSignin, client: wantNotFound, otherClient: wantNotFound, therapist: wantTherapistHome, therapist2: wantNotFound, admin: wantNotFound},

	// A client's reminders and calendar address are their own; the
	// calendar and stop links work signed out, for current tokens only.
	{route: "GET /account/reminders", path: at("/account/reminders"),
		anon: wantSigninNext, client: wantOK, otherClient: wantOK, therapist: wantForbidden, therapist2: wantForbidden, admin: wantForbidden},
	{route: "POST /account/reminders", path: at("/account/reminders"), form: remindersForm,
		anon: wantSignin, client: seeOther("/account/reminders"), otherClient: seeOther("/account/reminders"), therapist: wantForbidden, therapist2: wantForbidden, admin: wantForbidden},
	{route: "POST /account/calendar", path: at("/account/calendar"), form: calendarForm,
		anon: wantSignin, client: seeOther("/account/reminders#calendar"), otherClient: seeOther("/account/reminders#calendar"), therapist: wantForbidden, therapist2: wantForbidden, admin: wantForbidden},
	{route: "GET /calendar/:file", path: at("/calendar/not.a-real-address.ics"),
		anon: wantNotFound, client: wantNotFound, otherClient: wantNotFound, therapist: wantNotFound, therapist2: wantNotFound, admin: wantNotFound},
	// The stop page asks first, for any link (mail systems open links to
	// check them); only posting a real stop link does anything.
	{route: "GET /stop/:token", path: at("/stop/not-a-real-token"),
		anon: wantOK, client: wantOK, otherClient: wantOK, therapist: wantOK, therapist2: wantOK, admin: wantOK},
	{route: "POST /stop/:token", path: at("/stop/not-a-real-token"), form: noForm,
		anon: wantNotFound, client: wantNotFound, otherClient: wantNotFound, therapist: wantNotFound, therapist2: wantNotFound, admin: wantNotFound},

	{route: "GET /admin/users", path: at("/admin/users"),
		anon: wantSigninNext, client: wantForbidden, otherClient: wantForbidden, therapist: wantForbidden, therapist2: wantForbidden, admin: wantOK},
	{route: "GET /admin/users/invite", path: at("/admin/users/invite"),
		anon: wantSigninNext, client: wantForbidden, otherClient: wantForbidden, therapist: wantForbidden, therapist2: wantForbidden, admin: wantOK},
	// A new link is kept for its maker and shown by a GET (POST/redirect/
	// GET); the page's id is random, so {link} stands for any well-formed
	// one.
	{route: "POST /admin/users/invite", path: at("/admin/users/invite"), form: staffInviteForm,
		anon: wantSignin, client: wantForbidden, otherClient: wantForbidden, therapist: wantForbidden, therapist2: wantForbidden, admin: wantLinkPage},
	{route: "GET /admin/users/:id/disable", path: userPath("/admin/users/%d/disable", theClient),
		anon: wantSigninNext, client: wantForbidden, otherClient: wantForbidden, therapist: wantForbidden, therapist2: wantForbidden, admin: wantOK},
	{route: "POST /admin/users/:id/disable", path: userPath("/admin/users/%d/disable", theClient), form: noForm,
		anon: wantSignin, client: wantForbidden, otherClient: wantForbidden, therapist: wantForbidden, therapist2: wantForbidden, admin: wantAdminHome},
	{route: "POST /admin/users/:id/enable", path: userPath("/admin/users/%d/enable", theClient), form: noForm,
		anon: wantSignin, client: wantForbidden, otherClient: wantForbidden, therapist: wantForbidden, therapist2: wantForbidden, admin: wantAdminHome},
	// A client's sign-in link comes from their therapist, never the admin
	// (R14): the row asks about a therapist, whose link the admin makes.
	{route: "POST /admin/users/:id/reset", path: userPath("/admin/users/%d/reset", theTherapist), form: noForm,
		anon: wantSignin, client: wantForbidden, otherClient: wantForbidden, therapist: wantForbidden, therapist2: wantForbidden, admin: wantLinkPage},
	{route: "GET /admin/users/:id/mfa-reset", path: userPath("/admin/users/%d/mfa-reset", theTherapist),
		anon: wantSigninNext, client: wantForbidden, otherClient: wantForbidden, therapist: wantForbidden, therapist2: wantForbidden, admin: wantOK},
	{route: "POST /admin/users/:id/mfa-reset", path: userPath("/admin/users/%d/mfa-reset", theTherapist), form: noForm,
		anon: wantSignin, client: wantForbidden, otherClient: wantForbidden, therapist: wantForbidden, therapist2: wantForbidden, admin: wantAdminHome},
	{route: "GET /admin/users/:id/transfer", path: userPath("/admin/users/%d/transfer", theClient),
		anon: wantSigninNext, client: wantForbidden, otherClient: wantForbidden, therapist: wantForbidden, therapist2: wantForbidden, admin: wantOK},
	{route: "POST /admin/users/:id/transfer", path: userPath("/admin/users/%d/transfer", theClient), form: transferForm,
		anon: wantSignin, client: wantForbidden, otherClient: wantForbidden, therapist: wantForbidden, therapist2: wantForbidden, admin: wantAdminHome},
	// The move waiting (w.Transfer) is Client2's: only the admin withdraws it.
	{route: "POST /admin/users/:id/transfer/withdraw", path: userPath("/admin/users/%d/transfer/withdraw", func(w testkit.World) account.User { return w.Client2 }), form: noForm,
		anon: wantSignin, client: wantForbidden, otherClient: wantForbidden, therapist: wantForbidden, therapist2: wantForbidden, admin: wantAdminHome},
	{route: "GET /admin/practice", path: at("/admin/practice"),
		anon: wantSigninNext, client: wantForbidden, otherClient: wantForbidden, therapist: wantForbidden, therapist2: wantForbidden, admin: wantOK},
	{route: "POST /admin/practice", path: at("/admin/practice"), form: practiceForm,
		anon: wantSignin, client: wantForbidden, otherClient: wantForbidden, therapist: wantForbidden, therapist2: wantForbidden, admin: seeOther("/admin/practice")},
	{route: "POST /admin/practice/mfa", path: at("/admin/practice/mfa"), form: func(matrixWorld, *account.User) url.Values {
		return url.Values{"mfa_required_from": {"2030-01-31"}}
	},
		anon: wantSignin, client: wantForbidden, otherClient: wantForbidden, therapist: wantForbidden, therapist2: wantForbidden, admin: seeOther("/admin/practice")},
	{route: "GET /admin/audit", path: at("/admin/audit"),
		anon: wantSigninNext, client: wantForbidden, otherClient: wantForbidden, therapist: wantForbidden, therapist2: wantForbidden, admin: wantOK},

	{route: "GET /therapist", path: at("/therapist"),
		anon: wantSigninNext, client: wantForbidden, otherClient: wantForbidden, therapist: wantOK, therapist2: wantOK, admin: wantForbidden},
	{route: "POST /therapist/search", path: at("/therapist/search"), form: func(matrixWorld, *account.User) url.Values { return url.Values{"q": {"Client"}} },
		anon: wantSignin, client: wantForbidden, otherClient: wantForbidden, therapist: seeOther("/therapist#caseload-title"), therapist2: seeOther("/therapist#caseload-title"), admin: wantForbidden},
	{route: "GET /therapist/clients/invite", path: at("/therapist/clients/invite"),
		anon: wantSigninNext, client: wantForbidden, otherClient: wantForbidden, therapist: wantOK, therapist2: wantOK, admin: wantForbidden},
	{route: "POST /therapist/clients/invite", path: at("/therapist/clients/invite"), form: clientInviteForm,
		anon: wantSignin, client: wantForbidden, otherClient: wantForbidden, therapist: wantLinkPage, therapist2: wantLinkPage, admin: wantForbidden},
	// w.Client is in Therapist's caseload, not Therapist2's: to Therapist2
	// the record does not exist.
	{route: "GET /therapist/clients/:id", path: userPath("/therapist/clients/%d", theClient),
		anon: wantSigninNext, client: wantForbidden, otherClient: wantForbidden, therapist: wantOK, therapist2: wantNotFound, admin: wantForbidden},
	{route: "GET /therapist/clients/:id/progress", path: userPath("/therapist/clients/%d/progress", theClient),
		anon: wantSigninNext, client: wantForbidden, otherClient: wantForbidden, therapist: wantOK, therapist2: wantNotFound, admin: wantForbidden},
	{route: "GET /therapist/clients/:id/measures", path: userPath("/therapist/clients/%d/measures", theClient),
		anon: wantSigninNext, client: wantForbidden, otherClient: wantForbidden, therapist: wantOK, therapist2: wantNotFound, admin: wantForbidden},
	// Reports and session dates: only the client's own therapist (R13,
	// R26). Exporting is a POST (it writes an audit row, so no other site
	// may make a browser do it by a link), as are recording a session and
	// sharing progress; all are refused without a trace for anyone else.
	{route: "GET /therapist/clients/:id/reports", path: userPath("/therapist/clients/%d/reports", theClient),
		anon: wantSigninNext, client: wantForbidden, otherClient: wantForbidden, therapist: wantOK, therapist2: wantNotFound, admin: wantForbidden},
	{route: "POST /therapist/clients/:id/progress.pdf", path: userPath("/therapist/clients/%d/progress.pdf", theClient), form: noForm,
		anon: wantSignin, client: wantForbidden, otherClient: wantForbidden, therapist: wantOK, therapist2: wantNotFound, admin: wantForbidden},
	{route: "GET /therapist/clients/:id/session-report", path: userPath("/therapist/clients/%d/session-report", theClient),
		anon: wantSigninNext, client: wantForbidden, otherClient: wantForbidden, therapist: wantOK, therapist2: wantNotFound, admin: wantForbidden},
	{route: "POST /therapist/clients/:id/session-report.pdf", path: userPath("/therapist/clients/%d/session-report.pdf", theClient), form: noForm,
		anon: wantSignin, client: wantForbidden, otherClient: wantForbidden, therapist: wantOK, therapist2: wantNotFound, admin: wantForbidden},
	{route: "POST /therapist/clients/:id/sessions", path: userPath("/therapist/clients/%d/sessions", theClient), form: sessionForm,
		anon: wantSignin, client: wantForbidden, otherClient: wantForbidden, therapist: seeOther("/therapist/clients/{client}/reports"), therapist2: wantNotFound, admin: wantForbidden},
	{route: "POST /therapist/clients/:id/sessions/:session/remove", path: func(w matrixWorld) string {
		return fmt.Sprintf("/therapist/clients/%d/sessions/%d/remove", w.Client.ID, w.Session)
	}, form: noForm,
		anon: wantSignin, client: wantForbidden, otherClient: wantForbidden, therapist: seeOther("/therapist/clients/{client}/reports"), therapist2: wantNotFound, admin: wantForbidden},
	{route: "POST /therapist/clients/:id/sharing", path: userPath("/therapist/clients/%d/sharing", theClient), form: sharingForm,
		anon: wantSignin, client: wantForbidden, otherClient: wantForbidden, therapist: seeOther("/therapist/clients/{client}/reports"), therapist2: wantNotFound, admin: wantForbidden},
	// Client's therapist shares their progress with them; OtherClient's
	// does not, so to them the page does not exist.
	{route: "GET /home/progress", path: at("/home/progress"),
		anon: wantSigninNext, client: wantOK, otherClient: wantNotFound, therapist: wantForbidden, therapist2: wantForbidden, admin: wantForbidden},
	{route: "POST /therapist/clients/:id/reset", path: userPath("/therapist/clients/%d/reset", theClient), form: noForm,
		anon: wantSignin, client: wantForbidden, otherClient: wantForbidden, therapist: wantLinkPage, therapist2: wantNotFound, admin: wantForbidden},
	{route: "POST /therapist/clients/:id/reminders", path: userPath("/therapist/clients/%d/reminders", theClient), form: noForm,
		anon: wantSignin, client: wantForbidden, otherClient: wantForbidden, therapist: seeOther("/therapist/clients/{client}#reminders"), therapist2: wantNotFound, admin: wantForbidden},
	// A client who lost their phone: their own therapist turns two-step
	// sign-in off (the admin may not, R14).
	{route: "POST /therapist/clients/:id/mfa-reset", path: userPath("/therapist/clients/%d/mfa-reset", theClient), form: noForm,
		anon: wantSignin, client: wantForbidden, otherClient: wantForbidden, therapist: seeOther("/therapist/clients/{client}"), therapist2: wantNotFound, admin: wantForbidden},
	{route: "POST /therapist/clients/:id/remove", path: userPath("/therapist/clients/%d/remove", theClient), form: noForm,
		anon: wantSignin, client: wantForbidden, otherClient: wantForbidden, therapist: wantTherapistHome, therapist2: wantNotFound, admin: wantForbidden},

	// The exercise library belongs to the practice: both therapists see the
	// built-ins and w.Exercise (made by Therapist), and may adapt them.
	// A move waits for Therapist2 (w.Transfer): to anyone else it does not
	// exist, the client's current therapist included.
	{route: "POST /therapist/transfers/:id/accept", path: transferPath("accept"), form: noForm,
		anon: wantSignin, client: wantForbidden, otherClient: wantForbidden, therapist: wantNotFound, therapist2: seeOther("/therapist/clients/{client2}"), admin: wantForbidden},
	{route: "POST /therapist/transfers/:id/decline", path: transferPath("decline"), form: noForm,
		anon: wantSignin, client: wantForbidden, otherClient: wantForbidden, therapist: wantNotFound, therapist2: wantTherapistHome, admin: wantForbidden},
	{route: "GET /therapist/exercises", path: at("/therapist/exercises"),
		anon: wantSigninNext, client: wantForbidden, otherClient: wantForbidden, therapist: wantOK, therapist2: wantOK, admin: wantForbidden},
	{route: "GET /therapist/exercises/new", path: at("/therapist/exercises/new"),
		anon: wantSigninNext, client: wantForbidden, otherClient: wantForbidden, therapist: wantOK, therapist2: wantOK, admin: wantForbidden},
	{route: "POST /therapist/exercises/new", path: at("/therapist/exercises/new"), form: builderSaveForm,
		anon: wantSignin, client: wantForbidden, otherClient: wantForbidden,
		therapist: seeOther("/therapist/exercises/{new}"), therapist2: seeOther("/therapist/exercises/{new}"), admin: wantForbidden},
	{work: true, route: "GET /therapist/exercises/:id", path: workPath("/therapist/exercises/%d", theExercise),
		anon: wantSigninNext, client: wantForbidden, otherClient: wantForbidden, therapist: wantOK, therapist2: wantOK, admin: wantForbidden},
	// A built-in is shared by every practice and edited by no one: it is
	// adapted by duplicating it.
	{route: "GET /therapist/exercises/:id/edit", path: workPath("/therapist/exercises/%d/edit", theBuiltin),
		anon: wantSigninNext, client: wantForbidden, otherClient: wantForbidden, therapist: wantNotFound, therapist2: wantNotFound, admin: wantForbidden},
	{work: true, route: "POST /therapist/exercises/:id/edit", path: workPath("/therapist/exercises/%d/edit", theExercise), form: builderSaveForm,
		anon: wantSignin, client: wantForbidden, otherClient: wantForbidden,
		therapist: seeOther("/therapist/exercises/{exercise}"), therapist2: seeOther("/therapist/exercises/{exercise}"), admin: wantForbidden},
	{route: "POST /therapist/exercises/:id/duplicate", path: workPath("/therapist/exercises/%d/duplicate", theBuiltin), form: noForm,
		anon: wantSignin, client: wantForbidden, otherClient: wantForbidden,
		therapist: seeOther("/therapist/exercises/{new}/edit"), therapist2: seeOther("/therapist/exercises/{new}/edit"), admin: wantForbidden},
	{route: "GET /therapist/assign", path: at("/therapist/assign"),
		anon: wantSigninNext, client: wantForbidden, otherClient: wantForbidden, therapist: wantOK, therapist2: wantOK, admin: wantForbidden},
	// The form assigns to w.Client: Therapist2 may assign, but not to
	// another therapist's client (the form's answer, beside "clients").
	{route: "POST /therapist/assign", path: at("/therapist/assign"), form: assignWeeklyForm,
		anon: wantSignin, client: wantForbidden, otherClient: wantForbidden,
		therapist: seeOther("/therapist/clients/{client}"), therapist2: wantInvalid, admin: wantForbidden},
	// w.Series and w.Assignment are w.Client's: work follows the caseload,
	// so to Therapist2 they do not exist.
	{work: true, route: "POST /therapist/assignments/:id/cancel", path: workPath("/therapist/assignments/%d/cancel", theAssignment), form: noForm,
		anon: wantSignin, client: wantForbidden, otherClient: wantForbidden,
		therapist: seeOther("/therapist/clients/{client}"), therapist2: wantNotFound, admin: wantForbidden},
	{work: true, route: "GET /therapist/series/:id", path: workPath("/therapist/series/%d", theSeries),
		anon: wantSigninNext, client: wantForbidden, otherClient: wantForbidden, therapist: wantOK, therapist2: wantNotFound, admin: wantForbidden},
	{work: true, route: "POST /therapist/series/:id", path: workPath("/therapist/series/%d", theSeries), form: seriesChangeForm,
		anon: wantSignin, client: wantForbidden, otherClient: wantForbidden,
		therapist: seeOther("/therapist/clients/{client}"), therapist2: wantNotFound, admin: wantForbidden},
	{work: true, route: "POST /therapist/series/:id/cancel", path: workPath("/therapist/series/%d/cancel", theSeries), form: noForm,
		anon: wantSignin, client: wantForbidden, otherClient: wantForbidden,
		therapist: seeOther("/therapist/clients/{client}"), therapist2: wantNotFound, admin: wantForbidden},

	// Review of sent work. The inbox is every therapist's own (empty for
	// Therapist2); w.Submitted is w.Client's, who is Therapist's, so to
	// Therapist2 it does not exist (R13). The admin never reads clinical
	// work (R14).
	{route: "GET /therapist/inbox", path: at("/therapist/inbox"),
		anon: wantSigninNext, client: wantForbidden, otherClient: wantForbidden, therapist: wantOK, therapist2: wantOK, admin: wantForbidden},
	{sent: true, route: "GET /therapist/work/:id", path: workPath("/therapist/work/%d", theSubmission),
		anon: wantSigninNext, client: wantForbidden, otherClient: wantForbidden, therapist: wantOK, therapist2: wantNotFound, admin: wantForbidden},
	{sent: true, route: "POST /therapist/work/:id", path: workPath("/therapist/work/%d", theSubmission), form: reviewedForm,
		anon: wantSignin, client: wantForbidden, otherClient: wantForbidden,
		therapist: seeOther("/therapist/work/{submitted}"), therapist2: wantNotFound, admin: wantForbidden},
	{sent: true, route: "POST /therapist/work/:id/feedback", path: workPath("/therapist/work/%d/feedback", theSubmission), form: feedbackForm,
		anon: wantSignin, client: wantForbidden, otherClient: wantForbidden,
		therapist: seeOther("/therapist/work/{submitted}"), therapist2: wantNotFound, admin: wantForbidden},
	{sent: true, route: "POST /therapist/work/:id/notes", path: workPath("/therapist/work/%d/notes", theSubmission), form: noteForm,
		anon: wantSignin, client: wantForbidden, otherClient: wantForbidden,
		therapist: seeOther("/therapist/work/{submitted}#notes"), therapist2: wantNotFound, admin: wantForbidden},
	// The matrix's submission is not flagged: its own therapist is told
	// there is nothing to follow up (TestFlagFollowUpIsTheTherapists…
	// marks a flagged one).
	{sent: true, route: "POST /therapist/work/:id/follow-up", path: workPath("/therapist/work/%d/follow-up", theSubmission), form: followUpForm,
		anon: wantSignin, client: wantForbidden, otherClient: wantForbidden,
		therapist: wantInvalid, therapist2: wantNotFound, admin: wantForbidden},
	{route: "POST /therapist/clients/:id/notes", path: userPath("/therapist/clients/%d/notes", theClient), form: noteForm,
		anon: wantSignin, client: wantForbidden, otherClient: wantForbidden,
		therapist: seeOther("/therapist/clients/{client}#notes"), therapist2: wantNotFound, admin: wantForbidden},

	{route: "GET /home", path: at("/home"),
		anon: wantSigninNext, client: wantOK, otherClient: wantOK, therapist: wantForbidden, therapist2: wantForbidden, admin: wantForbidden},
	{route: "GET /home/history", path: at("/home/history"),
		anon: wantSigninNext, client: wantOK, otherClient: wantOK, therapist: wantForbidden, therapist2: wantForbidden, admin: wantForbidden},
	// w.Assignment is w.Client's: to any other client it does not exist.
	{work: true, route: "GET /home/assignments/:id", path: workPath("/home/assignments/%d", theAssignment),
		anon: wantSigninNext, client: wantOK, otherClient: wantNotFound, therapist: wantForbidden, therapist2: wantForbidden, admin: wantForbidden},
	// An anonymous POST here is a client whose session ended while they
	// wrote: the text is kept and they are sent to sign in (FT5). The
	// client's send is a valid form with a fresh one-time token.
	{work: true, route: "POST /home/assignments/:id", path: workPath("/home/assignments/%d", theAssignment), form: sendWorkForm,
		anon: wantKept, client: seeOther("/home/assignments/{assignment}?sent=1"), otherClient: wantNotFound,
		therapist: wantForbidden, therapist2: wantForbidden, admin: wantForbidden},
	// Autosave answers JSON; a plain form post (no Accept: application/json)
	// of an anonymous visitor is kept like the form's.
	{work: true, route: "POST /home/assignments/:id/draft", path: workPath("/home/assignments/%d/draft", theAssignment), form: autosaveForm,
		anon: wantKept, client: wantOK, otherClient: wantNotFound, therapist: wantForbidden, therapist2: wantForbidden, admin: wantForbidden},
}

func matrixRowFor(t *testing.T, route string) matrixRow {
	t.Helper()
	for _, r := range matrixRows {
		if r.route == route {
			return r
		}
	}
	t.Fatalf("no matrix row for %s", route)
	return matrixRow{}
}

// matchesPattern reports whether path would be routed to a gin pattern, so
// a row cannot request a misspelt path and pass on the 404 that earns.
func matchesPattern(pattern, path string) bool {
	ps, xs := strings.Split(pattern, "/"), strings.Split(path, "/")
	for i, p := range ps {
		if i >= len(xs) {
			return false
		}
		switch {
		case strings.HasPrefix(p, "*"):
			return xs[i] != ""
		case strings.HasPrefix(p, ":"):
			if xs[i] == "" {
				return false
			}
		case p != xs[i]:
			return false
		}
	}
	return len(ps) == len(xs)
}

// sameLocation compares two redirect targets as path and query values.
func sameLocation(got, want string) bool {
	g, err1 := url.Parse(got)
	w, err2 := url.Parse(want)
	if err1 != nil || err2 != nil {
		return false
	}
	return g.Scheme == "" && g.Host == "" && g.Path == w.Path && reflect.DeepEqual(g.Query(), w.Query())
}

// sessionFor signs in as u, or stays anonymous when u is nil.
func sessionFor(t *testing.T, a *testkit.App, u *account.User) *testkit.Session {
	t.Helper()
	if u == nil {
		return a.Anonymous(t)
	}
	return a.Login(t, *u)
}

// send makes the row's request, as a same-origin browser would.
func (r matrixRow) send(s *testkit.Session, w matrixWorld, as *account.User) *httptest.ResponseRecorder {
	path := r.path(w)
	if r.method() == http.MethodGet {
		return s.Get(path)
	}
	return s.PostForm(path, r.form(w, as))
}

// authzState is everything an authorization slip could change: accounts
// (status, caseload, sessions' auth version, password), practices, links
// and the therapists' work (exercises and their versions, series and their
// occurrences, reviewed and to-discuss marks, feedback and private notes),
// and the clients' (drafts and submissions), session dates and whether
// progress is shared. Sessions, the
// audit log and text kept for a signed-out visitor (pending_drafts) are
// left out: refused requests may legitimately touch them.
func authzState(t *testing.T, a *testkit.App) string {
	t.Helper()
	var s string
	err := a.DB.Get(&s, `SELECT
		coalesce((SELECT string_agg(concat_ws(':', id, practice_id, role, status, email, display_name,
			coalesce(therapist_id::text, '-'), auth_version, md5(coalesce(password_hash, ''))), ',' ORDER BY id) FROM users), '') || '|' ||
		coalesce((SELECT string_agg(concat_ws(':', id, name, crisis_text, time_zone), ',' ORDER BY id) FROM practices), '') || '|' ||
		(SELECT count(*) FROM access_tokens)::text || '|' ||
		coalesce((SELECT string_agg(concat_ws(':', id, coalesce(practice_id::text, '-'), coalesce(builtin_key, '-'), coalesce(copied_from::text, '-'),
			coalesce(created_by::text, '-'), latest_version, coalesce(archived_at::text, '-')), ',' ORDER BY id) FROM exercises), '') || '|' ||
		(SELECT count(*)::text || ':' || coalesce(md5(string_agg(concat_ws(':', exercise_id, version, definition::text), ',' ORDER BY exercise_id, version)), '-')
			FROM exercise_versions) || '|' ||
		coalesce((SELECT string_agg(concat_ws(':', id, practice_id, client_id, assigned_by, exercise_id, exercise_version, md5(note), recurrence,
			interval_days, first_due, coalesce(until_date::text, '-'), coalesce(occurrence_count::text, '-'), coalesce(cancelled_at::text, '-')), ',' ORDER BY id)
			FROM assignment_series), '') || '|' ||
		coalesce((SELECT string_agg(concat_ws(':', id, series_id, client_id, exercise_id, exercise_version, due_on, status,
			coalesce(submitted_at::text, '-'), coalesce(reviewed_at::text, '-'), discuss), ',' ORDER BY id) FROM assignments), '') || '|' ||
		coalesce((SELECT string_agg(concat_ws(':', id, assignment_id, client_id, version, md5(answers::text), submitted_at, flags::text), ',' ORDER BY id)
			FROM submissions), '') || '|' ||
		coalesce((SELECT string_agg(concat_ws(':', assignment_id, client_id, md5(answers::text), saved_at), ',' ORDER BY assignment_id)
			FROM drafts), '') || '|' ||
		coalesce((SELECT string_agg(concat_ws(':', assignment_id, author_id, md5(body), created_at, updated_at, coalesce(seen_at::text, '-')),
			',' ORDER BY assignment_id) FROM feedback), '') || '|' ||
		coalesce((SELECT string_agg(concat_ws(':', id, author_id, client_id, coalesce(assignment_id::text, '-'), md5(body), created_at),
			',' ORDER BY id) FROM notes), '') || '|' ||
		coalesce((SELECT string_agg(concat_ws(':', id, client_id, therapist_id, held_on), ',' ORDER BY id) FROM clinical_sessions), '') || '|' ||
		coalesce((SELECT string_agg(id::text, ',' ORDER BY id) FROM users WHERE progress_shared), '') || '|' ||
		coalesce((SELECT string_agg(concat_ws(':', id, client_id, to_therapist_id, status, coalesce(decided_by::text, '-')), ',' ORDER BY id) FROM client_transfers), '') || '|' ||
		coalesce((SELECT string_agg(concat_ws(':', id, coalesce(mfa_required_from::text, '-')), ',' ORDER BY id) FROM practices), '') || '|' ||
		coalesce((SELECT string_agg(id::text, ',' ORDER BY id) FROM users WHERE mfa_enrol_required), '') || '|' ||
		coalesce((SELECT string_agg(concat_ws(':', user_id, md5(secret), last_step), ',' ORDER BY user_id) FROM user_mfa), '') || '|' ||
		coalesce((SELECT string_agg(concat_ws(':', id, user_id, coalesce(used_at::text, '-')), ',' ORDER BY id) FROM mfa_recovery_codes), '') || '|' ||
		coalesce((SELECT string_agg(concat_ws(':', id, user_id, kind, coalesce(read_at::text, '-')), ',' ORDER BY id) FROM account_notices), '')`)
	if err != nil {
		t.Fatalf("read state: %v", err)
	}
	return s
}

// refused reports whether a cell's expected answer is a refusal, after
// which nothing may have changed.
func refused(anonymous bool, m matrixWant) bool {
	if m.code == http.StatusForbidden || m.code == http.StatusNotFound || m.code == http.StatusUnprocessableEntity {
		return true
	}
	return anonymous && m.code == http.StatusSeeOther && strings.HasPrefix(m.loc, "/signin")
}

func TestRoleRouteMatrix(t *testing.T) {
	a := testkit.NewApp(t)
	registered := map[string]bool{}
	for _, r := range a.Server.Routes() {
		registered[r.Method+" "+r.Path] = true
	}
	listed := map[string]bool{}
	for _, r := range matrixRows {
		if listed[r.route] {
			t.Errorf("matrix lists %s twice", r.route)
		}
		listed[r.route] = true
		if !registered[r.route] {
			t.Errorf("matrix row %s matches no registered route: remove or correct it", r.route)
		}
	}
	for route := range registered {
		if !listed[route] {
			t.Errorf("route %s has no row in the role × route matrix (R12): add one with the expected answer for every actor", route)
		}
	}
	if len(registered) == 0 {
		t.Fatal("no routes registered")
	}

	for _, row := range matrixRows {
		t.Run(row.route, func(t *testing.T) {
			t.Parallel()
			// Cells that only read share the row's practice. A POST that
			// should succeed gets a fresh practice of its own, so a
			// disable, transfer or removal in one cell cannot change
			// another's answer. A refused cell that changed anything is
			// caught by its own before/after check.
			shared := testkit.NewApp(t)
			sharedWorld := row.seed(t, shared)
			for _, act := range matrixActors {
				t.Run(act.name, func(t *testing.T) {
					t.Parallel()
					want := act.want(row)
					if want.code == 0 {
						t.Fatalf("matrix row %s has no answer for %s", row.route, act.name)
					}
					a, w := shared, sharedWorld
					if row.method() != http.MethodGet && !refused(act.user == nil, want) {
						a = testkit.NewApp(t)
						w = row.seed(t, a)
					}
					path := row.path(w)
					if !matchesPattern(row.pattern(), path) {
						t.Fatalf("row requests %s, which is not a path of %s", path, row.route)
					}
					if row.method() == http.MethodPost && row.form == nil {
						t.Fatalf("POST row %s has no form", row.route)
					}
					var as *account.User
					if act.user != nil {
						as = act.user(w.World)
					}
					s := sessionFor(t, a, as)
					before := authzState(t, a)

					res := row.send(s, w, as)

					if res.Code != want.code {
						t.Fatalf("%s %s as %s: status %d, want %s\n%s", row.method(), path, act.name, res.Code, want, res.Body.String())
					}
					if want.code == http.StatusSeeOther {
						loc := w.location(t, a, as, want.loc, path)
						got := res.Header().Get("Location")
						if want == wantLinkPage && linkPageRe.MatchString(got) {
							loc = got // a random id: any well-formed one
						}
						if !sameLocation(got, loc) {
							t.Errorf("%s %s as %s: Location %q, want %q", row.method(), path, act.name, got, loc)
						}
					}
					// A refusal changes nothing, and neither does a GET:
					// every state change is a POST (R16).
					if refused(as == nil, want) || row.method() == http.MethodGet {
						if after := authzState(t, a); after != before {
							t.Errorf("%s %s as %s (answered %d) changed the database:\nbefore %s\nafter  %s", row.method(), path, act.name, res.Code, before, after)
						}
					}
				})
			}
		})
	}
}

// withoutRequestID is the body with the response's request id (shown on
// error pages) blanked, so two answers can be compared byte for byte.
func withoutRequestID(res *httptest.ResponseRecorder) string {
	body := res.Body.String()
	if id := res.Header().Get("X-Request-ID"); id != "" {
		body = strings.ReplaceAll(body, id, "REQUEST-ID")
	}
	return body
}

// noSuchUser is an id no record of any table has: the "missing" control.
const noSuchUser = 999999

// Someone else's record answers exactly like a record that does not exist:
// same status, same bytes, same headers that matter (R13), and the attempt
// changes nothing.
func TestSomeoneElsesRecordIsTheSame404AsAMissingOne(t *testing.T) {
	other := func(pick func(w testkit.World) account.User) func(matrixWorld) int64 {
		return func(w matrixWorld) int64 { return pick(w.World).ID }
	}
	therapist2 := func(w testkit.World) account.User { return w.Therapist2 }
	therapist := func(w testkit.World) account.User { return w.Therapist }
	type recordCase struct {
		name   string
		as     func(w testkit.World) account.User
		method string
		path   string // %d is the record's id
		record func(w matrixWorld) int64
		form   func(w matrixWorld, as *account.User) url.Values
		table  string // where the record lives; "" is users
	}
	cases := []recordCase{
		{"therapist views another therapist's client", func(w testkit.World) account.User { return w.Therapist },
			http.MethodGet, "/therapist/clients/%d", other(func(w testkit.World) account.User { return w.OtherClient }), nil, ""},
		{"therapist makes a sign-in link for another therapist's client", func(w testkit.World) account.User { return w.Therapist },
			http.MethodPost, "/therapist/clients/%d/reset", other(func(w testkit.World) account.User { return w.OtherClient }), noForm, ""},
		{"therapist suggests reminders to another therapist's client", func(w testkit.World) account.User { return w.Therapist },
			http.MethodPost, "/therapist/clients/%d/reminders", other(func(w testkit.World) account.User { return w.OtherClient }), noForm, ""},
		{"therapist removes another therapist's client", func(w testkit.World) account.User { return w.Therapist },
			http.MethodPost, "/therapist/clients/%d/remove", other(func(w testkit.World) account.User { return w.OtherClient }), noForm, ""},
		// Reports and sessions follow the caseload (R13, R26).
		{"therapist opens the reports page of another therapist's client", therapist2,
			http.MethodGet, "/therapist/clients/%d/reports", other(theClient), nil, ""},
		{"therapist exports another therapist's client's progress summary", therapist2,
			http.MethodPost, "/therapist/clients/%d/progress.pdf", other(theClient), func(matrixWorld, *account.User) url.Values { return url.Values{"notes": {"1"}} }, ""},
		{"therapist prints another therapist's client's session report", therapist2,
			http.MethodGet, "/therapist/clients/%d/session-report", other(theClient), nil, ""},
		{"therapist exports another therapist's client's session report", therapist2,
			http.MethodPost, "/therapist/clients/%d/session-report.pdf", other(theClient), noForm, ""},
		{"therapist records a session for another therapist's client", therapist2,
			http.MethodPost, "/therapist/clients/%d/sessions", other(theClient), sessionForm, ""},
		{"therapist shares another therapist's client's progress", therapist2,
			http.MethodPost, "/therapist/clients/%d/sharing", other(theClient), sharingForm, ""},
		{"therapist views a colleague as if a client", func(w testkit.World) account.User { return w.Therapist },
			http.MethodGet, "/therapist/clients/%d", other(func(w testkit.World) account.User { return w.Therapist2 }), nil, ""},
		{"therapist resets the practice admin as if a client", func(w testkit.World) account.User { return w.Therapist },
			http.MethodPost, "/therapist/clients/%d/reset", other(func(w testkit.World) account.User { return w.Admin }), noForm, ""},

		{"admin of another practice opens a client's transfer page", func(w testkit.World) account.User { return w.Outsider },
			http.MethodGet, "/admin/users/%d/transfer", other(theClient), nil, ""},
		{"admin of another practice transfers a client", func(w testkit.World) account.User { return w.Outsider },
			http.MethodPost, "/admin/users/%d/transfer", other(theClient), transferForm, ""},
		{"admin of another practice disables a therapist", func(w testkit.World) account.User { return w.Outsider },
			http.MethodPost, "/admin/users/%d/disable", other(func(w testkit.World) account.User { return w.Therapist }), noForm, ""},
		{"admin of another practice enables a client", func(w testkit.World) account.User { return w.Outsider },
			http.MethodPost, "/admin/users/%d/enable", other(theClient), noForm, ""},
		{"admin of another practice makes a sign-in link for a client", func(w testkit.World) account.User { return w.Outsider },
			http.MethodPost, "/admin/users/%d/reset", other(theClient), noForm, ""},
		{"admin disables the admin of another practice", func(w testkit.World) account.User { return w.Admin },
			http.MethodPost, "/admin/users/%d/disable", other(func(w testkit.World) account.User { return w.Outsider }), noForm, ""},
		{"admin makes a sign-in link for the admin of another practice", func(w testkit.World) account.User { return w.Admin },
			http.MethodPost, "/admin/users/%d/reset", other(func(w testkit.World) account.User { return w.Outsider }), noForm, ""},
		{"admin opens the transfer page of a therapist, who is no client", func(w testkit.World) account.User { return w.Admin },
			http.MethodGet, "/admin/users/%d/transfer", other(func(w testkit.World) account.User { return w.Therapist }), nil, ""},

		// A move waits for Therapist2 only: to the client's current
		// therapist it is not there.
		{"therapist accepts a move meant for a colleague", therapist,
			http.MethodPost, "/therapist/transfers/%d/accept", theTransfer, noForm, "client_transfers"},
		{"therapist declines a move meant for a colleague", therapist,
			http.MethodPost, "/therapist/transfers/%d/decline", theTransfer, noForm, "client_transfers"},

		// Work follows the caseload: w.Series and w.Assignment are
		// w.Client's, who is Therapist's, not Therapist2's.
		{"therapist opens another therapist's client's series", therapist2,
			http.MethodGet, "/therapist/series/%d", theSeries, nil, "assignment_series"},
		{"therapist changes another therapist's client's series", therapist2,
			http.MethodPost, "/therapist/series/%d", theSeries, seriesChangeForm, "assignment_series"},
		{"therapist cancels another therapist's client's series", therapist2,
			http.MethodPost, "/therapist/series/%d/cancel", theSeries, noForm, "assignment_series"},
		{"therapist cancels an occurrence of another therapist's client", therapist2,
			http.MethodPost, "/therapist/assignments/%d/cancel", theAssignment, noForm, "assignments"},

		// Exercises belong to a practice: another practice's are not there.
		{"therapist views another practice's exercise", therapist,
			http.MethodGet, "/therapist/exercises/%d", theForeignExercise, nil, "exercises"},
		{"therapist views a version of another practice's exercise", therapist,
			http.MethodGet, "/therapist/exercises/%d?version=1", theForeignExercise, nil, "exercises"},
		{"therapist opens the builder on another practice's exercise", therapist,
			http.MethodGet, "/therapist/exercises/%d/edit", theForeignExercise, nil, "exercises"},
		{"therapist saves a version of another practice's exercise", therapist,
			http.MethodPost, "/therapist/exercises/%d/edit", theForeignExercise, builderSaveForm, "exercises"},
		{"therapist previews a version of another practice's exercise", therapist,
			http.MethodPost, "/therapist/exercises/%d/edit", theForeignExercise, builderPreviewForm, "exercises"},
		{"therapist duplicates another practice's exercise", therapist,
			http.MethodPost, "/therapist/exercises/%d/duplicate", theForeignExercise, noForm, "exercises"},
	}
	// Sent work and private notes follow the caseload too: w.Submitted is
	// w.Client's check-in, sent, with Therapist's feedback and private
	// notes on it and on w.Client; to Therapist2 none of it exists (R13,
	// R14).
	op := func(op string) func(matrixWorld, *account.User) url.Values {
		return func(matrixWorld, *account.User) url.Values { return url.Values{"op": {op}} }
	}
	sent := []recordCase{
		{"therapist reads another therapist's client's sent work", therapist2,
			http.MethodGet, "/therapist/work/%d", theSubmission, nil, "assignments"},
		{"therapist reads a version of another therapist's client's sent work", therapist2,
			http.MethodGet, "/therapist/work/%d?version=1", theSubmission, nil, "assignments"},
		{"therapist marks another therapist's client's work reviewed", therapist2,
			http.MethodPost, "/therapist/work/%d", theSubmission, op("reviewed"), "assignments"},
		{"therapist marks another therapist's client's work not reviewed", therapist2,
			http.MethodPost, "/therapist/work/%d", theSubmission, op("unreviewed"), "assignments"},
		{"therapist marks another therapist's client's work to discuss", therapist2,
			http.MethodPost, "/therapist/work/%d", theSubmission, op("discuss"), "assignments"},
		{"therapist withdraws another therapist's feedback", therapist2,
			http.MethodPost, "/therapist/work/%d", theSubmission, op("withdraw"), "assignments"},
		{"therapist writes feedback on another therapist's client's work", therapist2,
			http.MethodPost, "/therapist/work/%d/feedback", theSubmission, feedbackForm, "assignments"},
		{"therapist keeps a note on another therapist's client's work", therapist2,
			http.MethodPost, "/therapist/work/%d/notes", theSubmission, noteForm, "assignments"},
		{"therapist keeps a note on another therapist's client", therapist2,
			http.MethodPost, "/therapist/clients/%d/notes", other(theClient), noteForm, ""},
		{"therapist keeps a note on a colleague as if a client", therapist,
			http.MethodPost, "/therapist/clients/%d/notes", other(func(w testkit.World) account.User { return w.Therapist2 }), noteForm, ""},
	}
	type group struct {
		cases []recordCase
		sent  bool
	}
	for _, g := range []group{{cases, false}, {sent, true}} {
		for _, tc := range g.cases {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				a := testkit.NewApp(t)
				w := seedMatrix(t, a, true)
				if g.sent {
					seedSubmission(t, a, &w)
					th := a.Login(t, w.Therapist)
					for path, form := range map[string]url.Values{
						fmt.Sprintf("/therapist/work/%d/feedback", w.Submitted): feedbackForm(w, &w.Therapist),
						fmt.Sprintf("/therapist/work/%d/notes", w.Submitted):    noteForm(w, &w.Therapist),
						fmt.Sprintf("/therapist/clients/%d/notes", w.Client.ID): noteForm(w, &w.Therapist),
					} {
						if res := th.PostForm(path, form); res.Code != http.StatusSeeOther {
							t.Fatalf("the owner's %s: status %d\n%s", path, res.Code, res.Body.String())
						}
					}
				}
				table := tc.table
				if table == "" {
					table = "users"
				}
				var n int
				if err := a.DB.Get(&n, `SELECT count(*) FROM `+table+` WHERE id = $1`, noSuchUser); err != nil || n != 0 {
					t.Fatalf("%s %d should not exist: count %d, err %v", table, noSuchUser, n, err)
				}
				if id := tc.record(w); id == 0 || id == noSuchUser {
					t.Fatalf("the record under test has id %d", id)
				}
				as := tc.as(w.World)
				s := a.Login(t, as)
				before := authzState(t, a)
				send := func(id int64) *httptest.ResponseRecorder {
					path := fmt.Sprintf(tc.path, id)
					if tc.method == http.MethodGet {
						return s.Get(path)
					}
					return s.PostForm(path, tc.form(w, &as))
				}

				theirs := send(tc.record(w))
				missing := send(noSuchUser)

				if missing.Code != http.StatusNotFound {
					t.Fatalf("nonexistent record: status %d, want 404", missing.Code)
				}
				if theirs.Code != http.StatusNotFound {
					t.Fatalf("someone else's record: status %d, want 404 like a missing one\n%s", theirs.Code, theirs.Body.String())
				}
				if got, want := withoutRequestID(theirs), withoutRequestID(missing); got != want {
					t.Errorf("someone else's record is told apart from a missing one:\n--- theirs\n%s\n--- missing\n%s", got, want)
				}
				for _, h := range []string{"Content-Type", "Content-Length", "Location", "Cache-Control"} {
					if g, m := theirs.Header().Get(h), missing.Header().Get(h); g != m {
						t.Errorf("header %s: %q for someone else's record, %q for a missing one", h, g, m)
					}
				}
				if after := authzState(t, a); after != before {
					t.Errorf("the refused requests changed the database:\nbefore %s\nafter  %s", before, after)
				}
			})
		}
	}
}

// clinicalRoute reports whether a route belongs to therapists' or
// clients' work: by its place in the URL space or by its rule.
func clinicalRoute(r server.RouteInfo) bool {
	if strings.HasPrefix(r.Path, "/therapist") || r.Path == "/home" || strings.HasPrefix(r.Path, "/home/") || strings.HasPrefix(r.Path, "/client") {
		return true
	}
	roles, ok := strings.CutPrefix(r.Rule, "roles:")
	return ok && !slices.Contains(strings.Split(roles, ","), "admin")
}

func clinicalPath(p string) bool {
	u, err := url.Parse(p)
	if err != nil {
		return true
	}
	p = u.Path
	return p == "/therapist" || strings.HasPrefix(p, "/therapist/") || p == "/home" || strings.HasPrefix(p, "/home/") || strings.HasPrefix(p, "/client")
}

// The admin runs the practice but never reaches a therapist's or a
// client's pages (R14).
func TestAdminIsRefusedEveryTherapistAndClientRoute(t *testing.T) {
	a := testkit.NewApp(t)
	var routes []string
	for _, r := range a.Server.Routes() {
		if clinicalRoute(r) {
			routes = append(routes, r.Method+" "+r.Path)
		}
	}
	for _, must := range []string{"GET /therapist", "GET /therapist/clients/:id", "POST /therapist/clients/:id/remove", "GET /home"} {
		if !slices.Contains(routes, must) {
			t.Fatalf("%s is not counted as a therapist or client route; found %v", must, routes)
		}
	}
	for _, route := range routes {
		row := matrixRowFor(t, route)
		t.Run(route, func(t *testing.T) {
			t.Parallel()
			a := testkit.NewApp(t)
			w := row.seed(t, a)
			s := a.Login(t, w.Admin)
			before := authzState(t, a)
			res := row.send(s, w, &w.Admin)
			if res.Code != http.StatusForbidden {
				t.Errorf("admin %s %s: status %d, want 403\n%s", row.method(), row.path(w), res.Code, res.Body.String())
			}
			if after := authzState(t, a); after != before {
				t.Errorf("admin's refused request changed the database:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}

var linkTargetRe = regexp.MustCompile(`(?:href|action)="([^"]*)"`)

// The admin's own pages render, and none of them carries client-facing
// content or leads into a therapist's or client's pages (R14).
func TestAdminPagesShowNoClinicalContent(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	s := a.Login(t, w.Admin)
	for _, path := range []string{"/admin/users", "/admin/audit", "/admin/practice", "/admin/users/invite",
		fmt.Sprintf("/admin/users/%d/transfer", w.Client.ID)} {
		t.Run(path, func(t *testing.T) {
			res := s.Get(path)
			if res.Code != http.StatusOK {
				t.Fatalf("status %d, want 200\n%s", res.Code, res.Body.String())
			}
			body := res.Body.String()
			for _, m := range linkTargetRe.FindAllStringSubmatch(body, -1) {
				if clinicalPath(m[1]) {
					t.Errorf("admin page links to the clinical page %s", m[1])
				}
			}
			for _, marker := range []string{`class="crisis-line"`, "Your homework"} {
				if strings.Contains(body, marker) {
					t.Errorf("admin page shows client-facing content %q", marker)
				}
			}
		})
	}
}

// Cross-origin POSTs are refused before any handler runs (R16); the same
// request from the same origin is the control that shows the form itself
// would have worked.
func TestCrossOriginPostsAreRefusedAndChangeNothing(t *testing.T) {
	headers := []struct {
		name    string
		headers map[string]string
		allowed bool
	}{
		{"Sec-Fetch-Site cross-site", map[string]string{"Sec-Fetch-Site": "cross-site"}, false},
		{"Sec-Fetch-Site same-site", map[string]string{"Sec-Fetch-Site": "same-site"}, false},
		{"Origin of another site", map[string]string{"Origin": "https://evil.example"}, false},
		{"cross-site despite a same-host Origin", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "http://example.com"}, false},
		{"control: Sec-Fetch-Site same-origin", map[string]string{"Sec-Fetch-Site": "same-origin"}, true},
		{"control: Origin of this site", map[string]string{"Origin": "http://example.com"}, true},
	}
	post := func(s *testkit.Session, path string, form url.Values, h map[string]string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range h {
			r.Header.Set(k, v)
		}
		return s.Do(r)
	}

	for _, hc := range headers {
		t.Run("signin/"+hc.name, func(t *testing.T) {
			t.Parallel()
			a := testkit.NewApp(t)
			w := a.Seed(t)
			s := a.Anonymous(t)
			res := post(s, "/signin", url.Values{"email": {w.Client.Email}, "password": {testkit.Password}}, hc.headers)
			var logins int
			if err := a.DB.Get(&logins, `SELECT count(*) FROM audit_log WHERE action = 'login.success'`); err != nil {
				t.Fatal(err)
			}
			if hc.allowed {
				if res.Code != http.StatusSeeOther || s.Cookie() == "" || logins != 1 {
					t.Fatalf("same-origin sign-in: status %d, cookie %q, logins recorded %d; want 303, a session, 1", res.Code, s.Cookie(), logins)
				}
				return
			}
			if res.Code != http.StatusForbidden {
				t.Errorf("status %d, want 403\n%s", res.Code, res.Body.String())
			}
			if s.Cookie() != "" || logins != 0 {
				t.Errorf("refused sign-in still signed in: cookie %q, logins recorded %d", s.Cookie(), logins)
			}
			if got := s.Get("/home"); got.Code != http.StatusSeeOther {
				t.Errorf("after a refused sign-in /home answered %d, want 303 to sign in", got.Code)
			}
		})

		t.Run("admin practice/"+hc.name, func(t *testing.T) {
			t.Parallel()
			a := testkit.NewApp(t)
			w := a.Seed(t)
			s := a.Login(t, w.Admin)
			name := func() string {
				t.Helper()
				var n string
				if err := a.DB.Get(&n, `SELECT name FROM practices WHERE id = $1`, w.PracticeID); err != nil {
					t.Fatal(err)
				}
				return n
			}
			before := name()
			if before == "Renamed practice" {
				t.Fatal("the seeded practice already has the new name")
			}
			res := post(s, "/admin/practice", practiceForm(matrixWorld{World: w}, &w.Admin), hc.headers)
			if hc.allowed {
				if res.Code != http.StatusSeeOther || name() != "Renamed practice" {
					t.Fatalf("same-origin save: status %d, name %q; want 303 and the new name", res.Code, name())
				}
				return
			}
			if res.Code != http.StatusForbidden {
				t.Errorf("status %d, want 403\n%s", res.Code, res.Body.String())
			}
			if got := name(); got != before {
				t.Errorf("practice name changed to %q by a refused request", got)
			}
		})
	}
}

// Every state-changing route refuses a cross-site POST from the actor who
// could otherwise make it, and the refusal changes nothing (R16).
func TestEveryPostRefusesCrossSiteRequests(t *testing.T) {
	for _, row := range matrixRows {
		if row.method() != http.MethodPost {
			continue
		}
		// The actor for whom the request would succeed, else anonymous.
		act := matrixActors[0]
		for _, c := range matrixActors {
			if m := c.want(row); !refused(c.user == nil, m) {
				act = c
				break
			}
		}
		t.Run(row.route+"/as "+act.name, func(t *testing.T) {
			t.Parallel()
			a := testkit.NewApp(t)
			w := row.seed(t, a)
			var as *account.User
			if act.user != nil {
				as = act.user(w.World)
			}
			s := sessionFor(t, a, as)
			before := authzState(t, a)
			r := httptest.NewRequest(http.MethodPost, row.path(w), strings.NewReader(row.form(w, as).Encode()))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			r.Header.Set("Sec-Fetch-Site", "cross-site")
			res := s.Do(r)
			if res.Code != http.StatusForbidden {
				t.Errorf("cross-site POST %s: status %d, want 403\n%s", row.path(w), res.Code, res.Body.String())
			}
			if after := authzState(t, a); after != before {
				t.Errorf("refused cross-site POST changed the database:\nbefore %s\nafter  %s", before, after)
			}
			// Still exactly who they were: not signed out, not signed in.
			home := s.Get("/")
			if home.Code != act.home.code || !sameLocation(home.Header().Get("Location"), act.home.loc) {
				t.Errorf("after the refused POST, / answered %d → %q; want %s", home.Code, home.Header().Get("Location"), act.home)
			}
		})
	}
}
