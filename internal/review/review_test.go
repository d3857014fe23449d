package review_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/trellis-app/trellis/internal/audit"
	"github.com/trellis-app/trellis/internal/errkind"
	"github.com/trellis-app/trellis/internal/reflection"
	"github.com/trellis-app/trellis/internal/review"
	"github.com/trellis-app/trellis/internal/testkit"
)

type fixture struct {
	a   *testkit.App
	w   testkit.World
	svc *review.Service
	id  int64 // testkit.TwoQuestions, sent by w.Client (w.Therapist's)
}

func setup(t *testing.T) fixture {
	t.Helper()
	a := testkit.NewApp(t)
	w := a.Seed(t)
	id := a.AssignToday(t, w.Therapist, w.Client, testkit.TwoQuestions)
	a.Send(t, w.Client, id, url.Values{"a.story": {"We talked."}, "a.trust": {"6"}})
	return fixture{a: a, w: w, svc: review.NewService(a.AppDB), id: id}
}

// audited counts the audit entries of action on the assignment.
func (f fixture) audited(t *testing.T, action string) int {
	t.Helper()
	var n int
	if err := f.a.DB.Get(&n, `SELECT count(*) FROM audit_log WHERE action = $1 AND target_id = $2`, action, f.id); err != nil {
		t.Fatal(err)
	}
	return n
}

// Another therapist's client's work does not exist for them (R13), and
// the review rules are not a client's.
func TestOnlyTheClientsTherapistReviewsTheirWork(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	for _, c := range []struct {
		who  string
		want error
	}{{"other therapist", errkind.ErrNotFound}, {"client", errkind.ErrForbidden}} {
		actor := f.w.Therapist2.Actor()
		if c.who == "client" {
			actor = f.w.Client.Actor()
		}
		for name, err := range map[string]error{
			"read":        func() error { _, err := f.svc.Item(ctx, actor, f.id, 0); return err }(),
			"reviewed":    f.svc.SetReviewed(ctx, actor, f.id, true, 1),
			"discuss":     f.svc.SetDiscuss(ctx, actor, f.id, true),
			"feedback":    f.svc.SaveFeedback(ctx, actor, f.id, "Well done."),
			"note":        f.svc.AddNote(ctx, actor, f.id, "A note."),
			"client note": f.svc.AddClientNote(ctx, actor, f.w.Client.ID, "A note."),
		} {
			if !errors.Is(err, c.want) {
				t.Errorf("%s: %s = %v, want %v", c.who, name, err, c.want)
			}
		}
	}
	var n int
	if err := f.a.DB.Get(&n, `SELECT (SELECT count(*) FROM feedback) + (SELECT count(*) FROM notes)`); err != nil || n != 0 {
		t.Errorf("%d feedback and notes written by others (%v)", n, err)
	}
	open := f.a.AssignToday(t, f.w.Therapist, f.w.Client, testkit.TwoQuestions)
	if _, err := f.svc.Item(ctx, f.w.Therapist.Actor(), open, 0); !errors.Is(err, errkind.ErrNotFound) {
		t.Errorf("work not yet sent = %v, want not found", err)
	}
}

