package reports

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// The tests read the PDFs back with poppler-utils (pdftotext, pdfinfo,
// pdftoppm). When they are missing they are installed if this process may
// (root with apt-get); otherwise the tests fail loudly, never skip.

func popplerTool(t testing.TB, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if os.Geteuid() == 0 {
		if _, err := exec.LookPath("apt-get"); err == nil {
			// Test binaries of several packages run at once: one installs.
			unlock := lockFile(t, "/tmp/trellis-install.lock")
			defer unlock()
			if p, err := exec.LookPath(name); err == nil {
				return p
			}
			t.Logf("%s is missing: installing Debian's poppler-utils", name)
			for _, args := range [][]string{{"update"}, {"install", "-y", "--no-install-recommends", "poppler-utils"}} {
				cmd := exec.Command("apt-get", args...)
				cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("apt-get %v: %v\n%s", args, err, out)
				}
			}
			if p, err := exec.LookPath(name); err == nil {
				return p
			}
		}
	}
	t.Fatalf("%s (poppler-utils) is not installed and could not be installed here. Install it (Debian/Ubuntu: apt-get install poppler-utils) and run the tests again.", name)
	return ""
}

func lockFile(t testing.TB, path string) func() {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		t.Fatalf("open lock %s: %v", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatalf("lock %s: %v", path, err)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		_ = f.Close()
	}
}

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
	cmd := exec.Command(popplerTool(t, name), args...)
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
