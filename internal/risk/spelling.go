package risk

import (
	"regexp/syntax"
	"unicode"
)

// The spelling rules of the phrase lists (see phrases/README.md):
// doubled letters, spaces, apostrophes and dashes matched
// loosely, and the whole-word checks.

// singleLetters folds a doubled letter in the pattern source into one
// ("hitting" becomes "hiting"), which loosen then lets repeat. It works on
// the source because the parser factors alternations: "hit|hitting" becomes
// hit(?:|ting), splitting the doubled t across two nodes where loosen could
// not see it. Escapes, classes and group flags are copied untouched, and a
// letter is kept when a quantifier follows it, since "kill?" is not "kil?".
func singleLetters(p string) string {
	rs := []rune(p)
	out := make([]rune, 0, len(rs))
	prev := rune(-1) // the last letter copied, lower-cased; -1 after anything else
	at := func(i int) rune {
		if i < len(rs) {
			return rs[i]
		}
		return -1
	}
	// copyTo copies rs[i:j] (clamped) and returns the index of the next rune.
	copyTo := func(i, j int) int {
		j = min(j, len(rs))
		out = append(out, rs[i:j]...)
		prev = -1
		return j
	}
	for i := 0; i < len(rs); {
		r := rs[i]
		switch {
		case r == '\\':
			j := i + 2
			if (at(i+1) == 'p' || at(i+1) == 'P' || at(i+1) == 'x') && at(i+2) == '{' {
				for j < len(rs) && rs[j-1] != '}' {
					j++
				}
			}
			i = copyTo(i, j)
		case r == '[':
			j := i + 1
			if at(j) == '^' {
				j++
			}
			if at(j) == ']' {
				j++
			}
			for j < len(rs) && rs[j] != ']' {
				switch {
				case rs[j] == '\\':
					j += 2
				case rs[j] == '[' && at(j+1) == ':':
					for j < len(rs) && !(rs[j] == ']' && rs[j-1] == ':') {
						j++
					}
					j++
				default:
					j++
				}
			}
			i = copyTo(i, j+1)
		case r == '(' && at(i+1) == '?':
			j := i + 2
			for j < len(rs) && rs[j] != ':' && rs[j] != ')' {
				j++
			}
			i = copyTo(i, j+1)
		case unicode.IsLetter(r):
			lr := unicode.ToLower(r)
			next := at(i + 1)
			quantified := next == '?' || next == '*' || next == '+' || next == '{'
			if lr == prev && !quantified {
				i++
				continue
			}
			out = append(out, r)
			prev = lr
			if quantified {
				prev = -1
			}
			i++
		default:
			i = copyTo(i, i+1)
		}
	}
	return string(out)
}

// The character classes the spelling rules stand for, as sorted inclusive
// rune ranges (the form regexp/syntax wants). Functions, so that each node
// gets its own slice.
func spaces() *syntax.Regexp {
	return class('\t', '\r', ' ', ' ', 0xA0, 0xA0, 0x2000, 0x200A, 0x202F, 0x202F, 0x3000, 0x3000)
}

func apostrophes() *syntax.Regexp {
	return class('\'', '\'', '`', '`', 0xB4, 0xB4, 0x2BC, 0x2BC, 0x2018, 0x2019, 0x2032, 0x2032)
}

func dashes() *syntax.Regexp { return class('-', '-', 0x2010, 0x2015, 0x2212, 0x2212) }

func isApostrophe(r rune) bool { return r == '\'' || r == '\u2019' }

func class(ranges ...rune) *syntax.Regexp {
	return &syntax.Regexp{Op: syntax.OpCharClass, Rune: ranges}
}

func op(o syntax.Op, subs ...*syntax.Regexp) *syntax.Regexp {
	return &syntax.Regexp{Op: o, Sub: subs}
}

// loosen rewrites the literal text of a parsed pattern: letters may repeat,
// a space is any whitespace, an apostrophe is any apostrophe or none, a
// hyphen is a dash, whitespace or nothing. Classes and operators are left as
// written.
func loosen(re *syntax.Regexp) *syntax.Regexp {
	if re.Op == syntax.OpLiteral {
		return loosenLiteral(re.Rune, re.Flags)
	}
	for i, sub := range re.Sub {
		re.Sub[i] = loosen(sub)
	}
	return re
}

