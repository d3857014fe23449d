package risk

import (
	"reflect"
	"strings"
	"testing"
)

func TestUncoveredScriptsNamesWhatNoListChecks(t *testing.T) {
	s := newScanner(t)
	for _, tt := range []struct {
		text string
		want []string
	}{
		{"I feel better this week.", nil},
		{"Иногда мне грустно. Ελένη. Nguyễn. مرحبا", nil},
		{"Some days: אני רוצה למות", []string{"Hebrew"}},
		{"我很好。私は元気です。안녕하세요 🙂 123", []string{"Han", "Hiragana", "Hangul"}},
		{"नमस्ते and สวัสดี", []string{"Devanagari", "Thai"}},
	} {
		if got := s.UncoveredScripts(tt.text); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("UncoveredScripts(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
}

func TestEveryLanguageTheIssueNamesHasAList(t *testing.T) {
	s := newScanner(t)
	var got []string
	for _, l := range s.Languages() {
		got = append(got, l.Code)
		if l.Name() == "" || len(l.Scripts) == 0 {
			t.Errorf("%s: name %q, scripts %q", l.Code, l.Name(), l.Scripts)
		}
	}
	for _, code := range strings.Fields("en es fr de pt ru el vi pl it ar") {
		if !strings.Contains(" "+strings.Join(got, " ")+" ", " "+code+" ") {
			t.Errorf("no phrase list for %s (%s); lists: %v", code, LanguageName(code), got)
		}
	}
}

// The sentence a client wrote in Russian, which once gave no crisis box.
func TestRussianSuicidalSentenceIsFlagged(t *testing.T) {
	s := newScanner(t)
	text := "Иногда я думаю о том, чтобы покончить с собой. Я не хочу больше жить."
	ms := s.Scan(text)
	if !reflect.DeepEqual(Categories(ms), []string{"suicide"}) {
		t.Fatalf("Scan(%q) = %+v, want suicide", text, ms)
	}
	for _, m := range ms {
		if m.Language != "ru" {
			t.Errorf("%q matched from the %q list, want ru", m.Phrase, m.Language)
		}
	}
}
