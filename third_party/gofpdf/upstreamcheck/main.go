// Command upstreamcheck writes one document (40 pages through every path
// the fork changed) to standard output, for check.sh to compare gofpdf
// v1.16.2's file with the fork's byte for byte.
package main

import (
	"bytes"
	"os"
	"strings"
	"time"

	"github.com/jung-kurt/gofpdf"
)

func main() {
	dir := os.Args[1] // the fonts
	rd := func(n string) []byte { b, _ := os.ReadFile(dir + "/" + n); return b }
	f := gofpdf.New("P", "mm", "A4", "")
	f.SetCatalogSort(true)
	when := time.Date(2026, 12, 3, 17, 0, 0, 0, time.UTC)
	f.SetCreationDate(when)
	f.SetModificationDate(when)
	for _, x := range [][3]string{{"DejaVu", "", "DejaVuSans.ttf"}, {"DejaVu", "B", "DejaVuSans-Bold.ttf"}, {"Droid", "", "DroidSansFallback-subset.ttf"}} {
		addFont(f, x[0], x[1], rd(x[2]))
	}
	f.AliasNbPages("{nb}")
	f.SetFooterFunc(func() {
		f.SetFont("DejaVu", "", 8)
		f.SetTextColor(90, 90, 90)
		f.CellFormat(0, 5, "Trang {nb} (x) \\ y", "", 0, "C", false, 0, "")
	})
	lines := []string{
		"Nguyễn Thị Hương viết: hôm nay (tôi) thấy nhẹ nhõm hơn \\ 8/10.",
		"Дмитрий Иванов: «тревога» — 4 из 10. 0123456789 !\"#$%&'()*+,-./:;<=>?@",
		"Ελληνικά, עברית, العربية",
	}
	for p := 0; p < 40; p++ {
		f.AddPage()
		for i, l := range lines {
			style := ""
			if i == 0 {
				style = "B"
			}
			f.SetFont("DejaVu", style, 11)
			f.SetTextColor(10*i, 20, 30)
			f.MultiCell(0, 6, strings.Repeat(l+" ", 1+p%5), "", "J", p%2 == 0)
			f.CellFormat(80, 6, l, "1", 1, "R", true, 0, "")
		}
		f.Text(20, 200, "Text() "+lines[1])
		f.SetFont("Droid", "", 11)
		f.CellFormat(0, 6, "今天我感觉好一些。安心しました。 {nb}", "", 1, "L", false, 0, "")
		f.Line(10, 10, 100, 100)
	}
	var buf bytes.Buffer
	if err := f.Output(&buf); err != nil {
		panic(err)
	}
	os.Stdout.Write(buf.Bytes())
}
