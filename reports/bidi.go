package reports

import (
	"slices"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/bidi"
)

// gofpdf draws runes left to right exactly as given, so right-to-left
// text (Arabic, Hebrew) is put into visual order here, line by line, by
// the Unicode Bidirectional Algorithm (UAX #9) for one paragraph without
// explicit embeddings: the cleaner drops the formatting characters that
// would make them. Character classes and bracket pairs come from
// golang.org/x/text/unicode/bidi; its Paragraph API is unfinished (Order
// does not reorder runs, and its runs keep only the parity of embedding
// levels, so a number inside Arabic text cannot be placed), so the rules
// are applied here: W1–W7, N0–N2, I1–I2, L1–L4.

// rtlBase reports whether text's first strong character is right to left
// (rules P2, P3): such a paragraph reads from the right.
func rtlBase(text string) bool {
	depth := 0 // text inside isolates does not count (P2)
	for _, r := range text {
		switch {
		case r == fsi:
			depth++
			continue
		case r == pdi && depth > 0:
			depth--
			continue
		case depth > 0:
			continue
		}
		switch class(r) {
		case bidi.L:
			return false
		case bidi.R, bidi.AL:
			return true
		}
	}
	return false
}

// hasRTL reports whether text holds any right-to-left character, so the
// common case skips the algorithm.
func hasRTL(text string) bool {
	for _, r := range text {
		if mayBeRTL(r) && (class(r) == bidi.R || class(r) == bidi.AL || class(r) == bidi.AN) {
			return true
		}
	}
	return false
}

// mayBeRTL is false for runes no right-to-left class (R, AL, AN) holds:
// below U+0590, and U+0900–U+200E, where Latin (Vietnamese among it) and
// most other scripts are, so every line is not looked up rune by rune
// (a test holds it to the classes for every rune).
func mayBeRTL(r rune) bool { return r >= 0x0590 && (r < 0x0900 || r > 0x200E) }

func class(r rune) bidi.Class {
	p, _ := bidi.LookupRune(r)
	return p.Class()
}

// Text the report composes around what people wrote ("Progress summary ·
// <name> · <period>") wraps their words in isolate marks, so a right-to-left
// name cannot pull the numbers after it into its run (rules X5c, BD13):
// the isolate is reordered on its own, with its own direction, and moves
// as one neutral character in the text around it.
const (
	fsi = '\u2068' // FIRST STRONG ISOLATE
	pdi = '\u2069' // POP DIRECTIONAL ISOLATE
)

// isolate marks s as a unit of its own direction inside composed text.
func isolate(s string) string { return string(fsi) + s + string(pdi) }

// dropIsolates removes isolate marks, which are never drawn.
func dropIsolates(s string) string {
	// Called for every word measured: both marks are E2 81 A8/A9 in UTF-8,
	// so one byte search settles most words (ContainsAny with a string made
	// per call was a twentieth of a report's time).
	if strings.IndexByte(s, 0xE2) < 0 || !strings.ContainsRune(s, fsi) && !strings.ContainsRune(s, pdi) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r == fsi || r == pdi {
			return -1
		}
		return r
	}, s)
}

