package server_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/trellis-app/trellis/internal/exercise"
	"github.com/trellis-app/trellis/internal/testkit"
)

// How answers read back to people: labels and dates as people write them,
// wherever answers are shown (#14).

// talkPlan builds its sentence from a choice, a checklist and a date,
// whose stored values are keys and ISO dates.
var talkPlan = exercise.Definition{Title: "Planning a talk", Minutes: 5, Sentence: "I will talk with {who} about {what} on {when}.",
	Fields: []exercise.Field{
		{Key: "who", Type: exercise.Choice, Label: "Who with?", Required: true,
			Options: []exercise.Option{{Key: "my_partner", Label: "my partner"}, {Key: "my_sister", Label: "my sister"}}},
		{Key: "what", Type: exercise.Checklist, Label: "About what?",
			Options: []exercise.Option{{Key: "money", Label: "money"}, {Key: "late_nights", Label: "late nights"}}},
		{Key: "when", Type: exercise.Date, Label: "When?"},
	}}

// assignCustom saves d through the builder as w.Therapist, gives it to
// w.Client due tomorrow and returns the assignment's id.
func assignCustom(t *testing.T, a *testkit.App, w testkit.World, d exercise.Definition) int64 {
	t.Helper()
	th := a.Login(t, w.Therapist)
	ex := exerciseID(t, th.PostForm("/therapist/exercises/new", builderValues(d, "save")).Result())
	assign(t, th, ex, w.Client.ID, nil)
	var id int64
	if err := a.DB.Get(&id, `SELECT id FROM assignments WHERE exercise_id = $1 AND client_id = $2`, ex, w.Client.ID); err != nil {
		t.Fatal(err)
	}
	return id
}

func TestAnswersReadBackWithLabelsAndDatesNotKeys(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	id := assignCustom(t, a, w, talkPlan)
	c := a.Login(t, w.Client)
	path := workPathOf(id)
	answers := url.Values{"a.who": {"my_partner"}, "a.what": {"money", "late_nights"}, "a.when": {"2026-12-02"}}
	const sentence = "“I will talk with my partner about money, late nights on 2 Dec 2026.”"

	post := func(op string, token string) {
		t.Helper()
		f := with(answers, "op", op, "form_token", token)
		if r := c.PostForm(path, f); r.Code != http.StatusSeeOther {
			t.Fatalf("%s: status %d\n%s", op, r.Code, r.Body.String())
		}
	}
	post("draft", formToken(t, page(t, c, path, http.StatusOK)))
	form := page(t, c, path, http.StatusOK)
	if got := between(form, `<p class="composed">`, "</p>"); !strings.Contains(got, sentence) {
		t.Errorf("the form's sentence reads %q, want %q", got, sentence)
	}

	post("send", formToken(t, form))
	sent := page(t, c, path+"?sent=1", http.StatusOK)
	if got := between(sent, `<p class="composed">`, "</p>"); !strings.Contains(got, sentence) {
		t.Errorf("what was sent shows the sentence %q, want %q", got, sentence)
	}
	view := between(sent, `<dl class="sent-answers">`, "</dl>")
	review := between(page(t, a.Login(t, w.Therapist), fmt.Sprintf("/therapist/work/%d", id), http.StatusOK), "<main", "</main>")
	pdf := postExport(a.Login(t, w.Therapist), fmt.Sprintf("/therapist/clients/%d/progress.pdf?from=%s&to=%s&all=1", w.Client.ID, dateInDays(-7), dateInDays(30)))
	if pdf.Code != http.StatusOK {
		t.Fatalf("export: status %d", pdf.Code)
	}
	printed := strings.Join(strings.Fields(testkit.PDFText(t, pdf.Body.Bytes())), " ")
	for where, text := range map[string]string{"what was sent": view, "the review page": review, "the PDF": printed} {
		for _, want := range []string{"my partner", "money", "late nights", "2 Dec 2026"} {
			if !strings.Contains(text, want) {
				t.Errorf("%s lacks %q", where, want)
			}
		}
		for _, key := range []string{"my_partner", "late_nights", "2026-12-02"} {
			if strings.Contains(text, key) {
				t.Errorf("%s shows the stored %q", where, key)
			}
		}
	}
}

