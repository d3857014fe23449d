package risk

import (
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// exceptSection names the section of idioms that cancel a flag.
const exceptSection = "except"

// ParseError reports a line of the phrase file that cannot be used. Loading
// stops at the first one: a list that half loaded would miss phrases
// without anyone noticing.
type ParseError struct {
	File string // "phrases.txt" for the embedded list
	Line int    // 1-based
	Text string // the line as written
	Err  error
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("%s line %d: %v: %q", e.File, e.Line, e.Err, e.Text)
}

func (e *ParseError) Unwrap() error { return e.Err }

var (
	headerRe = regexp.MustCompile(`^\[([a-z][a-z-]*)\]$`)
	macroRe  = regexp.MustCompile(`^@([A-Za-z0-9_]+)\s*=\s*(.*)$`)
	useRe    = regexp.MustCompile(`@([A-Za-z0-9_]+)`)
)

// section collects the compiled patterns of one header while parsing.
type section struct {
	name     string
	line     int
	patterns []compiled
}

// compiled is one pattern line, ready to use.
type compiled struct {
	re       *regexp.Regexp
	triggers [][]string     // sets of strings, one of each in every match
	tree     *syntax.Regexp // the loosened pattern, to find the delimiters
}

// delimiterCandidates are the runes Scan may cut the text at. Only those
// that no pattern can match are used, so a cut can never split a match.
const delimiterCandidates = ".,!?;:…\"“”«»()[]{}<>/|•–—"

// list is one phrase file: the phrases of one language.
type list struct {
	lang    string // ISO 639-1 code, the file's name
	file    string // for errors: "phrases/ru.txt"
	content string
}

// parse reads one phrase file (format in phrases/README.md) and compiles
// it on its own, as language "test": for tests of the format.
func parse(file, content string) (*Scanner, error) {
	return build([]list{{lang: "test", file: file, content: content}})
}

// parseList reads one phrase file into its sections. Named pieces belong
// to the file that defines them.
func parseList(file, content string) ([]*section, error) {
	macros := map[string]string{}
	var sections []*section
	seen := map[string]bool{}
	var cur *section

	for i, raw := range strings.Split(content, "\n") {
		lineNo := i + 1
		line := strings.TrimSpace(raw)
		fail := func(err error) error {
			return &ParseError{File: file, Line: lineNo, Text: line, Err: err}
		}
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
			continue

		case strings.HasPrefix(line, "["):
			m := headerRe.FindStringSubmatch(line)
			if m == nil {
				return nil, fail(errors.New("bad section header (want [lower-case-name])"))
			}
			if seen[m[1]] {
				return nil, fail(fmt.Errorf("section [%s] appears twice", m[1]))
			}
			seen[m[1]] = true
			cur = &section{name: m[1], line: lineNo}
			sections = append(sections, cur)

		case macroRe.MatchString(line):
			m := macroRe.FindStringSubmatch(line)
			if _, dup := macros[m[1]]; dup {
				return nil, fail(fmt.Errorf("@%s is defined twice", m[1]))
			}
			body, err := expand(m[2], macros)
			if err != nil {
				return nil, fail(err)
			}
			if _, err := syntax.Parse(body, syntax.Perl); err != nil {
				return nil, fail(err)
			}
			macros[m[1]] = body

		default:
			if cur == nil {
				return nil, fail(errors.New("pattern before any [category] header"))
			}
			p, err := expand(line, macros)
			if err != nil {
				return nil, fail(err)
			}
			c, err := compilePattern(p)
			if err != nil {
				return nil, fail(err)
			}
			cur.patterns = append(cur.patterns, c)
		}
	}
	for _, sec := range sections {
		if len(sec.patterns) == 0 {
			return nil, &ParseError{File: file, Line: sec.line, Text: "[" + sec.name + "]", Err: errors.New("section has no patterns")}
		}
	}
	return sections, nil
}

// build compiles the lists into one Scanner. The first list names the
// categories; a later list may only use those (a misspelt header would
// otherwise start a category no page knows). Every list's [except] idioms
// apply to every flag: an idiom of one language cannot overlap a phrase
// of another.
func build(lists []list) (*Scanner, error) {
	s := &Scanner{}
	var trees []*syntax.Regexp
	var triggers, exceptTriggers [][][]string
	for li, l := range lists {
		sections, err := parseList(l.file, l.content)
		if err != nil {
			return nil, err
		}
		lang := Language{Code: l.lang}
		for _, sec := range sections {
			cat := slices.Index(s.categories, sec.name)
			switch {
			case sec.name == exceptSection:
			case cat >= 0:
			case li == 0:
				cat = len(s.categories)
				s.categories = append(s.categories, sec.name)
			default:
				return nil, &ParseError{File: l.file, Line: sec.line, Text: "[" + sec.name + "]",
					Err: fmt.Errorf("category not in %s (want one of %s)", lists[0].file, strings.Join(s.categories, ", "))}
			}
			for _, c := range sec.patterns {
				trees = append(trees, c.tree)
				lang.Scripts = addScripts(lang.Scripts, c.tree)
				p := pattern{re: c.re, cat: cat, lang: li, order: len(trees)}
				if sec.name == exceptSection {
					s.except = append(s.except, p)
					exceptTriggers = append(exceptTriggers, c.triggers)
				} else {
					s.patterns = append(s.patterns, p)
					triggers = append(triggers, c.triggers)
				}
			}
		}
		s.languages = append(s.languages, lang)
	}
	if len(s.categories) == 0 {
		return nil, fmt.Errorf("%s: no categories", lists[0].file)
	}
	s.index = newTriggerIndex(append(triggers, exceptTriggers...))
	for _, d := range delimiterCandidates {
		switch {
		case slices.ContainsFunc(trees, func(t *syntax.Regexp) bool { return canMatch(t, d) }):
		case d < utf8.RuneSelf:
			s.delimASCII[d] = true
		default:
			s.delimOther = append(s.delimOther, d)
		}
	}
	return s, nil
}

