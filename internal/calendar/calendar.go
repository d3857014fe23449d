// Package calendar writes a client's private homework calendar as
// iCalendar (RFC 5545): one all-day event per due date. It knows nothing of
// HTTP or SQL.
//
// A calendar is read by phones, shared calendars and sync services the
// practice does not control, so an event says only "Homework due": no
// exercise name, no practice name, nothing clinical.
package calendar

import (
	"fmt"
	"io"
	"time"

	ics "github.com/arran4/golang-ical"
)

// Due is one piece of homework's due date.
type Due struct {
	AssignmentID int64
	On           time.Time // the date; its clock and zone are ignored
}

// Summary is every event's title.
const Summary = "Homework due"

// Write writes the calendar of dues to w. Each event's UID is built from
// the assignment's id and host (the Trellis address), so a calendar app
// that reads the feed again updates the event instead of adding a copy.
// stamp is DTSTAMP: when the feed was made.
func Write(w io.Writer, host string, dues []Due, stamp time.Time) error {
	cal := ics.NewCalendar()
	cal.SetMethod(ics.MethodPublish)
	cal.SetProductId("-//Trellis//Homework calendar//EN")
	cal.SetXWRCalName("Homework")
	// Ask calendar apps to look again every few hours.
	cal.SetRefreshInterval("PT4H")
	cal.SetXPublishedTTL("PT4H")
	for _, d := range dues {
		e := cal.AddEvent(fmt.Sprintf("assignment-%d@%s", d.AssignmentID, host))
		day := time.Date(d.On.Year(), d.On.Month(), d.On.Day(), 0, 0, 0, 0, time.UTC)
		e.SetDtStampTime(stamp.UTC())
		e.SetAllDayStartAt(day)
		e.SetAllDayEndAt(day.AddDate(0, 0, 1))
		e.SetSummary(Summary)
		e.SetTimeTransparency(ics.TransparencyTransparent) // homework does not make anyone busy
	}
	return cal.SerializeTo(w)
}
