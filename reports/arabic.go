package reports

import (
	"sync"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Arabic letters change shape with their neighbours (isolated, final,
// initial, medial), and lam followed by alef is one ligature. gofpdf
// draws one glyph per rune from the font's cmap, without OpenType
// shaping, so the letters are replaced here, in logical order, by the
// Unicode presentation forms of their shape in context, which DejaVu Sans
// has glyphs for. ToUnicode maps them back to themselves; a reader gets
// the letters again by compatibility normalisation (NFKC), which is how
// poppler and most PDF readers copy them.

type joining uint8

const (
	joinNone  joining = iota // does not join (hamza, or a letter without forms)
	joinRight                // joins only to the letter before it (alef, dal, reh, waw …)
	joinDual                 // joins on both sides (beh, lam, yeh …)
	joinCause                // tatweel: joins on both sides, has one shape
)

type arabicLetter struct {
	join                             joining
	isolated, final, initial, medial rune
}

type shaping struct {
	letters map[rune]arabicLetter
	lamAlef map[rune][2]rune // alef variant → ligature with lam, isolated and final
}

// arabicForms derives the table from the presentation-form blocks: each
// form's compatibility decomposition is its letter, and a letter's forms
// follow one another in the order isolated, final, initial, medial, so a
// letter with four forms joins on both sides and one with two only to the
// right. Presentation Forms-B (the basic Arabic letters) is read first;
// Forms-A adds the letters of Persian, Urdu and others. A form is kept only
// when has reports a glyph for it.
func arabicForms(has func(rune) bool) *shaping {
	s := &shaping{letters: map[rune]arabicLetter{}, lamAlef: map[rune][2]rune{}}
	for _, block := range [][2]rune{{0xFE70, 0xFEFF}, {0xFB50, 0xFDFF}} {
		var group []rune
		var base rune
		flush := func() {
			if len(group) == 0 {
				return
			}
			if _, seen := s.letters[base]; !seen {
				l := arabicLetter{join: joinNone, isolated: group[0]}
				switch len(group) {
				case 2:
					l.join, l.final = joinRight, group[1]
				case 4:
					l.join, l.final, l.initial, l.medial = joinDual, group[1], group[2], group[3]
				}
				s.letters[base] = l
			}
			group = group[:0]
		}
		for r := block[0]; r <= block[1]; r++ {
			d := []rune(norm.NFKD.String(string(r)))
			if len(d) == 2 && d[0] == 0x0644 && r >= 0xFEF5 && r <= 0xFEFC {
				lig := s.lamAlef[d[1]]
				if r%2 == 1 { // FEF5, FEF7 …: isolated; the next one final
					lig[0] = r
				} else {
					lig[1] = r
				}
				s.lamAlef[d[1]] = lig
				continue
			}
			if len(d) != 1 || d[0] < 0x0600 || d[0] > 0x06FF {
				flush()
				continue
			}
			if d[0] != base {
				flush()
				base = d[0]
			}
			group = append(group, r)
		}
		flush()
	}
	// Keep only the forms the font can draw; a letter whose contextual
	// forms it lacks is printed in its nominal form and joins nothing.
	for r, l := range s.letters {
		if !has(l.isolated) || (l.final != 0 && !has(l.final)) || (l.initial != 0 && (!has(l.initial) || !has(l.medial))) {
			delete(s.letters, r)
		}
	}
	for a, lig := range s.lamAlef {
		if lig[0] == 0 || lig[1] == 0 || !has(lig[0]) || !has(lig[1]) {
			delete(s.lamAlef, a)
		}
	}
	s.letters[0x0640] = arabicLetter{join: joinCause, isolated: 0x0640} // tatweel
	return s
}

var shapingTable = sync.OnceValue(func() *shaping {
	bits, err := coverage()
	if err != nil {
		return &shaping{}
	}
	return arabicForms(func(r rune) bool { return covered(&bits.main, r) })
})

// transparent runes (combining marks) are skipped when finding the
// letters a letter joins to.
func transparent(r rune) bool { return unicode.In(r, unicode.Mn, unicode.Me) }

// shapeArabic replaces each Arabic letter of s by its form in context.
func shapeArabic(s string) string {
	arabic := false
	for _, r := range s {
		if r >= 0x0600 && r <= 0x06FF {
			arabic = true
			break
		}
	}
	if !arabic {
		return s
	}
	t := shapingTable()
	rs := []rune(s)
	joinOf := func(i int) joining {
		if i < 0 || i >= len(rs) {
			return joinNone
		}
		return t.letters[rs[i]].join
	}
	neighbour := func(i, step int) int {
		for i += step; i >= 0 && i < len(rs) && transparent(rs[i]); i += step {
		}
		return i
	}
	out := make([]rune, 0, len(rs))
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		l, ok := t.letters[r]
		if !ok {
			out = append(out, r)
			continue
		}
		p, n := neighbour(i, -1), neighbour(i, 1)
		prev := l.join != joinNone && (joinOf(p) == joinDual || joinOf(p) == joinCause)
		next := (l.join == joinDual || l.join == joinCause) && joinOf(n) != joinNone
		if r == 0x0644 && n == i+1 && n < len(rs) {
			if lig, ok := t.lamAlef[rs[n]]; ok {
				if prev {
					out = append(out, lig[1])
				} else {
					out = append(out, lig[0])
				}
				i++
				continue
			}
		}
		switch {
		case l.join == joinCause:
			out = append(out, r)
		case prev && next:
			out = append(out, l.medial)
		case prev:
			out = append(out, l.final)
		case next:
			out = append(out, l.initial)
		default:
			out = append(out, l.isolated)
		}
	}
	return string(out)
}
