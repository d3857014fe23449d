package server

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// handle registers a route with its access rule, enforced before the
// handler runs.
func (s *Server) handle(method, path string, r rule, h gin.HandlerFunc) {
	s.rules[method+" "+path] = r
	s.engine.Handle(method, path, s.require(r), h)
}

// routes is the whole route table, in one place, each with who may use it.
func (s *Server) routes() {
	get, post := http.MethodGet, http.MethodPost

	s.handle(get, "/healthz", public, s.healthz)
	s.handle(get, "/readyz", public, s.readyz)
	s.handle(get, "/static/*filepath", public, s.serveStatic)

	// Signing in and out, joining, resetting.
	s.handle(get, "/", public, s.home)
	s.handle(get, "/signin", public, s.signinPage)
	s.handle(post, "/signin", public, s.signin)
	s.handle(post, "/signout", signedIn, s.signout)
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
	s.handle(get, "/account/password", signedIn, s.passwordPage)
	s.handle(post, "/account/password", signedIn, s.changePassword)
	// A client's email reminders and calendar address.
	s.handle(get, "/account/reminders", clients, s.remindersPage)
	s.handle(post, "/account/reminders", clients, s.saveReminders)
	s.handle(post, "/account/calendar", clients, s.changeCalendar)
	// Reached from outside, signed out: the address or link is the
	// credential, for one client and one purpose.
	s.handle(get, "/calendar/:file", public, s.calendarFeed)
	s.handle(get, "/stop/:token", public, s.stopPage)
	s.handle(post, "/stop/:token", public, s.stopReminders)
	s.handle(get, "/account/mfa", signedIn, s.mfaPage)
	s.handle(get, "/account/mfa/setup", signedIn, s.mfaSetupPage)
	s.handle(post, "/account/mfa/setup", signedIn, s.enableMFA)
	s.handle(get, "/account/mfa/recovery-codes", signedIn, s.recoveryCodesPage)
	s.handle(post, "/account/mfa/recovery-codes", signedIn, s.newRecoveryCodes)
	s.handle(post, "/account/mfa/off", signedIn, s.disableMFA)
	// What someone else did to the person's access, until they read it.
	s.handle(get, "/account/notices", signedIn, s.noticesPage)
	s.handle(post, "/account/notices/:id/read", signedIn, s.readNotice)
	// A new invite or reset link, shown to the staff member who made it.
	s.handle(get, "/links/:id", staff, s.linkReadyPage)
	// Invitations not yet taken up: a therapist's of clients, an admin's
	// of staff; the form names one sealed (see handlers_invitations.go).
	s.handle(post, "/invitations/renew", staff, s.renewInvitation)
	s.handle(post, "/invitations/withdraw", staff, s.withdrawInvitation)

	// Practice admin: accounts and the practice, never clinical content.
	s.handle(get, "/admin/users", admins, s.adminUsers)
	s.handle(get, "/admin/users/invite", admins, s.staffInvitePage)
	s.handle(post, "/admin/users/invite", admins, s.inviteStaff)
	s.handle(get, "/admin/users/:id/disable", admins, s.disablePage)
	s.handle(post, "/admin/users/:id/disable", admins, s.setDisabled(true))
	s.handle(post, "/admin/users/:id/enable", admins, s.setDisabled(false))
	s.handle(post, "/admin/users/:id/reset", admins, s.resetAccess)
	s.handle(get, "/admin/users/:id/mfa-reset", admins, s.mfaResetPage)
	s.handle(post, "/admin/users/:id/mfa-reset", admins, s.resetMFA)
	s.handle(get, "/admin/users/:id/transfer", admins, s.transferPage)
	s.handle(post, "/admin/users/:id/transfer", admins, s.transferClient)
	s.handle(post, "/admin/users/:id/transfer/withdraw", admins, s.withdrawTransfer)
	s.handle(get, "/admin/practice", admins, s.practicePage)
	s.handle(post, "/admin/practice", admins, s.updatePractice)
	s.handle(post, "/admin/practice/mfa", admins, s.setMFARequirement)
	s.handle(get, "/admin/audit", admins, s.auditPage)

	// Therapist: their caseload.
	s.handle(get, "/therapist", therapists, s.dashboard)
	s.handle(post, "/therapist/search", therapists, s.searchCaseload)
	s.handle(get, "/therapist/clients/invite", therapists, s.clientInvitePage)
	s.handle(post, "/therapist/clients/invite", therapists, s.inviteClient)
	s.handle(get, "/therapist/clients/:id", therapists, s.clientPage)
	s.handle(post, "/therapist/clients/:id/reset", therapists, s.resetAccess)
	s.handle(post, "/therapist/clients/:id/remove", therapists, s.removeClient)
	s.handle(post, "/therapist/clients/:id/reminders", therapists, s.offerReminders)
	// A client moved to them by an admin waits for their answer.
	s.handle(post, "/therapist/transfers/:id/accept", therapists, s.decideTransfer(true))
	s.handle(post, "/therapist/transfers/:id/decline", therapists, s.decideTransfer(false))
	s.handle(post, "/therapist/clients/:id/mfa-reset", therapists, s.resetMFA)

	// Therapist: the exercise library, the builder, assigning homework.
	s.handle(get, "/therapist/exercises", therapists, s.libraryPage)
	s.handle(get, "/therapist/exercises/new", therapists, s.newExercisePage)
	s.handle(post, "/therapist/exercises/new", therapists, s.builderPost)
	s.handle(get, "/therapist/exercises/:id", therapists, s.exercisePage)
	s.handle(get, "/therapist/exercises/:id/edit", therapists, s.editExercisePage)
	s.handle(post, "/therapist/exercises/:id/edit", therapists, s.builderPost)
	s.handle(post, "/therapist/exercises/:id/duplicate", therapists, s.duplicateExercise)
	s.handle(get, "/therapist/assign", therapists, s.assignPage)
	s.handle(post, "/therapist/assign", therapists, s.assign)
	s.handle(post, "/therapist/assignments/:id/cancel", therapists, s.cancelOccurrence)
	s.handle(get, "/therapist/series/:id", therapists, s.seriesPage)
	s.handle(post, "/therapist/series/:id", therapists, s.changeSeries)
	s.handle(post, "/therapist/series/:id/cancel", therapists, s.cancelSeries)

	// Therapist: review of submitted work.
	s.handle(get, "/therapist/inbox", therapists, s.inboxPage)
	s.handle(get, "/therapist/work/:id", therapists, s.reviewPage)
	s.handle(post, "/therapist/work/:id", therapists, s.reviewAction)
	s.handle(post, "/therapist/work/:id/feedback", therapists,
		s.reviewText("feedback", "Feedback saved. The client sees it under what they sent.", "", s.reviews.SaveFeedback))
	s.handle(post, "/therapist/work/:id/notes", therapists,
		s.reviewText("note", "Private note kept. Only you can see it.", "#notes", s.reviews.AddNote))
	s.handle(post, "/therapist/clients/:id/notes", therapists, s.addClientNote)
	s.handle(get, "/therapist/clients/:id/progress", therapists, s.progressPage)

	// Therapist: reports to bring into the session, session dates, and
	// sharing progress with the client.
	s.handle(get, "/therapist/clients/:id/reports", therapists, s.reportPage)
	s.handle(post, "/therapist/clients/:id/progress.pdf", therapists, s.progressPDF)
	s.handle(get, "/therapist/clients/:id/session-report", therapists, s.sessionReport)
	s.handle(post, "/therapist/clients/:id/session-report.pdf", therapists, s.sessionReportPDF)
	s.handle(post, "/therapist/clients/:id/sessions", therapists, s.recordSession)
	s.handle(post, "/therapist/clients/:id/sessions/:session/remove", therapists, s.removeSession)
	s.handle(post, "/therapist/clients/:id/sharing", therapists, s.setSharing)

	// Client: their homework portal.
	s.handle(get, "/home", clients, s.clientHome)
	s.handle(get, "/home/history", clients, s.historyPage)
	s.handle(get, "/home/progress", clients, s.clientProgress)
	s.handle(get, "/home/assignments/:id", clients, s.workPage)
	s.handle(post, "/home/assignments/:id", clientsWriting, s.saveWork)
	s.handle(post, "/home/assignments/:id/draft", clientsWriting, s.autosave)
}
