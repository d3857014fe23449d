package server

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/trellis-app/trellis/internal/errkind"
	"github.com/trellis-app/trellis/internal/exercise"
)

// The exercise builder works without JavaScript: the whole definition
// travels in the form, and each button (add, move, remove, preview, save)
// posts it back with an "op". Only "save" writes a new version.

// builderField is one field as the builder's form shows it: numbers and
// options as typed, so a mistake is shown back exactly.
type builderField struct {
	Index                                 int
	Key, Type, Label, Help                string
	Required, Tracked                     bool
	Min, Max, MinLabel, MaxLabel, Options string
	OptionKeys                            string // JSON label→key of the options as loaded
}

func (f builderField) Name(prop string) string { return exercise.FieldName(f.Index, prop) }

// TypeOf is the field's type for the template.
func (f builderField) TypeOf() exercise.FieldType { return exercise.FieldType(f.Type) }

// Code is how the sentence refers to the field's answer: "{q3}". Keys are
// kept when questions move or go, so the builder shows each one beside
// its question rather than let "Question 2" silently be {q3}.
func (f builderField) Code() string { return "{" + f.Key + "}" }

type builderForm struct {
	Title, Purpose, Intro, Minutes, Sentence string
	Fields                                   []builderField
}

// builderFromDefinition fills the form from a saved definition.
func builderFromDefinition(d exercise.Definition) builderForm {
	b := builderForm{Title: d.Title, Purpose: d.Purpose, Intro: d.Intro, Sentence: d.Sentence, Minutes: strconv.Itoa(d.Minutes)}
	for i, f := range d.Fields {
		bf := builderField{Index: i, Key: f.Key, Type: string(f.Type), Label: f.Label, Help: f.Help, Required: f.Required, Tracked: f.Tracked,
			MinLabel: f.MinLabel, MaxLabel: f.MaxLabel}
		if f.Type == exercise.Scale {
			lo, hi := f.Bounds()
			bf.Min, bf.Max = strconv.Itoa(lo), strconv.Itoa(hi)
		}
		if len(f.Options) > 0 {
			labels := make([]string, len(f.Options))
			keys := map[string]string{}
			for j, o := range f.Options {
				labels[j] = o.Label
				keys[o.Label] = o.Key
			}
			bf.Options = strings.Join(labels, "\n")
			js, _ := json.Marshal(keys)
			bf.OptionKeys = string(js)
		}
		b.Fields = append(b.Fields, bf)
	}
	return b
}

// bindBuilder reads the builder form.
func bindBuilder(c *gin.Context) builderForm {
	b := builderForm{
		Title: c.PostForm("title"), Purpose: c.PostForm("purpose"), Intro: c.PostForm("intro"),
		Minutes: c.PostForm("minutes"), Sentence: c.PostForm("sentence"),
	}
	n, _ := strconv.Atoi(c.PostForm("field_count"))
	if n < 0 || n > exercise.MaxFields+1 {
		n = 0
	}
	for i := range n {
		get := func(p string) string { return c.PostForm(exercise.FieldName(i, p)) }
		b.Fields = append(b.Fields, builderField{
			Index: i, Key: get("key"), Type: get("type"), Label: get("label"), Help: get("help"),
			Required: get("required") != "", Tracked: get("tracked") != "",
			Min: get("min"), Max: get("max"), MinLabel: get("min_label"), MaxLabel: get("max_label"),
			Options: get("options"), OptionKeys: get("option_keys"),
		})
	}
	return b
}

// apply performs a builder operation that only changes the form: add,
// move or remove a field. It reports whether op was one.
func (b *builderForm) apply(op, addType string) bool {
	verb, arg, _ := strings.Cut(op, "-")
	i, err := strconv.Atoi(arg)
	inRange := err == nil && i >= 0 && i < len(b.Fields)
	switch {
	case verb == "add":
		t := exercise.FieldType(addType)
		if !t.Valid() {
			t = exercise.LongText
		}
		f := builderField{Key: b.freeKey(), Type: string(t), Required: false}
		if t == exercise.Scale {
			f.Min, f.Max = "0", "10"
		}
		b.Fields = append(b.Fields, f)
	case verb == "up" && inRange && i > 0:
		b.Fields[i-1], b.Fields[i] = b.Fields[i], b.Fields[i-1]
	case verb == "down" && inRange && i < len(b.Fields)-1:
		b.Fields[i+1], b.Fields[i] = b.Fields[i], b.Fields[i+1]
	case verb == "remove" && inRange:
		b.Fields = append(b.Fields[:i], b.Fields[i+1:]...)
	default:
		return false
	}
	for j := range b.Fields {
		b.Fields[j].Index = j
	}
	return true
}

