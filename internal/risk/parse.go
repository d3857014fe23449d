package risk

import (
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
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
