// Package risk finds language in a client's reflection that a therapist
// should look at: words about suicide, self-harm, harming others or being
// abused, with the matched phrases marked so a page can highlight them.
//
// A flag is a prompt to look, never an assessment. It does not say how a
// client is, how serious anything is, or what they will do; a reflection
// with no flag is not a safe one, and a flagged one may be an idiom. The
// phrases live in phrases/, one file per language (phrases/README.md
// explains the format), and each language has a labelled corpus in
// testdata/corpus/ that the tests score.
package risk

import (
	"embed"
	"fmt"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"
)

//go:embed phrases/*.txt
var phraseFiles embed.FS

// firstLanguage is loaded first: its sections name the categories.
const firstLanguage = "en"

// Match is one flagged phrase. Start and End are byte offsets into the text
// given to Scan, so text[Start:End] == Phrase.
type Match struct {
	Category string
	Phrase   string
	Start    int
	End      int
	Language string // code of the list the phrase is from: "ru"
}

// Segment is a piece of the original text for a template to render:
// flagged pieces go inside <mark>, the rest as they are. html/template
// escapes both, so no HTML is built here.
type Segment struct {
	Text     string
	Flagged  bool
	Category string // empty when not flagged
}

// Scanner holds the compiled phrase list. Build it once with New and share
// it: Scan is safe for concurrent use.
type Scanner struct {
	categories []string   // in file order
	languages  []Language // the lists, English first
	patterns   []pattern  // flagged phrases, in file order
	except     []pattern  // idioms that cancel an overlapping flag
	// Runes no pattern can match: Scan cuts the text there.
	delimASCII [utf8.RuneSelf]bool
	delimOther []rune
	// index picks the patterns worth trying on a piece of text; its
	// pattern ids are indexes into patterns, then into except.
	index *triggerIndex
}

// pattern is one line of the phrase file.
type pattern struct {
	re    *regexp.Regexp
	cat   int // index into Scanner.categories; unused for except
	lang  int // index into Scanner.languages
	order int // line order in the files, to break ties
}

// Shared returns the embedded lists compiled once per process: compiling
// every language takes most of a second, and a Scanner never changes, so
// every app built in one process (tests build hundreds) shares one.
var Shared = sync.OnceValues(New)

// New compiles the embedded phrase lists. An error names the file and
// line that could not be used.
func New() (*Scanner, error) {
	entries, err := phraseFiles.ReadDir("phrases")
	if err != nil {
		return nil, err
	}
	var lists []list
	for _, e := range entries {
		code := strings.TrimSuffix(e.Name(), ".txt")
		if _, ok := languageNames[code]; !ok {
			return nil, fmt.Errorf("phrases/%s: no name for language %q in languageNames", e.Name(), code)
		}
		file := path.Join("phrases", e.Name())
		b, err := phraseFiles.ReadFile(file)
		if err != nil {
			return nil, err
		}
		l := list{lang: code, file: file, content: string(b)}
		if code == firstLanguage {
			lists = slices.Insert(lists, 0, l)
		} else {
			lists = append(lists, l)
		}
	}
	if len(lists) == 0 || lists[0].lang != firstLanguage {
		return nil, fmt.Errorf("phrases/%s.txt is missing", firstLanguage)
	}
	return build(lists)
}

// CategoryNames lists the categories in the order of the phrase file.
func (s *Scanner) CategoryNames() []string {
	return slices.Clone(s.categories)
}

// Scan returns the flagged phrases in text, in order and never overlapping.
// Where phrases overlap, the one that starts first wins, then the longer
// one, then the one listed first in the phrase file. A phrase that overlaps
// an idiom from the [except] section is not flagged.
func (s *Scanner) Scan(text string) []Match {
	folded, offs := normalize(text)
	return s.pick(text, offs, s.find(folded))
}

// find returns what the patterns match in folded text, overlaps and all.
func (s *Scanner) find(text string) []found {
	var fs []found
	var except [][]int
	var folded []byte
	sc := s.index.newScratch()
	// The text is searched piece by piece between delimiters that no
	// pattern can match, so no match is lost at a cut, and each piece only
	// with the patterns whose triggers it contains.
	for start := 0; start < len(text); {
		end := len(text)
		if n := strings.IndexFunc(text[start:], s.isDelim); n >= 0 {
			end = start + n
		}
		if piece := text[start:end]; piece != "" {
			folded = foldText(folded[:0], piece)
			ids := s.index.candidates(folded, sc)
			except = except[:0]
			for _, id := range ids {
				if int(id) >= len(s.patterns) {
					except = s.except[int(id)-len(s.patterns)].findAll(piece, except)
				}
			}
			for _, id := range ids {
				if int(id) >= len(s.patterns) {
					continue
				}
				p := &s.patterns[id]
				for _, loc := range p.findAll(piece, nil) {
					if !overlapsAny(loc[0], loc[1], except) {
						fs = append(fs, found{start + loc[0], start + loc[1], p})
					}
				}
			}
		}
		if end == len(text) {
			break
		}
		_, w := utf8.DecodeRuneInString(text[end:])
		start = end + w
	}
	return fs
}

