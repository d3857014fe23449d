package risk

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Clients type the same word many ways: with or without accents (Spanish
// "suicidio" / "suicídio", Vietnamese typed without its tone marks), Greek
// with or without tonos, Russian ё as е, Arabic with or without short
// vowels and with any of its alef forms. Scan therefore matches patterns
// against a folded copy of the text, in which every such variant is
// written one way, and patterns are folded the same way when they are
// compiled. Case is left to the patterns' (?i); folding only removes what
// case-insensitive matching cannot.

// normalize returns s folded (see foldRuneTo) and, when it differs from s,
// the byte offset in s at which the rune behind each byte of the result
// starts, with one more entry, len(s), for the end. A match [i, j) of the
// folded text is then [offs[i], offs[j]) of s, taking in any accents that
// followed its last letter. An ASCII text is its own folding: offs is nil.
func normalize(s string) (string, []int) {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return s, nil
	}
	out := make([]byte, 0, len(s))
	offs := make([]int, 0, len(s)+1)
	for i, r := range s {
		n := len(out)
		out = foldRuneTo(out, r)
		for range len(out) - n {
			offs = append(offs, i)
		}
	}
	offs = append(offs, len(s))
	return string(out), offs
}

// foldPattern folds a pattern's source the way normalize folds text. The
// syntax of a pattern is ASCII, which folding leaves alone.
func foldPattern(p string) string {
	out, _ := normalize(p)
	return out
}

// letterFolds are letters that are not written as a base letter plus
// accents, so decomposition cannot fold them, but that clients type as
// the base letter: Polish ł, Vietnamese đ, Danish ø, Turkish dotless ı,
// German ß, the ligatures; and the Arabic letters typed interchangeably
// at the end of a word (ة/ه, ى/ي) and the alef wasla.
var letterFolds = map[rune]string{
	'ł': "l", 'Ł': "L", 'đ': "d", 'Đ': "D", 'ø': "o", 'Ø': "O", 'ı': "i",
	'ß': "ss", 'ẞ': "SS", 'æ': "ae", 'Æ': "AE", 'œ': "oe", 'Œ': "OE",
	'ة': "ه", 'ى': "ي", 'ٱ': "ا",
}

// foldRuneTo appends r as folded text:
//   - combining marks are dropped (accents typed as separate characters,
//     Arabic short vowels and shadda, Hebrew points);
//   - the tatweel, which only stretches Arabic words, is dropped;
//   - Cyrillic keeps its letters as they are (й is not и), except ё,
//     which is commonly written е;
//   - any other letter loses its accents (é → e, ά → α, ễ → e, أ → ا)
//     and the letters in letterFolds are written as their base letter.
func foldRuneTo(dst []byte, r rune) []byte {
	switch {
	case r < utf8.RuneSelf:
		return append(dst, byte(r))
	case unicode.Is(unicode.Mn, r), r == 'ـ':
		return dst
	case r == 'ё':
		return utf8.AppendRune(dst, 'е')
	case r == 'Ё':
		return utf8.AppendRune(dst, 'Е')
	case unicode.Is(unicode.Cyrillic, r):
		return utf8.AppendRune(dst, r)
	}
	if f, ok := letterFolds[r]; ok {
		return append(dst, f...)
	}
	var src [utf8.UTFMax]byte
	var buf [4 * utf8.UTFMax]byte
	d := norm.NFD.Append(buf[:0], src[:utf8.EncodeRune(src[:], r)]...)
	for len(d) > 0 {
		c, w := utf8.DecodeRune(d)
		d = d[w:]
		if !unicode.Is(unicode.Mn, c) {
			dst = utf8.AppendRune(dst, c)
		}
	}
	return dst
}
