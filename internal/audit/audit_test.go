package audit_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/trellis-app/trellis/internal/audit"
	"github.com/trellis-app/trellis/internal/errkind"
	"github.com/trellis-app/trellis/internal/testkit"
)

// Record writes what the entry says, ids and the address only, and the
// practice's admin reads it back with the people it names.
func TestRecordWritesTheEntryAndListShowsItToTheAdmin(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	ctx := audit.WithIP(context.Background(), "203.0.113.7")
	if err := audit.Record(ctx, a.AppDB, audit.Entry{Action: audit.NoteAdded, PracticeID: w.PracticeID, ActorID: w.Therapist.ID,
		TargetType: "user", TargetID: w.Client.ID, Detail: map[string]any{"assignment": 12}}); err != nil {
		t.Fatal(err)
	}
	rows, more, err := audit.NewReader(a.AppDB).List(context.Background(), w.Admin.Actor(), audit.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || more {
		t.Fatalf("rows = %+v (more %v), want the one entry", rows, more)
	}
	r := rows[0]
	if r.Action != audit.NoteAdded || *r.ActorID != w.Therapist.ID || *r.ActorName != w.Therapist.DisplayName || *r.ActorRole != "therapist" ||
		*r.TargetID != w.Client.ID || r.Record() != w.Client.DisplayName || *r.IP != "203.0.113.7" || r.Detail != `{"assignment": 12}` {
		t.Errorf("row = %+v, record %q", r, r.Record())
	}
	if r.Words() != "Private note added" {
		t.Errorf("words = %q", r.Words())
	}
}

// The log is the practice's own, for its admins; it filters by actor,
// action and time, and pages backwards by id.
func TestListFiltersAndPagesThePracticesOwnLog(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	ctx, reader := context.Background(), audit.NewReader(a.AppDB)
	record := func(action string, actor int64, practice int64) {
		t.Helper()
		if err := audit.Record(ctx, a.AppDB, audit.Entry{Action: action, PracticeID: practice, ActorID: actor, TargetType: "assignment", TargetID: 1}); err != nil {
			t.Fatal(err)
		}
	}
	for range 3 {
		record(audit.Reviewed, w.Therapist.ID, w.PracticeID)
	}
	record(audit.NoteAdded, w.Therapist2.ID, w.PracticeID)
	record(audit.Reviewed, w.Outsider.ID, w.Outsider.PracticeID)
	actions := func(f audit.Filter) ([]string, bool) {
		t.Helper()
		rows, more, err := reader.List(ctx, w.Admin.Actor(), f)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range rows {
			out = append(out, r.Action)
		}
		return out, more
	}
	for _, c := range []struct {
		name string
		f    audit.Filter
		want []string
	}{
		{"all", audit.Filter{}, []string{audit.NoteAdded, audit.Reviewed, audit.Reviewed, audit.Reviewed}},
		{"by actor", audit.Filter{ActorID: w.Therapist2.ID}, []string{audit.NoteAdded}},
		{"by action", audit.Filter{Action: audit.Reviewed}, []string{audit.Reviewed, audit.Reviewed, audit.Reviewed}},
		{"from tomorrow", audit.Filter{From: time.Now().Add(24 * time.Hour)}, nil},
		{"until yesterday", audit.Filter{To: time.Now().Add(-24 * time.Hour)}, nil},
		{"this hour", audit.Filter{From: time.Now().Add(-time.Hour), To: time.Now().Add(time.Hour), ActorID: w.Therapist2.ID}, []string{audit.NoteAdded}},
	} {
		if got, _ := actions(c.f); !slices.Equal(got, c.want) {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}

	first, more, err := reader.List(ctx, w.Admin.Actor(), audit.Filter{Limit: 3})
	if err != nil || len(first) != 3 || !more {
		t.Fatalf("first page: %d rows, more %v, %v; want 3 and more", len(first), more, err)
	}
	rest, more, err := reader.List(ctx, w.Admin.Actor(), audit.Filter{Limit: 3, BeforeID: first[2].ID})
	if err != nil || len(rest) != 1 || more || rest[0].ID >= first[2].ID {
		t.Errorf("second page: %+v, more %v, %v; want the one older entry and no more", rest, more, err)
	}

	if rows, _, err := reader.List(ctx, w.Outsider.Actor(), audit.Filter{}); err != nil || len(rows) != 1 || *rows[0].ActorID != w.Outsider.ID {
		t.Errorf("the other practice's admin reads %+v, %v; want their one entry", rows, err)
	}
	if _, _, err := reader.List(ctx, w.Therapist.Actor(), audit.Filter{}); !errors.Is(err, errkind.ErrForbidden) {
		t.Errorf("a therapist reads the log: %v, want forbidden", err)
	}
}
