package reports

import (
	"strings"
	"testing"
	"unicode"

	"golang.org/x/text/unicode/bidi"
	"golang.org/x/text/unicode/norm"

	"github.com/trellis-app/trellis/internal/testkit/pdfdoc"
)

// readBack is extracted text as a reader copies it: Arabic presentation
// forms back to letters (NFKC, as PDF readers copy them), and without the
// embedding marks pdftotext puts around right-to-left runs.
func readBack(s string) string {
	s = strings.Map(func(r rune) rune {
		if r >= 0x202A && r <= 0x202E || r == 0x200E || r == 0x200F {
			return -1
		}
		return r
	}, s)
	return norm.NFKC.String(s)
}

// expectGlyphs fails unless every rune the PDF shows has a glyph in the
// embedded font program it is shown in (sfnt GlyphIndex ≠ 0 in the
// subset the PDF carries): a box-free page, which pdftotext cannot tell.
func expectGlyphs(t testing.TB, pdf []byte) {
	t.Helper()
	doc, err := pdfdoc.Parse(pdf)
	if err != nil {
		t.Fatalf("read the PDF back: %v", err)
	}
	missing, err := doc.Glyphless()
	if err != nil {
		t.Fatal(err)
	}
	for font, rs := range missing {
		t.Errorf("font %s shows %q without a glyph for it", font, rs)
	}
}

// shownIn is, by embedded font, the runes the PDF shows in it.
func shownIn(t testing.TB, pdf []byte) map[string][]rune {
	t.Helper()
	doc, err := pdfdoc.Parse(pdf)
	if err != nil {
		t.Fatalf("read the PDF back: %v", err)
	}
	m, err := doc.ShownIn()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// Chinese, Japanese, Arabic and Hebrew names print in both reports:
// pdftotext reads them back in logical order, CJK in the fallback font
// and the rest in DejaVu, each with a glyph for every rune.
func TestNamesInFourMoreScriptsPrintInOrderInTheirOwnFont(t *testing.T) {
	for _, tc := range []struct {
		name string
		cjk  bool
	}{
		{"王小明", true},
		{"佐藤 花子", true},
		{"ليلى حداد", false},
		{"נועה לוי", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := history(tc.name, 8, 3)
			// Their words too, not just the name: a whole answer and a
			// flag in the client's script, with numbers and brackets.
			s.Reflections[0].Answers[0].Answer = []string{tc.name + " (2), 70%"}
			r := session(tc.name)
			for kind, pdf := range map[string][]byte{"progress": progressPDF(t, s), "session": sessionPDF(t, r)} {
				ps := pages(t, pdf)
				text := readBack(strings.Join(ps, "\f"))
				if !strings.Contains(text, tc.name) {
					t.Errorf("%s: %q not read back; page 1:\n%s", kind, tc.name, ps[0])
				}
				if kind == "progress" && !strings.Contains(readBack(strings.Join(ps[1:], "\f")), tc.name) {
					t.Errorf("%s: the running header of later pages lacks %q", kind, tc.name)
				}
				if strings.ContainsRune(text, Replacement) {
					t.Errorf("%s: a replacement character was printed", kind)
				}
				expectGlyphs(t, pdf)
				fonts := shownIn(t, pdf)
				for _, r := range strings.ReplaceAll(tc.name, " ", "") {
					in := ""
					for font, rs := range fonts {
						if strings.ContainsRune(string(rs), r) {
							in = font
						}
					}
					if tc.cjk && in != "utf8droidfallback" {
						t.Errorf("%s: %q shown in %q, want the CJK fallback", kind, r, in)
					}
				}
				if !tc.cjk {
					if _, ok := fonts["utf8droidfallback"]; ok {
						t.Errorf("%s: the CJK fallback is embedded although nothing needs it", kind)
					}
				}
			}
		})
	}
}

