package reports

import (
	_ "embed"
	"fmt"
	"strings"
	"sync"
	"unicode"

	"github.com/jung-kurt/gofpdf"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/text/unicode/norm"
)

// DejaVu Sans (Debian's fonts-dejavu-core, Bitstream Vera licence, see
// fonts/LICENSE-DejaVu.txt) is embedded because it covers Latin including
// Vietnamese, Greek, Cyrillic, Hebrew and Arabic (with the presentation
// forms the shaping in arabic.go needs); the Go fonts lack ễ, ị, ư, ơ.
// Chinese, Japanese and Korean are printed in a subset of Droid Sans
// Fallback (Debian's fonts-droid-fallback, Apache-2.0, see
// fonts/LICENSE-DroidSansFallback.txt and fonts/subset-cjk.sh): the main
// font draws every rune it has, the fallback the rest. The fallback has one
// weight; bold text in those scripts prints in it unbolded.
var (
	//go:embed fonts/DejaVuSans.ttf
	fontRegular []byte
	//go:embed fonts/DejaVuSans-Bold.ttf
	fontBold []byte
	//go:embed fonts/DroidSansFallback-subset.ttf
	fontCJK []byte
)

const (
	fontFamily = "DejaVu"
	cjkFamily  = "DroidFallback"
)

// parsedFonts are the embedded fonts as gofpdf reads them, parsed once per
// process rather than once per report (parsing and hashing a font's
// widths was a tenth of a year's report). gofpdf gives every document its
// own copy of the font file: it pads font tables in place while subsetting.
type parsedFonts struct{ regular, bold, cjk *gofpdf.UTF8Font }

var pdfFonts = sync.OnceValues(func() (parsedFonts, error) {
	var p parsedFonts
	var err error
	for _, f := range []struct {
		to   **gofpdf.UTF8Font
		from []byte
	}{{&p.regular, fontRegular}, {&p.bold, fontBold}, {&p.cjk, fontCJK}} {
		if *f.to, err = gofpdf.ParseUTF8Font(f.from); err != nil {
			return parsedFonts{}, fmt.Errorf("parse embedded font for PDF: %w", err)
		}
	}
	return p, nil
})

// Replacement is printed in place of a character no embedded font can
// draw (Devanagari, Thai, emoji …). DejaVu Sans has a glyph for it, so the
// reader sees a marked gap rather than an empty box or nothing at all.
const Replacement = '\uFFFD'

// bitmap has bit r set for each rune r of the Basic Multilingual Plane a
// font has a glyph for. Runes above U+FFFF are never covered: gofpdf's
// UTF-8 font tables stop at U+FFFF and fail on anything beyond.
type bitmap [1 << 16 / 64]uint64

// fontCoverage says which runes each embedded font can draw: main when
// both DejaVu faces have a glyph, cjk when the fallback has one. It is
// computed once, read only afterwards.
type fontCoverage struct{ main, cjk bitmap }

var coverage = sync.OnceValues(func() (*fontCoverage, error) {
	parse := func(b []byte) (*sfnt.Font, error) {
		f, err := sfnt.Parse(b)
		if err != nil {
			return nil, fmt.Errorf("parse embedded font: %w", err)
		}
		return f, nil
	}
	var c fontCoverage
	var buf sfnt.Buffer
	fill := func(bits *bitmap, fonts ...[]byte) error {
		faces := make([]*sfnt.Font, 0, len(fonts))
		for _, b := range fonts {
			f, err := parse(b)
			if err != nil {
				return err
			}
			faces = append(faces, f)
		}
		for r := rune(0); r < 1<<16; r++ {
			ok := true
			for _, f := range faces {
				g, err := f.GlyphIndex(&buf, r)
				if err != nil || g == 0 {
					ok = false
					break
				}
			}
			if ok {
				bits[r/64] |= 1 << (r % 64)
			}
		}
		return nil
	}
	if err := fill(&c.main, fontRegular, fontBold); err != nil {
		return nil, err
	}
	if err := fill(&c.cjk, fontCJK); err != nil {
		return nil, err
	}
	return &c, nil
})

func covered(bits *bitmap, r rune) bool {
	return r >= 0 && r < 1<<16 && bits[r/64]&(1<<(r%64)) != 0
}

// printable reports whether some embedded font draws r.
func (c *fontCoverage) printable(r rune) bool { return covered(&c.main, r) || covered(&c.cjk, r) }

