package progress_test

import (
	"context"
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/trellis-app/trellis/internal/audit"
	"github.com/trellis-app/trellis/internal/errkind"
	"github.com/trellis-app/trellis/internal/progress"
	"github.com/trellis-app/trellis/internal/testkit"
)

// today is the test practice's date (its time zone is UTC), at midnight.
func today() time.Time { return time.Now().UTC().Truncate(24 * time.Hour) }

// A client's report counts the period's work and charts each tracked
// answer from the latest version sent; work due outside the period is left
// out.
func TestProgressCountsThePeriodsWorkAndChartsTheLatestAnswers(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	ctx, svc := context.Background(), progress.NewService(a.AppDB)
	sent := a.AssignToday(t, w.Therapist, w.Client, testkit.TwoQuestions)
	a.Send(t, w.Client, sent, url.Values{"a.story": {"first"}, "a.trust": {"3"}})
	a.Send(t, w.Client, sent, url.Values{"a.story": {"changed"}, "a.trust": {"8"}})
	a.AssignToday(t, w.Therapist, w.Client, testkit.TwoQuestions) // not sent

	r, err := svc.ForClient(ctx, w.Therapist.Actor(), w.Client.ID, today().AddDate(0, 0, -7), today())
	if err != nil {
		t.Fatal(err)
	}
	if r.ClientName != w.Client.DisplayName || r.Completion != (progress.Completion{Assigned: 2, Submitted: 1, OnTime: 1}) {
		t.Errorf("report = %q %+v, want 2 assigned, 1 sent on time", r.ClientName, r.Completion)
	}
	if r.Completion.Rate() != 50 || r.Completion.OnTimeRate() != 100 {
		t.Errorf("rates = %d%%, %d%% on time; want 50, 100", r.Completion.Rate(), r.Completion.OnTimeRate())
	}
	if len(r.Charts) != 1 || len(r.Charts[0].Series) != 1 {
		t.Fatalf("charts = %+v, want one chart of one series", r.Charts)
	}
	s := r.Charts[0].Series[0]
	if s.Key != "trust" || s.Min != 0 || s.Max != 10 || len(s.Points) != 1 || s.Points[0].Value != 8 {
		t.Errorf("series = %+v, want trust 0–10 with the latest value 8 only", s)
	}

	before, err := svc.ForClient(ctx, w.Therapist.Actor(), w.Client.ID, today().AddDate(0, 0, -30), today().AddDate(0, 0, -1))
	if err != nil {
		t.Fatal(err)
	}
	if before.Completion != (progress.Completion{}) || len(before.Charts) != 0 {
		t.Errorf("a period before any work = %+v, %d charts; want nothing", before.Completion, len(before.Charts))
	}
}

// A client's progress is their therapist's to read; the client sees their
// own only while the therapist shares it, and nobody else's.
func TestProgressIsSharedWithTheClientOnlyWhenTheTherapistSaysSo(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	ctx, svc := context.Background(), progress.NewService(a.AppDB)
	from, to := today().AddDate(0, 0, -7), today()
	if _, err := svc.ForClient(ctx, w.Therapist2.Actor(), w.Client.ID, from, to); !errors.Is(err, errkind.ErrNotFound) {
		t.Errorf("another therapist's client = %v, want not found", err)
	}
	if _, err := svc.ForClient(ctx, w.Client.Actor(), w.Client.ID, from, to); !errors.Is(err, errkind.ErrForbidden) {
		t.Errorf("a client through the therapist's view = %v, want forbidden", err)
	}
	if _, err := svc.ForSelf(ctx, w.Client.Actor(), from, to); !errors.Is(err, errkind.ErrNotFound) {
		t.Errorf("unshared progress = %v, want not found", err)
	}
	if err := svc.SetSharing(ctx, w.Therapist2.Actor(), w.Client.ID, true); !errors.Is(err, errkind.ErrNotFound) {
		t.Errorf("another therapist shares = %v, want not found", err)
	}
	if err := svc.SetSharing(ctx, w.Therapist.Actor(), w.Client.ID, true); err != nil {
		t.Fatal(err)
	}
	r, err := svc.ForSelf(ctx, w.Client.Actor(), from, to)
	if err != nil || r.ClientID != w.Client.ID {
		t.Errorf("shared progress = %d, %v; want the client's own", r.ClientID, err)
	}
	if _, err := svc.ForSelf(ctx, w.Client2.Actor(), from, to); !errors.Is(err, errkind.ErrNotFound) {
		t.Errorf("sharing one client's progress showed another's own: %v", err)
	}
	if err := svc.SetSharing(ctx, w.Therapist.Actor(), w.Client.ID, false); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.ForSelf(ctx, w.Client.Actor(), from, to); !errors.Is(err, errkind.ErrNotFound) {
		t.Errorf("sharing stopped, still shown: %v", err)
	}
}

// Sessions are recorded within a year of today, once a day, by the
// client's own therapist; a removal must name a recorded session.
func TestSessionsAreRecordedOnceADayWithinAYear(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	ctx, svc, me := context.Background(), progress.NewService(a.AppDB), w.Therapist.Actor()
	sessions := func() []int64 {
		t.Helper()
		var ids []int64
		if err := a.DB.Select(&ids, `SELECT id FROM clinical_sessions WHERE client_id = $1 ORDER BY held_on`, w.Client.ID); err != nil {
			t.Fatal(err)
		}
		return ids
	}
	for _, on := range []time.Time{today().AddDate(0, 0, -400), today().AddDate(0, 0, 400)} {
		inv, ok := errkind.AsInvalid(svc.RecordSession(ctx, me, w.Client.ID, on, today()))
		if !ok || inv.Fields["held_on"] != "Enter a date within a year of today." {
			t.Errorf("session on %s = %v, want a date message", on.Format(time.DateOnly), inv)
		}
	}
	if err := svc.RecordSession(ctx, w.Therapist2.Actor(), w.Client.ID, today(), today()); !errors.Is(err, errkind.ErrNotFound) {
		t.Errorf("another therapist records = %v, want not found", err)
	}
	for range 2 {
		if err := svc.RecordSession(ctx, me, w.Client.ID, today(), today()); err != nil {
			t.Fatal(err)
		}
	}
	ids := sessions()
	if len(ids) != 1 {
		t.Fatalf("%d sessions after recording today twice, want 1", len(ids))
	}
	if err := svc.RemoveSession(ctx, me, w.Client2.ID, ids[0]); !errors.Is(err, errkind.ErrNotFound) {
		t.Errorf("removing the session under another client = %v, want not found", err)
	}
	if err := svc.RemoveSession(ctx, me, w.Client.ID, ids[0]); err != nil {
		t.Fatal(err)
	}
	if left := sessions(); len(left) != 0 {
		t.Errorf("sessions left: %v", left)
	}
	var audited int
	if err := a.DB.Get(&audited, `SELECT count(*) FROM audit_log WHERE action IN ($1, $2) AND target_id = $3`, audit.SessionRecorded, audit.SessionRemoved, w.Client.ID); err != nil || audited != 2 {
		t.Errorf("%d session audit entries (%v), want 2", audited, err)
	}
}