func loosenLiteral(runes []rune, flags syntax.Flags) *syntax.Regexp {
	var parts []*syntax.Regexp
	var plain []rune // other runes, kept as a literal
	flush := func() {
		if len(plain) > 0 {
			parts = append(parts, &syntax.Regexp{Op: syntax.OpLiteral, Rune: plain, Flags: flags})
			plain = nil
		}
	}
	for i := 0; i < len(runes); {
		r := runes[i]
		j := i + 1
		switch {
		case unicode.IsLetter(r):
			for j < len(runes) && unicode.ToLower(runes[j]) == unicode.ToLower(r) {
				j++
			}
			flush()
			lit := &syntax.Regexp{Op: syntax.OpLiteral, Rune: []rune{r}, Flags: flags | syntax.FoldCase}
			parts = append(parts, op(syntax.OpPlus, lit))
		case unicode.IsSpace(r):
			for j < len(runes) && unicode.IsSpace(runes[j]) {
				j++
			}
			flush()
			parts = append(parts, op(syntax.OpPlus, spaces()))
		case isApostrophe(r):
			flush()
			parts = append(parts, op(syntax.OpQuest, apostrophes()))
		case r == '-':
			flush()
			dash := op(syntax.OpConcat, op(syntax.OpStar, spaces()), dashes(), op(syntax.OpStar, spaces()))
			parts = append(parts, op(syntax.OpQuest, op(syntax.OpAlternate, dash, op(syntax.OpPlus, spaces()))))
		default:
			plain = append(plain, r)
		}
		i = j
	}
	flush()
	switch len(parts) {
	case 0:
		return &syntax.Regexp{Op: syntax.OpEmptyMatch}
	case 1:
		return parts[0]
	}
	return op(syntax.OpConcat, parts...)
}

// nullable reports whether re can match the empty string.
func nullable(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpLiteral:
		return len(re.Rune) == 0
	case syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL, syntax.OpNoMatch:
		return false
	case syntax.OpStar, syntax.OpQuest:
		return true
	case syntax.OpRepeat:
		return re.Min == 0 || nullable(re.Sub[0])
	case syntax.OpPlus, syntax.OpCapture:
		return nullable(re.Sub[0])
	case syntax.OpConcat:
		for _, sub := range re.Sub {
			if !nullable(sub) {
				return false
			}
		}
		return true
	case syntax.OpAlternate:
		for _, sub := range re.Sub {
			if nullable(sub) {
				return true
			}
		}
		return false
	}
	return true // empty match, anchors, word boundaries
}

// isWordish is what may stand at the edge of a pattern. Marks count: the
// folded text has none (normalize drops them), but case folding puts one
// into a letter's class (Greek ι also folds to U+0345, the combining
// ypogegrammeni), which must not make "πεθάνει" fail the edge check.
func isWordish(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.IsMark(r)
}

// edgeNonWord reports whether a match of re can start (first) or end (!first)
// with a rune that is not a letter or digit. Such a pattern would silently
// never match, because of the word edges around it.
func edgeNonWord(re *syntax.Regexp, first bool) bool {
	switch re.Op {
	case syntax.OpLiteral:
		if len(re.Rune) == 0 {
			return false
		}
		r := re.Rune[len(re.Rune)-1]
		if first {
			r = re.Rune[0]
		}
		return !isWordish(r)
	case syntax.OpCharClass:
		for i := 0; i+1 < len(re.Rune); i += 2 {
			for r := re.Rune[i]; r <= re.Rune[i+1]; r++ {
				if !isWordish(r) {
					return true
				}
			}
		}
		return false
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return true
	case syntax.OpStar, syntax.OpPlus, syntax.OpQuest, syntax.OpCapture:
		return edgeNonWord(re.Sub[0], first)
	case syntax.OpRepeat:
		return re.Max != 0 && edgeNonWord(re.Sub[0], first)
	case syntax.OpAlternate:
		for _, sub := range re.Sub {
			if edgeNonWord(sub, first) {
				return true
			}
		}
		return false
	case syntax.OpConcat:
		for k := range re.Sub {
			sub := re.Sub[k]
			if !first {
				sub = re.Sub[len(re.Sub)-1-k]
			}
			if edgeNonWord(sub, first) {
				return true
			}
			if !nullable(sub) {
				return false
			}
		}
		return false
	}
	return false
}
