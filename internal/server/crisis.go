package server

import (
	"html/template"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// CrisisPart is a run of the practice's crisis-line text: plain text, or a
// phone number with the tel: link that dials it.
type CrisisPart struct {
	Text string
	Tel  template.URL // "" for plain text
}

// phoneRe finds what may be a phone number: digits in groups joined by a
// single space or hyphen, perhaps after a "+" ("999", "116 123",
// "+44 20 7946 0000", "1-800-273-8255").
var phoneRe = regexp.MustCompile(`\+?[0-9]+(?:[ -][0-9]+)*`)

// crisisParts splits the practice's crisis text so that each phone number
// in it is a tel: link, one tap from a phone. The admin writes plain text:
// no markup of theirs reaches the page, the text is escaped as always, and
// a link is built only from the digits of a number found, so it can hold
// nothing but "tel:" and digits.
func crisisParts(text string) []CrisisPart {
	var out []CrisisPart
	last := 0
	for _, m := range phoneRe.FindAllStringIndex(text, -1) {
		number := text[m[0]:m[1]]
		digits := strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' || r == '+' {
				return r
			}
			return -1
		}, number)
		n := len(strings.TrimPrefix(digits, "+"))
		// Two digits are a count ("24 hours"), sixteen are not a phone
		// number (E.164 allows fifteen); digits inside a word are not a
		// number of their own.
		if n < 3 || n > 15 || touchesWord(text, m[0], m[1]) {
			continue
		}
		if m[0] > last {
			out = append(out, CrisisPart{Text: text[last:m[0]]})
		}
		out = append(out, CrisisPart{Text: number, Tel: template.URL("tel:" + digits)})
		last = m[1]
	}
	if last < len(text) {
		out = append(out, CrisisPart{Text: text[last:]})
	}
	return out
}

// touchesWord reports whether text[i:j] runs straight on from or into a
// letter, digit or "/" ("A1234", "24/7", "1234abc", "Ω999").
func touchesWord(text string, i, j int) bool {
	isWord := func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '/' || r == '_' }
	before, _ := utf8.DecodeLastRuneInString(text[:i])
	after, _ := utf8.DecodeRuneInString(text[j:])
	return i > 0 && isWord(before) || j < len(text) && isWord(after)
}

// CrisisParts is the page's crisis text with its phone numbers as links.
func (p Page) CrisisParts() []CrisisPart { return crisisParts(p.Crisis) }