// expand pastes named pieces into a pattern as non-capturing groups.
func expand(p string, macros map[string]string) (string, error) {
	var err error
	out := useRe.ReplaceAllStringFunc(p, func(use string) string {
		body, ok := macros[use[1:]]
		if !ok && err == nil {
			err = fmt.Errorf("%s is not defined above this line", use)
		}
		return "(?:" + body + ")"
	})
	return out, err
}

// compilePattern parses one pattern, applies the spelling rules documented
// in phrases.txt, checks that it can only match whole words and compiles it
// leftmost-longest, so the longest phrase wins where several start at the
// same place.
func compilePattern(p string) (compiled, error) {
	tree, err := syntax.Parse(singleLetters(foldPattern(p)), syntax.Perl|syntax.FoldCase)
	if err != nil {
		// Parse as written, so that the error quotes what the author wrote.
		if _, err := syntax.Parse(p, syntax.Perl|syntax.FoldCase); err != nil {
			return compiled{}, err
		}
		return compiled{}, err
	}
	triggers := required(tree)
	tree = loosen(tree)
	if nullable(tree) {
		return compiled{}, errors.New("pattern can match empty text")
	}
	if edgeNonWord(tree, true) {
		return compiled{}, errors.New("pattern can start with a space or punctuation; start it with a letter or digit")
	}
	if edgeNonWord(tree, false) {
		return compiled{}, errors.New("pattern can end with a space or punctuation; end it with a letter or digit")
	}
	// Whole words only, in any script: Go's \b knows only ASCII letters, so
	// findAll checks the edges of each match itself (a class of every
	// letter on each side made compiling the lists ten times slower).
	re, err := regexp.Compile(`(?i)(?:` + tree.String() + `)`)
	if err != nil {
		return compiled{}, err
	}
	re.Longest()
	return compiled{re: re, triggers: triggers, tree: tree}, nil
}

// required returns what every match of re contains, as sets of letter
// strings in foldText form: a match contains a string from each set. Nil
// means nothing can be relied on. It reads the pattern before loosen: the
// letters of a literal stay in order in any match, each possibly repeated,
// which foldText undoes. At most maxSets sets are kept, the most selective.
func required(re *syntax.Regexp) [][]string {
	exact, all := prefilter(re)
	if u := usable(exact); u != nil {
		all = append(all, u)
	}
	slices.SortStableFunc(all, func(a, b []string) int {
		switch {
		case betterTriggers(a, b):
			return -1
		case betterTriggers(b, a):
			return 1
		}
		return 0
	})
	return all[:min(len(all), maxSets)]
}

const (
	maxExact = 64 // bound on the sets of exact strings prefilter multiplies out
	maxSets  = 4  // sets kept per pattern
)

