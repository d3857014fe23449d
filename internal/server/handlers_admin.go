package server

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/trellis-app/trellis/internal/account"
	"github.com/trellis-app/trellis/internal/audit"
	"github.com/trellis-app/trellis/internal/notify"
	"github.com/trellis-app/trellis/internal/policy"
)

type usersPage struct {
	Page
	Users []account.User
	// Invitations: colleagues invited who have not joined yet.
	Invitations []invitationRow
	// Failed: emails to colleagues (new sign-in links) given up on.
	Failed []notify.FailedEmail
	Now    time.Time
	// Moving: the moves waiting for the receiving therapist, by client.
	Moving map[int64]account.Transfer
}

func (s *Server) adminUsers(c *gin.Context) error {
	ctx, a := c.Request.Context(), actor(c)
	users, err := s.accounts.ListUsers(ctx, a)
	if err != nil {
		return err
	}
	moving, err := s.accounts.PendingTransfers(ctx, a)
	if err != nil {
		return err
	}
	invites, err := s.invitations(c)
	if err != nil {
		return err
	}
	failed, err := s.reminders.FailedStaffEmails(ctx, a, s.now())
	if err != nil {
		return err
	}
	return s.show(c, http.StatusOK, "admin_users", usersPage{Page: s.page(c, "People"), Users: users, Invitations: invites, Failed: failed, Now: s.now(), Moving: moving})
}

type invitePage struct {
	Page
	Staff  bool
	Action string
	Form   Form
}

var staffInviteFields = []string{"name", "email", "role"}

func (s *Server) staffInvitePage(c *gin.Context) error {
	f := emptyForm(staffInviteFields...)
	f.Values["role"] = string(policy.Therapist)
	return s.show(c, http.StatusOK, "invite", invitePage{Page: s.page(c, "Invite a colleague"), Staff: true, Action: "/admin/users/invite", Form: f})
}

func (s *Server) inviteStaff(c *gin.Context) error {
	f := newForm(c, staffInviteFields)
	link, err := s.accounts.InviteStaff(c.Request.Context(), actor(c), account.Invitation{
		Name: f.Values["name"], Email: f.Values["email"], Role: policy.Role(f.Values["role"]),
	})
	if f.withErrors(err) {
		return s.show(c, http.StatusUnprocessableEntity, "invite", invitePage{Page: s.page(c, "Invite a colleague"), Staff: true, Action: "/admin/users/invite", Form: f})
	}
	if err != nil {
		return err
	}
	s.handOffLink(c, link, f.Values["name"], "/admin/users")
	return nil
}

type disablePage struct {
	Page
	Person account.User
}

// disablePage asks before an account is disabled: disabling signs the
// person out at once, so it is never one click away.
func (s *Server) disablePage(c *gin.Context) error {
	id, ok := s.id(c)
	if !ok {
		return nil
	}
	a := actor(c)
	u, err := s.accounts.User(c.Request.Context(), a, id)
	if err != nil {
		return err
	}
	switch {
	case u.ID == a.UserID:
		s.flash(c, "You cannot disable your own account.")
	case u.Status == account.StatusDisabled:
		s.flash(c, "That account is already disabled.")
	default:
		return s.show(c, http.StatusOK, "admin_disable", disablePage{Page: s.page(c, "Disable an account"), Person: u})
	}
	return redirect(c, "/admin/users")
}

func (s *Server) setDisabled(disabled bool) handlerFunc {
	return func(c *gin.Context) error {
		id, ok := s.id(c)
		if !ok {
			return nil
		}
		err := s.accounts.SetDisabled(c.Request.Context(), actor(c), id, disabled)
		if msg, isInvalid := invalidMessage(err); isInvalid {
			return s.redirectWith(c, "/admin/users", msg)
		}
		if err != nil {
			return err
		}
		if disabled {
			s.flash(c, "The account is disabled. Anyone signed in with it was signed out.")
		} else {
			s.flash(c, "The account is enabled again.")
		}
		return redirect(c, "/admin/users")
	}
}

