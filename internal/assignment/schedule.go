// Package assignment owns homework given to clients: series (once, weekly,
// every N days, until a date or for N times), their occurrences (each
// filled in and reviewed on its own), cancelling and changing future
// occurrences, and the therapist's dashboard over their caseload.
package assignment

import (
	"fmt"
	"time"

	"github.com/trellis-app/trellis/internal/errkind"
)

// Recurrence kinds.
const (
	Once       = "once"
	Weekly     = "weekly"
	EveryNDays = "every_n_days"
)

// MaxOccurrences caps a series, so a schedule is always bounded.
const MaxOccurrences = 104

// Date is a calendar day, with no time and no zone.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// ParseDate reads YYYY-MM-DD.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, err
	}
	return DateOf(t), nil
}

// DateOf is the calendar day of t in t's location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// AddDays moves by calendar days, so a week is always seven dates apart
// whatever the clocks do.
func (d Date) AddDays(n int) Date {
	return DateOf(time.Date(d.Year, d.Month, d.Day+n, 12, 0, 0, 0, time.UTC))
}

// Before reports whether d is earlier than o.
func (d Date) Before(o Date) bool { return d.Time().Before(o.Time()) }

// Time is d at midnight UTC, for storing as a SQL date.
func (d Date) Time() time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC) }

// String is YYYY-MM-DD.
func (d Date) String() string { return d.Time().Format(time.DateOnly) }

// DueAt is the last minute of d in loc: work is due by the end of the day
// where the client lives, daylight saving or not.
func (d Date) DueAt(loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 23, 59, 59, 0, loc)
}

// Schedule says when a series' occurrences fall due.
type Schedule struct {
	Recurrence   string
	IntervalDays int // for every_n_days
	First        Date
	Until        *Date // end date (inclusive), or
	Count        int   // number of occurrences
}

func (s Schedule) step() int {
	switch s.Recurrence {
	case Weekly:
		return 7
	case EveryNDays:
		return s.IntervalDays
	}
	return 0
}

// Dates lists the due dates. A once schedule has one; a recurring one runs
// until Until or for Count occurrences, never more than MaxOccurrences.
func (s Schedule) Dates() []Date {
	if s.Recurrence == Once {
		return []Date{s.First}
	}
	step := s.step()
	if step <= 0 {
		return nil
	}
	var out []Date
	for d := s.First; len(out) < MaxOccurrences; d = d.AddDays(step) {
		if s.Until != nil && s.Until.Before(d) {
			break
		}
		if s.Until == nil && len(out) >= s.Count {
			break
		}
		out = append(out, d)
	}
	return out
}

// Validate checks a schedule made from a form, against today's date in the
// practice's time zone. Messages are keyed by the assign form's names.
func (s Schedule) Validate(today Date) error {
	v := errkind.NewInvalid()
	if s.First.Before(today) {
		v.Add("first_due", "Choose today or a later date.")
	}
	if s.First.After(today.AddDays(366)) {
		v.Add("first_due", "Choose a date within the next year.")
	}
	switch s.Recurrence {
	case Once:
	case Weekly, EveryNDays:
		if s.Recurrence == EveryNDays && (s.IntervalDays < 1 || s.IntervalDays > 90) {
			v.Add("interval_days", "Enter a number of days from 1 to 90.")
		}
		switch {
		case s.Until == nil && (s.Count < 1 || s.Count > MaxOccurrences):
			v.Add("count", fmt.Sprintf("Enter how many times, from 1 to %d.", MaxOccurrences))
		case s.Until != nil && s.Until.Before(s.First):
			v.Add("until", "The end date must be on or after the first due date.")
		case s.Until != nil && s.First.AddDays(2*366).Before(*s.Until):
			v.Add("until", "Choose an end date within two years.")
		}
	default:
		v.Add("recurrence", "Choose once, weekly or every few days.")
	}
	return v.Err()
}

// After reports whether d is later than o.
func (d Date) After(o Date) bool { return o.Before(d) }
