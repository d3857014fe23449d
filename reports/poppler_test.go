package reports

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/trellis-app/trellis/internal/testkit/debian"
)

// The tests read the PDFs back with poppler-utils (pdftotext, pdfinfo,
// pdftoppm), installed when missing (see internal/testkit/debian).

// savePDF writes the PDF to a temporary file (and, when
// TRELLIS_REPORTS_OUT names a directory, keeps a copy there to look at).
func savePDF(t testing.TB, name string, pdf []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	if dir := os.Getenv("TRELLIS_REPORTS_OUT"); dir != "" {
		if err := os.WriteFile(filepath.Join(dir, name), pdf, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

func run(t testing.TB, name string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(debian.Tool(t, "poppler-utils", "", name), args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, stderr.String())
	}
	if s := stderr.String(); strings.Contains(s, "Error") || strings.Contains(s, "Syntax") {
		t.Fatalf("%s %v complained about the PDF:\n%s", name, args, s)
	}
	return out
}

// pages is the text of each page as pdftotext -layout extracts it.
func pages(t testing.TB, pdf []byte) []string {
	t.Helper()
	path := savePDF(t, "report.pdf", pdf)
	text := string(run(t, "pdftotext", "-layout", "-enc", "UTF-8", path, "-"))
	ps := strings.Split(text, "\f")
	if len(ps) > 0 && strings.TrimSpace(ps[len(ps)-1]) == "" {
		ps = ps[:len(ps)-1]
	}
	if n := pageCount(t, path); n != len(ps) {
		t.Fatalf("pdfinfo says %d pages, pdftotext gave %d", n, len(ps))
	}
	return ps
}

func pageCount(t testing.TB, path string) int {
	t.Helper()
	m := regexp.MustCompile(`(?m)^Pages:\s+(\d+)`).FindSubmatch(run(t, "pdfinfo", path))
	if m == nil {
		t.Fatal("pdfinfo printed no page count")
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

// flat is text with every run of white space made one space, so phrases
// can be found whatever the line breaks.
func flat(s string) string { return strings.Join(strings.Fields(s), " ") }

type box struct {
	page                   int
	word                   string
	xMin, yMin, xMax, yMax float64 // points
	pageW, pageH           float64
}

var (
	pageRe = regexp.MustCompile(`<page width="([\d.]+)" height="([\d.]+)">`)
	wordRe = regexp.MustCompile(`<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>`)
)

// words returns every word's bounding box as pdftotext -bbox measures it.
func words(t testing.TB, pdf []byte) []box {
	t.Helper()
	path := savePDF(t, "bbox.pdf", pdf)
	out := string(run(t, "pdftotext", "-bbox", "-enc", "UTF-8", path, "-"))
	var boxes []box
	page := 0
	var pw, ph float64
	for _, line := range strings.Split(out, "\n") {
		if m := pageRe.FindStringSubmatch(line); m != nil {
			page++
			pw, _ = strconv.ParseFloat(m[1], 64)
			ph, _ = strconv.ParseFloat(m[2], 64)
			continue
		}
		if m := wordRe.FindStringSubmatch(line); m != nil {
			b := box{page: page, word: m[5], pageW: pw, pageH: ph}
			b.xMin, _ = strconv.ParseFloat(m[1], 64)
			b.yMin, _ = strconv.ParseFloat(m[2], 64)
			b.xMax, _ = strconv.ParseFloat(m[3], 64)
			b.yMax, _ = strconv.ParseFloat(m[4], 64)
			boxes = append(boxes, b)
		}
	}
	if len(boxes) == 0 {
		t.Fatal("pdftotext -bbox found no words")
	}
	return boxes
}
