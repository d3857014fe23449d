package server_test

import (
	"html"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/trellis-app/trellis/internal/testkit"
)

// A safety net that works in one language is not one: a client writing in
// any language with a phrase list gets the crisis box, and their therapist
// sees the flag, the phrase as written and which list it came from.
func TestRiskLanguageInOtherLanguagesFlagsAndSaysWhichPhraseMatched(t *testing.T) {
	tests := []struct {
		lang, note string
		phrases    []string // as the client wrote them
	}{
		{"Russian", "Иногда я думаю о том, чтобы покончить с собой. Я не хочу больше жить.", []string{"думаю о том, чтобы покончить", "не хочу больше жить"}},
		{"Greek", "Μερικά βράδια σκέφτομαι ότι θέλω να πεθάνω.", []string{"θέλω να πεθάνω"}},
		{"Spanish", "A veces pienso en quitarme la vida.", []string{"pienso en quitarme la vida"}},
		{"Vietnamese", "Có những đêm em chỉ muốn chết cho xong.", []string{"muốn chết"}},
	}
	a := testkit.NewApp(t)
	w := a.Seed(t)
	therapist := a.Login(t, w.Therapist)
	c := a.Login(t, w.Client)
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			id := checkInFor(t, a, therapist, w.Client.ID)
			path := "/home/assignments/" + strconv.FormatInt(id, 10)
			send(t, c, path, path, "a.note", tt.note)

			var flags string
			if err := a.DB.Get(&flags, `SELECT array_to_string(flags, ',') FROM submissions WHERE assignment_id = $1`, id); err != nil || flags != "suicide" {
				t.Fatalf("flags = %q (%v), want suicide", flags, err)
			}
			if confirm := c.Get(path + "?sent=1").Body.String(); !strings.Contains(confirm, `class="crisis-text"`) {
				t.Error("the confirmation of a flagged send does not show the crisis line")
			}
			review := html.UnescapeString(page(t, therapist, "/therapist/work/"+strconv.FormatInt(id, 10), http.StatusOK))
			notice := between(review, `<div class="flag-notice" role="note">`, "</div>")
			for _, phrase := range tt.phrases {
				if want := "“" + phrase + "”</mark>: suicide, from the " + tt.lang + " list"; !strings.Contains(notice, want) {
					t.Errorf("the flag notice does not say %q:\n%s", want, notice)
				}
			}
			if strings.Contains(review, "Not checked for risk language") {
				t.Errorf("a %s reflection is said to be unchecked", tt.lang)
			}
		})
	}
}

// Where no list covers the script, the therapist's page says so on the
// answer and at the top, naming the script, instead of a silent no-flag.
func TestTextInAScriptNoListCoversIsSaidToBeUnchecked(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	therapist := a.Login(t, w.Therapist)
	id := checkInFor(t, a, therapist, w.Client.ID)
	c := a.Login(t, w.Client)
	path := "/home/assignments/" + strconv.FormatInt(id, 10)
	send(t, c, path, path, "a.note", "השבוע היה קשה. 今週は大変でした。")

	review := page(t, therapist, "/therapist/work/"+strconv.FormatInt(id, 10), http.StatusOK)
	notice := between(review, `<div class="unchecked-notice" role="note">`, "</div>")
	for _, script := range []string{"Hebrew", "Han", "Hiragana"} {
		if !strings.Contains(notice, script) {
			t.Errorf("the unchecked notice does not name %s:\n%s", script, notice)
		}
	}
	if !strings.Contains(review, "script: not checked for risk language.") {
		t.Error("the answer itself does not say it was not checked")
	}

	// A reflection in covered scripts carries no such notice.
	calm := checkInFor(t, a, therapist, w.Client.ID)
	p2 := "/home/assignments/" + strconv.FormatInt(calm, 10)
	send(t, c, p2, p2, "a.note", "Ελένη and I talked. Дмитрий came too. Nguyễn was kind.")
	if strings.Contains(page(t, therapist, "/therapist/work/"+strconv.FormatInt(calm, 10), http.StatusOK), "unchecked-notice") {
		t.Error("text in Greek, Cyrillic and Latin is said to be unchecked")
	}
}
