package auth

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/trustelem/zxcvbn"
	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// Password length bounds of NIST SP 800-63B as R2 sets them, in characters.
const (
	MinPasswordLen = 12
	MaxPasswordLen = 128
)

// MinGuesses is how many guesses a password must be estimated to need.
// zxcvbn's dictionaries (30,000 common passwords, 80,000 words and names)
// and patterns (keyboard rows, sequences, repeats, dates, digits stuck on,
// l33t) find "password1234" in about 10^4 guesses, while a phrase of a few
// unrelated words needs more than 10^13. 10^10 is zxcvbn's top score:
// out of reach of guessing even after a leak of argon2id hashes.
const MinGuesses = 1e10

// estimateRunes caps how much of a password is estimated. zxcvbn's l33t
// matching grows fast with length (a 128-character string of l33t symbols
// takes close to a second); its first 24 characters take at most a few
// milliseconds. A prefix is never estimated stronger than the whole, so
// the cap can only refuse, never let a weak password through.
const estimateRunes = 24

// PasswordChecker applies the password policy (R2): length, not a common
// password (nor a common word, name or pattern with a few digits added),
// not the user's own email. No composition rules.
type PasswordChecker struct {
	// context are words every Trellis user might think of: the service's
	// own name (NIST SP 800-63B: context-specific words).
	context []string
}

// NewPasswordChecker returns the checker.
func NewPasswordChecker() *PasswordChecker {
	return &PasswordChecker{context: []string{"trellis"}}
}

// Guesses estimates how many guesses password would take, given the
// user's email, on its first estimateRunes characters.
func (c *PasswordChecker) Guesses(password, email string) float64 {
	// Accents folded away ("pässwörd" → "password"), so a common password
	// with accents added is found too. A Transformer keeps state: one per
	// call.
	stripMarks := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	p, _, err := transform.String(stripMarks, strings.TrimSpace(password))
	if err != nil {
		p = password // not valid text: estimated as typed
	}
	if r := []rune(p); len(r) > estimateRunes {
		p = string(r[:estimateRunes])
	}
	// This zxcvbn port counts some positions in bytes and others in
	// characters, so a character beyond ASCII upsets its sums (a Greek
	// word comes out at 0 guesses). Its dictionaries hold ASCII only:
	// estimate each ASCII run with it and count every other character as
	// zxcvbn counts one it cannot place, 10 guesses.
	inputs := c.userInputs(email)
	guesses := 1.0
	start := 0
	flush := func(end int) {
		if end > start {
			guesses *= zxcvbn.PasswordStrength(p[start:end], inputs).Guesses
		}
	}
	for i, r := range p {
		if r < utf8.RuneSelf {
			continue
		}
		flush(i)
		guesses *= 10
		start = i + utf8.RuneLen(r)
	}
	flush(len(p))
	return guesses
}

// userInputs are the words of the user's own that a guesser would try
// first: the email, its local part and the pieces of it ("jo", "smith").
func (c *PasswordChecker) userInputs(email string) []string {
	in := append([]string(nil), c.context...)
	e := strings.ToLower(strings.TrimSpace(email))
	if e == "" {
		return in
	}
	local, _, _ := strings.Cut(e, "@")
	in = append(in, e, local)
	for _, w := range strings.FieldsFunc(local, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		if len(w) >= 3 {
			in = append(in, w)
		}
	}
	return in
}

// Problem returns a message for the person choosing password, or "" when
// the password is acceptable.
func (c *PasswordChecker) Problem(password, email string) string {
	if !utf8.ValidString(password) {
		return "Your password has characters we cannot read. Please type it again."
	}
	n := utf8.RuneCountInString(password)
	switch {
	case n < MinPasswordLen:
		return "Choose a password of at least 12 characters. A few words together work well."
	case n > MaxPasswordLen:
		return "Choose a password of at most 128 characters."
	}
	lower := strings.ToLower(strings.TrimSpace(password))
	if email != "" {
		e := strings.ToLower(strings.TrimSpace(email))
		local, _, _ := strings.Cut(e, "@")
		if lower == e || (len(local) >= 4 && lower == local) {
			return "Your password must not be your email address."
		}
	}
	if c.Guesses(password, email) < MinGuesses {
		return "That password is easy to guess: it is a common password, or a common word, name or keyboard pattern with a few letters or digits added. Please choose another. A few unrelated words together work well."
	}
	return ""
}
