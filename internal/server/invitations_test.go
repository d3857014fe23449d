package server_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/trellis-app/trellis/internal/testkit"
)

// invitationItems are the rows of the page's invitations list, each with
// its sealed ref and its link's expiry time taken out, and the name
// replaced by "NAME": what is left must not tell a new address from one
// that has an account.
func invitationItems(t *testing.T, page string, names ...string) map[string]string {
	t.Helper()
	list := between(page, `id="invitations-title"`, "</section>")
	items := map[string]string{}
	for _, li := range strings.Split(list, `<li class="invitation">`)[1:] {
		li, _, _ = strings.Cut(li, "</li>")
		for _, n := range names {
			if strings.Contains(li, n) {
				li = strings.ReplaceAll(li, n, "NAME")
				li = refRe.ReplaceAllString(li, `value="REF"`)
				li = untilRe.ReplaceAllString(li, "until WHEN")
				items[n] = li
			}
		}
	}
	return items
}

var (
	refRe   = regexp.MustCompile(`value="[A-Za-z0-9_-]{40,}"`)
	untilRe = regexp.MustCompile(`until [0-9]{1,2} [A-Z][a-z]{2} [0-9]{4}, [0-9]{2}:[0-9]{2}`)
	// The sealed ref of the invitation row naming a person.
	rowRef = func(page, name string) string {
		list := between(page, `id="invitations-title"`, "</section>")
		li := between(list[strings.Index(list, name):], name, "</li>")
		m := regexp.MustCompile(`name="invitation" value="([^"]+)"`).FindStringSubmatch(li)
		if m == nil {
			return ""
		}
		return m[1]
	}
)