// Missing returns the distinct runes of text, in order of first appearance,
// that the report cannot print because no embedded font has a glyph for
// them (sfnt GlyphIndex is 0 in DejaVu Sans, regular or bold, and in the
// CJK fallback). Line breaks, tabs and
// invisible formatting characters are not reported: the renderer turns them
// into layout or drops them. Text is judged after NFC normalisation, the
// form the report prints.
func Missing(text string) []rune {
	bits, err := coverage()
	if err != nil {
		// The embedded font is part of the binary; a parse failure is a
		// build defect, and then nothing can be printed.
		return uniqueRunes(text)
	}
	var out []rune
	seen := map[rune]bool{}
	for _, r := range norm.NFC.String(text) {
		if ignorable(r) || bits.printable(r) || seen[r] {
			continue
		}
		seen[r] = true
		out = append(out, r)
	}
	return out
}

func uniqueRunes(s string) []rune {
	var out []rune
	seen := map[rune]bool{}
	for _, r := range s {
		if !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	return out
}

// ignorable runes never reach the page as glyphs: line breaks and tabs
// become layout, other controls and format characters (zero-width joiners,
// bidi marks, soft hyphens) are dropped.
func ignorable(r rune) bool {
	return r == '\n' || r == '\t' || invisible(r)
}

// invisible: control and format characters (Cc, Cf). Cc is IsControl's
// set; the only format character before U+0600 is the soft hyphen, and
// there is none between U+180F and U+200A, so Latin (Vietnamese among it),
// Greek, Cyrillic and Hebrew letters skip the table search (every rune of
// every report passes here).
func invisible(r rune) bool {
	return unicode.IsControl(r) || r == 0xAD ||
		(r >= 0x600 && (r <= 0x180E || r >= 0x200B) && unicode.Is(unicode.Cf, r))
}

// cleaner makes user text printable with the embedded font and records
// what it had to replace, so the report can say so.
type cleaner struct {
	bits    *fontCoverage
	missing []rune
	seen    map[rune]bool
}

func newCleaner() (*cleaner, error) {
	bits, err := coverage()
	if err != nil {
		return nil, err
	}
	return &cleaner{bits: bits, seen: map[rune]bool{}}, nil
}

// text normalises s to NFC (so "e" + combining marks becomes the single
// precomposed letter DejaVu draws well), turns tabs into spaces, drops
// control and format characters (bidi controls among them: the report
// orders right-to-left text itself), keeps line breaks when multiline,
// replaces every rune without a glyph by Replacement and gives Arabic
// letters their joined forms.
func (c *cleaner) text(s string, multiline bool) string {
	s = norm.NFC.String(s)
	if c.unchanged(s, multiline) {
		return shapeArabic(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r == '\n':
			if multiline {
				b.WriteRune('\n')
			} else {
				b.WriteRune(' ')
			}
		case r == '\t':
			b.WriteString("    ")
		case invisible(r): // '\r' among them
			// dropped: invisible, and gofpdf would draw a missing glyph
		case c.bits.printable(r):
			b.WriteRune(r)
		default:
			if !c.seen[r] {
				c.seen[r] = true
				c.missing = append(c.missing, r)
			}
			b.WriteRune(Replacement)
		}
	}
	return shapeArabic(b.String())
}

// unchanged reports whether text would copy s rune for rune (the common
// case), so it need not be copied.
func (c *cleaner) unchanged(s string, multiline bool) bool {
	for _, r := range s {
		switch {
		case r == '\n':
			if !multiline {
				return false
			}
		case r == '\t' || invisible(r) || !c.bits.printable(r):
			return false
		}
	}
	return true
}

func (c *cleaner) line(s string) string { return c.text(s, false) }

func (c *cleaner) lines(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = c.text(s, true)
	}
	return out
}

// note explains the replacement character, naming the code points (the
// characters themselves cannot be printed, by definition).
func (c *cleaner) note() string {
	if len(c.missing) == 0 {
		return ""
	}
	const show = 8
	codes := make([]string, 0, show)
	for i, r := range c.missing {
		if i == show {
			codes = append(codes, fmt.Sprintf("and %d more", len(c.missing)-show))
			break
		}
		codes = append(codes, fmt.Sprintf("U+%04X", r))
	}
	return fmt.Sprintf("Some characters cannot be printed with this report's fonts and are shown as %c (%s). They are kept unchanged in Trellis.",
		Replacement, strings.Join(codes, ", "))
}