// resetAccess makes a new single-use link: admins for anyone in the
// practice, therapists for their own clients.
func (s *Server) resetAccess(c *gin.Context) error {
	id, ok := s.id(c)
	if !ok {
		return nil
	}
	a := actor(c)
	back := "/admin/users"
	if a.Role == policy.Therapist {
		back = "/therapist/clients/" + strconv.FormatInt(id, 10)
	}
	link, err := s.accounts.ResetAccess(c.Request.Context(), a, id)
	if msg, isInvalid := invalidMessage(err); isInvalid {
		return s.redirectWith(c, back, msg)
	}
	if err != nil {
		return err
	}
	var name string
	if u, err := s.accountName(c, a, id); err == nil {
		name = u
	}
	s.handOffLink(c, link, name, back)
	return nil
}

func (s *Server) accountName(c *gin.Context, a policy.Actor, id int64) (string, error) {
	var u account.User
	var err error
	if a.Role == policy.Therapist {
		u, err = s.accounts.Client(c.Request.Context(), a, id)
	} else {
		u, err = s.accounts.User(c.Request.Context(), a, id)
	}
	return u.DisplayName, err
}

func invalidMessage(err error) (string, bool) {
	f := emptyForm()
	if !f.withErrors(err) {
		return "", false
	}
	for _, e := range f.ErrorList() {
		return e.Message, true
	}
	return "", false
}

type transferPage struct {
	Page
	Client     account.User
	Therapists []account.User
	Form       Form
	// Pending: the move already waiting for the receiving therapist.
	Pending *account.Transfer
}

func (s *Server) transferPage(c *gin.Context) error {
	return s.renderTransfer(c, http.StatusOK, emptyForm("therapist"))
}

func (s *Server) renderTransfer(c *gin.Context, status int, f Form) error {
	id, ok := s.id(c)
	if !ok {
		return nil
	}
	ctx, a := c.Request.Context(), actor(c)
	client, err := s.accounts.User(ctx, a, id)
	if err == nil && client.Role != policy.Client {
		s.renderError(c, http.StatusNotFound)
		return nil
	}
	if err != nil {
		return err
	}
	therapists, err := s.accounts.Therapists(ctx, a)
	if err != nil {
		return err
	}
	moving, err := s.accounts.PendingTransfers(ctx, a)
	if err != nil {
		return err
	}
	p := transferPage{Page: s.page(c, "Move a client"), Client: client, Therapists: therapists, Form: f}
	if t, ok := moving[client.ID]; ok {
		p.Pending = &t
	}
	return s.show(c, status, "admin_transfer", p)
}

func (s *Server) transferClient(c *gin.Context) error {
	id, ok := s.id(c)
	if !ok {
		return nil
	}
	f := newForm(c, []string{"therapist"})
	tid, _ := strconv.ParseInt(f.Values["therapist"], 10, 64)
	err := s.accounts.ProposeTransfer(c.Request.Context(), actor(c), id, tid)
	if f.withErrors(err) {
		return s.renderTransfer(c, http.StatusUnprocessableEntity, f)
	}
	if err != nil {
		return err
	}
	return s.redirectWith(c, "/admin/users", "The move is proposed. The client stays where they are until the therapist you chose accepts it on their dashboard.")
}

// withdrawTransfer withdraws a move the receiving therapist has not
// answered yet.
func (s *Server) withdrawTransfer(c *gin.Context) error {
	id, ok := s.id(c)
	if !ok {
		return nil
	}
	if err := s.accounts.WithdrawTransfer(c.Request.Context(), actor(c), id); err != nil {
		return err
	}
	return s.redirectWith(c, "/admin/users", "The move is withdrawn. The client stays where they are.")
}

type practicePage struct {
	Page
	Form Form
	// MFAForm is the requirement of two-step sign-in for staff.
	MFAForm Form
	Zones   []account.TimeZoneGroup
	// ZoneListed: the form's zone is one of Zones; otherwise it is offered
	// first, so what is saved (or was typed) is never lost from view.
	ZoneListed bool
}

var practiceFields = []string{"name", "crisis_text", "time_zone", "missed_in_a_row", "nhs_change_thresholds"}

func (s *Server) practicePage(c *gin.Context) error {
	s.renderPractice(c, http.StatusOK, savedPractice(c), Form{})
	return nil
}

// savedPractice is the settings form filled with the practice as saved.
func savedPractice(c *gin.Context) Form {
	pr, _ := principal(c)
	p := pr.Practice
	f := emptyForm(practiceFields...)
	f.Values["name"], f.Values["crisis_text"], f.Values["time_zone"] = p.Name, p.CrisisText, p.TimeZone
	f.Values["missed_in_a_row"] = strconv.Itoa(p.MissedInARow)
	if p.NHSChangeThresholds {
		f.Values["nhs_change_thresholds"] = "1"
	}
	return f
}

