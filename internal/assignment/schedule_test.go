package assignment

import (
	"strings"
	"testing"
	"time"

	"github.com/trellis-app/trellis/internal/errkind"
)

func d(s string) Date {
	x, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return x
}

func dates(ds []Date) string {
	var s []string
	for _, x := range ds {
		s = append(s, x.String())
	}
	return strings.Join(s, " ")
}

func TestScheduleDates(t *testing.T) {
	until := d("2026-03-31")
	tests := []struct {
		name string
		s    Schedule
		want string
	}{
		{"once", Schedule{Recurrence: Once, First: d("2026-03-02")}, "2026-03-02"},
		{"weekly for 4 times", Schedule{Recurrence: Weekly, First: d("2026-03-02"), Count: 4}, "2026-03-02 2026-03-09 2026-03-16 2026-03-23"},
		{"weekly until an end date (inclusive)", Schedule{Recurrence: Weekly, First: d("2026-03-03"), Until: &until}, "2026-03-03 2026-03-10 2026-03-17 2026-03-24 2026-03-31"},
		{"every 3 days for 4 times", Schedule{Recurrence: EveryNDays, IntervalDays: 3, First: d("2026-02-26"), Count: 4}, "2026-02-26 2026-03-01 2026-03-04 2026-03-07"},
		{"every 10 days until", Schedule{Recurrence: EveryNDays, IntervalDays: 10, First: d("2026-03-01"), Until: &until}, "2026-03-01 2026-03-11 2026-03-21 2026-03-31"},
		{"across a year end and a leap day", Schedule{Recurrence: Weekly, First: d("2027-12-27"), Count: 10}, "2027-12-27 2028-01-03 2028-01-10 2028-01-17 2028-01-24 2028-01-31 2028-02-07 2028-02-14 2028-02-21 2028-02-28"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := dates(tt.s.Dates()); got != tt.want {
				t.Errorf("Dates() = %s\nwant      %s", got, tt.want)
			}
		})
	}
}

func TestScheduleIsAlwaysBounded(t *testing.T) {
	far := d("2030-01-01")
	got := Schedule{Recurrence: EveryNDays, IntervalDays: 1, First: d("2026-01-01"), Until: &far}.Dates()
	if len(got) != MaxOccurrences {
		t.Fatalf("%d occurrences, want the cap of %d", len(got), MaxOccurrences)
	}
}

// TestWeeklyAcrossDaylightSavingKeepsLocalDueTime: in New York the clocks go
// forward on 8 March 2026 and back on 1 November 2026; in London on 29 March
// and 25 October. Every occurrence stays seven calendar days apart and due at
// 23:59:59 local time, so the gap in absolute time is 167 or 169 hours
// across a change.
func TestWeeklyAcrossDaylightSavingKeepsLocalDueTime(t *testing.T) {
	for _, tz := range []string{"America/New_York", "Europe/London", "Australia/Sydney"} {
		t.Run(tz, func(t *testing.T) {
			loc, err := time.LoadLocation(tz)
			if err != nil {
				t.Fatal(err)
			}
			s := Schedule{Recurrence: Weekly, First: d("2026-02-23"), Count: 40}
			var prev time.Time
			var gaps = map[time.Duration]int{}
			for i, x := range s.Dates() {
				due := x.DueAt(loc)
				if h, m, sec := due.Clock(); h != 23 || m != 59 || sec != 59 {
					t.Fatalf("occurrence %d due %v, want 23:59:59 local", i, due)
				}
				if DateOf(due) != x {
					t.Fatalf("occurrence %d due on %v, want %v", i, DateOf(due), x)
				}
				if i > 0 {
					gaps[due.Sub(prev)]++
				}
				prev = due
			}
			if gaps[167*time.Hour] != 1 || gaps[169*time.Hour] != 1 || gaps[168*time.Hour] != 37 {
				t.Errorf("gaps between due times = %v, want 37×168h and one each of 167h and 169h (two DST changes)", gaps)
			}
		})
	}
}

func TestScheduleValidation(t *testing.T) {
	today := d("2026-03-10")
	past := d("2026-03-01")
	tooFar := d("2029-01-01")
	tests := []struct {
		name  string
		s     Schedule
		field string
	}{
		{"first due in the past", Schedule{Recurrence: Once, First: d("2026-03-09")}, "first_due"},
		{"first due over a year ahead", Schedule{Recurrence: Once, First: d("2027-04-01")}, "first_due"},
		{"unknown recurrence", Schedule{Recurrence: "monthly", First: today}, "recurrence"},
		{"every 0 days", Schedule{Recurrence: EveryNDays, IntervalDays: 0, First: today, Count: 3}, "interval_days"},
		{"every 91 days", Schedule{Recurrence: EveryNDays, IntervalDays: 91, First: today, Count: 3}, "interval_days"},
		{"count zero", Schedule{Recurrence: Weekly, First: today}, "count"},
		{"count too high", Schedule{Recurrence: Weekly, First: today, Count: 105}, "count"},
		{"until before first", Schedule{Recurrence: Weekly, First: today, Until: &past}, "until"},
		{"until too far", Schedule{Recurrence: Weekly, First: today, Until: &tooFar}, "until"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv, ok := errkind.AsInvalid(tt.s.Validate(today))
			if !ok || inv.Fields[tt.field] == "" {
				t.Fatalf("Validate = %v, want a message for %s", inv, tt.field)
			}
		})
	}
	if err := (Schedule{Recurrence: Weekly, First: today, Count: 12}).Validate(today); err != nil {
		t.Errorf("a valid schedule was refused: %v", err)
	}
}
