package server_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/trellis-app/trellis/internal/notify"
	"github.com/trellis-app/trellis/internal/testkit"
)

var emailedLink = regexp.MustCompile(`https?://[^/\s]+(/(invite|reset)/[A-Za-z0-9_-]{43})`)

// With email set up, an invitation goes to the address and the inviter
// never sees its link; the link in the email opens the invitation and
// makes the account.
func TestWithEmailAClientInvitationIsEmailedAndItsLinkWorks(t *testing.T) {
	a, mail := testkit.NewAppWithMail(t)
	w := a.Seed(t)
	th := a.Login(t, w.Therapist)
	if page := th.Get("/therapist/clients/invite").Body.String(); !strings.Contains(page, "Trellis emails them a single-use link") {
		t.Error("the invite form does not say the invitation is emailed")
	}
	res := th.PostForm("/therapist/clients/invite", url.Values{"name": {"Ana Lima"}, "email": {"ana@example.test"}})
	if res.Code != http.StatusSeeOther || res.Header().Get("Location") != "/therapist" {
		t.Fatalf("invite: %d → %q, want 303 back to the dashboard", res.Code, res.Header().Get("Location"))
	}
	if body := th.Get("/therapist").Body.String(); !strings.Contains(body, "An invitation is on its way by email.") || strings.Contains(body, "/invite/") {
		t.Error("the dashboard does not say the invitation was emailed, or shows a link")
	}
	got := mail.Wait(1)[0]
	if got.To[0] != "ana@example.test" || got.Subject() != "Your Trellis invitation" {
		t.Fatalf("emailed %v %q", got.To, got.Subject())
	}
	m := emailedLink.FindStringSubmatch(got.Body)
	if m == nil {
		t.Fatalf("no link in the invitation:\n%s", got.Body)
	}
	anon := a.Anonymous(t)
	if res := anon.Get(m[1]); res.Code != http.StatusOK {
		t.Fatalf("the emailed link opens %d", res.Code)
	}
	res = anon.PostForm(m[1], url.Values{"password": {"a long new password 4u"}, "confirm": {"a long new password 4u"}})
	if res.Code != http.StatusSeeOther {
		t.Fatalf("choosing a password from the emailed link: %d\n%s", res.Code, res.Body.String())
	}
	var status string
	if err := a.DB.Get(&status, `SELECT status FROM users WHERE email = 'ana@example.test'`); err != nil || status != "active" {
		t.Errorf("after the emailed link: status %q (%v)", status, err)
	}
}

// An invitation to an address that has an account elsewhere gives the
// inviter exactly what a new address gives: the same redirect and page,
// and an email with the same subject, to that address only, telling its
// owner to sign in. No link is handed to the inviter that could differ.
func TestWithEmailAnInvitationToAnAddressInUseLooksTheSame(t *testing.T) {
	a, mail := testkit.NewAppWithMail(t)
	w := a.Seed(t)
	th := a.Login(t, w.Therapist)
	answer := func(name, email string) (int, string, string) {
		res := th.PostForm("/therapist/clients/invite", url.Values{"name": {name}, "email": {email}})
		page := th.Get(res.Header().Get("Location")).Body.String()
		// The notice: the rest of the dashboard lists the invitations
		// made so far (compared in invitations_test.go).
		page = between(page, `class="notice"`, "</p>")
		return res.Code, res.Header().Get("Location"), page
	}
	c1, l1, p1 := answer("Ana Lima", "ana@example.test")
	// OtherClient is another therapist's client: Therapist cannot see them.
	c2, l2, p2 := answer("Ana Lima", w.OtherClient.Email)
	if c1 != c2 || l1 != l2 || p1 != p2 {
		t.Errorf("a new and an existing address answer differently:\n%d %s\n%s\n---\n%d %s\n%s", c1, l1, p1, c2, l2, p2)
	}
	mail.Wait(2)
	fresh, existing := mail.To("ana@example.test"), mail.To(w.OtherClient.Email)
	if len(fresh) != 1 || len(existing) != 1 {
		t.Fatalf("%d and %d emails, want one each", len(fresh), len(existing))
	}
	if fresh[0].Subject() != existing[0].Subject() {
		t.Errorf("subjects differ: %q, %q", fresh[0].Subject(), existing[0].Subject())
	}
	if !strings.Contains(existing[0].Body, "already has a Trellis account") || !strings.Contains(existing[0].Body, "/signin") || emailedLink.MatchString(existing[0].Body) {
		t.Errorf("the existing account's owner is not told to sign in:\n%s", existing[0].Body)
	}
	var changed bool
	if err := a.DB.Get(&changed, `SELECT password_hash IS DISTINCT FROM $2 FROM users WHERE id = $1`, w.OtherClient.ID, w.OtherClient.PasswordHash); err != nil || changed {
		t.Errorf("the existing account changed (%v)", err)
	}
}

