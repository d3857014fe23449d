package risk

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

var updateReadme = flag.Bool("update-readme", false, "rewrite the README's table of corpus figures")

type corpusRow struct {
	line     int
	label    string
	category string
	text     string
}

// corpus is one language's labelled rows, testdata/corpus/<code>.tsv.
type corpus struct {
	lang Language
	file string
	rows []corpusRow
}

// readCorpora reads the corpus of every language the scanner loads, in its
// order (English first), and fails for a language without one.
func readCorpora(t *testing.T, s *Scanner) []corpus {
	t.Helper()
	var out []corpus
	for _, l := range s.Languages() {
		file := filepath.Join("testdata", "corpus", l.Code+".tsv")
		out = append(out, corpus{lang: l, file: file, rows: readCorpusFile(t, file, s.CategoryNames())})
	}
	files, err := filepath.Glob(filepath.Join("testdata", "corpus", "*.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(out) {
		t.Fatalf("%d corpus files for %d phrase lists: every corpus needs a list and every list a corpus", len(files), len(out))
	}
	return out
}

func readCorpusFile(t *testing.T, file string, categories []string) []corpusRow {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []corpusRow
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 3 || f[2] == "" {
			t.Fatalf("%s line %d: want label<TAB>category<TAB>text: %q", file, n, line)
		}
		r := corpusRow{line: n, label: f[0], category: f[1], text: f[2]}
		switch {
		case r.label == "flag" && slices.Contains(categories, r.category):
		case r.label == "ok" && r.category == "-":
		default:
			t.Fatalf("%s line %d: bad label/category %q/%q", file, n, r.label, r.category)
		}
		rows = append(rows, r)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

func pct(n, d int) float64 { return 100 * float64(n) / float64(d) }

// score is how the whole scanner (every list at once, as in the app) does
// on one language's corpus.
type score struct {
	flagRows, okRows, caught, falseAlarms, rightCategory int
	byCategory                                           map[string]int // flag rows per category
	misses, alarms, wrongCat                             []string
}

func (c corpus) score(t *testing.T, s *Scanner) score {
	sc := score{byCategory: map[string]int{}}
	where := func(r corpusRow) string { return c.file + ":" + strconv.Itoa(r.line) }
	for _, r := range c.rows {
		ms := s.Scan(r.text)
		checkMatches(t, r.text, ms)
		var phrases []string
		for _, m := range ms {
			phrases = append(phrases, m.Category+" ("+m.Language+"): "+m.Phrase)
		}
		switch r.label {
		case "flag":
			sc.flagRows++
			sc.byCategory[r.category]++
			if len(ms) == 0 {
				sc.misses = append(sc.misses, where(r)+" ["+r.category+"] "+r.text)
				continue
			}
			sc.caught++
			if slices.Contains(Categories(ms), r.category) {
				sc.rightCategory++
			} else {
				sc.wrongCat = append(sc.wrongCat, where(r)+" want "+r.category+", got "+strings.Join(phrases, "; ")+" | "+r.text)
			}
		case "ok":
			sc.okRows++
			if len(ms) > 0 {
				sc.falseAlarms++
				sc.alarms = append(sc.alarms, where(r)+" "+strings.Join(phrases, "; ")+" | "+r.text)
			}
		}
	}
	return sc
}

// TestCorpus scores every language's corpus. Each language must have
// enough rows of both labels, every category among its flag rows, at
// least 95 % recall and at most 5 % false positives.
func TestCorpus(t *testing.T) {
	s := newScanner(t)
	for _, c := range readCorpora(t, s) {
		t.Run(c.lang.Code, func(t *testing.T) {
			sc := c.score(t, s)
			for _, m := range sc.misses {
				t.Logf("MISS %s", m)
			}
			for _, a := range sc.alarms {
				t.Logf("FALSE POSITIVE %s", a)
			}
			for _, w := range sc.wrongCat {
				t.Logf("OTHER CATEGORY %s", w)
			}
			minRows := 20
			if c.lang.Code == firstLanguage {
				minRows = 60
			}
			if sc.flagRows < minRows || sc.okRows < minRows {
				t.Fatalf("%s has %d flag and %d ok rows, want at least %d of each", c.file, sc.flagRows, sc.okRows, minRows)
			}
			for _, cat := range s.CategoryNames() {
				if sc.byCategory[cat] < 3 {
					t.Errorf("%s has %d flag rows for %s, want at least 3", c.file, sc.byCategory[cat], cat)
				}
			}
			recall, fpr := pct(sc.caught, sc.flagRows), pct(sc.falseAlarms, sc.okRows)
			t.Logf("%s: recall %.1f%% (%d/%d), false positives %.1f%% (%d/%d), expected category %d/%d",
				c.lang.Name(), recall, sc.caught, sc.flagRows, fpr, sc.falseAlarms, sc.okRows, sc.rightCategory, sc.caught)
			if recall < 95 {
				t.Errorf("recall %.1f%% < 95%%", recall)
			}
			if fpr > 5 {
				t.Errorf("false-positive rate %.1f%% > 5%%", fpr)
			}
		})
	}
}

const (
	readmeFile       = "../../README.md"
	readmeTableBegin = "<!-- risk-corpus-table: written by go test ./internal/risk -run TestREADMECorpusTable -update-readme -->\n"
	readmeTableEnd   = "<!-- end of risk-corpus-table -->\n"
)

// TestREADMECorpusTable keeps the README's figures the ones the corpus
// gives: a list or corpus change that moves a figure fails here until the
// table is rewritten with -update-readme.
func TestREADMECorpusTable(t *testing.T) {
	s := newScanner(t)
	var b strings.Builder
	b.WriteString("| language | scripts | flag rows | recall | ok rows | false positives |\n|---|---|---:|---:|---:|---:|\n")
	for _, c := range readCorpora(t, s) {
		sc := c.score(t, s)
		fmt.Fprintf(&b, "| %s | %s | %d | %.1f %% | %d | %.1f %% |\n", c.lang.Name(), strings.Join(c.lang.Scripts, ", "),
			sc.flagRows, pct(sc.caught, sc.flagRows), sc.okRows, pct(sc.falseAlarms, sc.okRows))
	}
	table := b.String()

	readme, err := os.ReadFile(readmeFile)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(readme, []byte(readmeTableBegin))
	j := bytes.Index(readme, []byte(readmeTableEnd))
	if i < 0 || j < i {
		t.Fatalf("README.md has no risk corpus table between %q and %q", readmeTableBegin, readmeTableEnd)
	}
	got := string(readme[i+len(readmeTableBegin) : j])
	if got == table {
		return
	}
	if *updateReadme {
		out := slices.Concat(readme[:i+len(readmeTableBegin)], []byte(table), readme[j:])
		if err := os.WriteFile(readmeFile, out, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("README.md's corpus table is out of date; run go test ./internal/risk -run TestREADMECorpusTable -update-readme\nREADME:\n%s\nnow:\n%s", got, table)
}
