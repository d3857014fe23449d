package exercise_test

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/trellis-app/trellis/internal/exercise"
	"github.com/trellis-app/trellis/internal/testkit"
)

// wantField is a field other code depends on: charts, reports and the
// composed "I" statement read these keys.
type wantField struct {
	key      string
	typ      exercise.FieldType
	tracked  bool
	required bool     // checked only when true: must be required
	options  []string // for choices: exactly these option keys, in order
}

// builtinSpec lists, per built-in, the fields with a fixed contract.
var builtinSpec = map[string][]wantField{
	"roots-of-mistrust": {
		{key: "mistrust_strength", typ: exercise.Scale, tracked: true, required: true},
	},
	"trust-thought-record": {
		{key: "intensity_before", typ: exercise.Percent, tracked: true, required: true},
		{key: "intensity_after", typ: exercise.Percent, tracked: true, required: true},
	},
	"honest-conversation": {
		{key: "i_feel", typ: exercise.ShortText, required: true},
		{key: "i_when", typ: exercise.ShortText, required: true},
		{key: "i_because", typ: exercise.ShortText, required: true},
		{key: "i_need", typ: exercise.ShortText, required: true},
		{key: "worry_before", typ: exercise.Scale, tracked: true},
		{key: "worry_after", typ: exercise.Scale, tracked: true},
	},
	"boundaries-expectations": {
		{key: "realism", typ: exercise.Scale, tracked: false},
		{key: "protect_or_wall", typ: exercise.Choice},
	},
	"trust-ladder": {
		{key: "risk", typ: exercise.Scale, tracked: true},
		{key: "anxiety_after", typ: exercise.Scale, tracked: true},
		{key: "handled", typ: exercise.Choice, tracked: true, options: []string{"better", "as_expected", "worse"}},
	},
	"forgiveness-reflection": {
		{key: "readiness", typ: exercise.Scale, tracked: true},
	},
	"weekly-trust-check-in": {
		{key: "open_communication", typ: exercise.Scale, tracked: true, required: true},
		{key: "respect", typ: exercise.Scale, tracked: true, required: true},
		{key: "consistency", typ: exercise.Scale, tracked: true, required: true},
		{key: "empathy", typ: exercise.Scale, tracked: true, required: true},
		{key: "forgiveness", typ: exercise.Scale, tracked: true, required: true},
		{key: "overall", typ: exercise.Scale, tracked: true, required: true},
		{key: "note", typ: exercise.LongText},
	},
	"worth-and-trust": {
		{key: "belief_before", typ: exercise.Percent, tracked: true, required: true},
		{key: "belief_after", typ: exercise.Percent, tracked: true, required: true},
	},
}

// forbiddenWords must not appear in any client- or therapist-facing text
// of the library: no diagnosis, no clinical labels for the client.
var forbiddenWords = []string{"diagnos", "disorder", "patient"}

const maxIntroChars = 600

// loadBuiltins reads every built-in at its latest version from a freshly
// migrated database. Standard measures are left out: their wording is the
// published one, checked against reference copies in internal/measure.
func loadBuiltins(t *testing.T) map[string]exercise.Definition {
	t.Helper()
	db := testkit.DB(t)
	var rows []struct {
		Key        string `db:"builtin_key"`
		Latest     int    `db:"latest_version"`
		Definition []byte `db:"definition"`
	}
	err := db.Select(&rows, `SELECT e.builtin_key, e.latest_version, v.definition
		FROM exercises e JOIN exercise_versions v ON v.exercise_id = e.id AND v.version = e.latest_version
		WHERE e.practice_id IS NULL AND NOT v.definition ? 'measure' ORDER BY e.builtin_key`)
	if err != nil {
		t.Fatalf("load built-ins: %v", err)
	}
	out := map[string]exercise.Definition{}
	for _, r := range rows {
		if r.Latest != 1 {
			t.Errorf("%s: latest_version = %d, want 1", r.Key, r.Latest)
		}
		// Unknown properties are refused so a misspelt key ("min_lable")
		// cannot be silently dropped.
		dec := json.NewDecoder(bytes.NewReader(r.Definition))
		dec.DisallowUnknownFields()
		var d exercise.Definition
		if err := dec.Decode(&d); err != nil {
			t.Fatalf("%s: decode definition: %v", r.Key, err)
		}
		if _, dup := out[r.Key]; dup {
			t.Fatalf("%s: loaded twice", r.Key)
		}
		out[r.Key] = d
	}
	return out
}

func findField(d exercise.Definition, key string) (exercise.Field, bool) {
	for _, f := range d.Fields {
		if f.Key == key {
			return f, true
		}
	}
	return exercise.Field{}, false
}

// texts returns every piece of text in a definition, named for messages.
func texts(d exercise.Definition) map[string]string {
	out := map[string]string{
		"title":    d.Title,
		"purpose":  d.Purpose,
		"intro":    d.Intro,
		"sentence": d.Sentence,
	}
	for _, f := range d.Fields {
		out[f.Key+".label"] = f.Label
		out[f.Key+".help"] = f.Help
		out[f.Key+".min_label"] = f.MinLabel
		out[f.Key+".max_label"] = f.MaxLabel
		for _, o := range f.Options {
			out[f.Key+".option."+o.Key] = o.Label
		}
	}
	return out
}

