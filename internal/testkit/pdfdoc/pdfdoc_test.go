package pdfdoc

import (
	"bytes"
	"os"
	"slices"
	"testing"

	"github.com/jung-kurt/gofpdf"
)

// A PDF made by gofpdf reads back with the font of every string, the
// glyphs its embedded subset lacks, and the dash patterns drawn.
func TestReadsBackGofpdfTextFontsAndDashes(t *testing.T) {
	regular, err := os.ReadFile("../../../reports/fonts/DejaVuSans.ttf")
	if err != nil {
		t.Fatal(err)
	}
	bold, err := os.ReadFile("../../../reports/fonts/DejaVuSans-Bold.ttf")
	if err != nil {
		t.Fatal(err)
	}
	pdf := gofpdf.New("P", "mm", "A4", "")
	pdf.AddUTF8FontFromBytes("DejaVu", "", regular)
	pdf.AddUTF8FontFromBytes("DejaVu", "B", bold)
	pdf.AddPage()
	pdf.SetFont("DejaVu", "", 10)
	pdf.CellFormat(100, 5, "Zoë (1) \\ Ελένη", "", 1, "L", false, 0, "")
	pdf.SetFont("DejaVu", "B", 12)
	pdf.CellFormat(100, 5, "王 Wang", "", 1, "L", false, 0, "")
	pdf.SetDashPattern([]float64{1, 2}, 0)
	pdf.Line(10, 50, 100, 50)
	pdf.AddPage()
	pdf.SetFont("DejaVu", "", 10)
	pdf.CellFormat(100, 5, "page two", "", 1, "L", false, 0, "")
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		t.Fatal(err)
	}

	doc, err := Parse(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Pages) != 2 {
		t.Fatalf("%d pages, want 2", len(doc.Pages))
	}
	texts, err := doc.Texts(doc.Pages[0])
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tx := range texts {
		got = append(got, tx.Font.Name+":"+string(tx.Runes))
	}
	want := []string{"utf8dejavu:Zoë (1) \\ Ελένη", "utf8dejavuB:王 Wang"}
	if !slices.Equal(got, want) {
		t.Errorf("texts = %q, want %q", got, want)
	}
	missing, err := doc.Glyphless()
	if err != nil {
		t.Fatal(err)
	}
	if len(missing) != 1 || string(missing["utf8dejavuB"]) != "王" {
		t.Errorf("glyphless = %q, want only 王 in the bold face", missing)
	}
	dashed := false
	for _, op := range doc.Pages[0].Ops {
		if op.Name == "d" && len(op.Args) == 2 && len(op.Args[0].Array) == 2 {
			dashed = true
		}
	}
	if !dashed {
		t.Error("the dash pattern was not read back")
	}
	p2, err := doc.Texts(doc.Pages[1])
	if err != nil || len(p2) != 1 || string(p2[0].Runes) != "page two" {
		t.Errorf("page two: %v %v", p2, err)
	}
}
