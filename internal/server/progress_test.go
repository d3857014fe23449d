package server_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/trellis-app/trellis/internal/testkit"
)

func TestProgressChartsTheCheckInWithATableBeside(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	therapist := a.Login(t, w.Therapist)
	c := a.Login(t, w.Client)
	// Two check-ins sent, a third left open.
	for i, overall := range []string{"3", "7"} {
		id := checkInFor(t, a, therapist, w.Client.ID)
		path := "/home/assignments/" + strconv.FormatInt(id, 10)
		c.PostForm(path, with(fullCheckIn, "a.overall", overall, "op", "send", "form_token", formToken(t, c.Get(path).Body.String())))
		if _, err := a.DB.Exec(`UPDATE tracked_values SET recorded_at = recorded_at - ($1 || ' days')::interval
			WHERE submission_id = (SELECT max(id) FROM submissions)`, strconv.Itoa(14-7*i)); err != nil {
			t.Fatal(err)
		}
	}
	checkInFor(t, a, therapist, w.Client.ID)

	r := therapist.Get("/therapist/clients/" + strconv.FormatInt(w.Client.ID, 10) + "/progress")
	if r.Code != http.StatusOK {
		t.Fatalf("progress = %d", r.Code)
	}
	body := r.Body.String()
	if !strings.Contains(body, "2 of 3 given in this period were sent (67%)") {
		t.Errorf("completion figures missing:\n%s", between(body, `id="completion-title"`, "</section>"))
	}
	chart := between(body, `<section class="card chart"`, "</section>")
	if !strings.Contains(chart, "Weekly trust check-in") || strings.Count(chart, "<polyline") != 6 {
		t.Errorf("the check-in chart does not draw its six tracked scales (%d lines)", strings.Count(chart, "<polyline"))
	}
	// Each value is a marker (of the line's shape) with its own tooltip.
	if strings.Count(chart, "<title>") != 12 {
		t.Errorf("%d points drawn, want 2 per scale", strings.Count(chart, "<title>"))
	}
	table := between(chart, "<table", "</table>")
	if strings.Count(table, "<tr>") != 3 || !strings.Contains(table, "<td>3</td>") || !strings.Contains(table, "<td>7</td>") {
		t.Errorf("data table:\n%s", table)
	}
	if strings.Contains(body, "<script") {
		t.Error("the progress page carries a script")
	}
	// Bad dates keep the input and say why.
	bad := therapist.Get("/therapist/clients/" + strconv.FormatInt(w.Client.ID, 10) + "/progress?" + url.Values{"from": {"soon"}}.Encode())
	if bad.Code != http.StatusUnprocessableEntity || !strings.Contains(bad.Body.String(), `id="from-error"`) || !strings.Contains(bad.Body.String(), `value="soon"`) {
		t.Errorf("bad date = %d", bad.Code)
	}
	// Another therapist's client is the same 404 as none; clients and admins are refused.
	other := a.Login(t, w.Therapist2)
	if r := other.Get("/therapist/clients/" + strconv.FormatInt(w.Client.ID, 10) + "/progress"); r.Code != http.StatusNotFound {
		t.Errorf("another therapist = %d", r.Code)
	}
	if r := c.Get("/therapist/clients/" + strconv.FormatInt(w.Client.ID, 10) + "/progress"); r.Code != http.StatusForbidden {
		t.Errorf("client = %d", r.Code)
	}
}