// SentenceHint says how the sentence names answers, with the codes of the
// questions as they stand now.
func (b builderForm) SentenceHint() string {
	hint := "Put a question's code where its answer goes, for example: I feel {q1} when {q2}."
	var codes []string
	for i, f := range b.Fields {
		codes = append(codes, fmt.Sprintf("question %d is %s", i+1, f.Code()))
	}
	if len(codes) > 0 {
		hint += " Now " + strings.Join(codes, ", ") + "."
	}
	return hint
}

// errorForm orders the builder's messages as the page shows their fields
// and names each question's, for the summary at the top.
func (b builderForm) errorForm(errs map[string]string) Form {
	f := Form{Errors: errs, Fields: []string{"title", "purpose", "intro", "minutes", "sentence", "fields"}, Labels: map[string]string{}}
	for i := range b.Fields {
		for _, prop := range []string{"key", "type", "label", "help", "min", "max", "min_label", "max_label", "options", "tracked"} {
			name := exercise.FieldName(i, prop)
			f.Fields = append(f.Fields, name)
			f.Labels[name] = fmt.Sprintf("Question %d", i+1)
		}
	}
	return f
}

// sentenceError is what is wrong with the sentence as the questions now
// stand (one removed, say), or "".
func (b builderForm) sentenceError() string {
	d, _ := b.definition()
	if inv, ok := errkind.AsInvalid(exercise.Validate(d)); ok {
		return inv.Fields["sentence"]
	}
	return ""
}

// freeKey is a field key no field uses yet: q1, q2, ...
func (b builderForm) freeKey() string {
	used := map[string]bool{}
	for _, f := range b.Fields {
		used[f.Key] = true
	}
	for n := len(b.Fields) + 1; ; n++ {
		if k := fmt.Sprintf("q%d", n); !used[k] {
			return k
		}
	}
}

// definition converts the form to a definition, with messages for numbers
// that are not numbers; exercise.Validate checks the rest.
func (b builderForm) definition() (exercise.Definition, *errkind.Invalid) {
	v := errkind.NewInvalid()
	d := exercise.Definition{Title: strings.TrimSpace(b.Title), Purpose: strings.TrimSpace(b.Purpose), Intro: strings.TrimSpace(b.Intro),
		Sentence: strings.TrimSpace(b.Sentence)}
	if strings.TrimSpace(b.Minutes) == "" {
		d.Minutes = 0
	} else if m, err := strconv.Atoi(strings.TrimSpace(b.Minutes)); err != nil {
		v.Add("minutes", "Enter the estimated time as a whole number of minutes.")
	} else {
		d.Minutes = m
	}
	for _, bf := range b.Fields {
		f := exercise.Field{Key: strings.TrimSpace(bf.Key), Type: exercise.FieldType(bf.Type), Label: strings.TrimSpace(bf.Label),
			Help: strings.TrimSpace(bf.Help), Required: bf.Required, Tracked: bf.Tracked}
		if f.Type == exercise.Scale {
			for _, p := range []struct {
				prop, val string
				dst       **int
			}{{"min", bf.Min, &f.Min}, {"max", bf.Max, &f.Max}} {
				n, err := strconv.Atoi(strings.TrimSpace(p.val))
				if err != nil {
					v.Add(bf.Name(p.prop), "Enter a whole number.")
					continue
				}
				*p.dst = &n
			}
		}
		if f.Type.Numeric() {
			f.MinLabel, f.MaxLabel = strings.TrimSpace(bf.MinLabel), strings.TrimSpace(bf.MaxLabel)
		}
		if f.Type.HasOptions() {
			f.Options = options(bf.Options, bf.OptionKeys)
		}
		d.Fields = append(d.Fields, f)
	}
	return d, v
}

// options turns one label per line into options. A label that was there
// when the exercise was loaded keeps its key, so answers stay comparable
// across versions; a new label gets a key made from it.
func options(text, keysJSON string) []exercise.Option {
	known := map[string]string{}
	_ = json.Unmarshal([]byte(keysJSON), &known)
	used := map[string]bool{}
	var out []exercise.Option
	for i, line := range strings.Split(text, "\n") {
		label := strings.TrimSpace(line)
		if label == "" {
			continue
		}
		key, ok := known[label]
		if !ok || used[key] {
			key = exercise.Slug(label, i)
			for n := 2; used[key]; n++ {
				key = fmt.Sprintf("%s_%d", exercise.Slug(label, i), n)
			}
		}
		used[key] = true
		out = append(out, exercise.Option{Key: key, Label: label})
	}
	return out
}
