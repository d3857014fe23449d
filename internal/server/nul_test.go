package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/trellis-app/trellis/internal/testkit"
)

// A NUL byte in staff-written text was a 500 that lost the input
// (pq: invalid byte sequence). Every form now drops it in one place, as
// client answers always did, and the text is kept.
func TestANULByteInStaffTextIsDroppedAndTheTextKept(t *testing.T) {
	a := testkit.NewApp(t)
	w := reviewWorld(t, a)
	th := a.Login(t, w.Therapist)
	admin := a.Login(t, w.Admin)
	id := w.Submitted

	posts := []struct {
		s            *testkit.Session
		path, field  string
		extra        url.Values
		stored, want string // a query for the stored text, what it must be
	}{
		{th, reviewPath(id) + "/feedback", "feedback", nil,
			`SELECT body FROM feedback WHERE assignment_id = ` + itoa(id), "Well done this week."},
		{th, reviewPath(id) + "/notes", "note", nil,
			`SELECT body FROM notes WHERE author_id = ` + itoa(w.Therapist.ID) + ` ORDER BY id DESC LIMIT 1`, "Ask about Sunday."},
		{th, clientPath(w.Client.ID) + "/notes", "note", nil,
			`SELECT body FROM notes WHERE author_id = ` + itoa(w.Therapist.ID) + ` ORDER BY id DESC LIMIT 1`, "Client note."},
		{admin, "/admin/practice", "name", url.Values{"crisis_text": {"Call 999 in an emergency."}, "time_zone": {"Europe/London"}, "missed_in_a_row": {"3"}},
			`SELECT name FROM practices WHERE id = ` + itoa(w.PracticeID), "Riverside Counselling"},
	}
	for _, p := range posts {
		form := url.Values{}
		for k, v := range p.extra {
			form[k] = v
		}
		withNUL := p.want[:4] + "\x00" + p.want[4:]
		form.Set(p.field, withNUL)
		if r := p.s.PostForm(p.path, form); r.Code != http.StatusSeeOther {
			t.Errorf("POST %s with a NUL in %s = %d, want 303\n%s", p.path, p.field, r.Code, r.Body.String())
			continue
		}
		var got string
		if err := a.DB.Get(&got, p.stored); err != nil || got != p.want {
			t.Errorf("POST %s: stored %q (%v), want %q", p.path, got, err, p.want)
		}
	}

	// A builder field with a NUL that also fails validation comes back
	// with the typed text kept (without the NUL), not a 500.
	r := th.PostForm("/therapist/exercises/new", url.Values{"title": {"Even\x00ing note"}, "op": {"save"}})
	if r.Code == http.StatusInternalServerError || !strings.Contains(r.Body.String(), "Evening note") {
		t.Errorf("builder with a NUL = %d, want the form back with the title kept", r.Code)
	}
}
