package server_test

// Staff screens (#14): the time-zone choice, confirming a disable, the
// readable audit log and series on the client page.

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/trellis-app/trellis/internal/testkit"
)

var optionRe = regexp.MustCompile(`<option value="([^"]*)"( selected)?>`)

// The practice's time zone is chosen from the IANA zones, the current one
// selected; the server still refuses anything it cannot load.
func TestTimeZoneIsAChoiceOfIANAZones(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	admin := a.Login(t, w.Admin)
	selected := func(body string) (zones []string, chosen []string) {
		t.Helper()
		_, sel, ok := strings.Cut(body, `<select id="time_zone" name="time_zone"`)
		if !ok {
			t.Fatalf("the time zone is not a choice list:\n%s", body)
		}
		sel, _, _ = strings.Cut(sel, "</select>")
		for _, m := range optionRe.FindAllStringSubmatch(sel, -1) {
			zones = append(zones, m[1])
			if m[2] != "" {
				chosen = append(chosen, m[1])
			}
		}
		return zones, chosen
	}
	zones, chosen := selected(admin.Get("/admin/practice").Body.String())
	if len(zones) < 400 || strings.Join(chosen, ",") != "UTC" {
		t.Fatalf("%d zones offered, %v chosen; want 400 or more with the practice's UTC chosen", len(zones), chosen)
	}
	for _, z := range zones {
		if _, err := time.LoadLocation(z); err != nil {
			t.Errorf("offered zone %q does not load: %v", z, err)
		}
	}
	for _, z := range []string{"Europe/London", "America/New_York", "Asia/Ho_Chi_Minh", "Europe/Athens", "Europe/Amsterdam"} {
		if !strings.Contains(strings.Join(zones, " "), z) {
			t.Errorf("%s is not offered", z)
		}
	}
	form := url.Values{"name": {"Riverside"}, "crisis_text": {"Call 999 in an emergency."}, "time_zone": {"Europe/Athens"}, "missed_in_a_row": {"3"}}
	if r := admin.PostForm("/admin/practice", form); r.Code != http.StatusSeeOther {
		t.Fatalf("save Europe/Athens = %d", r.Code)
	}
	if _, chosen := selected(admin.Get("/admin/practice").Body.String()); strings.Join(chosen, ",") != "Europe/Athens" {
		t.Errorf("after saving Europe/Athens, %v is chosen", chosen)
	}
	// Server-side validation is unchanged: a zone it cannot load is refused
	// beside the field, and what was sent is kept in view.
	for _, bad := range []string{"Mars/Olympus", "europe/london"} {
		form.Set("time_zone", bad)
		r := admin.PostForm("/admin/practice", form)
		msg, ok := errorBeside(r.Body.String(), "time_zone")
		if _, chosen := selected(r.Body.String()); r.Code != http.StatusUnprocessableEntity || !ok || msg == "" || strings.Join(chosen, ",") != bad {
			t.Errorf("time zone %q = %d, message %q, chosen %v; want 422 with a message and %q kept", bad, r.Code, msg, chosen, bad)
		}
	}
}

// Disabling an account takes a confirmation: the People page links to a
// page that says what will happen, and only its button disables.
func TestDisablingAnAccountAsksFirst(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	therapist := a.Login(t, w.Therapist)
	admin := a.Login(t, w.Admin)
	id := itoa(w.Therapist.ID)
	people := admin.Get("/admin/users").Body.String()
	if strings.Contains(people, `action="/admin/users/`+id+`/disable"`) {
		t.Error("the People page disables in one click")
	}
	if !strings.Contains(people, `href="/admin/users/`+id+`/disable"`) {
		t.Fatal("the People page does not lead to the confirmation")
	}
	confirm := admin.Get("/admin/users/" + id + "/disable")
	body := confirm.Body.String()
	if confirm.Code != http.StatusOK || !strings.Contains(body, "Disable Theo Therapist’s account?") ||
		!strings.Contains(body, `<form method="post" action="/admin/users/`+id+`/disable">`) || !strings.Contains(body, `href="/admin/users">Cancel`) {
		t.Fatalf("confirmation page = %d\n%s", confirm.Code, body)
	}
	if strings.Contains(body, "<title>Disable Theo") {
		t.Error("the person's name is in the page title (R20)")
	}
	// Asking changed nothing.
	if r := therapist.Get("/therapist"); r.Code != http.StatusOK {
		t.Fatalf("the confirmation page signed the therapist out: %d", r.Code)
	}
	if r := admin.PostForm("/admin/users/"+id+"/disable", nil); r.Code != http.StatusSeeOther {
		t.Fatalf("confirm = %d", r.Code)
	}
	if r := therapist.Get("/therapist"); r.Code != http.StatusSeeOther {
		t.Errorf("disabled therapist still signed in: %d", r.Code)
	}
	// One's own account, and one already disabled, have nothing to confirm.
	for _, u := range []int64{w.Admin.ID, w.Therapist.ID} {
		if r := admin.Get("/admin/users/" + itoa(u) + "/disable"); r.Code != http.StatusSeeOther || r.Header().Get("Location") != "/admin/users" {
			t.Errorf("confirm disabling %d = %d → %q, want back to People", u, r.Code, r.Header().Get("Location"))
		}
	}
	// Another practice's user is not found.
	if r := admin.Get("/admin/users/" + itoa(w.Outsider.ID) + "/disable"); r.Code != http.StatusNotFound {
		t.Errorf("another practice's user = %d, want 404", r.Code)
	}
}