// findAll appends the spans of the whole-word matches of p in text: a
// match must not have a letter, number or _ just before or after it. One
// that has is passed over and the search goes on from its second rune, so
// "kill" is still found in "skill kill".
func (p *pattern) findAll(text string, spans [][]int) [][]int {
	for pos := 0; pos < len(text); {
		loc := p.re.FindStringIndex(text[pos:])
		if loc == nil {
			break
		}
		start, end := pos+loc[0], pos+loc[1]
		if wholeWords(text, start, end) {
			spans = append(spans, []int{start, end})
			pos = end
			continue
		}
		_, w := utf8.DecodeRuneInString(text[start:])
		pos = start + w
	}
	return spans
}

// wholeWords reports whether text[start:end] stands between non-word runes
// (or the ends of the text).
func wholeWords(text string, start, end int) bool {
	if start > 0 {
		if r, _ := utf8.DecodeLastRuneInString(text[:start]); isWordish(r) {
			return false
		}
	}
	if end < len(text) {
		if r, _ := utf8.DecodeRuneInString(text[end:]); isWordish(r) {
			return false
		}
	}
	return true
}

// found is a phrase one pattern matched, before overlaps are settled.
type found struct {
	start, end int
	p          *pattern
}

// pick settles overlaps: the phrase that starts first wins, then the
// longer, then the pattern listed first. The spans in fs are of the folded
// text; offs (from normalize) maps them back to text.
func (s *Scanner) pick(text string, offs []int, fs []found) []Match {
	if len(fs) == 0 {
		return nil
	}
	sort.Slice(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.start != b.start {
			return a.start < b.start
		}
		if a.end != b.end {
			return a.end > b.end
		}
		return a.p.order < b.p.order
	})
	matches := make([]Match, 0, len(fs))
	last := -1
	for _, f := range fs {
		if f.start < last {
			continue
		}
		last = f.end
		start, end := f.start, f.end
		if offs != nil {
			start, end = offs[start], offs[end]
		}
		matches = append(matches, Match{
			Category: s.categories[f.p.cat],
			Phrase:   text[start:end],
			Start:    start,
			End:      end,
			Language: s.languages[f.p.lang].Code,
		})
	}
	return matches
}

func (s *Scanner) isDelim(r rune) bool {
	if r < utf8.RuneSelf {
		return s.delimASCII[r]
	}
	return slices.Contains(s.delimOther, r)
}

// overlapsAny reports whether [start, end) shares a byte with any span.
func overlapsAny(start, end int, spans [][]int) bool {
	for _, sp := range spans {
		if sp[0] < end && start < sp[1] {
			return true
		}
	}
	return false
}

// Categories lists the distinct categories of matches, in the order they
// first appear.
func Categories(matches []Match) []string {
	var out []string
	seen := map[string]bool{}
	for _, m := range matches {
		if !seen[m.Category] {
			seen[m.Category] = true
			out = append(out, m.Category)
		}
	}
	return out
}

// Highlight cuts text into segments, the matches flagged, so that joining
// every Segment.Text gives text back. Matches that are out of range, empty,
// cut a character in two or overlap an earlier one are ignored rather than
// trusted, so a stale match list cannot break a page.
func Highlight(text string, matches []Match) []Segment {
	sorted := append([]Match(nil), matches...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Start < sorted[j].Start })
	var segs []Segment
	pos := 0
	for _, m := range sorted {
		if m.Start < pos || m.End <= m.Start || m.End > len(text) ||
			!utf8.RuneStart(text[m.Start]) || (m.End < len(text) && !utf8.RuneStart(text[m.End])) {
			continue
		}
		if m.Start > pos {
			segs = append(segs, Segment{Text: text[pos:m.Start]})
		}
		segs = append(segs, Segment{Text: text[m.Start:m.End], Flagged: true, Category: m.Category})
		pos = m.End
	}
	if pos < len(text) {
		segs = append(segs, Segment{Text: text[pos:]})
	}
	return segs
}
