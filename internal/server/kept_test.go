package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/trellis-app/trellis/internal/exercise"
	"github.com/trellis-app/trellis/internal/reflection"
	"github.com/trellis-app/trellis/internal/testkit"
)

// Anyone may post to /home/assignments/N: the text is kept in case it is a
// client whose session ended (FT5). So only what an answer can hold is
// kept, and one address may keep a bounded total (#15 finding 6): it once
// could store the whole 4 MiB body cap 60 times an hour.
func TestSignedOutTextIsBoundedPerAddress(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	path := "/home/assignments/" + itoa(checkInFor(t, a, a.Login(t, w.Therapist), w.Client.ID))

	// What is kept is what an answer can hold: answer fields only, each
	// cut to the longest answer.
	long := strings.Repeat("w", exercise.MaxLongAnswer+1000)
	r := a.Anonymous(t).PostForm(path, url.Values{"a.note": {long}, "junk": {strings.Repeat("j", 100000)}})
	if r.Code != http.StatusSeeOther {
		t.Fatalf("signed-out post = %d, want 303 to sign in", r.Code)
	}
	var doc string
	if err := a.DB.Get(&doc, `SELECT answers::text FROM pending_drafts ORDER BY created_at DESC LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(doc, "junk") || strings.Count(doc, "w") != exercise.MaxLongAnswer {
		t.Errorf("kept %d bytes with junk=%v and %d w's, want only a.note cut to %d characters",
			len(doc), strings.Contains(doc, "junk"), strings.Count(doc, "w"), exercise.MaxLongAnswer)
	}

	// Fill the address's allowance with large posts from new browsers, each
	// three answers of the longest four-byte text.
	big := strings.Repeat("😀", exercise.MaxLongAnswer)
	post := func(s *testkit.Session) int {
		return s.PostForm(path, url.Values{"a.note": {big}, "a.x": {big}, "a.y": {big}}).Code
	}
	per := 3 * 4 * exercise.MaxLongAnswer
	fit := (reflection.KeptBytesPerAddress - 2*exercise.MaxLongAnswer) / per // room left after the first post
	var browser *testkit.Session
	for i := range fit {
		browser = a.Anonymous(t)
		if code := post(browser); code != http.StatusSeeOther {
			t.Fatalf("post %d of %d that fit = %d", i+1, fit, code)
		}
	}
	// The next new browser is refused with the words shown back, and
	// nothing more is stored.
	refused := a.Anonymous(t).PostForm(path, url.Values{"a.note": {big}, "a.x": {big}, "a.y": {big}})
	if refused.Code != http.StatusTooManyRequests || !strings.Contains(refused.Body.String(), "😀😀😀") {
		t.Errorf("post over the allowance = %d, want 429 with the text shown back", refused.Code)
	}
	var total int
	if err := a.DB.Get(&total, `SELECT sum(size) FROM pending_drafts`); err != nil || total > reflection.KeptBytesPerAddress {
		t.Errorf("kept %d bytes (%v), want at most %d", total, err, reflection.KeptBytesPerAddress)
	}
	// A browser that already keeps text updates its own row: the same size
	// again fits, as autosave keeps running while signed out.
	if code := post(browser); code != http.StatusSeeOther {
		t.Errorf("an update of kept text = %d, want 303", code)
	}
	if n := utf8.RuneCountInString(big); n != exercise.MaxLongAnswer {
		t.Fatalf("test text has %d characters", n)
	}
}