// A therapist who invites a new address and one that already has an
// account (another therapist's client) sees the two alike, from the
// dashboard's list to a new link and its withdrawal: neither is in the
// caseload, both are listed as invitations, both links open the same page
// (finding 1, R4).
func TestInvitationsOfNewAndExistingAddressesAreListedAlike(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	th := a.Login(t, w.Therapist)
	newLink, _ := linkFrom(t, makeLink(t, th, "/therapist/clients/invite", url.Values{"name": {"Ana Lima"}, "email": {"ana@example.test"}}).Body.String())
	oldLink, _ := linkFrom(t, makeLink(t, th, "/therapist/clients/invite", url.Values{"name": {"Bea Costa"}, "email": {w.OtherClient.Email}}).Body.String())

	dash := th.Get("/therapist").Body.String()
	caseload := between(dash, `id="caseload-title"`, "</section>")
	if strings.Contains(caseload, "Ana Lima") || strings.Contains(caseload, "Bea Costa") {
		t.Errorf("an invitation is listed in the caseload:\n%s", caseload)
	}
	items := invitationItems(t, dash, "Ana Lima", "Bea Costa")
	if len(items) != 2 {
		t.Fatalf("the invitations list shows %d of the two invitations:\n%s", len(items), between(dash, `id="invitations-title"`, "</section>"))
	}
	if items["Ana Lima"] != items["Bea Costa"] {
		t.Errorf("the two invitations are listed differently:\n%s\n---\n%s", items["Ana Lima"], items["Bea Costa"])
	}
	// The account a new address's invitation made is not a client yet:
	// every client route answers for it as for an id that does not
	// exist, so probing ids tells nothing either.
	var waiting int64
	if err := a.DB.Get(&waiting, `SELECT id FROM users WHERE email = 'ana@example.test'`); err != nil {
		t.Fatal(err)
	}
	for _, route := range []string{"GET %d", "GET %d/progress", "GET %d/reports", "GET %d/session-report",
		"POST %d/reset", "POST %d/remove", "POST %d/reminders", "POST %d/mfa-reset", "POST %d/notes", "POST %d/progress.pdf",
		"POST %d/session-report.pdf", "POST %d/sessions", "POST %d/sharing"} {
		method, path, _ := strings.Cut(route, " ")
		for _, id := range []int64{waiting, 1 << 40} {
			p := "/therapist/clients/" + strings.Replace(path, "%d", itoa(id), 1)
			var r *httptest.ResponseRecorder
			if method == "GET" {
				r = th.Get(p)
			} else {
				r = th.PostForm(p, url.Values{"body": {"A note"}, "on": {"2026-12-01"}, "shared": {"1"}})
			}
			if r.Code != http.StatusNotFound {
				t.Errorf("%s %s (%s) = %d, want 404", method, p, map[bool]string{true: "invited, not joined", false: "no such client"}[id == waiting], r.Code)
			}
		}
	}
	anon := a.Anonymous(t)
	for _, l := range []string{newLink, oldLink} {
		if r := anon.Get(l); r.Code != http.StatusOK {
			t.Errorf("GET %s = %d", l, r.Code)
		}
	}

	// A new link for each: the same answer, the old links stop working.
	var renewed []string
	for _, name := range []string{"Ana Lima", "Bea Costa"} {
		page := makeLink(t, th, "/invitations/renew", url.Values{"invitation": {rowRef(dash, name)}}).Body.String()
		if !strings.Contains(page, name) {
			t.Errorf("the new link's page does not name %s", name)
		}
		l, _ := linkFrom(t, page)
		renewed = append(renewed, l)
	}
	for _, l := range []string{newLink, oldLink} {
		if r := anon.Get(l); r.Code != http.StatusNotFound {
			t.Errorf("a replaced link %s opens %d, want 404", l, r.Code)
		}
	}
	dash = th.Get("/therapist").Body.String()
	if items := invitationItems(t, dash, "Ana Lima", "Bea Costa"); len(items) != 2 || items["Ana Lima"] != items["Bea Costa"] {
		t.Errorf("after new links the invitations are listed differently: %q", items)
	}

	// Withdrawn: both leave the list, both links stop working alike.
	var answers []string
	for _, name := range []string{"Ana Lima", "Bea Costa"} {
		r := th.PostForm("/invitations/withdraw", url.Values{"invitation": {rowRef(dash, name)}})
		answers = append(answers, r.Result().Status+" "+r.Header().Get("Location"))
	}
	if answers[0] != answers[1] || !strings.HasPrefix(answers[0], "303") {
		t.Errorf("withdrawing answers %q", answers)
	}
	if items := invitationItems(t, th.Get("/therapist").Body.String(), "Ana Lima", "Bea Costa"); len(items) != 0 {
		t.Errorf("withdrawn invitations still listed: %q", items)
	}
	for _, l := range renewed {
		if r := anon.Get(l); r.Code != http.StatusNotFound {
			t.Errorf("a withdrawn invitation's link %s opens %d, want 404", l, r.Code)
		}
	}

	// The address of a withdrawn invitation can be invited again, and the
	// account it made then joins as a client.
	again, _ := linkFrom(t, makeLink(t, th, "/therapist/clients/invite", url.Values{"name": {"Ana Lima"}, "email": {"ana@example.test"}}).Body.String())
	r := anon.PostForm(again, url.Values{"password": {"a long new password 4u"}, "confirm": {"a long new password 4u"}})
	if r.Code != http.StatusSeeOther {
		t.Fatalf("joining from a second invitation: %d\n%s", r.Code, r.Body.String())
	}
	if caseload := between(th.Get("/therapist").Body.String(), `id="caseload-title"`, "</section>"); !strings.Contains(caseload, "Ana Lima") {
		t.Errorf("the client who joined is not in the caseload")
	}
}

