// Package risk finds language in a client's reflection that a therapist
// should look at: words about suicide, self-harm, harming others or being
// abused, with the matched phrases marked so a page can highlight them.
//
// A flag is a prompt to look, never an assessment. It does not say how a
// client is, how serious anything is, or what they will do; a reflection
// with no flag is not a safe one, and a flagged one may be an idiom. The
// phrases live in one file, phrases.txt, which also explains its syntax.
package risk

import (
	_ "embed"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"
)

//go:embed phrases.txt
var phrasesFile string

// Match is one flagged phrase. Start and End are byte offsets into the text
// given to Scan, so text[Start:End] == Phrase.
type Match struct {
	Category string
	Phrase   string
	Start    int
	End      int
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
	categories []string  // in file order
	patterns   []pattern // flagged phrases, in file order
	except     []pattern // idioms that cancel an overlapping flag
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
	order int // line order in the file, to break ties
}

// New compiles the embedded phrase list. An error names the line that
// could not be used.
func New() (*Scanner, error) {
	return parse("phrases.txt", phrasesFile)
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
					except = append(except, s.except[int(id)-len(s.patterns)].re.FindAllStringIndex(piece, -1)...)
				}
			}
			for _, id := range ids {
				if int(id) >= len(s.patterns) {
					continue
				}
				p := &s.patterns[id]
				for _, loc := range p.re.FindAllStringIndex(piece, -1) {
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
	return s.pick(text, fs)
}

// found is a phrase one pattern matched, before overlaps are settled.
type found struct {
	start, end int
	p          *pattern
}

// pick settles overlaps: the phrase that starts first wins, then the
// longer, then the pattern listed first.
func (s *Scanner) pick(text string, fs []found) []Match {
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
		matches = append(matches, Match{
			Category: s.categories[f.p.cat],
			Phrase:   text[f.start:f.end],
			Start:    f.start,
			End:      f.end,
		})
		last = f.end
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