// Due dates read as people say them, on the practice's calendar; "this
// week" is not claimed for a rolling seven days; counts agree with their
// nouns; the dashboard says when work was sent on.
func TestDatesAndCountsReadAsPeopleSayThem(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	th := a.Login(t, w.Therapist)
	checkIn := checkInID(t, a)
	for _, days := range []int{0, 1, 3} {
		assign(t, th, checkIn, w.Client.ID, url.Values{"first_due": {dateInDays(days)}})
	}
	overdue := checkInFor(t, a, th, w.Client.ID)
	if _, err := a.DB.Exec(`UPDATE assignments SET due_on = current_date - 2, due_at = now() - interval '2 days' WHERE id = $1`, overdue); err != nil {
		t.Fatal(err)
	}
	oneMinute := talkPlan
	oneMinute.Minutes = 1
	custom := assignCustom(t, a, w, oneMinute)
	c := a.Login(t, w.Client)

	home := c.Get("/home").Body.String()
	week := between(home, `<section aria-labelledby="week-title">`, "</section>")
	inThree, _ := timeParse(dateInDays(3))
	twoAgo, _ := timeParse(dateInDays(-2))
	for _, want := range []string{"Due in the next 7 days", "Due today", "Due tomorrow", "Due " + inThree.Format("2 Jan 2006"), "about 1 minute", "about 5 minutes"} {
		if !strings.Contains(week, want) {
			t.Errorf("the next 7 days lack %q:\n%s", want, week)
		}
	}
	if strings.Contains(week, "1 minutes") {
		t.Error("one minute is counted as 1 minutes")
	}
	if strings.Contains(home, "Due this week") {
		t.Error("a rolling seven days is called this week")
	}
	if before := between(home, `<section aria-labelledby="overdue-title">`, "</section>"); !strings.Contains(before, "Was due "+twoAgo.Format("2 Jan 2006")) {
		t.Errorf("overdue work does not say when it was due:\n%s", before)
	}
	if form := c.Get(workPathOf(custom)).Body.String(); !strings.Contains(form, "About 1 minute. Due tomorrow.") {
		t.Errorf("the form does not say %q:\n%s", "About 1 minute. Due tomorrow.", between(form, `<p class="muted">About`, "</p>"))
	}

	// Sent, then changed once.
	send(t, c, workPathOf(overdue), workPathOf(overdue))
	send(t, c, workPathOf(overdue), workPathOf(overdue)+"?change=1", "a.note", "changed", "change", "1")
	for _, p := range []string{"/home", "/home/history"} {
		if body := c.Get(p).Body.String(); !strings.Contains(body, "changed once") || strings.Contains(body, "changed 2 times") {
			t.Errorf("%s does not say the work was changed once", p)
		}
	}
	dash := between(th.Get("/therapist").Body.String(), `<ul class="attention">`, "</ul>")
	if !strings.Contains(dash, "sent on ") || strings.Contains(dash, "sent in ") {
		t.Errorf("the dashboard does not say when work was sent on:\n%s", dash)
	}

	// One check-in in the period: the session report's PDF and the
	// client's progress count it in the singular.
	pdf := postExport(th, fmt.Sprintf("/therapist/clients/%d/session-report.pdf", w.Client.ID))
	if pdf.Code != http.StatusOK {
		t.Fatalf("session report: status %d", pdf.Code)
	}
	if text := strings.Join(strings.Fields(testkit.PDFText(t, pdf.Body.Bytes())), " "); !strings.Contains(text, "over 1 check-in;") && !strings.Contains(text, "over 1 check-in.") {
		t.Errorf("the session report does not count one check-in in the singular:\n%s", text)
	}
	if r := th.PostForm(fmt.Sprintf("/therapist/clients/%d/sharing", w.Client.ID), url.Values{"shared": {"1"}}); r.Code != http.StatusSeeOther {
		t.Fatalf("share progress: %d", r.Code)
	}
	mine := c.Get(fmt.Sprintf("/home/progress?from=%s&to=%s", dateInDays(-2), dateInDays(-2))).Body.String()
	if !strings.Contains(mine, "You sent 1 of the 1 exercise given in this period.") {
		t.Errorf("my progress does not count one exercise in the singular:\n%s", between(mine, `id="done-title"`, "</section>"))
	}
}

// The practice's crisis text is plain text: its phone numbers become tel:
// links, and any markup the admin typed is shown as text, never obeyed.
func TestCrisisTextMarkupIsInertAndOnlyNumbersAreLinked(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	const text = `Call <b>999</b> or <a href="javascript:alert(1)">116 123</a><script>alert(2)</script>.`
	if _, err := a.DB.Exec(`UPDATE practices SET crisis_text = $2 WHERE id = $1`, w.PracticeID, text); err != nil {
		t.Fatal(err)
	}
	home := page(t, a.Login(t, w.Client), "/home", http.StatusOK)
	line := between(home, `<aside class="crisis-line"`, "</aside>")
	want := `Call &lt;b&gt;<a href="tel:999">999</a>&lt;/b&gt; or &lt;a href=&#34;javascript:alert(1)&#34;&gt;<a href="tel:116123">116 123</a>&lt;/a&gt;&lt;script&gt;alert(2)&lt;/script&gt;.`
	if !strings.Contains(line, want) {
		t.Errorf("the crisis line reads\n%s\nwant it to contain\n%s", line, want)
	}
	if strings.Contains(home, "javascript:") && !strings.Contains(home, "href=&#34;javascript:") {
		t.Error("a javascript: address reached the page as markup")
	}
}