// visual returns one line of logical text in the order its characters are
// drawn from left to right, for a paragraph whose base direction is right
// to left when rtl is set. Isolate marks are consumed.
func visual(line string, rtl bool) string {
	iso := strings.ContainsRune(line, fsi)
	if !iso && !hasRTL(line) {
		return dropIsolates(line)
	}
	// The line with each outermost isolate replaced by one stand-in
	// (unit[i] ≥ 0 names the isolate), each isolate ordered on its own.
	var (
		rs    []rune
		unit  []int
		units []string
		depth int
		cur   strings.Builder
	)
	closeUnit := func() {
		in := cur.String()
		units = append(units, visual(in, rtlBase(dropIsolates(in))))
		cur.Reset()
		rs = append(rs, '\uFFFC') // other neutral, like the isolate (X5c)
		unit = append(unit, len(units)-1)
	}
	for _, r := range line {
		switch {
		case r == fsi:
			if depth > 0 {
				cur.WriteRune(r)
			}
			depth++
		case r == pdi && depth > 0:
			if depth--; depth == 0 {
				closeUnit()
			} else {
				cur.WriteRune(r)
			}
		case depth > 0:
			cur.WriteRune(r)
		case r == pdi: // unmatched: dropped
		default:
			rs = append(rs, r)
			unit = append(unit, -1)
		}
	}
	if depth > 0 { // unterminated: the rest is the isolate
		closeUnit()
	}

	levels := resolveLevels(rs, rtl)
	base := 0
	if rtl {
		base = 1
	}
	// L1: trailing white space takes the paragraph level.
	for i := len(rs) - 1; i >= 0 && unit[i] < 0 && isWhite(class(rs[i])); i-- {
		levels[i] = base
	}
	// L2: from the highest level down to the lowest odd one, reverse every
	// run of characters at that level or above.
	hi, lo := 0, 99
	for _, l := range levels {
		hi = max(hi, l)
		if l%2 == 1 {
			lo = min(lo, l)
		}
	}
	idx := make([]int, len(rs))
	for i := range idx {
		idx[i] = i
	}
	for l := hi; l >= lo && l > 0; l-- {
		for i := 0; i < len(idx); {
			if levels[idx[i]] < l {
				i++
				continue
			}
			j := i
			for j < len(idx) && levels[idx[j]] >= l {
				j++
			}
			slices.Reverse(idx[i:j])
			i = j
		}
	}
	// L3: a combining mark of a right-to-left letter now precedes it;
	// gofpdf draws a mark over the glyph before it, so each base goes
	// back in front of its marks (in their logical order).
	for i := 0; i < len(idx); i++ {
		if unit[idx[i]] >= 0 || !unicode.Is(unicode.Mn, rs[idx[i]]) || levels[idx[i]]%2 == 0 {
			continue
		}
		j := i
		for j < len(idx) && unit[idx[j]] < 0 && unicode.Is(unicode.Mn, rs[idx[j]]) {
			j++
		}
		if j < len(idx) {
			slices.Reverse(idx[i : j+1])
		}
		i = j
	}
	var b strings.Builder
	b.Grow(len(line))
	for _, i := range idx {
		switch {
		case unit[i] >= 0:
			b.WriteString(units[unit[i]])
		case levels[i]%2 == 1:
			b.WriteRune(mirror(rs[i])) // L4
		default:
			b.WriteRune(rs[i])
		}
	}
	return b.String()
}

// mirror is the mirrored glyph of r (L4): paired brackets by x/text's
// table, and a few other mirrored signs people type.
func mirror(r rune) rune {
	if p, _ := bidi.LookupRune(r); p.IsBracket() {
		return []rune(bidi.ReverseString(string(r)))[0]
	}
	switch r {
	case '<':
		return '>'
	case '>':
		return '<'
	case '«':
		return '»'
	case '»':
		return '«'
	case '‹':
		return '›'
	case '›':
		return '‹'
	case '≤':
		return '≥'
	case '≥':
		return '≤'
	}
	return r
}

func isWhite(c bidi.Class) bool { return c == bidi.WS || c == bidi.S || c == bidi.B }

// isNeutral: the classes the N rules resolve.
func isNeutral(c bidi.Class) bool {
	return c == bidi.WS || c == bidi.S || c == bidi.B || c == bidi.ON || c == bidi.BN
}

