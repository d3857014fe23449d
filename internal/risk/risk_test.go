package risk

import (
	"errors"
	"fmt"
	"html/template"
	"reflect"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

// newScanner is the embedded lists' Scanner, compiled once per test
// binary (Shared): compiling takes most of a second, many times that
// under -race, and a Scanner never changes.
func newScanner(t testing.TB) *Scanner {
	t.Helper()
	s, err := Shared()
	if err != nil {
		t.Fatalf("Shared: %v", err)
	}
	return s
}

// checkMatches asserts what every Scan result must hold: offsets into the
// original text, in order, never overlapping.
func checkMatches(t *testing.T, text string, ms []Match) {
	t.Helper()
	prevEnd := 0
	for _, m := range ms {
		if m.Start < prevEnd || m.End <= m.Start || m.End > len(text) {
			t.Fatalf("bad span [%d,%d) after %d in %q: %+v", m.Start, m.End, prevEnd, text, ms)
		}
		if text[m.Start:m.End] != m.Phrase {
			t.Fatalf("text[%d:%d] = %q, Phrase = %q", m.Start, m.End, text[m.Start:m.End], m.Phrase)
		}
		prevEnd = m.End
	}
}

func TestNewLoadsEmbeddedListWithTheFourCategories(t *testing.T) {
	s := newScanner(t) // Shared, which is New run once
	want := []string{"suicide", "self-harm", "harm-to-others", "abuse"}
	if got := s.CategoryNames(); !reflect.DeepEqual(got, want) {
		t.Fatalf("categories = %v, want %v", got, want)
	}
	// Shared compiles once per process: every caller (each app the tests
	// build, each test here) gets that one Scanner.
	if again := newScanner(t); again != s {
		t.Error("Shared compiled the lists twice")
	}
}

type hit struct{ cat, phrase string }

func TestScanFlagsPhrasesAndTheirVariants(t *testing.T) {
	s := newScanner(t)
	tests := []struct {
		name string
		text string
		want []hit
	}{
		{"plain", "Some nights I want to kill myself.", []hit{{"suicide", "kill myself"}}},
		{"two words", "I keep wanting to kill my self", []hit{{"suicide", "kill my self"}}},
		{"misspelt myself", "maybe i should kill myslef", []hit{{"suicide", "kill myslef"}}},
		{"single l", "I could kil myself", []hit{{"suicide", "kil myself"}}},
		{"capitals", "I WANT TO END MY LIFE", []hit{{"suicide", "END MY LIFE"}}},
		{"suicidal", "I've had suicidal thoughts.", []hit{{"suicide", "suicidal"}}},
		{"suicidel", "feeling suicidel again", []hit{{"suicide", "suicidel"}}},
		{"sucide", "thinking of sucide", []hit{{"suicide", "sucide"}}},
		{"suiside", "im suiside", []hit{{"suicide", "suiside"}}},
		{"kms with a verb", "honestly gonna kms", []hit{{"suicide", "gonna kms"}}},
		{"kms as kilometres", "We drove 200 kms to see her parents.", nil},
		{"unalive", "I want to unalive myself", []hit{{"suicide", "unalive"}}},
		{"un-alive", "thoughts about how to un-alive", []hit{{"suicide", "un-alive"}}},
		{"repeated letters", "I want to diiiie", []hit{{"suicide", "want to diiiie"}}},
		{"doubled letters typed once", "they'd all be beter of dead", []hit{{"suicide", "beter of dead"}}},
		{"phrase across a line break", "I want to kill\nmyself", []hit{{"suicide", "kill\nmyself"}}},
		{"curly apostrophe", "I don’t want to be alive anymore", []hit{{"suicide", "don’t want to be alive anymore"}}},
		{"straight apostrophe", "I don't want to be alive anymore", []hit{{"suicide", "don't want to be alive anymore"}}},
		{"no apostrophe", "i dont want to be alive anymore", []hit{{"suicide", "dont want to be alive anymore"}}},
		{"left quote as apostrophe", "I don‘t want to be here anymore", []hit{{"suicide", "don‘t want to be here anymore"}}},
		{"self-harm hyphen", "The self-harm urges came back.", []hit{{"self-harm", "self-harm"}}},
		{"self harm space", "relapsed on self harm", []hit{{"self-harm", "self harm"}}},
		{"selfharm joined", "selfharm again", []hit{{"self-harm", "selfharm"}}},
		{"self–harm en dash", "self–harm", []hit{{"self-harm", "self–harm"}}},
		{"harmless is not harm", "It was a harmless joke.", nil},
		{"cut myself", "I cut myself last night.", []hit{{"self-harm", "cut myself"}}},
		{"want to hurt him", "I want to hurt him.", []hit{{"harm-to-others", "want to hurt him"}}},
		{"kill her", "I swear I will kill her.", []hit{{"harm-to-others", "I will kill her"}}},
		{"hits me", "He hits me when he drinks.", []hit{{"abuse", "He hits me"}}},
		{"choked me", "and then he choked me", []hit{{"abuse", "he choked me"}}},
		{"forced me", "She forced me to stay in the car.", []hit{{"abuse", "She forced me"}}},
		{"raped", "I was raped.", []hit{{"abuse", "was raped"}}},
		{"afraid for my life", "I'm afraid for my life.", []hit{{"abuse", "afraid for my life"}}},
		{"won't let me leave", "He won’t let me leave.", []hit{{"abuse", "He won’t let me leave"}}},
		{"two phrases in order", "I want to hurt myself. I want to end it all.", []hit{{"self-harm", "hurt myself"}, {"suicide", "end it all"}}},

		{"killing it", "I was killing it at work.", nil},
		{"traffic is killing me", "This traffic is killing me.", nil},
		{"dying to see", "I'm dying to see the film.", nil},
		{"dead tired", "I'm dead tired.", nil},
		{"kill for a coffee", "I could kill for a coffee.", nil},
		{"phone died", "My phone died.", nil},
		{"battery is dead", "The battery is dead.", nil},
		{"killer workout", "What a killer workout.", nil},
		{"cut the cake", "We cut the cake.", nil},
		{"hit the gym", "I hit the gym.", nil},
		{"nail on the head", "She hit the nail on the head.", nil},
		{"it hit me", "It hit me that he was right.", nil},
		{"hit me up", "He hit me up to say sorry.", nil},
		{"cut myself shaving", "I cut myself shaving.", nil},
		{"beat me at chess", "She beat me at chess.", nil},
		{"beat me in the face", "He beat me in the face.", []hit{{"abuse", "He beat me"}}},
		{"beats me, the idiom", "Why did he do it? Beats me.", nil},
		{"hurt her feelings", "I hurt her feelings.", nil},
		{"don't want to hurt him", "I don't want to hurt him again.", nil},
		{"live with my parents", "I don't want to live with my parents anymore.", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ms := s.Scan(tt.text)
			checkMatches(t, tt.text, ms)
			var got []hit
			for _, m := range ms {
				got = append(got, hit{m.Category, m.Phrase})
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Scan(%q) = %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}

func TestScanOffsetsAreBytesIntoTheOriginalText(t *testing.T) {
	s := newScanner(t)
	tests := []struct{ text, phrase string }{
		{"Ελένη said… I want to kill myself", "kill myself"},
		{"Nguyễn Thị Hương: “it’s late” — I don’t want to be alive anymore.", "don’t want to be alive anymore"},
		{"日本語のテキスト。 I hate it here and I cut myself again 🙁", "cut myself"},
	}
	for _, tt := range tests {
		ms := s.Scan(tt.text)
		if len(ms) != 1 {
			t.Fatalf("Scan(%q) = %+v, want one match", tt.text, ms)
		}
		m := ms[0]
		wantStart := strings.Index(tt.text, tt.phrase)
		// A rune offset would differ from the byte offset here; make sure the
		// test can tell them apart.
		if utf8.RuneCountInString(tt.text[:wantStart]) == wantStart {
			t.Fatalf("test text %q has no multi-byte runes before the phrase", tt.text)
		}
		if m.Start != wantStart || m.End != wantStart+len(tt.phrase) || m.Phrase != tt.phrase {
			t.Fatalf("Scan(%q) = %+v, want %q at [%d,%d)", tt.text, m, tt.phrase, wantStart, wantStart+len(tt.phrase))
		}
		if tt.text[m.Start:m.End] != tt.phrase {
			t.Fatalf("text[%d:%d] = %q", m.Start, m.End, tt.text[m.Start:m.End])
		}
	}
}

func TestOverlappingPhrasesGiveOneMatch(t *testing.T) {
	s := newScanner(t)
	tests := []struct {
		text string
		want hit
	}{
		// "threatened to kill" and "she ... kill me" overlap, across rules.
		{"She threatened to kill me.", hit{"abuse", "She threatened to kill me"}},
		// "thinking about killing myself" contains "killing myself".
		{"I keep thinking about killing myself.", hit{"suicide", "thinking about killing myself"}},
		// "I could kill her" (wish) and "kill her" (bare) overlap in one category.
		{"Honestly I could kill her", hit{"harm-to-others", "I could kill her"}},
		// "wish I could just die" and "want to die"-style rules share words.
		{"I wish I could just die", hit{"suicide", "wish I could just die"}},
	}
	for _, tt := range tests {
		ms := s.Scan(tt.text)
		checkMatches(t, tt.text, ms)
		if len(ms) != 1 || (hit{ms[0].Category, ms[0].Phrase}) != tt.want {
			t.Errorf("Scan(%q) = %+v, want exactly %q", tt.text, ms, tt.want)
		}
	}
}

func TestExceptionCancelsOnlyThePhraseItOverlaps(t *testing.T) {
	s := newScanner(t)
	text := "I cut myself shaving on Monday. On Friday I cut myself on purpose."
	ms := s.Scan(text)
	checkMatches(t, text, ms)
	want := strings.LastIndex(text, "cut myself")
	if len(ms) != 1 || ms[0].Start != want {
		t.Fatalf("Scan = %+v, want only the second \"cut myself\" at %d", ms, want)
	}
}

func TestParseAppliesSpellingRules(t *testing.T) {
	s, err := parse("test.txt", "[t]\nself-harm\ndon't stop\nkill me\n(hit|hits|hitting) you\n")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		text string
		want []string
	}{
		{"SELF HARM, self-harm, selfharm, self – harm, self‑harm", []string{"SELF HARM", "self-harm", "selfharm", "self – harm", "self‑harm"}},
		{"dont stop, don’t stop, don`t stop, don't  stop", []string{"dont stop", "don’t stop", "don`t stop", "don't  stop"}},
		{"kiiill meee, kil me, kill\tme", []string{"kiiill meee", "kil me", "kill\tme"}},
		{"hiting you, hitting you, hits yoouu", []string{"hiting you", "hitting you", "hits yoouu"}},
		{"skill meet, selfharmless, don'tstop, hitter you", nil},
	}
	for _, tt := range tests {
		var got []string
		for _, m := range s.Scan(tt.text) {
			got = append(got, m.Phrase)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Scan(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
}

func TestSingleLettersFoldsOnlyPlainDoubledLetters(t *testing.T) {
	tests := []struct{ in, want string }{
		{"hitting", "hiting"},
		{"kill|killing", "kil|kiling"},
		{"Ll", "L"},
		{`\bbad`, `\bbad`},
		{`\p{Greek}ee`, `\p{Greek}e`},
		{"[ss]s", "[ss]s"},
		{"[^]ll]ll", "[^]ll]l"},
		{"[[:alpha:]]oo", "[[:alpha:]]o"},
		{"kill?", "kill?"},
		{"kil+l", "kil+l"},
		{"(?i:ll)", "(?i:l)"},
		{"(?P<aa>x)", "(?P<aa>x)"},
	}
	for _, tt := range tests {
		if got := singleLetters(tt.in); got != tt.want {
			t.Errorf("singleLetters(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseRejectsABadLineAndNamesIt(t *testing.T) {
	tests := []struct {
		name     string
		content  string
		line     int
		contains string
	}{
		{"unbalanced group", "[suicide]\nkill myself\nkill(\n", 3, "missing closing )"},
		{"bad repeat", "# c\n[suicide]\nkill **\n", 3, "invalid nested repetition"},
		{"pattern before header", "kill myself\n", 1, "before any [category]"},
		{"bad header", "[Suicide]\nkill myself\n", 1, "bad section header"},
		{"duplicate header", "[a]\nx\n[a]\ny\n", 3, "appears twice"},
		{"empty section", "[a]\n[b]\nx\n", 1, "no patterns"},
		{"undefined piece", "[a]\nkill @who\n", 2, "@who is not defined"},
		{"bad piece", "@who = (him\n[a]\nx\n", 1, "missing closing )"},
		{"piece defined twice", "@who = him\n@who = her\n[a]\nx\n", 2, "defined twice"},
		{"matches empty text", "[a]\n(kill)?\n", 2, "empty text"},
		{"starts with punctuation", "[a]\n'cause\n", 2, "can start with"},
		{"ends with a space", "[a]\nkill( me| )\n", 2, "can end with"},
		{"ends with any character", "[a]\nkill.\n", 2, "can end with"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := parse("test.txt", tt.content)
			if err == nil {
				t.Fatalf("parse succeeded (%d categories), want an error on line %d", len(s.categories), tt.line)
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a *ParseError", err)
			}
			if pe.Line != tt.line {
				t.Errorf("error on line %d, want %d: %v", pe.Line, tt.line, err)
			}
			msg := err.Error()
			if !strings.Contains(msg, "test.txt line ") || !strings.Contains(msg, tt.contains) {
				t.Errorf("error %q should name the file and line and contain %q", msg, tt.contains)
			}
		})
	}
}

func TestParseNeedsACategory(t *testing.T) {
	if _, err := parse("test.txt", "# nothing\n[except]\nfoo\n"); err == nil {
		t.Fatal("parse of a file with only [except] succeeded")
	}
}

func TestScanIsSafeForConcurrentUse(t *testing.T) {
	s := newScanner(t)
	texts := []string{"I want to kill myself.", "He hits me.", "I'm dead tired.", "I cut myself again, and I want to hurt him."}
	want := make([][]Match, len(texts))
	for i, text := range texts {
		want[i] = s.Scan(text)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8*len(texts))
	for range 8 {
		wg.Go(func() {
			for i, text := range texts {
				if got := s.Scan(text); !reflect.DeepEqual(got, want[i]) {
					errs <- fmt.Sprintf("Scan(%q) = %+v, want %+v", text, got, want[i])
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func TestCategoriesInOrderOfFirstAppearance(t *testing.T) {
	ms := []Match{{Category: "abuse"}, {Category: "suicide"}, {Category: "abuse"}}
	if got := Categories(ms); !reflect.DeepEqual(got, []string{"abuse", "suicide"}) {
		t.Fatalf("Categories = %v", got)
	}
	if got := Categories(nil); len(got) != 0 {
		t.Fatalf("Categories(nil) = %v", got)
	}
}

func TestHighlightCoversTheTextAndMarksMatches(t *testing.T) {
	s := newScanner(t)
	text := "Ελένη: <b>I want to end it all</b> & he hits me."
	ms := s.Scan(text)
	segs := Highlight(text, ms)
	var joined strings.Builder
	var flagged []hit
	for _, sg := range segs {
		joined.WriteString(sg.Text)
		if sg.Flagged {
			flagged = append(flagged, hit{sg.Category, sg.Text})
		} else if sg.Category != "" {
			t.Errorf("unflagged segment %q has category %q", sg.Text, sg.Category)
		}
	}
	if joined.String() != text {
		t.Fatalf("segments join to %q, want %q", joined.String(), text)
	}
	want := []hit{{"suicide", "end it all"}, {"abuse", "he hits me"}}
	if !reflect.DeepEqual(flagged, want) {
		t.Fatalf("flagged = %q, want %q", flagged, want)
	}
}

func TestHighlightIgnoresMatchesItCannotTrust(t *testing.T) {
	text := "Ελένη hurt"
	good := Match{Category: "x", Start: len("Ελένη "), End: len(text)}
	bad := []Match{
		{Category: "x", Start: 1, End: 3},                     // cuts Ε in two
		{Category: "x", Start: 4, End: 100},                   // past the end
		{Category: "x", Start: 4, End: 4},                     // empty
		{Category: "x", Start: good.Start + 1, End: good.End}, // overlaps good
		{Category: "x", Start: -1, End: 2},                    // negative
		{Category: "x", Start: len(text), End: 1000},          // after the text
	}
	segs := Highlight(text, append(bad, good))
	want := []Segment{{Text: "Ελένη "}, {Text: "hurt", Flagged: true, Category: "x"}}
	if !reflect.DeepEqual(segs, want) {
		t.Fatalf("Highlight = %+v, want %+v", segs, want)
	}
}

func TestHighlightRendersSafelyInHTMLTemplate(t *testing.T) {
	s := newScanner(t)
	text := `<script>alert(1)</script> I want to kill myself`
	tmpl := template.Must(template.New("r").Parse(
		`{{range .}}{{if .Flagged}}<mark data-category="{{.Category}}">{{.Text}}</mark>{{else}}{{.Text}}{{end}}{{end}}`))
	var b strings.Builder
	if err := tmpl.Execute(&b, Highlight(text, s.Scan(text))); err != nil {
		t.Fatal(err)
	}
	want := `&lt;script&gt;alert(1)&lt;/script&gt; I want to <mark data-category="suicide">kill myself</mark>`
	if b.String() != want {
		t.Fatalf("rendered\n%s\nwant\n%s", b.String(), want)
	}
}

// ordinaryReflection is everyday writing from a weekly check-in; a few of
// its sentences touch the patterns' trigger words without matching.
var ordinaryReflection = []string{
	"This week was hard. We argued about money again and I walked away to cool off, which I think was the right call. ",
	"I used the “I feel … when … because …” sentence from our session, and he listened for once. ",
	"Ελένη from work said the traffic was killing her, and I laughed, which felt good. ",
	"On Thursday I trusted him with the car and it went fine; my worry was a 7 before and a 3 after. ",
	"I hit the gym instead of sending an angry text, and my sister called me later to check in. ",
	"My mum wants us all at dinner on Sunday, and I'm nervous about seeing my brother after what he said. ",
	"I noticed I was checking his phone in my head again, so I wrote the thought down and rated it 60%. ",
	"When I looked for facts that don't support the thought, I found more than I expected: he came home on time every day. ",
	"I'm not sure I'm ready to forgive her, but I want to understand what was going on for her back then. ",
	"The boundary I set about weekends held, even when my boss pushed me to come in on Saturday. ",
	"I felt hurt when he forgot to call, and I told him so without blaming, which is new for me. ",
	"My trust rating this week is a 6, up from a 4. Open communication was the best part, consistency the worst. ",
}

// reflection builds a text of n runes from ordinary sentences, with one of
// the flagged sentences after every few of them while they last, like a
// long weekly check-in.
func reflection(n, every int, flagged ...string) string {
	var b strings.Builder
	for i, f := 0, 0; utf8.RuneCountInString(b.String()) < n; i++ {
		b.WriteString(ordinaryReflection[i%len(ordinaryReflection)])
		if i%every == every-1 && f < len(flagged) {
			b.WriteString(flagged[f])
			f++
		}
	}
	return string([]rune(b.String())[:n])
}

func benchmarkScan(b *testing.B, text string, minMatches, maxMatches int) {
	s := newScanner(b)
	if n := utf8.RuneCountInString(text); n != 5000 {
		b.Fatalf("text has %d characters, want 5000", n)
	}
	if n := len(s.Scan(text)); n < minMatches || n > maxMatches {
		b.Fatalf("text has %d matches, want %d to %d", n, minMatches, maxMatches)
	}
	b.SetBytes(int64(len(text)))
	b.ResetTimer()
	for b.Loop() {
		s.Scan(text)
	}
}

// BenchmarkScan: a 5,000-character reflection with two flagged sentences.
func BenchmarkScan(b *testing.B) {
	benchmarkScan(b, reflection(5000, 7,
		"Some nights I still don’t want to be alive anymore, and I want you to know that. ",
		"He hits me when he drinks, less than before, but it still happens. ",
	), 2, 2)
}

// BenchmarkScanDense: the same length with a flagged sentence after every
// ordinary one, a worst case.
func BenchmarkScanDense(b *testing.B) {
	var flagged []string
	for range 20 {
		flagged = append(flagged,
			"Some nights I still don’t want to be alive anymore. ",
			"He hits me when he drinks. ",
			"I want to punch him when he lies, and I'm scared I'll hurt her. ")
	}
	benchmarkScan(b, reflection(5000, 1, flagged...), 30, 80)
}

// scanSlow is Scan without its shortcuts (pieces, triggers): every pattern
// over the whole folded text. Scan must give exactly the same answer.
func scanSlow(s *Scanner, text string) []Match {
	folded, offs := normalize(text)
	var except [][]int
	for i := range s.except {
		except = s.except[i].findAll(folded, except)
	}
	var fs []found
	for i := range s.patterns {
		for _, loc := range s.patterns[i].findAll(folded, nil) {
			if !overlapsAny(loc[0], loc[1], except) {
				fs = append(fs, found{loc[0], loc[1], &s.patterns[i]})
			}
		}
	}
	return s.pick(text, offs, fs)
}

// variants rewrites a text the ways clients' writing varies, to check that
// Scan's shortcuts hold up on them.
func variants(text string) []string {
	tripled := strings.NewReplacer("e", "eee", "i", "iii", "l", "lll", "o", "ooo")
	return []string{
		text,
		strings.ToUpper(text),
		tripled.Replace(text),
		strings.ReplaceAll(text, "'", "’"),
		strings.ReplaceAll(text, "'", ""),
		strings.ReplaceAll(text, " ", "\u00a0"),
		strings.ReplaceAll(text, " ", "  \n"),
		strings.ReplaceAll(text, "k", "\u212a"), // Kelvin sign, folds to k
		strings.ReplaceAll(text, " ", ", "),
		strings.ReplaceAll(text, "-", " – "),
		"Ελένη… " + text + "!!",
	}
}

func TestScanGivesTheSameMatchesAsTheSlowScan(t *testing.T) {
	s := newScanner(t)
	var all strings.Builder
	total := 0
	check := func(text string) {
		fast, slow := s.Scan(text), scanSlow(s, text)
		if !reflect.DeepEqual(fast, slow) {
			t.Errorf("Scan(%q)\n = %+v\nslow scan = %+v", text, fast, slow)
		}
		total += len(slow)
	}
	// Every corpus row of every language as written, and each row once
	// more in one of the ways clients' writing varies (row i in variant i,
	// in turn), so every variant meets every language. The slow scan runs
	// every pattern of every list over the whole text, so under -race,
	// which slows matching about tenfold, only every fifth row is checked:
	// make test runs this test once more without -race, in full.
	var rows []string
	for _, c := range readCorpora(t, s) {
		for _, r := range c.rows {
			rows = append(rows, r.text)
		}
	}
	n := 0
	for i, text := range rows {
		if raceEnabled && i%5 != 0 {
			continue
		}
		vs := variants(text)
		all.WriteString(text + "\n")
		all.WriteString(vs[1+n%(len(vs)-1)] + "\n")
		n++
	}
	check(all.String())
	check(reflection(5000, 1, "I want to die. ", "He hits me. ", "I'm scared I'll hurt her. "))
	// Guard against a vacuous pass: the slow scan must have found plenty.
	if total < 150 {
		t.Fatalf("only %d matches in all, the comparison proves little", total)
	}
}

func FuzzScanGivesTheSameMatchesAsTheSlowScan(f *testing.F) {
	s := newScanner(f)
	for _, seed := range []string{
		"I want to kill myself", "he hits me, and I’m afraid for my life", "self – harm", "KIIILL MYSELF",
		"I cut myself shaving. I cut myself.", "Ελένη said… I want to end it all", "\u212aill my self",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		fast, slow := s.Scan(text), scanSlow(s, text)
		if !reflect.DeepEqual(fast, slow) {
			t.Fatalf("Scan(%q)\n = %+v\nslow scan = %+v", text, fast, slow)
		}
		checkMatches(t, text, fast)
	})
}

func TestAutomatonFindsEveryOccurrence(t *testing.T) {
	words := []string{"HE", "SHE", "HIS", "HERS", "KIL", "KILING", "ING", "É", "SÉ", "A"}
	a := newAutomaton(words)
	for _, text := range []string{"USHERS", "SHEHISHERS KILING KIL", "AAA", "SÉÉ É", "", "NOTHING HERE", "KILKILING"} {
		got := make([]int, len(words))
		a.each([]byte(text), func(id int32) { got[id]++ })
		for id, w := range words {
			want := 0
			for i := 0; i+len(w) <= len(text); i++ {
				if text[i:i+len(w)] == w {
					want++
				}
			}
			if got[id] != want {
				t.Errorf("in %q, %q found %d times, want %d", text, w, got[id], want)
			}
		}
	}
}

func TestTextIsNotCutAtPunctuationAPatternUses(t *testing.T) {
	s, err := parse("test.txt", "[a]\nwell, no\nhurt (me|you)\n")
	if err != nil {
		t.Fatal(err)
	}
	if s.isDelim(',') {
		t.Fatal("',' is a delimiter although a pattern matches it")
	}
	if !s.isDelim('.') || !s.isDelim('…') {
		t.Fatal("'.' and '…' should be delimiters")
	}
	got := s.Scan("Oh well, no. It hurt me.")
	want := []Match{{"a", "well, no", 3, 11, "test"}, {"a", "hurt me", 16, 23, "test"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Scan = %+v, want %+v", got, want)
	}
}

// Patterns whose shape once tricked, or could trick, the trigger sets into
// hiding a match; Scan must agree with the slow scan and find each phrase.
func TestTriggersNeverHideAMatch(t *testing.T) {
	tests := []struct{ pattern, text, want string }{
		{`ab(x*cd)`, "an abxxcd here", "abxxcd"},
		{`ab(x*cd)`, "an abcd here", "abcd"},
		{`(ab|x*y)z`, "xxyz", "xxyz"},
		{`go(es)?( away)? now`, "goes now", "goes now"},
		{`kill(ing)? (him|her)`, "KIIILLING HER", "KIIILLING HER"},
		{`(w[ao]n+a|want to) go`, "wona go", "wona go"},
		{`re\w*d`, "reused", "reused"},
		{`s[cs]+ad`, "sſad", "sſad"},
	}
	for _, tt := range tests {
		s, err := parse("test.txt", "[a]\n"+tt.pattern+"\n")
		if err != nil {
			t.Fatalf("%s: %v", tt.pattern, err)
		}
		fast, slow := s.Scan(tt.text), scanSlow(s, tt.text)
		if len(slow) != 1 || slow[0].Phrase != tt.want {
			t.Errorf("%s in %q: slow scan = %+v, want %q", tt.pattern, tt.text, slow, tt.want)
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Errorf("%s in %q: Scan = %+v, slow scan = %+v", tt.pattern, tt.text, fast, slow)
		}
	}
}
