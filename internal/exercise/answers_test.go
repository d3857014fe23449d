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
		{"required long text only spaces", "long", []string{" \n\t "}},
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
	if got := d.ComposeSentence(Answers{"f": {"worried"}, "w": {"plans change."}}); got != "I feel worried when plans change." {
		t.Errorf("sentence = %q", got)
	}
	if got := d.ComposeSentence(Answers{"f": {"worried"}}); got != "" {
		t.Errorf("incomplete sentence = %q, want empty", got)
	}
}

// A sentence reads as the client chose: option labels, never the keys
// they are stored under, and dates as people write them.
func TestComposeSentenceShowsLabelsNotKeys(t *testing.T) {
	d := Definition{Sentence: "I want to talk with {who} about {what} on {when}.", Fields: []Field{
		{Key: "who", Type: Choice, Label: "Who?", Options: []Option{{Key: "my_partner", Label: "my partner"}, {Key: "a_friend", Label: "a friend"}}},
		{Key: "what", Type: Checklist, Label: "What?", Options: []Option{{Key: "money", Label: "money"}, {Key: "late_nights", Label: "late nights"}}},
		{Key: "when", Type: Date, Label: "When?"},
	}}
	got := d.ComposeSentence(Answers{"who": {"my_partner"}, "what": {"money", "late_nights"}, "when": {"2026-12-02"}})
	if want := "I want to talk with my partner about money, late nights on 2 Dec 2026."; got != want {
		t.Errorf("sentence = %q, want %q", got, want)
	}
}

// Answers are read back with labels and readable dates: the sent view, the
// review page and the PDF all show Readable.
func TestReadableShowsLabelsAndDates(t *testing.T) {
	d := Definition{Fields: []Field{
		{Key: "who", Type: Choice, Label: "Who?", Options: []Option{{Key: "my_partner", Label: "My partner"}}},
		{Key: "when", Type: Date, Label: "When?"},
	}}
	got := d.Readable(Answers{"who": {"my_partner"}, "when": {"2026-12-02"}})
	if len(got) != 2 || got[0].Answers[0] != "My partner" || got[1].Answers[0] != "2 Dec 2026" {
		t.Errorf("Readable = %+v", got)
	}
}
