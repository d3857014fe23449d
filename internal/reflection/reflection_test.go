package reflection_test

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/trellis-app/trellis/internal/audit"
	"github.com/trellis-app/trellis/internal/errkind"
	"github.com/trellis-app/trellis/internal/exercise"
	"github.com/trellis-app/trellis/internal/reflection"
	"github.com/trellis-app/trellis/internal/testkit"
)

// flagWord flags any text holding "hopeless", as risk.Scanner would flag
// its own lists: the service's part is to store and show what it says.
type flagWord struct{}

func (flagWord) Categories(text string) []string {
	if strings.Contains(text, "hopeless") {
		return []string{"hopelessness"}
	}
	return nil
}

type fixture struct {
	a   *testkit.App
	w   testkit.World
	svc *reflection.Service
	id  int64 // testkit.TwoQuestions, given to w.Client, due today
}

func setup(t *testing.T) fixture {
	t.Helper()
	a := testkit.NewApp(t)
	w := a.Seed(t)
	return fixture{a: a, w: w, svc: reflection.NewService(a.AppDB, flagWord{}), id: a.AssignToday(t, w.Therapist, w.Client, testkit.TwoQuestions)}
}

func answers(story, trust string) url.Values {
	return url.Values{exercise.FormName("story"): {story}, exercise.FormName("trust"): {trust}}
}

// count counts the rows of what the owner sees: SELECT count(*) ... .
func (f fixture) count(t *testing.T, q string, args ...any) int {
	t.Helper()
	var n int
	if err := f.a.DB.Get(&n, q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// A draft keeps what was typed, valid or not, minus NUL bytes PostgreSQL
// cannot store; Get shows it back.
func TestADraftKeepsWhatWasTypedEvenWhenItCouldNotBeSent(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	if _, err := f.svc.SaveDraft(ctx, f.w.Client.Actor(), f.id, answers("half a th\x00ought  ", "11")); err != nil {
		t.Fatal(err)
	}
	work, err := f.svc.Get(ctx, f.w.Client.Actor(), f.id)
	if err != nil {
		t.Fatal(err)
	}
	if got := work.Draft.First("story"); got != "half a thought  " {
		t.Errorf("draft story = %q, want the text as typed without the NUL", got)
	}
	if got := work.Draft.First("trust"); got != "11" {
		t.Errorf("draft trust = %q, want 11 (out of range, kept anyway)", got)
	}
	if !work.Open() || work.Submitted() || work.SentAt.Valid {
		t.Errorf("a draft changed the work's status: %q sent %v", work.Status, work.SentAt.Valid)
	}
}

// A send that fails the exercise's check names each field, sends nothing
// and keeps every word as the draft.
func TestARefusedSendNamesTheFieldAndKeepsTheDraft(t *testing.T) {
	long := strings.Repeat("é", exercise.MaxLongAnswer+1)
	for _, c := range []struct {
		name, story, trust, field, message string
	}{
		{"required answer missing", "", "5", "a.story", "Please write an answer here."},
		{"required answer only spaces", " \n\t ", "5", "a.story", "Please write an answer here."},
		{"scale above its top", "it went well", "11", "a.trust", "Choose a whole number from 0 to 10."},
		{"scale not a number", "it went well", "lots", "a.trust", "Choose a whole number from 0 to 10."},
		{"long answer too long", long, "5", "a.story", "This answer is 50001 characters long"},
		{"only a NUL byte", "\x00", "5", "a.story", "Please write an answer here."},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := setup(t)
			_, err := f.svc.Submit(context.Background(), f.w.Client.Actor(), f.id, reflection.NewFormToken(), answers(c.story, c.trust))
			inv, ok := errkind.AsInvalid(err)
			if !ok {
				t.Fatalf("Submit = %v, want a field error", err)
			}
			if !strings.HasPrefix(inv.Fields[c.field], c.message) || len(inv.Fields) != 1 {
				t.Errorf("messages = %q, want %s: %q", inv.Fields, c.field, c.message)
			}
			if n := f.count(t, `SELECT count(*) FROM submissions WHERE assignment_id = $1`, f.id); n != 0 {
				t.Errorf("%d submissions stored", n)
			}
			work, err := f.svc.Get(context.Background(), f.w.Client.Actor(), f.id)
			if err != nil {
				t.Fatal(err)
			}
			if work.Status != "open" || work.Draft.First("trust") != c.trust {
				t.Errorf("after the refusal: status %q, draft trust %q, want open and %q", work.Status, work.Draft.First("trust"), c.trust)
			}
		})
	}
}