// renderPractice shows the settings; an empty mf shows the saved
// requirement of two-step sign-in.
func (s *Server) renderPractice(c *gin.Context, status int, f, mf Form) {
	if mf.Values == nil {
		p, _ := principal(c)
		pr := p.Practice
		mf = emptyForm("mfa_required_from")
		if pr.MFARequiredFrom != nil {
			mf.Values["mfa_required_from"] = pr.MFARequiredFrom.UTC().Format("2006-01-02")
		}
	}
	p := practicePage{Page: s.page(c, "Practice settings"), Form: f, MFAForm: mf, Zones: account.TimeZones()}
	for _, g := range p.Zones {
		for _, z := range g.Zones {
			p.ZoneListed = p.ZoneListed || z.Name == f.Values["time_zone"]
		}
	}
	s.render(c, status, "admin_practice", p)
}

func (s *Server) updatePractice(c *gin.Context) error {
	f := newForm(c, practiceFields)
	err := s.accounts.UpdatePractice(c.Request.Context(), actor(c), account.PracticeSettings{
		Name: f.Values["name"], CrisisText: f.Values["crisis_text"], TimeZone: f.Values["time_zone"],
		MissedInARow: f.Values["missed_in_a_row"], NHSChangeThresholds: f.Values["nhs_change_thresholds"] == "1",
	})
	if f.withErrors(err) {
		s.renderPractice(c, http.StatusUnprocessableEntity, f, Form{})
		return nil
	}
	if err != nil {
		return err
	}
	return s.redirectWith(c, "/admin/practice", "Practice settings saved.")
}

// actionChoice is one action of the audit log's filter: its code, sent
// in the query, and the words shown.
type actionChoice struct{ Code, Words string }

type auditPage struct {
	Page
	Rows    []audit.Row
	Users   []account.User
	Actions []actionChoice
	Filter  map[string]string
	Errors  map[string]string
	NextURL string
}

// auditPage lists the practice's audit log with filters (user, action,
// date range) and keyset paging.
func (s *Server) auditPage(c *gin.Context) error {
	ctx, a := c.Request.Context(), actor(c)
	p := auditPage{Page: s.page(c, "Audit log"), Filter: map[string]string{}, Errors: map[string]string{}}
	for _, act := range audit.AllActions {
		p.Actions = append(p.Actions, actionChoice{Code: act, Words: audit.Words(act)})
	}
	var f audit.Filter
	for _, k := range []string{"user", "action", "from", "to", "before"} {
		p.Filter[k] = c.Query(k)
	}
	if v := p.Filter["user"]; v != "" {
		f.ActorID, _ = strconv.ParseInt(v, 10, 64)
	}
	for _, act := range audit.AllActions {
		if act == p.Filter["action"] {
			f.Action = act
		}
	}
	if v := p.Filter["from"]; v != "" {
		t, err := time.Parse("2006-01-02", v)
		if err != nil {
			p.Errors["from"] = "Enter a date like 2026-01-31."
		}
		f.From = t
	}
	if v := p.Filter["to"]; v != "" {
		t, err := time.Parse("2006-01-02", v)
		if err != nil {
			p.Errors["to"] = "Enter a date like 2026-01-31."
		} else {
			f.To = t.AddDate(0, 0, 1) // the whole "to" day
		}
	}
	f.BeforeID, _ = strconv.ParseInt(p.Filter["before"], 10, 64)
	users, err := s.accounts.ListUsers(ctx, a)
	if err != nil {
		return err
	}
	p.Users = users
	status := http.StatusOK
	if len(p.Errors) > 0 {
		status = http.StatusUnprocessableEntity
	} else {
		rows, more, err := s.audit.List(ctx, a, f)
		if err != nil {
			return err
		}
		p.Rows = rows
		if more {
			q := c.Request.URL.Query()
			q.Set("before", strconv.FormatInt(rows[len(rows)-1].ID, 10))
			p.NextURL = "/admin/audit?" + q.Encode()
		}
	}
	return s.show(c, status, "admin_audit", p)
}
