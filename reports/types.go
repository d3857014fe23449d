package reports

import "time"

// Summary is everything a progress summary prints for one client and one
// period. The caller has already loaded it, checked that the reader may
// see it (R26) and chosen the reflections; the report prints what it is
// given, except Notes, which it prints only when IncludeNotes is set.
type Summary struct {
	Practice  string
	Therapist string
	Client    string

	From, To  time.Time // the period, inclusive
	Generated time.Time
	// Location is used to print dates and times; nil means UTC.
	Location *time.Location

	Completion Completion

	// Charts are drawn in order, each followed by its table of values. The
	// check-in qualities and overall trust are one chart of several lines;
	// thought-record before/after ratings are another of two.
	Charts []Chart

	// Reflections are the ones the therapist selected (or all), oldest
	// first as given.
	Reflections []Reflection

	// Notes are the therapist's private notes. They are printed only when
	// IncludeNotes is true, and then every page is marked as the
	// therapist's copy.
	Notes        []Note
	IncludeNotes bool

	// Measures are printed after the charts.
	Measures []Measure
}

// Completion counts the homework of the period.
type Completion struct {
	Assigned  int // assignments due in the period
	Submitted int // of those, submitted at all
	OnTime    int // of those, submitted by the due date
}

// Chart is one plot: several series sharing a value scale from Min to Max
// (for example 0 to 10).
type Chart struct {
	Title    string
	Unit     string // printed beside the title, e.g. "0–10, higher is better"
	Min, Max int
	Series   []Series
	// Bands are shaded behind the lines (a measure's severity bands);
	// CutOff, when above 0, is drawn as a dashed line at that value.
	Bands  []Band
	CutOff int
}

// Band is one shaded range of a chart, inclusive at both ends.
type Band struct {
	Min, Max int
	Name     string
}

// Measure is one standard outcome measure (PHQ-9, GAD-7), already scored:
// its chart with severity bands and cut-off, a row per score, and what
// the change says.
type Measure struct {
	Title  string
	Max    int
	CutOff int
	Bands  []Band
	Scores []Score
	// Change is the reliable-change statements, one line each.
	Change []string
	// Method says how totals and change are worked out, with sources.
	Method string
}

// Score is one scored submission of a measure.
type Score struct {
	At    time.Time
	Valid bool
	Total int
	// Band is the severity band's name; Note says "prorated" or why
	// there is no total.
	Band, Note string
	Items      []int // -1 for an unanswered item
}

// Series is one line of a chart.
type Series struct {
	Name   string
	Points []Point // any order; drawn in time order
	// Emphasis draws the line thicker and solid, under the others: the
	// weekly check-in's overall trust among its five qualities.
	Emphasis bool
}

// Point is one value at one time.
type Point struct {
	At    time.Time
	Value int
}

// Reflection is one submitted piece of homework.
type Reflection struct {
	Title   string
	Sent    time.Time
	Version int // 1 for the first submission, higher after revisions
	Answers []QA
	// Flagged lists why the submission was flagged (e.g. "distress
	// above 8"); empty when it was not.
	Flagged  []string
	Feedback []Feedback
}

// QA is one question and its answer. Answer holds one entry per paragraph
// or per chosen option.
type QA struct {
	Question string
	Answer   []string
}

// Feedback is what the therapist wrote back on a reflection.
type Feedback struct {
	Given time.Time
	Text  string
}

// Note is one private therapist note.
type Note struct {
	At   time.Time
	Text string
}

// SessionReport is the one-to-two-page sheet printed for the next session:
// everything since the last recorded session.
type SessionReport struct {
	Practice  string
	Therapist string
	Client    string

	// LastSession is when the last session was recorded; zero when none
	// has been, and then the report covers everything it is given.
	LastSession time.Time
	NextSession time.Time // a day; zero when not scheduled
	Generated   time.Time
	Location    *time.Location // nil means UTC

	Submitted []Item
	Overdue   []Item
	Flagged   []Item
	Discuss   []Item // marked "discuss in session"

	// CheckIns is the overall check-in score over time (any order), drawn
	// as a small trend chart on the scale CheckInMin to CheckInMax.
	CheckIns               []Point
	CheckInMin, CheckInMax int

	// Measures are printed after the check-in trend.
	Measures []Measure
}

// Item is one line of a session report.
type Item struct {
	Title     string
	Due       time.Time // zero when there is no due date
	Submitted time.Time // zero when not submitted
	// Detail is a short explanation (why it was flagged, what the client
	// wants to discuss, an excerpt); long text is shortened to keep the
	// report to two pages.
	Detail string
}
