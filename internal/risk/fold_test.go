package risk

import (
	"reflect"
	"testing"
)

func TestNormalizeFoldsAccentsPerScript(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain ASCII stays", "plain ASCII stays"},
		{"Suicídio, CORAZÓN, naïve, Ça", "Suicidio, CORAZON, naive, Ca"},
		{"Nguyễn Thị Hương muốn chết", "Nguyen Thi Huong muon chet"},
		{"Đừng", "Dung"},
		{"Chcę się zabić, łzy, Żółć", "Chce sie zabic, lzy, Zolc"},
		{"Straße, Œuvre", "Strasse, OEuvre"},
		{"Θέλω να πεθάνω, ΐ", "Θελω να πεθανω, ι"},
		{"Всё, ещё, Ёлка, мой, йод", "Все, еще, Елка, мой, йод"},
		{"أريد أن أموت، إنهاء، آخر، مَدْرَسَة، حياةٌ، مستشفى", "اريد ان اموت، انهاء، اخر، مدرسه، حياه، مستشفي"},
		{"قـــتـــل", "قتل"},
		{"e\u0301 decomposed", "e decomposed"},
	}
	for _, tt := range tests {
		got, offs := normalize(tt.in)
		if got != tt.want {
			t.Errorf("normalize(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got == tt.in {
			continue
		}
		if len(offs) != len(got)+1 || offs[len(got)] != len(tt.in) {
			t.Fatalf("normalize(%q): %d offsets for %d bytes, last %d", tt.in, len(offs), len(got), offs[len(offs)-1])
		}
		for i := 1; i < len(offs); i++ {
			if offs[i] < offs[i-1] {
				t.Fatalf("normalize(%q): offsets go back at %d: %v", tt.in, i, offs)
			}
		}
	}
}

// A match is reported in the client's own spelling, accents and all, at
// the right bytes of what they wrote.
func TestScanReportsPhrasesAsWrittenInAnyScript(t *testing.T) {
	s, err := parse("test.txt", "[a]\nsuicidio\nпокончить с собой\nθέλω να πεθάνω\nmuốn chết\nأريد أن أموت\n")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ text, want string }{
		{"Pienso en el SUICÍDIO a veces.", "SUICÍDIO"},
		{"Pienso en el suicidio.", "suicidio"},
		{"Иногда я думаю о том, чтобы покончить с собой.", "покончить с собой"},
		{"Μερικές φορές θελω να πεθανω.", "θελω να πεθανω"},
		{"ΘΈΛΩ ΝΑ ΠΕΘΆΝΩ", "ΘΈΛΩ ΝΑ ΠΕΘΆΝΩ"},
		{"Em muon chet qua", "muon chet"},
		{"Em muốn chết.", "muốn chết"},
		{"Em muo\u0302\u0301n che\u0302\u0301t.", "muo\u0302\u0301n che\u0302\u0301t"},
		{"أحيانا أُرِيدُ أَنْ أَمُوتَ", "أُرِيدُ أَنْ أَمُوتَ"},
	}
	for _, tt := range tests {
		ms := s.Scan(tt.text)
		checkMatches(t, tt.text, ms)
		if len(ms) != 1 || ms[0].Phrase != tt.want || ms[0].Language != "test" {
			t.Errorf("Scan(%q) = %+v, want one match %q", tt.text, ms, tt.want)
		}
	}
}

// Go's \b knows only ASCII, so before lists in other scripts a Cyrillic
// pattern never matched at all; now every script gets whole words.
func TestScanMatchesWholeWordsInEveryScript(t *testing.T) {
	s, err := parse("test.txt", "[a]\nжить\nkill\nπεθάνω\nθα πεθάνει\nقتل\n")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		text string
		want []string
	}{
		{"не хочу жить", []string{"жить"}},
		{"жить", []string{"жить"}},
		{"пережить это", nil},
		{"жить,жить жить", []string{"жить", "жить", "жить"}},
		{"skill kill killer kill", []string{"kill", "kill"}},
		{"πεθάνωσα", nil},
		{"ίσως θα πεθάνει", []string{"θα πεθάνει"}},
		{"قتل", []string{"قتل"}},
		{"مقتل", nil},
		{"kill_me", nil},
		{"kill2", nil},
	} {
		var got []string
		for _, m := range s.Scan(tt.text) {
			got = append(got, m.Phrase)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Scan(%q) = %q, want %q", tt.text, got, tt.want)
		}
		if slow := scanSlow(s, tt.text); !reflect.DeepEqual(slow, s.Scan(tt.text)) {
			t.Errorf("Scan(%q) and the slow scan differ: %+v", tt.text, slow)
		}
	}
}