// An admin's staff invitations: one to a new address and one to an
// address that has an account in another practice are listed alike on
// People, apart from the accounts.
func TestAdminStaffInvitationsOfNewAndExistingAddressesAreListedAlike(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	ad := a.Login(t, w.Admin)
	makeLink(t, ad, "/admin/users/invite", url.Values{"name": {"Cai Wen"}, "email": {"cai@example.test"}, "role": {"therapist"}})
	makeLink(t, ad, "/admin/users/invite", url.Values{"name": {"Dara Quinn"}, "email": {w.Outsider.Email}, "role": {"therapist"}})
	page := ad.Get("/admin/users").Body.String()
	items := invitationItems(t, page, "Cai Wen", "Dara Quinn")
	if len(items) != 2 || items["Cai Wen"] != items["Dara Quinn"] {
		t.Fatalf("the staff invitations are listed differently: %q", items)
	}
	if !strings.Contains(items["Cai Wen"], "Therapist") {
		t.Errorf("the invitation does not say its role: %s", items["Cai Wen"])
	}
	people := page[strings.Index(page, `<table`):]
	if strings.Contains(people, "Cai Wen") || strings.Contains(people, "Dara Quinn") {
		t.Error("an invitation is listed among the accounts")
	}
	// A therapist does not see the practice's staff invitations, nor an
	// admin a therapist's client invitations.
	th := a.Login(t, w.Therapist)
	makeLink(t, th, "/therapist/clients/invite", url.Values{"name": {"Eli Park"}, "email": {"eli@example.test"}})
	if strings.Contains(th.Get("/therapist").Body.String(), "Cai Wen") {
		t.Error("a therapist sees the admin's staff invitations")
	}
	if strings.Contains(ad.Get("/admin/users").Body.String(), "Eli Park") {
		t.Error("the admin sees a therapist's client invitations")
	}
}

// A ref is sealed to the session that was shown it: another therapist
// (or the same one signed in afresh) posting it gets the 404 of a ref
// that never was, and nothing changes.
func TestAnInvitationRefWorksOnlyInTheSessionThatWasShownIt(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	th := a.Login(t, w.Therapist)
	link, _ := linkFrom(t, makeLink(t, th, "/therapist/clients/invite", url.Values{"name": {"Ana Lima"}, "email": {"ana@example.test"}}).Body.String())
	ref := rowRef(th.Get("/therapist").Body.String(), "Ana Lima")
	if ref == "" {
		t.Fatal("no ref on the dashboard")
	}
	for name, s := range map[string]*testkit.Session{"another therapist": a.Login(t, w.Therapist2), "a new session": a.Login(t, w.Therapist), "the admin": a.Login(t, w.Admin)} {
		if r := s.PostForm("/invitations/withdraw", url.Values{"invitation": {ref}}); r.Code != http.StatusNotFound {
			t.Errorf("%s withdrawing with a ref not sealed for them: %d, want 404", name, r.Code)
		}
	}
	if r := a.Anonymous(t).Get(link); r.Code != http.StatusOK {
		t.Errorf("the invitation stopped working: %d", r.Code)
	}
}

// With email set up and the mail server refusing, a failed invitation
// shows on its row, for a new address and one that has an account alike.
func TestAFailedInvitationEmailShowsAlikeForBothKinds(t *testing.T) {
	a, mail := testkit.NewAppWithMail(t)
	mail.SetFailing(true)
	w := a.Seed(t)
	th := a.Login(t, w.Therapist)
	for _, in := range [][2]string{{"Ana Lima", "ana@example.test"}, {"Bea Costa", w.OtherClient.Email}} {
		if r := th.PostForm("/therapist/clients/invite", url.Values{"name": {in[0]}, "email": {in[1]}}); r.Code != http.StatusSeeOther {
			t.Fatalf("invite %s: %d", in[0], r.Code)
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		var failed int
		if err := a.DB.Get(&failed, `SELECT count(*) FROM email_outbox WHERE status = 'failed'`); err != nil {
			t.Fatal(err)
		}
		if failed == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of 2 emails failed after 30 s", failed)
		}
		time.Sleep(20 * time.Millisecond)
	}
	items := invitationItems(t, th.Get("/therapist").Body.String(), "Ana Lima", "Bea Costa")
	if len(items) != 2 || items["Ana Lima"] != items["Bea Costa"] || !strings.Contains(items["Ana Lima"], "Email not sent") {
		t.Errorf("failed invitations are not shown alike: %q", items)
	}
	if n := len(mail.Messages()); n != 0 {
		t.Errorf("%d messages delivered by a refusing server", n)
	}
}