// prefilter describes what a match of re must contain. exact, when not
// nil, lists every string of letters a match of re can be, once folded (""
// for an empty match). all lists sets of strings: a match contains one
// string of each set. Non-letters (spaces, apostrophes, hyphens) end an
// exact string, because loosen makes them optional or variable.
func prefilter(re *syntax.Regexp) (exact []string, all [][]string) {
	switch re.Op {
	case syntax.OpEmptyMatch:
		return []string{""}, nil
	case syntax.OpLiteral:
		isLetter := func(r rune) bool { return unicode.IsLetter(r) }
		if strings.IndexFunc(string(re.Rune), func(r rune) bool { return !isLetter(r) }) < 0 {
			return []string{string(foldText(nil, string(re.Rune)))}, nil
		}
		for _, run := range strings.FieldsFunc(string(re.Rune), func(r rune) bool { return !isLetter(r) }) {
			all = append(all, []string{string(foldText(nil, run))})
		}
		return nil, all
	case syntax.OpCharClass:
		var set []string
		for i := 0; i+1 < len(re.Rune); i += 2 {
			for r := re.Rune[i]; r <= re.Rune[i+1]; r++ {
				if !unicode.IsLetter(r) || len(set) > maxExact {
					return nil, nil
				}
				set = append(set, string(foldRune(r)))
			}
		}
		slices.Sort(set)
		return slices.Compact(set), nil
	case syntax.OpCapture:
		return prefilter(re.Sub[0])
	case syntax.OpQuest:
		if ex, _ := prefilter(re.Sub[0]); ex != nil {
			return union(ex, []string{""}), nil
		}
		return nil, nil
	case syntax.OpPlus:
		return nil, asSets(prefilter(re.Sub[0]))
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return nil, asSets(prefilter(re.Sub[0]))
		}
		return nil, nil
	case syntax.OpAlternate:
		// A match is a match of one branch: the union of one set from each
		// branch is needed (the branch's best), or exact strings if all are.
		var exact, set []string
		exactOK, setOK := true, true
		for _, sub := range re.Sub {
			ex, a := prefilter(sub)
			if exactOK && ex != nil && len(exact)+len(ex) <= maxExact {
				exact = union(exact, ex)
			} else {
				exactOK = false
			}
			var b []string
			for _, s := range asSets(ex, a) {
				if betterTriggers(s, b) {
					b = s
				}
			}
			if b == nil {
				setOK = false // this branch promises nothing
			}
			set = union(set, b)
		}
		switch {
		case exactOK:
			return exact, nil
		case setOK:
			return nil, [][]string{set}
		}
		return nil, nil
	case syntax.OpConcat:
		// Multiply out runs of exact children; a run ends at a child that is
		// not exact (or would make the run too big). Every run and every
		// child's sets are needed. Only if no run ended is the whole exact.
		cur := []string{""}
		isExact := true
		for _, sub := range re.Sub {
			ex, a := prefilter(sub)
			if ex != nil && len(cur)*len(ex) <= maxExact {
				cur = product(cur, ex)
				continue
			}
			isExact = false
			if u := usable(cur); u != nil {
				all = append(all, u)
			}
			all = append(all, a...)
			cur = []string{""}
			if ex != nil {
				cur = ex
			}
		}
		if isExact {
			return cur, nil
		}
		if u := usable(cur); u != nil {
			all = append(all, u)
		}
		return nil, all
	}
	return nil, nil
}

// asSets turns a node's description into sets only.
func asSets(exact []string, all [][]string) [][]string {
	if u := usable(exact); u != nil {
		return append(all, u)
	}
	return all
}

// usable returns set unless it is empty or holds "", which every text contains.
func usable(set []string) []string {
	if len(set) == 0 || slices.Contains(set, "") {
		return nil
	}
	return set
}

func union(a, b []string) []string {
	out := append(slices.Clone(a), b...)
	slices.Sort(out)
	return slices.Compact(out)
}

// product joins every string of a to every string of b, folding again so a
// doubled letter at the join is written once, as foldText writes it.
func product(a, b []string) []string {
	var out []string
	for _, x := range a {
		for _, y := range b {
			out = append(out, string(foldText(nil, x+y)))
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// betterTriggers prefers the set whose shortest string is longer (rarer in
// text), then the smaller set.
func betterTriggers(a, b []string) bool {
	if a == nil {
		return false
	}
	if b == nil {
		return true
	}
	minLen := func(ss []string) int {
		n := len(ss[0])
		for _, s := range ss {
			n = min(n, len(s))
		}
		return n
	}
	if ma, mb := minLen(a), minLen(b); ma != mb {
		return ma > mb
	}
	return len(a) < len(b)
}

// canMatch reports whether some match of re can contain the rune r.
func canMatch(re *syntax.Regexp, r rune) bool {
	switch re.Op {
	case syntax.OpLiteral:
		for _, l := range re.Rune {
			// Only letters have case: the delimiters asked about are not.
			if l == r || (re.Flags&syntax.FoldCase != 0 && unicode.IsLetter(r) && foldRune(l) == foldRune(r)) {
				return true
			}
		}
		return false
	case syntax.OpCharClass:
		for i := 0; i+1 < len(re.Rune); i += 2 {
			if re.Rune[i] <= r && r <= re.Rune[i+1] {
				return true
			}
		}
		return false
	case syntax.OpAnyChar:
		return true
	case syntax.OpAnyCharNotNL:
		return r != '\n'
	}
	for _, sub := range re.Sub {
		if canMatch(sub, r) {
			return true
		}
	}
	return false
}

// foldRune maps every rune to one representative of the runes it equals
// under (?i) (the smallest), so folded texts compare the way the patterns
// match: k, K and the Kelvin sign all become K.
func foldRune(r rune) rune {
	if r < utf8.RuneSelf {
		if 'a' <= r && r <= 'z' {
			return r - 'a' + 'A'
		}
		return r
	}
	m := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		m = min(m, f)
	}
	return m
}

// foldText appends s to buf with every rune folded and each run of one
// letter written once ("Kiiill" becomes "KIL"), the form triggers are kept
// in. Any match of a pattern, folded, contains one of its triggers.
func foldText(buf []byte, s string) []byte {
	prev := rune(-1)
	for _, r := range s {
		c := foldRune(r)
		if !unicode.IsLetter(c) {
			prev = -1
		} else if c == prev {
			continue
		} else {
			prev = c
		}
		buf = utf8.AppendRune(buf, c)
	}
	return buf
}

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