// resolveLevels resolves the embedding level of every rune of one line:
// the paragraph level (0, or 1 when rtl), plus one or two. The line is a
// single isolating run sequence, starting and ending at the paragraph
// level.
func resolveLevels(rs []rune, rtl bool) []int {
	n := len(rs)
	e, sos := bidi.L, bidi.L
	base := 0
	if rtl {
		e, sos, base = bidi.R, bidi.R, 1
	}
	t := make([]bidi.Class, n)
	for i, r := range rs {
		t[i] = class(r)
		if t[i] > bidi.AL { // explicit formatting: not expected here
			t[i] = bidi.BN
		}
	}
	orig := slices.Clone(t)

	// W1: a non-spacing mark takes the type of the character before it.
	for i := range t {
		if t[i] == bidi.NSM || t[i] == bidi.BN {
			if i == 0 {
				t[i] = sos
			} else {
				t[i] = t[i-1]
			}
		}
	}
	// W2, W3: European numbers after Arabic letters are Arabic numbers;
	// Arabic letters are then right to left.
	last := sos
	for i := range t {
		switch t[i] {
		case bidi.L, bidi.R, bidi.AL:
			last = t[i]
		case bidi.EN:
			if last == bidi.AL {
				t[i] = bidi.AN
			}
		}
	}
	for i := range t {
		if t[i] == bidi.AL {
			t[i] = bidi.R
		}
	}
	// W4: one separator between two numbers of a kind joins them.
	for i := 1; i+1 < n; i++ {
		if t[i] == bidi.ES && t[i-1] == bidi.EN && t[i+1] == bidi.EN {
			t[i] = bidi.EN
		} else if t[i] == bidi.CS && t[i-1] == t[i+1] && (t[i-1] == bidi.EN || t[i-1] == bidi.AN) {
			t[i] = t[i-1]
		}
	}
	// W5: terminators next to European numbers are European numbers.
	for i := 0; i < n; i++ {
		if t[i] != bidi.ET {
			continue
		}
		j := i
		for j < n && t[j] == bidi.ET {
			j++
		}
		if (i > 0 && t[i-1] == bidi.EN) || (j < n && t[j] == bidi.EN) {
			for k := i; k < j; k++ {
				t[k] = bidi.EN
			}
		}
		i = j - 1
	}
	// W6: other separators and terminators are neutral.
	for i := range t {
		if t[i] == bidi.ES || t[i] == bidi.ET || t[i] == bidi.CS {
			t[i] = bidi.ON
		}
	}
	// W7: European numbers after left-to-right text are left to right.
	last = sos
	for i := range t {
		switch t[i] {
		case bidi.L, bidi.R:
			last = t[i]
		case bidi.EN:
			if last == bidi.L {
				t[i] = bidi.L
			}
		}
	}

	// strong is the direction a resolved type counts as for N0–N2.
	strong := func(c bidi.Class) bidi.Class {
		switch c {
		case bidi.L:
			return bidi.L
		case bidi.R, bidi.EN, bidi.AN:
			return bidi.R
		}
		return bidi.ON
	}
	opposite := bidi.R
	if e == bidi.R {
		opposite = bidi.L
	}
	// N0: paired brackets take the direction of what they enclose.
	for _, p := range bracketPairs(rs, orig) {
		found := bidi.ON
		for k := p[0] + 1; k < p[1]; k++ {
			if s := strong(t[k]); s == e {
				found = e
				break
			} else if s == opposite {
				found = opposite
			}
		}
		if found == bidi.ON {
			continue
		}
		if found == opposite {
			before := sos
			for k := p[0] - 1; k >= 0; k-- {
				if s := strong(t[k]); s != bidi.ON {
					before = s
					break
				}
			}
			if before != opposite {
				found = e
			}
		}
		for _, k := range p {
			t[k] = found
			// Marks on a bracket follow it.
			for m := k + 1; m < n && orig[m] == bidi.NSM; m++ {
				t[m] = found
			}
		}
	}
	// N1, N2: neutrals between text of one direction take it; others the
	// paragraph's.
	for i := 0; i < n; i++ {
		if !isNeutral(t[i]) {
			continue
		}
		j := i
		for j < n && isNeutral(t[j]) {
			j++
		}
		before, after := sos, sos
		if i > 0 {
			before = strong(t[i-1])
		}
		if j < n {
			after = strong(t[j])
		}
		dir := e
		if before == after {
			dir = before
		}
		for k := i; k < j; k++ {
			t[k] = dir
		}
		i = j - 1
	}
	// I1, I2.
	levels := make([]int, n)
	for i, c := range t {
		l := base
		switch {
		case base == 0 && c == bidi.R:
			l = 1
		case base == 0 && (c == bidi.AN || c == bidi.EN):
			l = 2
		case base == 1 && (c == bidi.L || c == bidi.AN || c == bidi.EN):
			l = 2
		}
		levels[i] = l
	}
	return levels
}

// bracketPairs finds the paired brackets of rs (rule BD16), in order of
// their opening bracket: neutral brackets only, at most 63 open at once.
func bracketPairs(rs []rune, orig []bidi.Class) [][2]int {
	type open struct {
		closer rune
		at     int
	}
	var stack []open
	var pairs [][2]int
	for i, r := range rs {
		if orig[i] != bidi.ON {
			continue
		}
		p, _ := bidi.LookupRune(r)
		if !p.IsBracket() {
			continue
		}
		if p.IsOpeningBracket() {
			if len(stack) == 63 {
				break
			}
			stack = append(stack, open{closer: []rune(bidi.ReverseString(string(r)))[0], at: i})
			continue
		}
		for k := len(stack) - 1; k >= 0; k-- {
			if stack[k].closer == r {
				pairs = append(pairs, [2]int{stack[k].at, i})
				stack = stack[:k]
				break
			}
		}
	}
	slices.SortFunc(pairs, func(a, b [2]int) int { return a[0] - b[0] })
	return pairs
}
