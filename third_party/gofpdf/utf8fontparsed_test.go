package gofpdf

// Trellis fork: tests of ParseUTF8Font and AddUTF8FontParsed.

import (
	"bytes"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// The fork carries no fonts; Trellis's embedded ones are two folders up.
func fontFile(t testing.TB, name string) []byte {
	b, err := os.ReadFile("../../reports/fonts/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sample writes a few pages in a regular, a bold and a CJK font, added by
// add, with the page count alias; the catalogue is sorted and the dates
// fixed, so the same fonts give the same bytes.
func sample(t testing.TB, add func(f *Fpdf)) []byte {
	f := New("P", "mm", "A4", "")
	f.SetCatalogSort(true)
	when := time.Date(2026, 12, 3, 17, 0, 0, 0, time.UTC)
	f.SetCreationDate(when)
	f.SetModificationDate(when)
	add(f)
	f.AliasNbPages("{nb}")
	f.SetFooterFunc(func() {
		f.SetFont("DejaVu", "", 8)
		f.CellFormat(0, 5, "Trang {nb}", "", 0, "C", false, 0, "")
	})
	lines := []string{
		"Nguyễn Thị Hương viết: hôm nay tôi thấy nhẹ nhõm hơn (8/10).",
		"Дмитрий Иванов: «тревога» — 4 из 10.",
		"Ελληνικά, עברית, العربية",
	}
	for p := 0; p < 3; p++ {
		f.AddPage()
		for i, l := range lines {
			style := ""
			if i == 0 {
				style = "B"
			}
			f.SetFont("DejaVu", style, 11)
			f.MultiCell(0, 6, strings.Repeat(l+" ", 1+p), "", "L", false)
		}
		f.SetFont("Droid", "", 11)
		f.CellFormat(0, 6, "今天我感觉好一些。安心しました。", "", 1, "L", false, 0, "")
	}
	var buf bytes.Buffer
	if err := f.Output(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

type fonts struct{ regular, bold, cjk []byte }

func loadFonts(t testing.TB) fonts {
	return fonts{fontFile(t, "DejaVuSans.ttf"), fontFile(t, "DejaVuSans-Bold.ttf"), fontFile(t, "DroidSansFallback-subset.ttf")}
}

// fromBytes adds the fonts as upstream does, each from a copy (upstream
// writes into the bytes it is given).
func (fs fonts) fromBytes(f *Fpdf) {
	f.AddUTF8FontFromBytes("DejaVu", "", append([]byte(nil), fs.regular...))
	f.AddUTF8FontFromBytes("DejaVu", "B", append([]byte(nil), fs.bold...))
	f.AddUTF8FontFromBytes("Droid", "", append([]byte(nil), fs.cjk...))
}

type parsed struct{ regular, bold, cjk *UTF8Font }

func parse(t testing.TB, fs fonts) parsed {
	var p parsed
	var err error
	for _, x := range []struct {
		to   **UTF8Font
		from []byte
	}{{&p.regular, fs.regular}, {&p.bold, fs.bold}, {&p.cjk, fs.cjk}} {
		if *x.to, err = ParseUTF8Font(x.from); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

func (p parsed) add(f *Fpdf) {
	f.AddUTF8FontParsed("DejaVu", "", p.regular)
	f.AddUTF8FontParsed("DejaVu", "B", p.bold)
	f.AddUTF8FontParsed("Droid", "", p.cjk)
}

// A parsed font, added to document after document, writes the bytes the
// font file added to each would.
func TestParsedFontWritesWhatTheFontFileWrites(t *testing.T) {
	fs := loadFonts(t)
	want := sample(t, fs.fromBytes)
	if again := sample(t, fs.fromBytes); !bytes.Equal(again, want) {
		t.Fatal("the sample is not the same twice over; the comparison below would mean nothing")
	}
	p := parse(t, fs)
	for i := 0; i < 3; i++ {
		if got := sample(t, p.add); !bytes.Equal(got, want) {
			t.Fatalf("document %d with the parsed fonts: %d bytes unlike the %d from the font files", i, len(got), len(want))
		}
	}
}

// Documents made at once from one parsed font share nothing they write
// (run under -race; subsetting pads font tables in place) and each is the
// document made alone.
func TestParsedFontInDocumentsMadeAtOnce(t *testing.T) {
	fs := loadFonts(t)
	p := parse(t, fs)
	want := sample(t, p.add)
	const n = 6
	out := make([][]byte, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			out[i] = sample(t, p.add)
		}(i)
	}
	wg.Wait()
	for i, got := range out {
		if !bytes.Equal(got, want) {
			t.Errorf("document %d made alongside others differs from one made alone", i)
		}
	}
}

func TestAddUTF8FontParsedWithoutAFontIsAnError(t *testing.T) {
	f := New("P", "mm", "A4", "")
	f.AddUTF8FontParsed("DejaVu", "", nil)
	if f.Err() == false {
		t.Fatal("adding no font was not recorded as an error")
	}
	if _, err := ParseUTF8Font([]byte("not a font at all")); err == nil {
		t.Fatal("ParseUTF8Font accepted bytes that are not a font")
	}
}