// A therapist's new sign-in link for a client is emailed too.
func TestWithEmailANewSignInLinkIsEmailed(t *testing.T) {
	a, mail := testkit.NewAppWithMail(t)
	w := a.Seed(t)
	res := a.Login(t, w.Therapist).PostForm("/therapist/clients/"+itoa(w.Client.ID)+"/reset", nil)
	if res.Code != http.StatusSeeOther || strings.HasPrefix(res.Header().Get("Location"), "/links/") {
		t.Fatalf("reset: %d → %q, want a redirect that is not the link page", res.Code, res.Header().Get("Location"))
	}
	got := mail.Wait(1)[0]
	m := emailedLink.FindStringSubmatch(got.Body)
	if got.To[0] != w.Client.Email || got.Subject() != "Your Trellis sign-in link" || m == nil || m[2] != "reset" {
		t.Fatalf("emailed %v %q:\n%s", got.To, got.Subject(), got.Body)
	}
	if !strings.Contains(got.Body, "for 30 minutes") {
		t.Errorf("the email does not say how long the link works:\n%s", got.Body)
	}
	if res := a.Anonymous(t).Get(m[1]); res.Code != http.StatusOK {
		t.Errorf("the emailed reset link opens %d", res.Code)
	}
}

// Distinctive text is put everywhere clinical words live (a reflection,
// feedback, a private note, an exercise's title and note, the practice's
// name and crisis text, people's names); then every kind of email is
// sent; none of them holds any of it.
func TestNoEmailHoldsClinicalTextTitlesOrNames(t *testing.T) {
	a, mail := testkit.NewAppWithMail(t)
	w := a.Seed(t)
	const mark = "ZQXJ"
	for _, q := range []string{
		`UPDATE practices SET name = 'ZQXJ practice', crisis_text = 'ZQXJ crisis: call 999.'`,
		`UPDATE users SET display_name = 'ZQXJ ' || display_name`,
		// A fixture only: versions are immutable to the app.
		`ALTER TABLE exercise_versions DISABLE TRIGGER USER`,
		`UPDATE exercise_versions SET definition = jsonb_set(definition, '{title}', to_jsonb('ZQXJ ' || (definition->>'title')))`,
		`ALTER TABLE exercise_versions ENABLE TRIGGER USER`,
	} {
		if _, err := a.DB.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	th := a.Login(t, w.Therapist)
	sent := checkInFor(t, a, th, w.Client.ID)
	c := a.Login(t, w.Client)
	path := "/home/assignments/" + itoa(sent)
	send(t, c, path, path, "a.note", "ZQXJ reflection: we argued about the money again.")
	th.PostForm("/therapist/work/"+itoa(sent)+"/feedback", url.Values{"feedback": {"ZQXJ feedback"}})
	th.PostForm("/therapist/work/"+itoa(sent)+"/notes", url.Values{"note": {"ZQXJ private note"}})
	// Homework still to do today, for the reminder.
	assign(t, th, checkInID(t, a), w.Client.ID, url.Values{"first_due": {todayUTC()}, "note": {"ZQXJ assignment note"}})

	// Every kind of email: an invitation (new and existing address), a
	// sign-in link, and a reminder.
	th.PostForm("/therapist/clients/invite", url.Values{"name": {"ZQXJ Newcomer"}, "email": {"new@example.test"}})
	th.PostForm("/therapist/clients/invite", url.Values{"name": {"ZQXJ Other"}, "email": {w.OtherClient.Email}})
	th.PostForm("/therapist/clients/"+itoa(w.Client.ID)+"/reset", nil)
	if res := c.PostForm("/account/reminders", url.Values{"enabled": {"1"}, "send_at": {"06:00"}, "time_zone": {"Etc/GMT+12"}}); res.Code != http.StatusSeeOther {
		t.Fatalf("turn reminders on: %d\n%s", res.Code, res.Body.String())
	}
	remindNow(t, a, w.Client.ID)
	got := mail.Wait(4)
	kinds := map[string]int{}
	for _, m := range got {
		kinds[m.Subject()]++
		if strings.Contains(string(m.Raw), mark) {
			t.Errorf("the email %q to %v holds seeded text:\n%s", m.Subject(), m.To, m.Raw)
		}
		for _, word := range []string{"Weekly trust check-in", "therapy", "therapist"} {
			if strings.Contains(strings.ToLower(string(m.Raw)), strings.ToLower(word)) {
				t.Errorf("the email %q says %q", m.Subject(), word)
			}
		}
	}
	if kinds["Your Trellis invitation"] != 2 || kinds["Your Trellis sign-in link"] != 1 || kinds["A reminder from Trellis"] != 1 {
		t.Errorf("sent %v, want two invitations, a sign-in link and a reminder", kinds)
	}
}

// The client turns reminders on (consent recorded, audited), their
// therapist sees it; a bad choice re-renders with the message by the field
// and the choices kept. Without email, reminders cannot be turned on and
// the page says why.
func TestAClientTurnsRemindersOnAndTheirTherapistSeesIt(t *testing.T) {
	a, _ := testkit.NewAppWithMail(t)
	w := a.Seed(t)
	th, c := a.Login(t, w.Therapist), a.Login(t, w.Client)
	client := "/therapist/clients/" + itoa(w.Client.ID)
	if res := th.PostForm(client+"/reminders", nil); res.Code != http.StatusSeeOther {
		t.Fatalf("suggest: %d", res.Code)
	}
	if page := c.Get("/account/reminders").Body.String(); !strings.Contains(page, "Your therapist suggested email reminders") {
		t.Error("the client does not see the suggestion")
	}
	var on bool
	if err := a.DB.Get(&on, `SELECT enabled FROM reminder_settings WHERE user_id = $1`, w.Client.ID); err != nil || on {
		t.Fatalf("a suggestion turned reminders on (%v)", err)
	}

	res := c.PostForm("/account/reminders", url.Values{"enabled": {"1"}, "send_at": {"25:00"}, "time_zone": {"Mars/Olympus"}})
	body := res.Body.String()
	if res.Code != http.StatusUnprocessableEntity || !strings.Contains(body, "Choose a time from the list.") || !strings.Contains(body, "Choose a time zone from the list.") {
		t.Fatalf("bad choices: %d\n%s", res.Code, between(body, "<main", "</main>"))
	}
	if !strings.Contains(body, `name="enabled" value="1" checked`) {
		t.Error("the tick is lost after a refused save")
	}

	if res := c.PostForm("/account/reminders", url.Values{"enabled": {"1"}, "send_at": {"07:30"}, "time_zone": {"Europe/Athens"}}); res.Code != http.StatusSeeOther {
		t.Fatalf("turn on: %d", res.Code)
	}
	var consented bool
	if err := a.DB.Get(&consented, `SELECT enabled AND consented_at IS NOT NULL AND send_at = '07:30' AND time_zone = 'Europe/Athens' FROM reminder_settings WHERE user_id = $1`, w.Client.ID); err != nil || !consented {
		t.Errorf("reminders not on with consent recorded (%v)", err)
	}
	if page := th.Get(client).Body.String(); !strings.Contains(page, "gets a reminder at 07:30") {
		t.Errorf("the therapist does not see reminders on:\n%s", between(page, `id="reminders"`, "</section>"))
	}
	var audited int
	if err := a.DB.Get(&audited, `SELECT count(*) FROM audit_log WHERE action IN ('reminders.offered', 'reminders.on') AND target_id = $1`, w.Client.ID); err != nil || audited != 2 {
		t.Errorf("%d audit rows for suggest and on (%v)", audited, err)
	}

	plain := testkit.NewApp(t)
	pw := plain.Seed(t)
	pc := plain.Login(t, pw.Client)
	if page := pc.Get("/account/reminders").Body.String(); !strings.Contains(page, "no email set up") {
		t.Error("without email, the page does not say reminders cannot be sent")
	}
	res = pc.PostForm("/account/reminders", url.Values{"enabled": {"1"}, "send_at": {"18:00"}})
	if res.Code != http.StatusUnprocessableEntity || !strings.Contains(res.Body.String(), "this Trellis has no email set up") {
		t.Errorf("turning reminders on without email: %d", res.Code)
	}
}

// A reminder's stop link works signed out, for its own client only, and
// asks before it stops (a mail system that opens the link stops nothing).
func TestTheStopLinkWorksSignedOut(t *testing.T) {
	a, mail := testkit.NewAppWithMail(t)
	w := a.Seed(t)
	th := a.Login(t, w.Therapist)
	assign(t, th, checkInID(t, a), w.Client.ID, url.Values{"first_due": {todayUTC()}})
	assign(t, th, checkInID(t, a), w.Client2.ID, url.Values{"first_due": {todayUTC()}})
	for _, u := range []int64{w.Client.ID, w.Client2.ID} {
		if _, err := a.DB.Exec(`INSERT INTO reminder_settings (user_id, enabled, consented_at, send_at) VALUES ($1, true, now(), '06:00')`, u); err != nil {
			t.Fatal(err)
		}
	}
	remindNow(t, a, w.Client.ID, w.Client2.ID)
	mail.Wait(2)
	stop := regexp.MustCompile(`https?://[^/\s]+(/stop/[A-Za-z0-9_-]{43})`).FindStringSubmatch(mail.To(w.Client.Email)[0].Body)
	if stop == nil {
		t.Fatal("no stop link")
	}
	anon := a.Anonymous(t)
	if res := anon.Get(stop[1]); res.Code != http.StatusOK || !strings.Contains(res.Body.String(), "Stop reminders") {
		t.Fatalf("stop page: %d", res.Code)
	}
	enabled := func(id int64) bool {
		var on bool
		if err := a.DB.Get(&on, `SELECT enabled FROM reminder_settings WHERE user_id = $1`, id); err != nil {
			t.Fatal(err)
		}
		return on
	}
	if !enabled(w.Client.ID) {
		t.Fatal("opening the stop link stopped reminders")
	}
	if res := anon.PostForm(stop[1], nil); res.Code != http.StatusOK || !strings.Contains(res.Body.String(), "Reminders are off") {
		t.Fatalf("stop: %d", res.Code)
	}
	if enabled(w.Client.ID) || !enabled(w.Client2.ID) {
		t.Errorf("after Client's stop link: Client %v, Client2 %v; want off, on", enabled(w.Client.ID), enabled(w.Client2.ID))
	}
	if res := anon.PostForm("/stop/"+strings.Repeat("A", 43), nil); res.Code != http.StatusNotFound {
		t.Errorf("a made-up stop link: %d, want 404", res.Code)
	}
}

// The calendar address is shown once, to the browser that made it; signed
// out it serves the due dates as "Homework due"; a new address replaces
// the old, which is then the same 404 as one never made.
func TestACalendarAddressServesDueDatesAndANewOneEndsTheOld(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	th := a.Login(t, w.Therapist)
	assign(t, th, checkInID(t, a), w.Client.ID, url.Values{"first_due": {todayUTC()}})
	c := a.Login(t, w.Client)
	address := func() string {
		t.Helper()
		if res := c.PostForm("/account/calendar", url.Values{"op": {"make"}}); res.Code != http.StatusSeeOther {
			t.Fatalf("make: %d", res.Code)
		}
		m := regexp.MustCompile(`value="https?://[^/"]+(/calendar/[^"]+\.ics)"`).FindStringSubmatch(c.Get("/account/reminders").Body.String())
		if m == nil {
			t.Fatal("the new address is not shown")
		}
		return m[1]
	}
	first := address()
	if strings.Contains(a.Login(t, w.Client).Get("/account/reminders").Body.String(), first) {
		t.Error("another browser of the same client is shown the address")
	}
	anon := a.Anonymous(t)
	res := anon.Get(first)
	if res.Code != http.StatusOK || !strings.HasPrefix(res.Header().Get("Content-Type"), "text/calendar") {
		t.Fatalf("feed: %d %q", res.Code, res.Header().Get("Content-Type"))
	}
	feed := res.Body.String()
	if !strings.Contains(feed, "SUMMARY:Homework due") || !strings.Contains(feed, "DTSTART;VALUE=DATE:"+strings.ReplaceAll(todayUTC(), "-", "")) {
		t.Errorf("the feed lacks today's due date:\n%s", feed)
	}
	if strings.Contains(feed, "check-in") || strings.Contains(feed, "Test practice") {
		t.Errorf("the feed names the exercise or the practice:\n%s", feed)
	}
	second := address()
	if res := anon.Get(first); res.Code != http.StatusNotFound {
		t.Errorf("the replaced address: %d, want 404", res.Code)
	}
	if res := anon.Get(second); res.Code != http.StatusOK {
		t.Errorf("the new address: %d", res.Code)
	}
	if res := c.PostForm("/account/calendar", url.Values{"op": {"stop"}}); res.Code != http.StatusSeeOther {
		t.Fatalf("stop: %d", res.Code)
	}
	if res := anon.Get(second); res.Code != http.StatusNotFound {
		t.Errorf("a stopped address: %d, want 404", res.Code)
	}
}

// remindNow sets the clients' reminder time to a few minutes ago (in
// their zone; midnight in the first five minutes of their day, so it is
// still today) and runs the schedule now, so their reminders are queued.
func remindNow(t *testing.T, a *testkit.App, clients ...int64) {
	t.Helper()
	for _, id := range clients {
		if _, err := a.DB.Exec(`UPDATE reminder_settings r SET send_at = (
				SELECT greatest(l.now - interval '5 minutes', date_trunc('day', l.now))::time
				FROM (SELECT now() AT TIME ZONE coalesce(r.time_zone, p.time_zone) AS now) l)
			FROM users u JOIN practices p ON p.id = u.practice_id WHERE u.id = r.user_id AND r.user_id = $1`, id); err != nil {
			t.Fatal(err)
		}
	}
	q, err := notify.NewQueue(notify.QueueConfig{DB: a.AppDB})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := notify.ScheduleReminders(context.Background(), a.AppDB, q, time.Now()); err != nil || n != len(clients) {
		t.Fatalf("reminders queued: %d (%v), want %d", n, err, len(clients))
	}
}

// A new sign-in link an admin made for a colleague that could not be
// emailed shows on People, so the admin knows to pass one on themselves.
func TestAFailedEmailToAColleagueShowsOnPeople(t *testing.T) {
	a, mail := testkit.NewAppWithMail(t)
	mail.SetFailing(true)
	w := a.Seed(t)
	ad := a.Login(t, w.Admin)
	if r := ad.PostForm("/admin/users/"+itoa(w.Therapist.ID)+"/reset", nil); r.Code != http.StatusSeeOther {
		t.Fatalf("new sign-in link: %d", r.Code)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		var status string
		if err := a.DB.Get(&status, `SELECT status FROM email_outbox WHERE user_id = $1`, w.Therapist.ID); err != nil {
			t.Fatal(err)
		}
		if status == "failed" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the email is %q after 30 s", status)
		}
		time.Sleep(20 * time.Millisecond)
	}
	failed := between(ad.Get("/admin/users").Body.String(), "Emails that could not be sent", "</ul>")
	if !strings.Contains(failed, w.Therapist.DisplayName) || !strings.Contains(failed, "a sign-in link") {
		t.Errorf("People does not show the failed email:\n%s", failed)
	}
	// The therapist's dashboard is for their clients' emails.
	if strings.Contains(a.Login(t, w.Therapist).Get("/therapist").Body.String(), "Emails that could not be sent") {
		t.Error("the colleague's failed email shows on a therapist's dashboard")
	}
}
