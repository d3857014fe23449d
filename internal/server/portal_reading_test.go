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
	pdf := a.Login(t, w.Therapist).Get(fmt.Sprintf("/therapist/clients/%d/progress.pdf?from=%s&to=%s&all=1", w.Client.ID, dateInDays(-7), dateInDays(30)))
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