// A send stores version 1, marks the work submitted, clears the draft,
// records the tracked value and audits ids only. The same form sent again
// stores nothing; changed words in it are kept as a draft, not sent; a new
// form is a new version (R25).
func TestSendingStoresOnceAndAChangeIsANewVersion(t *testing.T) {
	f := setup(t)
	ctx, me := context.Background(), f.w.Client.Actor()
	if _, err := f.svc.SaveDraft(ctx, me, f.id, answers("first try", "")); err != nil {
		t.Fatal(err)
	}
	token := reflection.NewFormToken()
	res, err := f.svc.Submit(ctx, me, f.id, token, answers("It went better than I feared.", "7"))
	if err != nil {
		t.Fatal(err)
	}
	if res.Version != 1 || res.Repeat || res.Kept || len(res.Flags) != 0 {
		t.Errorf("first send = %+v, want version 1, not a repeat, no flags", res)
	}
	work, err := f.svc.Get(ctx, me, f.id)
	if err != nil {
		t.Fatal(err)
	}
	if work.Status != "submitted" || work.Draft != nil || work.SentVersion != 1 || work.Sent.First("story") != "It went better than I feared." {
		t.Errorf("after sending: status %q, draft %v, sent v%d %q", work.Status, work.Draft, work.SentVersion, work.Sent.First("story"))
	}
	var tracked int
	if err := f.a.DB.Get(&tracked, `SELECT value FROM tracked_values WHERE client_id = $1 AND field_key = 'trust'`, f.w.Client.ID); err != nil || tracked != 7 {
		t.Errorf("tracked trust = %d (%v), want 7", tracked, err)
	}
	var detail string
	if err := f.a.DB.Get(&detail, `SELECT detail::text FROM audit_log WHERE action = $1 AND actor_id = $2`, audit.SubmissionMade, f.w.Client.ID); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(detail, "feared") || !strings.Contains(detail, `"version": 1`) {
		t.Errorf("audit detail = %s, want ids and the version only", detail)
	}

	again, err := f.svc.Submit(ctx, me, f.id, token, answers("It went better than I feared.", "7"))
	if err != nil || again.Version != 1 || !again.Repeat || again.Kept {
		t.Errorf("double click = %+v, %v; want a repeat of version 1", again, err)
	}
	edited, err := f.svc.Submit(ctx, me, f.id, token, answers("Back button, new words.", "7"))
	if err != nil || edited.Version != 1 || !edited.Repeat || !edited.Kept {
		t.Errorf("same form, other words = %+v, %v; want a kept repeat of version 1", edited, err)
	}
	if work, _ := f.svc.Get(ctx, me, f.id); work.Draft.First("story") != "Back button, new words." || work.Sent.First("story") != "It went better than I feared." {
		t.Errorf("the changed words: draft %q, sent %q", work.Draft.First("story"), work.Sent.First("story"))
	}
	if _, err := f.svc.Autosave(ctx, me, f.id, token, answers("typing in the sent form", "7")); !errors.Is(err, reflection.ErrSent) {
		t.Errorf("autosave from the sent form = %v, want ErrSent", err)
	}

	second, err := f.svc.Submit(ctx, me, f.id, reflection.NewFormToken(), answers("On reflection, it went well.", "8"))
	if err != nil || second.Version != 2 || second.Repeat {
		t.Errorf("a change sent from a new form = %+v, %v; want version 2", second, err)
	}
	if n := f.count(t, `SELECT count(*) FROM submissions WHERE assignment_id = $1`, f.id); n != 2 {
		t.Errorf("%d submissions, want the two versions", n)
	}
}