func TestBuiltinExercises(t *testing.T) {
	builtins := loadBuiltins(t)

	t.Run("exactly the eight built-ins", func(t *testing.T) {
		var got, want []string
		for k := range builtins {
			got = append(got, k)
		}
		for k := range builtinSpec {
			want = append(want, k)
		}
		slices.Sort(got)
		slices.Sort(want)
		if len(want) != 8 {
			t.Fatalf("the spec lists %d built-ins, want 8", len(want))
		}
		if !slices.Equal(got, want) {
			t.Errorf("built-in keys = %v, want %v", got, want)
		}
	})

	for key, spec := range builtinSpec {
		t.Run(key, func(t *testing.T) {
			d, ok := builtins[key]
			if !ok {
				t.Fatalf("built-in %q is missing", key)
			}
			if err := exercise.Validate(d); err != nil {
				t.Errorf("Validate: %v", err)
			}
			if strings.TrimSpace(d.Title) == "" || strings.TrimSpace(d.Purpose) == "" {
				t.Errorf("title %q and purpose %q must both be set", d.Title, d.Purpose)
			}
			if d.Minutes <= 0 {
				t.Errorf("minutes = %d, want an estimate above 0", d.Minutes)
			}
			if strings.TrimSpace(d.Intro) == "" {
				t.Errorf("intro is empty")
			}
			if n := utf8.RuneCountInString(d.Intro); n >= maxIntroChars {
				t.Errorf("intro is %d characters, want under %d", n, maxIntroChars)
			}
			if !slices.ContainsFunc(d.Fields, func(f exercise.Field) bool { return f.Required }) {
				t.Errorf("no question is required; mark the heart of the exercise required")
			}

			for _, w := range spec {
				f, ok := findField(d, w.key)
				if !ok {
					t.Errorf("field %q is missing", w.key)
					continue
				}
				if f.Type != w.typ {
					t.Errorf("field %q: type %q, want %q", w.key, f.Type, w.typ)
				}
				if f.Tracked != w.tracked {
					t.Errorf("field %q: tracked = %v, want %v", w.key, f.Tracked, w.tracked)
				}
				if w.required && !f.Required {
					t.Errorf("field %q: not required, want required", w.key)
				}
				if w.options != nil {
					var keys []string
					for _, o := range f.Options {
						keys = append(keys, o.Key)
					}
					if !slices.Equal(keys, w.options) {
						t.Errorf("field %q: option keys %v, want %v", w.key, keys, w.options)
					}
				}
			}

			// Every scale in the library runs 0–10, stated explicitly, with
			// words at both ends; percents get end words too.
			for _, f := range d.Fields {
				if f.Type == exercise.Scale {
					if f.Min == nil || f.Max == nil || *f.Min != 0 || *f.Max != 10 {
						t.Errorf("scale %q: want explicit min 0 and max 10, got min %v max %v", f.Key, deref(f.Min), deref(f.Max))
					}
				}
				if f.Type.Numeric() && (strings.TrimSpace(f.MinLabel) == "" || strings.TrimSpace(f.MaxLabel) == "") {
					t.Errorf("%s %q: both end labels must be set, got %q / %q", f.Type, f.Key, f.MinLabel, f.MaxLabel)
				}
			}

			for name, text := range texts(d) {
				lower := strings.ToLower(text)
				for _, word := range forbiddenWords {
					if strings.Contains(lower, word) {
						t.Errorf("%s contains %q: %q", name, word, text)
					}
				}
			}
		})
	}

	t.Run("check-in scales are required, tracked and 0-10", func(t *testing.T) {
		d := builtins["weekly-trust-check-in"]
		for _, key := range []string{"open_communication", "respect", "consistency", "empathy", "forgiveness", "overall"} {
			f, ok := findField(d, key)
			if !ok {
				t.Errorf("field %q is missing", key)
				continue
			}
			if lo, hi := f.Bounds(); f.Type != exercise.Scale || !f.Required || !f.Tracked || lo != 0 || hi != 10 {
				t.Errorf("field %q: type %s required %v tracked %v bounds %d–%d; want a required, tracked 0–10 scale",
					key, f.Type, f.Required, f.Tracked, lo, hi)
			}
		}
	})

	t.Run("honest conversation composes the I statement", func(t *testing.T) {
		d := builtins["honest-conversation"]
		for _, part := range []string{"{i_feel}", "{i_when}", "{i_because}", "{i_need}"} {
			if !strings.Contains(d.Sentence, part) {
				t.Errorf("sentence %q does not use %s", d.Sentence, part)
			}
		}
		answers := exercise.Answers{
			"i_feel":    {"worried"},
			"i_when":    {"plans change at the last minute"},
			"i_because": {"I start to wonder if I matter"},
			"i_need":    {"a text when plans change."},
		}
		got := d.ComposeSentence(answers)
		if got == "" {
			t.Fatalf("ComposeSentence with all four parts returned nothing (sentence %q)", d.Sentence)
		}
		for _, a := range answers {
			if !strings.Contains(got, strings.TrimRight(a[0], ".")) {
				t.Errorf("composed sentence %q does not contain the answer %q", got, a)
			}
		}
		if strings.Contains(got, "{") || strings.Contains(got, "..") {
			t.Errorf("composed sentence %q has leftovers", got)
		}
		delete(answers, "i_because")
		if got := d.ComposeSentence(answers); got != "" {
			t.Errorf("ComposeSentence with a part missing = %q, want empty", got)
		}
	})

	t.Run("forgiveness says it is not reconciling or forgetting", func(t *testing.T) {
		intro := strings.ToLower(builtins["forgiveness-reflection"].Intro)
		for _, want := range []string{"reconcil", "forget", "do not have to be ready"} {
			if !strings.Contains(intro, want) {
				t.Errorf("forgiveness intro does not say %q: %q", want, intro)
			}
		}
	})
}

func deref(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}
