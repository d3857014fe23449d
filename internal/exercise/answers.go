package exercise

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/trellis-app/trellis/internal/errkind"
)

// Answer length limits, in characters (R21).
const (
	MaxLongAnswer  = 50000
	MaxShortAnswer = 500
)

// Answers are a client's answers by field key, as typed: one value per
// field, several for a checklist. Drafts keep them exactly as typed, valid
// or not, so nothing is ever lost; a submission keeps them once Check has
// passed.
type Answers map[string][]string

// FormName is the input name of a field's answer.
func FormName(key string) string { return "a." + key }

// AnswersFromForm reads the answers to d's fields from a posted form.
func AnswersFromForm(d Definition, form url.Values) Answers {
	a := Answers{}
	for _, f := range d.Fields {
		var vals []string
		for _, v := range form[FormName(f.Key)] {
			// PostgreSQL cannot store U+0000 in text or JSON; it never
			// carries meaning in a reflection.
			v = strings.ReplaceAll(v, "\x00", "")
			if f.Type != LongText {
				v = strings.TrimSpace(v)
			}
			if v != "" {
				vals = append(vals, v)
			}
		}
		if len(vals) > 0 {
			a[f.Key] = vals
		}
	}
	return a
}

// First is the first answer to key, or "".
func (a Answers) First(key string) string {
	if v := a[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// Check validates answers for sending: required answers present, numbers
// in range, options known, dates real, lengths within limits. Messages are
// keyed by input name ("a.<key>").
func (d Definition) Check(a Answers) error {
	v := errkind.NewInvalid()
	for _, f := range d.Fields {
		name := FormName(f.Key)
		vals := a[f.Key]
		// Long text is kept as typed, spaces and all; only spaces are
		// still no answer to a required question.
		if len(vals) == 0 || (f.Required && f.Type == LongText && strings.TrimSpace(vals[0]) == "") {
			if f.Required {
				v.Add(name, requiredMessage(f))
			}
			continue
		}
		if f.Type != Checklist && len(vals) > 1 {
			v.Add(name, "Give one answer here.")
			continue
		}
		val := vals[0]
		switch f.Type {
		case LongText, ShortText:
			max := MaxShortAnswer
			if f.Type == LongText {
				max = MaxLongAnswer
			}
			switch {
			case !utf8.ValidString(val):
				v.Add(name, "Some characters here could not be read. Please check the text.")
			case utf8.RuneCountInString(val) > max:
				v.Add(name, fmt.Sprintf("This answer is %d characters long; the most it can be is %d. Your text is still here: please shorten it a little.", utf8.RuneCountInString(val), max))
			}
		case Scale, Percent:
			lo, hi := f.Bounds()
			n, err := strconv.Atoi(val)
			if err != nil || n < lo || n > hi {
				v.Add(name, fmt.Sprintf("Choose a whole number from %d to %d.", lo, hi))
			}
		case Choice:
			if !hasOption(f, val) {
				v.Add(name, "Choose one of the options.")
			}
		case Checklist:
			for _, x := range vals {
				if !hasOption(f, x) {
					v.Add(name, "Choose from the options shown.")
					break
				}
			}
		case YesNo:
			if val != "yes" && val != "no" {
				v.Add(name, "Choose yes or no.")
			}
		case Date:
			if _, err := time.Parse(time.DateOnly, val); err != nil {
				v.Add(name, "Enter a date, for example 2026-03-31.")
			}
		}
	}
	return v.Err()
}

func requiredMessage(f Field) string {
	switch f.Type {
	case Scale, Percent, Choice, YesNo:
		return "Please choose an answer here."
	case Checklist:
		return "Please tick at least one."
	case Date:
		return "Please enter a date."
	}
	return "Please write an answer here."
}

func hasOption(f Field, key string) bool {
	return slices.ContainsFunc(f.Options, func(o Option) bool { return o.Key == key })
}

// Tracked returns the numeric values of tracked fields, for charts: scales
// and percents as given, yes/no as 1/0.
func (d Definition) Tracked(a Answers) map[string]int {
	out := map[string]int{}
	for _, f := range d.Fields {
		if !f.Tracked {
			continue
		}
		val := a.First(f.Key)
		switch {
		case f.Type.Numeric():
			if n, err := strconv.Atoi(val); err == nil {
				out[f.Key] = n
			}
		case f.Type == YesNo && val == "yes":
			out[f.Key] = 1
		case f.Type == YesNo && val == "no":
			out[f.Key] = 0
		}
	}
	return out
}

// OptionLabel is the label of an option key, for showing answers back.
func (f Field) OptionLabel(key string) string {
	for _, o := range f.Options {
		if o.Key == key {
			return o.Label
		}
	}
	return key
}

// Readable is one question with its answer as a person reads it: option
// labels instead of keys, "Yes"/"No", "7 out of 10", "40%". Answers holds
// one entry per paragraph or chosen option, none when unanswered.
type Readable struct {
	Label   string
	Answers []string
}

// Show is one stored answer value as a person reads it: an option's
// label rather than its key, "Yes"/"No", "7 out of 10", "40%", a date as
// "2 Dec 2026". Text is returned as written.
func (f Field) Show(v string) string {
	switch f.Type {
	case Choice, Checklist:
		return f.OptionLabel(v)
	case YesNo:
		if v == "yes" {
			return "Yes"
		}
		return "No"
	case Percent:
		return v + "%"
	case Scale:
		_, hi := f.Bounds()
		return v + " out of " + strconv.Itoa(hi)
	case Date:
		if t, err := time.Parse(time.DateOnly, v); err == nil {
			return t.Format("2 Jan 2006")
		}
	}
	return v
}

// Readable returns every question of d, in order, with a's answers shown
// the way the client and their therapist read them (the portal, the review
// page and the printed reports all use it).
func (d Definition) Readable(a Answers) []Readable {
	out := make([]Readable, 0, len(d.Fields))
	for _, f := range d.Fields {
		r := Readable{Label: f.Label}
		for _, v := range a[f.Key] {
			r.Answers = append(r.Answers, f.Show(v))
		}
		out = append(out, r)
	}
	return out
}