// A form without a token the service made sends nothing and keeps the words.
func TestAFormWithoutAValidTokenIsKeptNotSent(t *testing.T) {
	f := setup(t)
	_, err := f.svc.Submit(context.Background(), f.w.Client.Actor(), f.id, "not-a-token", answers("keep me", "3"))
	if inv, ok := errkind.AsInvalid(err); !ok || inv.Fields["form"] == "" {
		t.Fatalf("Submit = %v, want a form message", err)
	}
	work, _ := f.svc.Get(context.Background(), f.w.Client.Actor(), f.id)
	if work.Status != "open" || work.Draft.First("story") != "keep me" {
		t.Errorf("status %q, draft %q", work.Status, work.Draft.First("story"))
	}
}

// Risk language sets the submission's flags and the client's view of it.
func TestRiskLanguageFlagsTheSubmission(t *testing.T) {
	f := setup(t)
	ctx, me := context.Background(), f.w.Client.Actor()
	res, err := f.svc.Submit(ctx, me, f.id, reflection.NewFormToken(), answers("I feel hopeless about us.", "2"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Flags, []string{"hopelessness"}) {
		t.Errorf("flags = %q", res.Flags)
	}
	if work, _ := f.svc.Get(ctx, me, f.id); !work.SentFlagged {
		t.Error("the sent work does not show as flagged")
	}
	if n := f.count(t, `SELECT count(*) FROM assignments WHERE id = $1 AND flagged`, f.id); n != 1 {
		t.Error("the assignment is not flagged for the therapist's inbox")
	}
}

// Another client's work does not exist for this one (R13); staff have no
// portal; open work has no sent answers to go back to.
func TestOnlyTheClientReachesTheirWork(t *testing.T) {
	f := setup(t)
	ctx, other := context.Background(), f.w.Client2.Actor()
	form := answers("not mine", "4")
	for name, err := range map[string]error{
		"get":   func() error { _, err := f.svc.Get(ctx, other, f.id); return err }(),
		"draft": func() error { _, err := f.svc.SaveDraft(ctx, other, f.id, form); return err }(),
		"send":  func() error { _, err := f.svc.Submit(ctx, other, f.id, reflection.NewFormToken(), form); return err }(),
		"autosave": func() error {
			_, err := f.svc.Autosave(ctx, other, f.id, reflection.NewFormToken(), form)
			return err
		}(),
	} {
		if !errors.Is(err, errkind.ErrNotFound) {
			t.Errorf("another client's %s = %v, want not found", name, err)
		}
	}
	if _, err := f.svc.Get(ctx, f.w.Therapist.Actor(), f.id); !errors.Is(err, errkind.ErrForbidden) {
		t.Errorf("therapist in the portal = %v, want forbidden", err)
	}
	if n := f.count(t, `SELECT count(*) FROM drafts WHERE assignment_id = $1`, f.id); n != 0 {
		t.Errorf("%d drafts written by someone else", n)
	}
	if err := f.svc.DiscardChanges(ctx, f.w.Client.Actor(), f.id); !errors.Is(err, errkind.ErrConflict) {
		t.Errorf("discard changes to open work = %v, want conflict", err)
	}
}

// Text kept after a session ended goes to its own client's draft when they
// sign in again, and to nobody else's.
func TestKeptTextIsRestoredOnlyToItsOwnClient(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	token, fresh, err := f.svc.KeepPending(ctx, f.id, answers("typed after the session ended", "6"), "", "192.0.2.1")
	if err != nil || !fresh {
		t.Fatalf("KeepPending = %v fresh %v", err, fresh)
	}
	if id, _, err := f.svc.Restore(ctx, f.w.Client2.Actor(), token); err != nil || id != 0 {
		t.Errorf("another client restored %d, %v", id, err)
	}
	id, sent, err := f.svc.Restore(ctx, f.w.Client.Actor(), token)
	if err != nil || id != f.id || sent {
		t.Fatalf("Restore = %d sent %v, %v; want %d unsent", id, sent, err, f.id)
	}
	if work, _ := f.svc.Get(ctx, f.w.Client.Actor(), f.id); work.Draft.First("story") != "typed after the session ended" {
		t.Errorf("restored draft = %q", work.Draft.First("story"))
	}
	if id, _, _ := f.svc.Restore(ctx, f.w.Client.Actor(), token); id != 0 {
		t.Errorf("the kept text was restored twice")
	}
}