// The audit log reads as words and names for the admin, not codes and
// "user #10"; the log's rows keep ids only.
func TestAuditLogShowsWordsAndNames(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	signinAs(a.Anonymous(t), w.Therapist.Email, "a wrong guess at it")
	a.Login(t, w.Therapist)
	admin := a.Login(t, w.Admin)
	admin.PostForm("/admin/users/"+itoa(w.Therapist2.ID)+"/disable", nil)
	page := admin.Get("/admin/audit")
	if page.Code != http.StatusOK {
		t.Fatalf("audit page = %d", page.Code)
	}
	_, table, _ := strings.Cut(page.Body.String(), "<tbody>")
	for _, want := range []string{
		"<td>Ada Admin</td>", ">Account disabled</td>", "<td>Tess Therapist</td>",
		">Signed in</td>", ">Sign-in failed</td>", "<td>Theo Therapist</td>",
	} {
		if !strings.Contains(table, want) {
			t.Errorf("audit table lacks %s", want)
		}
	}
	for _, raw := range []string{">login.success<", ">user.disabled<", "user #", ">user<"} {
		if strings.Contains(table, raw) {
			t.Errorf("audit table shows the raw %q", raw)
		}
	}
	if !strings.Contains(page.Body.String(), `<option value="user.disabled">Account disabled</option>`) {
		t.Error("the action filter offers codes, not words")
	}
	// Another practice's people are never named here.
	if strings.Contains(a.Login(t, w.Outsider).Get("/admin/audit").Body.String(), "Tess Therapist") {
		t.Error("another practice's admin reads this practice's names")
	}
}

// A series shows on the client page as its next occurrence, with the
// later ones folded under it; work that is overdue or sent stays listed.
func TestClientPageGroupsASeries(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	therapist := a.Login(t, w.Therapist)
	r := therapist.PostForm("/therapist/assign", url.Values{
		"exercise": {itoa(checkInID(t, a))}, "clients": {itoa(w.Client.ID)}, "first_due": {tomorrow()},
		"recurrence": {"weekly"}, "end": {"count"}, "count": {"6"},
	})
	if r.Code != http.StatusSeeOther {
		t.Fatalf("assign = %d\n%s", r.Code, r.Body.String())
	}
	// The first one is overdue by now.
	if _, err := a.DB.Exec(`UPDATE assignments SET due_at = now() - interval '1 hour' WHERE id = (SELECT min(id) FROM assignments WHERE client_id = $1)`, w.Client.ID); err != nil {
		t.Fatal(err)
	}
	body := therapist.Get("/therapist/clients/" + itoa(w.Client.ID)).Body.String()
	_, table, _ := strings.Cut(body, "<tbody>")
	table, _, _ = strings.Cut(table, "</tbody>")
	if rows := strings.Count(table, "<tr>"); rows != 2 {
		t.Errorf("client page lists %d rows for a weekly series of 6 with one overdue, want 2 (the overdue one, the next)", rows)
	}
	if !strings.Contains(table, "Overdue") || !strings.Contains(table, "Then 4 more, until ") {
		t.Errorf("client page does not show the overdue one and the next with 4 more:\n%s", table)
	}
	// Every occurrence can still be cancelled from the page.
	if n := strings.Count(table, `action="/therapist/assignments/`); n != 6 {
		t.Errorf("%d cancel buttons, want one per open occurrence (6)", n)
	}
}
