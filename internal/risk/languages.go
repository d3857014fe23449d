package risk

import (
	"regexp/syntax"
	"slices"
	"unicode"
)

// Language is one phrase list: its code (the file's name) and the scripts
// its phrases are written in, read off the phrases themselves.
type Language struct {
	Code    string
	Scripts []string // unicode.Scripts names: "Latin", "Cyrillic"
}

// Name is the language's English name: "Russian".
func (l Language) Name() string { return languageNames[l.Code] }

// languageNames holds a name for every list in phrases/; New refuses a
// file whose code is missing here, so a page never shows a bare code.
var languageNames = map[string]string{
	"ar":   "Arabic",
	"de":   "German",
	"el":   "Greek",
	"en":   "English",
	"es":   "Spanish",
	"fr":   "French",
	"it":   "Italian",
	"pl":   "Polish",
	"pt":   "Portuguese",
	"ru":   "Russian",
	"vi":   "Vietnamese",
	"test": "Test",
}

// LanguageName is the English name of a list's code, or the code itself
// for one this version does not know (a flag stored by a newer version).
func LanguageName(code string) string {
	if n, ok := languageNames[code]; ok {
		return n
	}
	return code
}

// Languages lists the phrase lists, English first.
func (s *Scanner) Languages() []Language {
	return slices.Clone(s.languages)
}

// scriptOrder is where scriptOf looks first: the scripts clients of a
// European or Middle Eastern practice most often write in, then the
// others a page should be able to name.
var scriptOrder = []string{
	"Latin", "Greek", "Cyrillic", "Arabic", "Hebrew", "Han", "Hiragana",
	"Katakana", "Hangul", "Devanagari", "Bengali", "Gurmukhi", "Gujarati",
	"Tamil", "Telugu", "Kannada", "Malayalam", "Sinhala", "Thai", "Lao",
	"Khmer", "Myanmar", "Tibetan", "Armenian", "Georgian", "Ethiopic",
	"Thaana", "Syriac",
}

// scriptOf names the script of a letter, "" for a rune that is no letter
// (digits, punctuation and emoji belong to no language) and "Other" for a
// letter of a script not in scriptOrder.
func scriptOf(r rune) string {
	if !unicode.IsLetter(r) {
		return ""
	}
	for _, name := range scriptOrder {
		if unicode.Is(unicode.Scripts[name], r) {
			return name
		}
	}
	return "Other"
}

// addScripts adds the scripts of the letters a pattern spells out.
func addScripts(scripts []string, re *syntax.Regexp) []string {
	if re.Op == syntax.OpLiteral {
		for _, r := range re.Rune {
			if sc := scriptOf(r); sc != "" && sc != "Other" && !slices.Contains(scripts, sc) {
				scripts = append(scripts, sc)
			}
		}
	}
	for _, sub := range re.Sub {
		scripts = addScripts(scripts, sub)
	}
	return scripts
}

// UncoveredScripts names the scripts text is written in that no phrase
// list covers, in the order they first appear: text in those scripts was
// not checked at all, and a page must say so rather than show no flag.
// Latin text in a language without a list (Dutch, say) cannot be told
// from a covered one this way; the README says so.
func (s *Scanner) UncoveredScripts(text string) []string {
	var out []string
	for _, r := range text {
		if r < 0x80 {
			continue // ASCII: Latin, covered by English
		}
		sc := scriptOf(r)
		if sc == "" || slices.Contains(out, sc) || s.covers(sc) {
			continue
		}
		out = append(out, sc)
	}
	return out
}

func (s *Scanner) covers(script string) bool {
	for _, l := range s.languages {
		if slices.Contains(l.Scripts, script) {
			return true
		}
	}
	return false
}