// A report with none of those scripts does not carry the 2.4 MB fallback.
func TestReportsWithoutCJKDoNotEmbedTheFallback(t *testing.T) {
	pdf := progressPDF(t, history("Zoë Martin", 8, 3))
	if _, ok := shownIn(t, pdf)["utf8droidfallback"]; ok || len(pdf) > 400_000 {
		t.Errorf("a Latin-only report is %d bytes and uses the fallback: %v", len(pdf), ok)
	}
}

// Visual order of right-to-left text by the bidirectional algorithm: each
// case reads, from the right, as the logical text does.
func TestRightToLeftTextIsDrawnInVisualOrder(t *testing.T) {
	for _, tc := range []struct {
		logical, visual string
		rtl             bool
	}{
		{"plain text", "plain text", false},
		{"נועה לוי", "יול העונ", true},
		// Numbers keep their digits' order inside right-to-left text.
		{"שלום 12 abc", "abc 12 םולש", true},
		{"ליאור 2024 – 2025", "2025 – 2024 רואיל", true},
		// Brackets are mirrored and stay with what they enclose (N0).
		{"Name: נועה לוי (2)", "Name: (2) יול העונ", false},
		{"נועה (שרה) לוי", "יול (הרש) העונ", true},
		// A right-to-left name in an English line, isolated, keeps the
		// numbers after it on their side.
		{"Progress summary · " + isolate("נועה לוי") + " · 6 Mar 2025", "Progress summary · יול העונ · 6 Mar 2025", false},
		// A right-to-left line ends on the left, trailing space included.
		{"נועה ", " העונ", true},
		// Marks follow their letter (L3): shin with shin dot and qamats.
		{"\u05e9\u05c1\u05b8\u05dc\u05d5\u05b9\u05dd", "\u05dd\u05d5\u05b9\u05dc\u05e9\u05c1\u05b8", true},
		// Arabic-Indic digits are a number too.
		{"عمري ٣٥ سنة", "ةنس ٣٥ يرمع", true},
	} {
		if got := visual(tc.logical, tc.rtl); got != tc.visual {
			t.Errorf("visual(%q) = %q, want %q", tc.logical, got, tc.visual)
		}
		if rtlBase(dropIsolates(tc.logical)) != tc.rtl && !strings.ContainsRune(tc.logical, fsi) {
			t.Errorf("rtlBase(%q) = %v", tc.logical, !tc.rtl)
		}
	}
}

// Arabic letters take their joined forms, and lam-alef its ligature.
func TestArabicLettersAreJoined(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		// lam initial, yeh medial, lam medial, alef maksura final.
		{"ليلى", "\ufedf\ufef4\ufee0\ufef0"},
		// hah initial, dal final; alef and dal join nothing after them.
		{"حداد", "\ufea3\ufeaa\ufe8d\ufea9"},
		{"لا", "\ufefb"},
		{"سلام", "\ufeb3\ufefc\ufee1"},
		// A mark between letters does not break the join.
		{"بَب", "\ufe91\u064e\ufe90"},
		// Persian peh from Presentation Forms-A.
		{"پپ", "\ufb58\ufb57"},
		{"Hello", "Hello"},
	} {
		if got := shapeArabic(tc.in); got != tc.want {
			t.Errorf("shapeArabic(%q) = %+q, want %+q", tc.in, got, tc.want)
		}
		if norm.NFKC.String(shapeArabic(tc.in)) != norm.NFKC.String(tc.in) {
			t.Errorf("%q does not read back as itself", tc.in)
		}
	}
}

// invisible's shortcuts (IsControl for Cc, nothing but the soft hyphen
// below U+0600 in Cf) leave it the same as the two tables, for every rune.
func TestInvisibleIsExactlyTheControlAndFormatCharacters(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if want := unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r); invisible(r) != want {
			t.Fatalf("invisible(%U) = %v, want %v", r, !want, want)
		}
	}
}

func TestMayBeRTLHoldsEveryRightToLeftRune(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if c := class(r); (c == bidi.R || c == bidi.AL || c == bidi.AN) && !mayBeRTL(r) {
			t.Fatalf("%U is of class %v, which mayBeRTL rules out", r, c)
		}
	}
}
