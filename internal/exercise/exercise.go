// Package exercise owns the homework exercises: their definitions as data
// (an ordered list of typed fields), validation of definitions, versions
// (every change makes a new one; assignments pin theirs), the built-in
// library, and validation of a client's answers against a definition.
package exercise

import (
	"time"
)

// CheckInKey is the built-in weekly trust check-in: the main series of the
// dashboard, the progress charts and the reports.
const CheckInKey = "weekly-trust-check-in"

// CheckInOverallKey is the check-in's "overall trust" question, the one
// line a session report's trend shows.
const CheckInOverallKey = "overall"

// FieldType is the kind of input a field asks for.
type FieldType string

// The field types of shared/content/trust-exercises.md.
const (
	LongText  FieldType = "long_text"
	ShortText FieldType = "short_text"
	Scale     FieldType = "scale"
	Percent   FieldType = "percent"
	Choice    FieldType = "choice"
	Checklist FieldType = "checklist"
	YesNo     FieldType = "yes_no"
	Date      FieldType = "date"
)

// FieldTypes lists every type, in the order the builder offers them.
var FieldTypes = []FieldType{LongText, ShortText, Scale, Percent, Choice, Checklist, YesNo, Date}

// Label is what the builder calls a type.
func (t FieldType) Label() string {
	switch t {
	case LongText:
		return "Long text"
	case ShortText:
		return "Short text"
	case Scale:
		return "Scale"
	case Percent:
		return "Percent (0–100)"
	case Choice:
		return "Single choice"
	case Checklist:
		return "Checklist"
	case YesNo:
		return "Yes / no"
	case Date:
		return "Date"
	}
	return string(t)
}

// Numeric reports whether answers are integers that can be charted.
func (t FieldType) Numeric() bool { return t == Scale || t == Percent }

// HasOptions reports whether the field offers options.
func (t FieldType) HasOptions() bool { return t == Choice || t == Checklist }

// Valid reports whether t is a known type.
func (t FieldType) Valid() bool {
	for _, k := range FieldTypes {
		if k == t {
			return true
		}
	}
	return false
}

// Option is one choice of a single-choice or checklist field.
type Option struct {
	Key   string `json:"key"`
	Label string `json:"label"`
}

// Field is one question of an exercise.
type Field struct {
	// Key is stable within a version: answers are stored under it.
	Key      string    `json:"key"`
	Type     FieldType `json:"type"`
	Label    string    `json:"label"`
	Help     string    `json:"help,omitempty"`
	Required bool      `json:"required,omitempty"`
	// Min and Max bound a scale (percent is always 0–100).
	Min      *int     `json:"min,omitempty"`
	Max      *int     `json:"max,omitempty"`
	MinLabel string   `json:"min_label,omitempty"`
	MaxLabel string   `json:"max_label,omitempty"`
	Options  []Option `json:"options,omitempty"`
	// Tracked values feed progress charts and reports.
	Tracked bool `json:"tracked,omitempty"`
}

// Bounds returns a numeric field's range.
func (f Field) Bounds() (lo, hi int) {
	if f.Type == Percent {
		return 0, 100
	}
	lo, hi = 0, 10
	if f.Min != nil {
		lo = *f.Min
	}
	if f.Max != nil {
		hi = *f.Max
	}
	return lo, hi
}

// Steps lists the values of a scale, for radio buttons.
func (f Field) Steps() []int {
	lo, hi := f.Bounds()
	if hi-lo > 20 {
		return nil
	}
	out := make([]int, 0, hi-lo+1)
	for i := lo; i <= hi; i++ {
		out = append(out, i)
	}
	return out
}

// Definition is what a version of an exercise says: the texts and fields.
type Definition struct {
	Title   string `json:"title"`
	Purpose string `json:"purpose"`
	Intro   string `json:"intro"`
	Minutes int    `json:"minutes"`
	// Sentence, when set, is shown back to the client built from their
	// answers: {key} stands for the answer to the field with that key (the
	// "I" statement built from parts).
	Sentence string  `json:"sentence,omitempty"`
	Fields   []Field `json:"fields"`
	// Measure, when set, names the locked outcome measure this version is
	// ("phq-9"): internal/measure scores it, and it cannot be copied or
	// changed.
	Measure string `json:"measure,omitempty"`
}

// Exercise is an exercise at one of its versions.
type Exercise struct {
	ID         int64     `db:"id"`
	PracticeID *int64    `db:"practice_id"` // nil for the built-in library
	BuiltinKey *string   `db:"builtin_key"`
	Version    int       `db:"version"`
	Latest     int       `db:"latest_version"`
	CreatedAt  time.Time `db:"created_at"`
	UpdatedAt  time.Time `db:"updated_at"`
	Definition
}

// Builtin reports whether the exercise is from the built-in library.
func (e Exercise) Builtin() bool { return e.PracticeID == nil }
