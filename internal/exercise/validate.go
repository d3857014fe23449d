package exercise

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/trellis-app/trellis/internal/errkind"
)

// Limits on definitions.
const (
	MaxFields      = 40
	MaxOptions     = 20
	MaxTitleLen    = 120
	MaxTextLen     = 4000
	MaxLabelLen    = 300
	MaxMinutes     = 240
	MinScaleLow    = -100
	MaxScaleHigh   = 100
	maxKeyLen      = 40
	maxOptionLabel = 120
)

var keyRe = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// FieldName is the form name of a field's property in the builder, also
// used as the key of its validation message: "f3.label".
func FieldName(i int, prop string) string { return fmt.Sprintf("f%d.%s", i, prop) }

// Validate checks a definition and returns an *errkind.Invalid naming each
// problem by its builder form name ("title", "f2.max", ...), or nil.
func Validate(d Definition) error {
	v := errkind.NewInvalid()
	checkText := func(name, value, what string, required bool, max int) {
		switch n := utf8.RuneCountInString(value); {
		case !utf8.ValidString(value):
			v.Add(name, what+" has characters we cannot read.")
		case required && strings.TrimSpace(value) == "":
			v.Add(name, "Enter "+strings.ToLower(what[:1])+what[1:]+".")
		case n > max:
			v.Add(name, fmt.Sprintf("%s must be at most %d characters.", what, max))
		}
	}
	checkText("title", d.Title, "A title", true, MaxTitleLen)
	checkText("purpose", d.Purpose, "The purpose", false, MaxTextLen)
	checkText("intro", d.Intro, "The introduction", false, MaxTextLen)
	if d.Minutes < 0 || d.Minutes > MaxMinutes {
		v.Add("minutes", fmt.Sprintf("Enter an estimated time from 0 to %d minutes.", MaxMinutes))
	}
	switch {
	case len(d.Fields) == 0:
		v.Add("fields", "Add at least one question.")
	case len(d.Fields) > MaxFields:
		v.Add("fields", fmt.Sprintf("An exercise can have at most %d questions.", MaxFields))
	}
	seen := map[string]int{}
	for i, f := range d.Fields {
		n := func(prop string) string { return FieldName(i, prop) }
		switch {
		case !keyRe.MatchString(f.Key) || len(f.Key) > maxKeyLen:
			v.Add(n("key"), "This question's code must be short: lower-case letters, digits and _, starting with a letter.")
		default:
			if j, dup := seen[f.Key]; dup {
				v.Add(n("key"), fmt.Sprintf("Question %d already uses the code {%s}. Each question needs its own.", j+1, f.Key))
			}
			seen[f.Key] = i
		}
		if !f.Type.Valid() {
			v.Add(n("type"), "Choose a question type.")
			continue
		}
		checkText(n("label"), f.Label, "The question", true, MaxLabelLen)
		checkText(n("help"), f.Help, "The help text", false, MaxLabelLen)
		if f.Type == Scale {
			lo, hi := f.Bounds()
			switch {
			case lo < MinScaleLow || hi > MaxScaleHigh:
				v.Add(n("max"), fmt.Sprintf("A scale runs between %d and %d.", MinScaleLow, MaxScaleHigh))
			case lo >= hi:
				v.Add(n("max"), "The highest value must be more than the lowest.")
			case hi-lo > 20:
				v.Add(n("max"), "A scale can have at most 21 steps.")
			}
		}
		if f.Type.Numeric() {
			checkText(n("min_label"), f.MinLabel, "The label for the low end", false, maxOptionLabel)
			checkText(n("max_label"), f.MaxLabel, "The label for the high end", false, maxOptionLabel)
		}
		if f.Tracked && !f.Type.Numeric() && f.Type != YesNo && !f.Type.HasOptions() {
			v.Add(n("tracked"), "Only scales, percents, choices, checklists and yes/no questions can be tracked.")
		}
		if f.Type.HasOptions() {
			if len(f.Options) < 2 {
				v.Add(n("options"), "Give at least two options, one per line.")
			}
			if len(f.Options) > MaxOptions {
				v.Add(n("options"), fmt.Sprintf("Give at most %d options.", MaxOptions))
			}
			keys := map[string]bool{}
			for _, o := range f.Options {
				if !keyRe.MatchString(o.Key) || keys[o.Key] {
					v.Add(n("options"), "Each option needs a different label.")
					break
				}
				keys[o.Key] = true
				if strings.TrimSpace(o.Label) == "" || utf8.RuneCountInString(o.Label) > maxOptionLabel || !utf8.ValidString(o.Label) {
					v.Add(n("options"), fmt.Sprintf("Each option needs a label of at most %d characters.", maxOptionLabel))
					break
				}
			}
		}
	}
	if d.Sentence != "" {
		for _, m := range sentenceRe.FindAllStringSubmatch(d.Sentence, -1) {
			if _, ok := seen[m[1]]; !ok {
				v.Add("sentence", fmt.Sprintf("The sentence uses {%s}, but no question has that code now. Each question shows its code beside its number.", m[1]))
			}
		}
	}
	return v.Err()
}

var sentenceRe = regexp.MustCompile(`\{([a-z][a-z0-9_]*)\}`)

// ComposeSentence fills the definition's sentence from answers, each part
// shown as the client reads it (a choice's label, never its key); it
// returns "" when there is no sentence or any of its parts is empty.
func (d Definition) ComposeSentence(a Answers) string {
	if d.Sentence == "" {
		return ""
	}
	fields := make(map[string]Field, len(d.Fields))
	for _, f := range d.Fields {
		fields[f.Key] = f
	}
	complete := true
	out := sentenceRe.ReplaceAllStringFunc(d.Sentence, func(m string) string {
		key := m[1 : len(m)-1]
		shown := make([]string, 0, len(a[key]))
		for _, v := range a[key] {
			if f, ok := fields[key]; ok {
				v = f.Show(v)
			}
			shown = append(shown, v)
		}
		part := strings.TrimRight(strings.TrimSpace(strings.Join(shown, ", ")), ".")
		if part == "" {
			complete = false
		}
		return part
	})
	if !complete {
		return ""
	}
	return out
}

// Slug makes an option key from its label: lower-case ASCII letters and
// digits joined by _, never empty.
func Slug(label string, i int) string {
	var b strings.Builder
	lastUnderscore := true
	for _, r := range strings.ToLower(label) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
			lastUnderscore = false
		case !lastUnderscore:
			b.WriteByte('_')
			lastUnderscore = true
		}
		if b.Len() >= 30 {
			break
		}
	}
	s := strings.Trim(b.String(), "_")
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		s = fmt.Sprintf("option_%d", i+1)
		if b.Len() > 0 && strings.Trim(b.String(), "_") != "" {
			s = "o_" + strings.Trim(b.String(), "_")
		}
	}
	return s
}
