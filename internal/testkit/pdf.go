package testkit

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trellis-app/trellis/internal/testkit/debian"
)

// PDFText is the text of a PDF as poppler's pdftotext reads it back, page
// by page (pages are separated by form feeds), in reading order.
func PDFText(t testing.TB, pdf []byte) string {
	t.Helper()
	bin := debian.Tool(t, "poppler-utils", "", "pdftotext")
	path := filepath.Join(t.TempDir(), "report.pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-enc", "UTF-8", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

// PDFPages splits PDFText's output into its pages.
func PDFPages(text string) []string {
	pages := strings.Split(text, "\f")
	if n := len(pages); n > 0 && strings.TrimSpace(pages[n-1]) == "" {
		pages = pages[:n-1]
	}
	return pages
}