// Feedback reaches the client, and an edit shows as new again; notes are
// the author's alone.
func TestFeedbackReachesTheClientAndNotesStayWithTheirAuthor(t *testing.T) {
	f := setup(t)
	ctx, me, client := context.Background(), f.w.Therapist.Actor(), f.w.Client.Actor()
	portal := reflection.NewService(f.a.AppDB, nil)
	if err := f.svc.SaveFeedback(ctx, me, f.id, "  Thank you for writing this.  "); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.AddNote(ctx, me, f.id, "Ask about the weekend."); err != nil {
		t.Fatal(err)
	}
	work, err := portal.Get(ctx, client, f.id)
	if err != nil {
		t.Fatal(err)
	}
	if work.Feedback == nil || work.Feedback.Body != "Thank you for writing this." || work.Feedback.SeenAt.Valid {
		t.Fatalf("the client's feedback = %+v, want the trimmed text, unseen", work.Feedback)
	}
	if err := portal.MarkFeedbackSeen(ctx, client, f.id); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.SaveFeedback(ctx, me, f.id, "Thank you; one more thought."); err != nil {
		t.Fatal(err)
	}
	if work, _ := portal.Get(ctx, client, f.id); work.Feedback.Body != "Thank you; one more thought." || work.Feedback.SeenAt.Valid {
		t.Errorf("edited feedback = %+v, want the new text, new to the client again", work.Feedback)
	}

	it, err := f.svc.Item(ctx, me, f.id, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(it.Notes) != 1 || it.Notes[0].Body != "Ask about the weekend." {
		t.Errorf("the author's notes = %+v", it.Notes)
	}
	if _, err := f.svc.ClientNotes(ctx, client, f.w.Client.ID); !errors.Is(err, errkind.ErrForbidden) {
		t.Errorf("the client reading notes = %v, want forbidden", err)
	}
	if notes, err := f.svc.ClientNotes(ctx, f.w.Therapist2.Actor(), f.w.Client.ID); err != nil || len(notes) != 0 {
		t.Errorf("another therapist reads %d notes (%v)", len(notes), err)
	}
	if err := f.svc.AddClientNote(ctx, me, f.w.Client.ID, "About the client."); err != nil {
		t.Fatal(err)
	}
	if notes, _ := f.svc.ClientNotes(ctx, me, f.w.Client.ID); len(notes) != 2 {
		t.Errorf("the author has %d notes on the client, want 2", len(notes))
	}
	if f.audited(t, audit.FeedbackSaved) != 2 || f.audited(t, audit.NoteAdded) != 1 {
		t.Errorf("feedback and notes were not each audited")
	}
}

// Feedback and notes must say something, readably, within MaxTextLen;
// a refusal names the field and writes nothing.
func TestFeedbackAndNotesAreChecked(t *testing.T) {
	f := setup(t)
	ctx, me := context.Background(), f.w.Therapist.Actor()
	for _, c := range []struct {
		name, body, message string
	}{
		{"empty", " \n ", "Write something first."},
		{"too long", strings.Repeat("ü", review.MaxTextLen+1), "Keep it to 10000 characters (this is 10001)."},
		{"unreadable", "caf\xe9", "Some characters here could not be read. Please check the text."},
	} {
		for field, save := range map[string]func(string) error{
			"feedback": func(b string) error { return f.svc.SaveFeedback(ctx, me, f.id, b) },
			"note":     func(b string) error { return f.svc.AddNote(ctx, me, f.id, b) },
		} {
			inv, ok := errkind.AsInvalid(save(c.body))
			if !ok || inv.Fields[field] != c.message {
				t.Errorf("%s %s: %v, want %s: %q", c.name, field, inv, field, c.message)
			}
		}
	}
	if f.audited(t, audit.FeedbackSaved)+f.audited(t, audit.NoteAdded) != 0 {
		t.Error("a refused text was audited")
	}
	inv, ok := errkind.AsInvalid(f.svc.WithdrawFeedback(ctx, me, f.id))
	if !ok || inv.Fields["feedback"] != "There is no feedback to withdraw." || f.audited(t, audit.FeedbackWithdrawn) != 0 {
		t.Errorf("withdrawing no feedback = %v", inv)
	}
}

// Work is marked reviewed only from its latest version; marking it to
// discuss is audited; the inbox filters by both.
func TestMarkingReviewedNeedsTheLatestVersionRead(t *testing.T) {
	f := setup(t)
	ctx, me := context.Background(), f.w.Therapist.Actor()
	f.a.Send(t, f.w.Client, f.id, url.Values{"a.story": {"We talked again."}, "a.trust": {"7"}})
	inv, ok := errkind.AsInvalid(f.svc.SetReviewed(ctx, me, f.id, true, 1))
	if !ok || !strings.HasPrefix(inv.Fields["version"], "The client sent a newer version") {
		t.Fatalf("reviewed from version 1 of 2 = %v, want a version message", inv)
	}
	if rows, _, _ := f.svc.Inbox(ctx, me, review.Filter{Show: "unreviewed"}); len(rows) != 1 || rows[0].Versions != 2 {
		t.Fatalf("unreviewed inbox = %+v, want the one assignment at 2 versions", rows)
	}
	if err := f.svc.SetReviewed(ctx, me, f.id, true, 2); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.SetDiscuss(ctx, me, f.id, true); err != nil {
		t.Fatal(err)
	}
	it, err := f.svc.Item(ctx, me, f.id, 1)
	if err != nil {
		t.Fatal(err)
	}
	if it.Status != "reviewed" || !it.Discuss || it.Shown.Version != 1 || it.Shown.Answers.First("story") != "We talked." || len(it.Versions) != 2 {
		t.Errorf("item = status %q discuss %v showing v%d %q of %d", it.Status, it.Discuss, it.Shown.Version, it.Shown.Answers.First("story"), len(it.Versions))
	}
	if rows, _, _ := f.svc.Inbox(ctx, me, review.Filter{Show: "unreviewed"}); len(rows) != 0 {
		t.Errorf("reviewed work still in the unreviewed inbox: %+v", rows)
	}
	if rows, _, _ := f.svc.Inbox(ctx, me, review.Filter{Show: "reviewed"}); len(rows) != 1 || !rows[0].Discuss {
		t.Errorf("reviewed inbox = %+v", rows)
	}
	if f.audited(t, audit.Reviewed) != 1 || f.audited(t, audit.Discuss) != 1 {
		t.Errorf("reviewed %d, discuss %d audit entries; want 1 each", f.audited(t, audit.Reviewed), f.audited(t, audit.Discuss))
	}
}
