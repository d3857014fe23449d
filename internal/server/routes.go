package server

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/trellis-app/trellis/internal/policy"
)

// handle registers a route with its access rule, enforced before the
// handler runs.
func (s *Server) handle(method, path string, r rule, h handlerFunc) {
	s.rules[method+" "+path] = r
	s.engine.Handle(method, path, s.require(r), s.run(h))
}

// handlerFunc is a route's handler: it answers the request, or returns the
// error that decides the answer (fail maps every error to its page, in one
// place).
type handlerFunc func(c *gin.Context) error

// run adapts a handlerFunc to gin.
func (s *Server) run(h handlerFunc) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := h(c); err != nil {
			s.fail(c, err)
		}
	}
}

// routes is the whole route table, in one place, each with who may use it:
// public, or the policy action it is for (the roles internal/policy grants
// it, the same table every service checks).
func (s *Server) routes() {
	get, post := http.MethodGet, http.MethodPost

	s.handle(get, "/healthz", public, s.healthz)
	s.handle(get, "/readyz", public, s.readyz)
	s.handle(get, "/static/*filepath", public, s.serveStatic)

	// Signing in and out, joining, resetting.
	s.handle(get, "/", public, s.home)
	s.handle(get, "/signin", public, s.signinPage)
	s.handle(post, "/signin", public, s.signin)
	s.handle(post, "/signout", may(policy.UseOwnAccount), s.signout)
	// The second step of a sign-in, bound to the half-done sign-in its
	// session holds: a code, or setting up two-step sign-in first.
	s.handle(get, "/signin/code", public, s.codePage)
	s.handle(post, "/signin/code", public, s.verifyCode)
	s.handle(get, "/signin/enrol", public, s.enrolPage)
	s.handle(post, "/signin/enrol", public, s.enrolAtSignIn)
	s.handle(get, "/invite/:token", public, s.linkPage("invite"))
	s.handle(post, "/invite/:token", public, s.useLink("invite"))
	s.handle(get, "/reset/:token", public, s.linkPage("reset"))
	s.handle(post, "/reset/:token", public, s.useLink("reset"))
	s.handle(get, "/account/password", may(policy.ChangeOwnPassword), s.passwordPage)
	s.handle(post, "/account/password", may(policy.ChangeOwnPassword), s.changePassword)
	// A client's email reminders and calendar address.
	s.handle(get, "/account/reminders", may(policy.SetReminders), s.remindersPage)
	s.handle(post, "/account/reminders", may(policy.SetReminders), s.saveReminders)
	s.handle(post, "/account/calendar", may(policy.SetReminders), s.changeCalendar)
	// Reached from outside, signed out: the address or link is the
	// credential, for one client and one purpose.
	s.handle(get, "/calendar/:file", public, s.calendarFeed)
	s.handle(get, "/stop/:token", public, s.stopPage)
	s.handle(post, "/stop/:token", public, s.stopReminders)
	s.handle(get, "/account/mfa", may(policy.ManageOwnMFA), s.mfaPage)
	s.handle(get, "/account/mfa/setup", may(policy.ManageOwnMFA), s.mfaSetupPage)
	s.handle(post, "/account/mfa/setup", may(policy.ManageOwnMFA), s.enableMFA)
	s.handle(get, "/account/mfa/recovery-codes", may(policy.ManageOwnMFA), s.recoveryCodesPage)
	s.handle(post, "/account/mfa/recovery-codes", may(policy.ManageOwnMFA), s.newRecoveryCodes)
	s.handle(post, "/account/mfa/off", may(policy.ManageOwnMFA), s.disableMFA)
	// What someone else did to the person's access, until they read it.
	s.handle(get, "/account/notices", may(policy.UseOwnAccount), s.noticesPage)
	s.handle(post, "/account/notices/:id/read", may(policy.UseOwnAccount), s.readNotice)
	// A new invite or reset link, shown to the staff member who made it.
	s.handle(get, "/links/:id", may(policy.HandOffLinks), s.linkReadyPage)
	// Invitations not yet taken up: a therapist's of clients, an admin's
	// of staff; the form names one sealed (see handlers_invitations.go).
	s.handle(post, "/invitations/renew", may(policy.ManageInvitations), s.renewInvitation)
	s.handle(post, "/invitations/withdraw", may(policy.ManageInvitations), s.withdrawInvitation)

	// Practice admin: accounts and the practice, never clinical content.
	s.handle(get, "/admin/users", may(policy.ListUsers), s.adminUsers)
	s.handle(get, "/admin/users/invite", may(policy.ManageStaff), s.staffInvitePage)
	s.handle(post, "/admin/users/invite", may(policy.ManageStaff), s.inviteStaff)
	s.handle(get, "/admin/users/:id/disable", may(policy.DisableUser), s.disablePage)
	s.handle(post, "/admin/users/:id/disable", may(policy.DisableUser), s.setDisabled(true))
	s.handle(post, "/admin/users/:id/enable", may(policy.DisableUser), s.setDisabled(false))
	s.handle(post, "/admin/users/:id/reset", may(policy.ManageStaff), s.resetAccess)
	s.handle(get, "/admin/users/:id/mfa-reset", may(policy.ManageStaff), s.mfaResetPage)
	s.handle(post, "/admin/users/:id/mfa-reset", may(policy.ManageStaff), s.resetMFA)
	s.handle(get, "/admin/users/:id/transfer", may(policy.TransferClient), s.transferPage)
	s.handle(post, "/admin/users/:id/transfer", may(policy.TransferClient), s.transferClient)
	s.handle(post, "/admin/users/:id/transfer/withdraw", may(policy.TransferClient), s.withdrawTransfer)
	s.handle(get, "/admin/practice", may(policy.ManagePractice), s.practicePage)
	s.handle(post, "/admin/practice", may(policy.ManagePractice), s.updatePractice)
	s.handle(post, "/admin/practice/mfa", may(policy.ManagePractice), s.setMFARequirement)
	s.handle(get, "/admin/audit", may(policy.ReadAudit), s.auditPage)

	// Therapist: their caseload.
	s.handle(get, "/therapist", may(policy.ViewCaseload), s.dashboard)
	s.handle(post, "/therapist/search", may(policy.ViewCaseload), s.searchCaseload)
	s.handle(get, "/therapist/clients/invite", may(policy.InviteClient), s.clientInvitePage)
	s.handle(post, "/therapist/clients/invite", may(policy.InviteClient), s.inviteClient)
	s.handle(get, "/therapist/clients/:id", may(policy.ViewClient), s.clientPage)
	s.handle(post, "/therapist/clients/:id/reset", may(policy.ResetClient), s.resetAccess)
	s.handle(post, "/therapist/clients/:id/remove", may(policy.RemoveClient), s.removeClient)
	s.handle(post, "/therapist/clients/:id/reminders", may(policy.OfferReminders), s.offerReminders)
	// A client moved to them by an admin waits for their answer.
	s.handle(post, "/therapist/transfers/:id/accept", may(policy.AcceptTransfer), s.decideTransfer(true))
	s.handle(post, "/therapist/transfers/:id/decline", may(policy.AcceptTransfer), s.decideTransfer(false))
	s.handle(post, "/therapist/clients/:id/mfa-reset", may(policy.ResetClient), s.resetMFA)

	// Therapist: the exercise library, the builder, assigning homework.
	s.handle(get, "/therapist/exercises", may(policy.ViewLibrary), s.libraryPage)
	s.handle(get, "/therapist/exercises/new", may(policy.EditExercise), s.newExercisePage)
	s.handle(post, "/therapist/exercises/new", may(policy.EditExercise), s.builderPost)
	s.handle(get, "/therapist/exercises/:id", may(policy.ViewLibrary), s.exercisePage)
	s.handle(get, "/therapist/exercises/:id/edit", may(policy.EditExercise), s.editExercisePage)
	s.handle(post, "/therapist/exercises/:id/edit", may(policy.EditExercise), s.builderPost)
	s.handle(post, "/therapist/exercises/:id/duplicate", may(policy.EditExercise), s.duplicateExercise)
	s.handle(get, "/therapist/assign", may(policy.Assign), s.assignPage)
	s.handle(post, "/therapist/assign", may(policy.Assign), s.assign)
	s.handle(post, "/therapist/assignments/:id/cancel", may(policy.ManageWork), s.cancelOccurrence)
	s.handle(get, "/therapist/series/:id", may(policy.ManageWork), s.seriesPage)
	s.handle(post, "/therapist/series/:id", may(policy.ManageWork), s.changeSeries)
	s.handle(post, "/therapist/series/:id/cancel", may(policy.ManageWork), s.cancelSeries)

	// Therapist: review of submitted work.
	s.handle(get, "/therapist/inbox", may(policy.ReviewWork), s.inboxPage)
	s.handle(get, "/therapist/work/:id", may(policy.ReviewWork), s.reviewPage)
	s.handle(post, "/therapist/work/:id", may(policy.ReviewWork), s.reviewAction)
	s.handle(post, "/therapist/work/:id/feedback", may(policy.ReviewWork),
		s.reviewText("feedback", "Feedback saved. The client sees it under what they sent.", "", s.reviews.SaveFeedback))
	s.handle(post, "/therapist/work/:id/notes", may(policy.ReviewWork),
		s.reviewText("note", "Private note kept. Only you can see it.", "#notes", s.reviews.AddNote))
	s.handle(post, "/therapist/work/:id/follow-up", may(policy.ReviewWork),
		s.reviewText("follow_up", "Marked as followed up. The flag stays on this work.", "#follow-up", s.reviews.FollowUp))
	s.handle(post, "/therapist/clients/:id/notes", may(policy.ReviewWork), s.addClientNote)
	s.handle(get, "/therapist/clients/:id/progress", may(policy.ViewClient), s.progressPage)
	s.handle(get, "/therapist/clients/:id/measures", may(policy.ViewClient), s.measuresPage)

	// Therapist: reports to bring into the session, session dates, and
	// sharing progress with the client.
	s.handle(get, "/therapist/clients/:id/reports", may(policy.ExportReport), s.reportPage)
	s.handle(post, "/therapist/clients/:id/progress.pdf", may(policy.ExportReport), s.progressPDF)
	s.handle(get, "/therapist/clients/:id/session-report", may(policy.ExportReport), s.sessionReport)
	s.handle(post, "/therapist/clients/:id/session-report.pdf", may(policy.ExportReport), s.sessionReportPDF)
	s.handle(post, "/therapist/clients/:id/sessions", may(policy.KeepSessions), s.recordSession)
	s.handle(post, "/therapist/clients/:id/sessions/:session/remove", may(policy.KeepSessions), s.removeSession)
	s.handle(post, "/therapist/clients/:id/sharing", may(policy.ViewClient), s.setSharing)

	// Client: their homework portal.
	s.handle(get, "/home", may(policy.UsePortal), s.clientHome)
	s.handle(get, "/home/history", may(policy.UsePortal), s.historyPage)
	s.handle(get, "/home/progress", may(policy.UsePortal), s.clientProgress)
	s.handle(get, "/home/assignments/:id", may(policy.UsePortal), s.workPage)
	s.handle(post, "/home/assignments/:id", mayWrite(policy.UsePortal), s.saveWork)
	s.handle(post, "/home/assignments/:id/draft", mayWrite(policy.UsePortal), s.autosave)
}
