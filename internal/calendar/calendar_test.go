package calendar_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"

	"github.com/trellis-app/trellis/internal/calendar"
)

func TestEachDueDateIsAnAllDayEventWithAStableUIDAndANeutralTitle(t *testing.T) {
	dues := []calendar.Due{
		{AssignmentID: 7, On: time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC)},
		// A date read from PostgreSQL in another zone keeps its day.
		{AssignmentID: 9, On: time.Date(2026, 12, 11, 0, 0, 0, 0, time.FixedZone("x", -8*3600))},
	}
	var a, b bytes.Buffer
	if err := calendar.Write(&a, "trellis.example.org", dues, time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	if err := calendar.Write(&b, "trellis.example.org", dues, time.Date(2026, 12, 3, 13, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	cal, err := ics.ParseCalendar(strings.NewReader(a.String()))
	if err != nil {
		t.Fatalf("not valid iCalendar: %v\n%s", err, a.String())
	}
	events := cal.Events()
	if len(events) != 2 {
		t.Fatalf("%d events, want 2", len(events))
	}
	for i, e := range events {
		if got := e.GetProperty(ics.ComponentPropertySummary).Value; got != calendar.Summary {
			t.Errorf("event %d is titled %q", i, got)
		}
		start := e.GetProperty(ics.ComponentPropertyDtStart)
		if start.ICalParameters["VALUE"][0] != "DATE" {
			t.Errorf("event %d is not all-day: %v", i, start)
		}
	}
	if s := events[1].GetProperty(ics.ComponentPropertyDtStart).Value; s != "20261211" {
		t.Errorf("second event starts %s, want 20261211", s)
	}
	if uid := events[0].Id(); uid != "assignment-7@trellis.example.org" {
		t.Errorf("UID %q", uid)
	}
	// Read again later, the same events have the same UIDs.
	again, _ := ics.ParseCalendar(strings.NewReader(b.String()))
	for i, e := range again.Events() {
		if e.Id() != events[i].Id() {
			t.Errorf("UID changed between reads: %q, %q", events[i].Id(), e.Id())
		}
	}
}
