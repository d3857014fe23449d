package exercise

import (
	"net/url"
	"strings"
	"testing"

	"github.com/trellis-app/trellis/internal/errkind"
)

var checkDef = Definition{Title: "t", Fields: []Field{
	{Key: "long", Type: LongText, Label: "l", Required: true},
	{Key: "short", Type: ShortText, Label: "s"},
	{Key: "scale", Type: Scale, Label: "sc", Min: ptr(1), Max: ptr(5), Tracked: true},
	{Key: "pct", Type: Percent, Label: "p", Tracked: true},
	{Key: "pick", Type: Choice, Label: "c", Options: []Option{{"a", "A"}, {"b", "B"}}},
	{Key: "ticks", Type: Checklist, Label: "k", Options: []Option{{"x", "X"}, {"y", "Y"}}},
	{Key: "yn", Type: YesNo, Label: "y", Tracked: true},
	{Key: "day", Type: Date, Label: "d"},
}}

func ptr(n int) *int { return &n }

func TestCheckAnswers(t *testing.T) {
	valid := url.Values{"a.long": {"something"}, "a.scale": {"3"}, "a.pct": {"40"}, "a.pick": {"b"}, "a.ticks": {"x", "y"}, "a.yn": {"no"}, "a.day": {"2026-02-28"}}
	if err := checkDef.Check(AnswersFromForm(checkDef, valid)); err != nil {
		t.Fatalf("valid answers refused: %v", err)
	}
	tests := []struct {
		name  string
		field string
		value []string
	}{
		{"required long text missing", "long", nil},
		{"long text over 50,000 characters", "long", []string{strings.Repeat("é", MaxLongAnswer+1)}},
		{"short text over 500", "short", []string{strings.Repeat("a", MaxShortAnswer+1)}},
		{"invalid UTF-8", "short", []string{"ab\xffcd"}},
		{"scale below min", "scale", []string{"0"}},
		{"scale above max", "scale", []string{"6"}},
		{"scale not a number", "scale", []string{"three"}},
		{"percent above 100", "pct", []string{"101"}},
		{"unknown option", "pick", []string{"z"}},
		{"two answers to a single choice", "pick", []string{"a", "b"}},
		{"unknown checklist key", "ticks", []string{"x", "nope"}},
		{"yes/no other", "yn", []string{"maybe"}},
		{"impossible date", "day", []string{"2026-02-30"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form := url.Values{}
			for k, v := range valid {
				form[k] = v
			}
			form.Del("a." + tt.field)
			for _, v := range tt.value {
				form.Add("a."+tt.field, v)
			}
			inv, ok := errkind.AsInvalid(checkDef.Check(AnswersFromForm(checkDef, form)))
			if !ok || inv.Fields["a."+tt.field] == "" {
				t.Fatalf("no message for a.%s: %v", tt.field, inv)
			}
			if len(inv.Fields) != 1 {
				t.Errorf("messages for other fields too: %v", inv.Fields)
			}
		})
	}
	// Exactly 50,000 characters is allowed.
	form := url.Values{"a.long": {strings.Repeat("ü", MaxLongAnswer)}}
	if inv, ok := errkind.AsInvalid(checkDef.Check(AnswersFromForm(checkDef, form))); ok && inv.Fields["a.long"] != "" {
		t.Errorf("50,000 characters refused: %s", inv.Fields["a.long"])
	}
}

func TestAnswersKeepLongTextExactlyAndDropOtherFields(t *testing.T) {
	form := url.Values{"a.long": {"  two spaces kept\n"}, "a.short": {"  trimmed  "}, "a.unknown": {"ignored"}, "role": {"admin"}}
	a := AnswersFromForm(checkDef, form)
	if a.First("long") != "  two spaces kept\n" || a.First("short") != "trimmed" {
		t.Errorf("answers = %q", a)
	}
	if _, ok := a["unknown"]; ok {
		t.Error("a field the exercise does not have was kept")
	}
}

func TestTrackedValues(t *testing.T) {
	a := AnswersFromForm(checkDef, url.Values{"a.scale": {"4"}, "a.pct": {"75"}, "a.yn": {"yes"}, "a.pick": {"a"}})
	got := checkDef.Tracked(a)
	if len(got) != 3 || got["scale"] != 4 || got["pct"] != 75 || got["yn"] != 1 {
		t.Errorf("Tracked = %v", got)
	}
}

func TestComposeSentence(t *testing.T) {
	d := Definition{Sentence: "I feel {f} when {w}."}
	if got := d.ComposeSentence(map[string]string{"f": "worried", "w": "plans change."}); got != "I feel worried when plans change." {
		t.Errorf("sentence = %q", got)
	}
	if got := d.ComposeSentence(map[string]string{"f": "worried"}); got != "" {
		t.Errorf("incomplete sentence = %q, want empty", got)
	}
}
