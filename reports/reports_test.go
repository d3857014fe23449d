package reports

import (
	"bytes"
	"errors"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

func progressPDF(t testing.TB, s Summary) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteProgress(&buf, s); err != nil {
		t.Fatalf("WriteProgress: %v", err)
	}
	if !bytes.HasPrefix(buf.Bytes(), []byte("%PDF-")) {
		t.Fatalf("output is not a PDF: %q", buf.Bytes()[:min(buf.Len(), 16)])
	}
	return buf.Bytes()
}

func sessionPDF(t testing.TB, r SessionReport) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteSession(&buf, r); err != nil {
		t.Fatalf("WriteSession: %v", err)
	}
	return buf.Bytes()
}

var names = []struct{ script, name string }{
	{"Latin with diaeresis", "Zoë Martin"},
	{"Greek", "Ελένη Παπαδοπούλου"},
	{"Cyrillic", "Дмитрий Иванов"},
	{"Vietnamese", "Nguyễn Thị Hương"},
	{"Irish", "Siobhán O'Neill"},
	{"Chinese", "王小明"},
	{"Japanese", "佐藤 花子"},
	{"Arabic", "ليلى حداد"},
	{"Hebrew", "נועה לוי"},
}

func TestProgressPrintsClientNameInEveryScriptWithFiguresAndFeedback(t *testing.T) {
	for _, tc := range names {
		t.Run(tc.script, func(t *testing.T) {
			s := history(tc.name, 13, 6)
			pdf := progressPDF(t, s)
			text := readBack(strings.Join(pages(t, pdf), "\f"))
			if !strings.Contains(text, tc.name) {
				t.Errorf("client name %q not in the extracted text", tc.name)
			}
			f := flat(text)
			for _, want := range []string{
				"Riverside Counselling Practice",
				"Dr Anna Kowalski",
				"Period 30 Jan 2025 – 30 Apr 2025",
				"20 of 24 assignments submitted (83%); 17 of them on time (85%).",
				"assigned", "submitted · 83%", "on time · 85% of sent",
				"Generated 3 May 2025, 14:05 BST",
				"Thank you for writing this up so carefully (1). Notice how the balanced thought lowered the distress; let's look at the weekend pattern together.",
				"Flagged: distress rated 9 or above",
				confidential,
			} {
				if !strings.Contains(f, want) {
					t.Errorf("extracted text lacks %q", want)
				}
			}
			if strings.Contains(text, "PRIVATE-NOTE") || strings.Contains(text, "Therapist copy") {
				t.Error("private notes or the therapist-copy mark printed although notes were not included")
			}
			// Every rune that reached the page has a glyph in the font it
			// is printed in.
			if m := Missing(text); len(m) > 0 {
				t.Errorf("printed runes without a glyph: %q", m)
			}
			expectGlyphs(t, pdf)
		})
	}
}

func TestNamesInEveryScriptHaveGlyphs(t *testing.T) {
	for _, tc := range names {
		if m := Missing(tc.name); len(m) != 0 {
			t.Errorf("%s %q: missing glyphs %q", tc.script, tc.name, m)
		}
	}
	// Vietnamese typed with combining marks is printed precomposed.
	if m := Missing("Nguye\u0302\u0303n Thi\u0323 Hu\u031bo\u031bng"); len(m) != 0 {
		t.Errorf("decomposed Vietnamese: missing %q", m)
	}
}

// Scripts no embedded font covers (Devanagari, emoji) print as the
// replacement character, and the report says which characters it could
// not print.
func TestCharactersNoFontHasAreReplacedAndTheReportSaysSo(t *testing.T) {
	const name = "राम Wang"
	want := []rune{'र', 'ा', 'म'}
	if got := Missing(name); string(got) != string(want) {
		t.Fatalf("Missing(%q) = %q, want %q", name, got, want)
	}
	s := history(name, 4, 1)
	s.Reflections[0].Answers[0].Answer = []string{"An emoji 🙂 and Thai สวัสดี in an answer, then a broken byte \xff here."}
	pdf := progressPDF(t, s)
	text := strings.Join(pages(t, pdf), "\f")
	f := flat(text)
	if strings.ContainsAny(text, "राम🙂ส") {
		t.Error("a character without a glyph reached the page")
	}
	if !strings.Contains(text, "\uFFFD\uFFFD\uFFFD Wang") {
		t.Error("the Devanagari name is not printed as replacement characters")
	}
	if !strings.Contains(f, "Some characters cannot be printed with this report's fonts and are shown as \uFFFD (U+0930, U+093E, U+092E, U+1F642, U+0E2A") {
		t.Errorf("no note about the replaced characters in:\n%.600s", f)
	}
	expectGlyphs(t, pdf)
	// The same decision holds for the session report.
	sp := sessionPDF(t, session(name))
	st := strings.Join(pages(t, sp), "\f")
	if !strings.Contains(st, "\uFFFD\uFFFD\uFFFD Wang") || !strings.Contains(flat(st), "shown as \uFFFD (U+0930") {
		t.Error("session report: Devanagari name not replaced with a note")
	}
	expectGlyphs(t, sp)
}

func TestPrivateNotesOnlyWhenTickedAndThenEveryPageSaysTherapistCopy(t *testing.T) {
	s := history("Ελένη Παπαδοπούλου", 26, 30)

	t.Run("not ticked", func(t *testing.T) {
		ps := pages(t, progressPDF(t, s))
		text := strings.Join(ps, "\f")
		f := flat(text)
		for _, n := range s.Notes {
			// The whole note, its marker, or a distinctive phrase of it.
			phrase := strings.Join(strings.Fields(n.Text)[1:4], " ")
			if strings.Contains(f, n.Text) || strings.Contains(f, phrase) || strings.Contains(text, "PRIVATE-NOTE") {
				t.Errorf("private note %q printed", n.Text)
			}
		}
		if strings.Contains(text, "Therapist copy") || strings.Contains(text, "Private notes") {
			t.Error("therapist-copy marking printed on the client-safe copy")
		}
	})

	t.Run("ticked", func(t *testing.T) {
		s := s
		s.IncludeNotes = true
		ps := pages(t, progressPDF(t, s))
		if len(ps) < 3 {
			t.Fatalf("want a several-page report for this test, got %d pages", len(ps))
		}
		for i, p := range ps {
			if !strings.Contains(p, therapistTag) {
				t.Errorf("page %d lacks %q", i+1, therapistTag)
			}
		}
		f := flat(strings.Join(ps, "\f"))
		for _, n := range s.Notes {
			if !strings.Contains(f, n.Text) {
				t.Errorf("private note %q missing", n.Text)
			}
		}
	})
}

func TestTwoHundredReflectionsNumberEveryPageOfTheTotal(t *testing.T) {
	s := history("Дмитрий Иванов", 52, 200)
	ps := pages(t, progressPDF(t, s))
	if len(ps) < 10 {
		t.Fatalf("200 reflections on %d pages; expected many more", len(ps))
	}
	for i, p := range ps {
		want := fmt.Sprintf("Page %d of %d", i+1, len(ps))
		if !strings.Contains(p, want) {
			t.Errorf("page %d lacks %q", i+1, want)
		}
		if !strings.Contains(flat(p), confidential) {
			t.Errorf("page %d lacks the confidentiality footer", i+1)
		}
		if i > 0 && !strings.Contains(p, "Progress summary · Дмитрий Иванов") {
			t.Errorf("page %d lacks the running header", i+1)
		}
	}
	if strings.Contains(strings.Join(ps, ""), "{nb}") {
		t.Error("page-count alias left unreplaced")
	}
	// Every reflection is there, in order.
	all := flat(strings.Join(ps, " "))
	pos := 0
	for i := range s.Reflections {
		if i%2 != 0 {
			continue
		}
		marker := fmt.Sprintf("carefully (%d).", i+1)
		j := strings.Index(all[pos:], marker)
		if j < 0 {
			t.Fatalf("feedback of reflection %d missing or out of order", i+1)
		}
		pos += j
	}
}

// longAnswer is about n characters of prose in which every sentence starts
// with a numbered marker, plus one unbreakable 300-character token.
func longAnswer(n int) (string, int) {
	var b strings.Builder
	i := 0
	for b.Len() < n {
		if i == 250 {
			b.WriteString("https://example.org/" + strings.Repeat("x", 280) + " ")
		}
		fmt.Fprintf(&b, "M%05d %s ", i, sentences[i%len(sentences)])
		i++
	}
	return strings.TrimSpace(b.String()), i
}

func TestFiftyThousandCharacterAnswerBreaksAcrossPagesWithoutLoss(t *testing.T) {
	s := history("Nguyễn Thị Hương", 4, 1)
	answer, markers := longAnswer(50000)
	if utf8.RuneCountInString(answer) < 50000 {
		t.Fatalf("answer is only %d characters", utf8.RuneCountInString(answer))
	}
	s.Reflections[0].Answers[1].Answer = []string{answer}
	ps := pages(t, progressPDF(t, s))
	if len(ps) < 8 {
		t.Fatalf("a 50,000-character answer fits on %d pages?", len(ps))
	}
	// Remove the page furniture, then the answer must be there whole: every
	// character, in order, with only line breaks added.
	var body strings.Builder
	for _, p := range ps {
		for _, line := range strings.Split(p, "\n") {
			if strings.Contains(line, "Progress summary ·") || strings.Contains(line, "Confidential.") || strings.Contains(line, "Generated 3 May") {
				continue
			}
			body.WriteString(line)
			body.WriteByte('\n')
		}
	}
	strip := func(s string) string { return strings.Join(strings.Fields(s), "") }
	if !strings.Contains(strip(body.String()), strip(answer)) {
		t.Error("the long answer does not come back whole from the PDF")
	}
	// And word for word, the markers are in order across the pages.
	f := flat(body.String())
	pos := 0
	for i := 0; i < markers; i++ {
		m := fmt.Sprintf("M%05d ", i)
		j := strings.Index(f[pos:], m)
		if j < 0 {
			t.Fatalf("marker %s lost or out of order", m)
		}
		pos += j
	}
	// The marker of the middle and the end are on later pages than the start.
	first, last := -1, -1
	for i, p := range ps {
		if first < 0 && strings.Contains(p, "M00000") {
			first = i
		}
		if strings.Contains(p, fmt.Sprintf("M%05d", markers-1)) {
			last = i
		}
	}
	if last-first < 6 {
		t.Errorf("answer runs from page %d to %d; expected it to span many pages", first+1, last+1)
	}
}

func TestNothingCrossesTheMargins(t *testing.T) {
	long := "Supercalifragilisticexpialidocious" + strings.Repeat("Ω", 120)
	s := history("Siobhán O'Neill-"+long, 26, 8)
	s.Practice = "The Very Long Named Community Psychological Therapies and Counselling Practice of the Upper Riverside District " + long
	s.Charts[0].Series[0].Name = "A very long series name that goes on " + long
	s.Reflections[0].Title = "A title that is far too long " + long
	s.Reflections[1].Answers[0].Answer = []string{long + " " + long, "second option " + long}
	s.Reflections[2].Feedback = []Feedback{{Text: "feedback " + long + " " + strings.Repeat("word ", 200)}}
	// Right-aligned Arabic and Hebrew paragraphs, and Chinese without
	// spaces to break at.
	s.Reflections[3].Answers[0].Answer = []string{strings.Repeat("كتبت اليوم عن الثقة، وكان ذلك صعبًا (٣). ", 30), strings.Repeat("נועה לוי כתבה ", 40)}
	s.Reflections[3].Answers[1].Answer = []string{strings.Repeat("王小明今天写了关于信任的作业", 30)}
	s.IncludeNotes = true
	s.Notes = append(s.Notes, Note{At: s.To, Text: long})

	r := session("Siobhán O'Neill-" + long)
	r.Discuss[0].Detail = long + " " + long
	r.Flagged[0].Title = "flagged " + long + " " + long

	const mm = 72 / 25.4
	const tol = 0.3 * mm
	for name, pdf := range map[string][]byte{"progress": progressPDF(t, s), "session": sessionPDF(t, r)} {
		t.Run(name, func(t *testing.T) {
			for _, b := range words(t, pdf) {
				if b.xMin < margin*mm-tol || b.xMax > b.pageW-margin*mm+tol || b.yMax > b.pageH-margin*mm+tol || b.yMin < 5*mm {
					t.Errorf("page %d: %q at x %.1f–%.1f mm, y %.1f–%.1f mm is outside the margins",
						b.page, b.word, b.xMin/mm, b.xMax/mm, b.yMin/mm, b.yMax/mm)
				}
			}
		})
	}
}

func TestWrapKeepsEveryLineWithinTheWidthAndLosesNothing(t *testing.T) {
	d := newDoc("test", nil, time.Time{})
	d.pdf.AddPage()
	answer, _ := longAnswer(5000)
	texts := []string{
		answer,
		"Nguyễn Thị Hương " + strings.Repeat("ĐƯỜNG ", 60),
		strings.Repeat("Ж", 400),
		"short",
		"line one\n\n\n\nline two after blank lines\nline three",
		"https://example.org/" + strings.Repeat("abc/", 100),
	}
	for _, size := range []float64{8, 10, 11.5, 19} {
		d.font("", size)
		for _, width := range []float64{20, 60, contentW} {
			for _, text := range texts {
				lines := d.wrap(text, width)
				for _, l := range lines {
					if w := d.pdf.GetStringWidth(l); w > width+1e-9 {
						t.Errorf("size %v width %v: line %.30q… is %.2f mm wide", size, width, l, w)
					}
				}
				strip := func(s string) string { return strings.Join(strings.Fields(s), "") }
				if got := strip(strings.Join(lines, "")); got != strip(text) {
					t.Errorf("size %v width %v: wrapping changed the text", size, width)
				}
			}
		}
	}
	if err := d.pdf.Error(); err != nil {
		t.Fatal(err)
	}
}

func TestMarkupAndPDFSyntaxInTextArePrintedLiterally(t *testing.T) {
	payloads := []string{
		"<script>alert(1)</script>",
		`"><img src=x onerror=alert(1)>`,
		`) Tj ET BT /F1 99 Tf (injected`,
		`\) /JavaScript (app.alert(1)) \\`,
	}
	s := history(payloads[0], 4, 1)
	s.Practice = payloads[2]
	s.Reflections[0].Title = payloads[1]
	s.Reflections[0].Answers[0].Answer = payloads
	s.Reflections[0].Feedback = []Feedback{{Text: payloads[3]}}
	pdf := progressPDF(t, s)
	text := strings.Join(pages(t, pdf), "\f")
	for _, p := range payloads {
		if !strings.Contains(text, p) {
			t.Errorf("payload %q not printed literally", p)
		}
	}
	for _, active := range []string{"/JavaScript", "/OpenAction", "/Launch", "/AA "} {
		if bytes.Contains(pdf, []byte(active)) {
			t.Errorf("the PDF contains an active %s entry", active)
		}
	}
	st := strings.Join(pages(t, sessionPDF(t, session(payloads[0]))), "\f")
	if !strings.Contains(st, payloads[0]) {
		t.Error("session report: markup in the name not printed literally")
	}
}

func TestSessionReportCoversTheWeekOnOnePage(t *testing.T) {
	r := session("Ελένη Παπαδοπούλου")
	slices.Reverse(r.CheckIns) // given in any order, drawn and summed up in time order
	ps := pages(t, sessionPDF(t, r))
	if len(ps) != 1 {
		t.Fatalf("a quiet week takes %d pages, want 1", len(ps))
	}
	f := flat(ps[0])
	for _, want := range []string{
		"Ελένη Παπαδοπούλου",
		"Session report",
		"Everything since the last session, 24 Apr 2025",
		"Next session 1 May 2025",
		"To discuss in session", "Why weekends are harder",
		"Flagged submissions", "Worry diary, Tuesday", "Distress rated 9.",
		"Overdue", "Behavioural experiment: saying no to Sunday lunch", "Due 28 Apr 2025 · 3 days overdue",
		"Submitted since the last session", "Thought record: the team meeting",
		"Latest 6 on 24 Apr 2025; average 5.4 over 8 check-ins; +2 since 6 Mar 2025.",
		"Page 1 of 1", confidential,
	} {
		if !strings.Contains(f, want) {
			t.Errorf("session report lacks %q", want)
		}
	}
	if strings.Contains(f, "Not shown for space") {
		t.Error("a short report says items were left out")
	}
}

func TestSessionReportStopsAtTwoPagesAndCountsWhatItLeftOut(t *testing.T) {
	r := session("Дмитрий Иванов")
	answer, _ := longAnswer(3000)
	r.Discuss, r.Flagged, r.Overdue, r.Submitted = nil, nil, nil, nil
	for i := 0; i < 40; i++ {
		it := Item{Title: fmt.Sprintf("Item %02d with a long detail", i), Due: r.LastSession, Detail: answer}
		r.Discuss = append(r.Discuss, it)
		r.Flagged = append(r.Flagged, it)
		r.Overdue = append(r.Overdue, it)
		r.Submitted = append(r.Submitted, it)
	}
	ps := pages(t, sessionPDF(t, r))
	if len(ps) != 2 {
		t.Fatalf("session report has %d pages, want 2", len(ps))
	}
	f := flat(strings.Join(ps, " "))
	m := regexp.MustCompile(`Not shown for space: (.*?)\. The full list is in Trellis\.`).FindStringSubmatch(f)
	if m == nil {
		t.Fatal("no note of what was left out")
	}
	// The counts add up: shown items plus left-out items are all items.
	shown := strings.Count(f, "with a long detail")
	left := 0
	for _, part := range strings.Split(m[1], ", ") {
		var n int
		if _, err := fmt.Sscanf(part, "%d", &n); err != nil {
			t.Fatalf("cannot read %q", part)
		}
		left += n
	}
	if shown == 0 || shown+left != 160 {
		t.Errorf("shown %d + left out %d ≠ 160 items", shown, left)
	}
	if !strings.Contains(f, "…") {
		t.Error("long details were not shortened")
	}
	for i, p := range ps {
		if !strings.Contains(p, fmt.Sprintf("Page %d of 2", i+1)) {
			t.Errorf("page %d lacks its number", i+1)
		}
	}
}

func TestFileNamesCarryNoName(t *testing.T) {
	at := time.Date(2025, 5, 3, 14, 5, 0, 0, london)
	for _, name := range []string{ProgressFileName(42, at), SessionFileName(42, at)} {
		if !regexp.MustCompile(`^trellis-(progress|session)-42-2025-05-03\.pdf$`).MatchString(name) {
			t.Errorf("file name %q", name)
		}
	}
	// Nor does the PDF's title, which browsers show in the tab.
	pdf := progressPDF(t, history("Zoë Martin", 4, 1))
	info := string(run(t, "pdfinfo", savePDF(t, "info.pdf", pdf)))
	if strings.Contains(info, "Zo") || !strings.Contains(info, "Trellis progress summary") {
		t.Errorf("pdfinfo:\n%s", info)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteErrorsAreReturned(t *testing.T) {
	if err := WriteProgress(failingWriter{}, history("Zoë Martin", 4, 2)); err == nil {
		t.Error("WriteProgress: a failed write returned nil")
	}
	if err := WriteSession(failingWriter{}, session("Zoë Martin")); err == nil {
		t.Error("WriteSession: a failed write returned nil")
	}
}

func TestEmptySummaryStillRenders(t *testing.T) {
	s := Summary{Client: "Zoë Martin", From: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2025, 1, 31, 0, 0, 0, 0, time.UTC),
		Charts: []Chart{{Title: "Weekly check-in", Min: 0, Max: 10, Series: []Series{{Name: "Mood"}}}}}
	f := flat(strings.Join(pages(t, progressPDF(t, s)), " "))
	for _, want := range []string{"No homework was due in this period.", "No values recorded in this period.", "No reflections were selected", "Page 1 of 1"} {
		if !strings.Contains(f, want) {
			t.Errorf("empty summary lacks %q", want)
		}
	}
	st := flat(strings.Join(pages(t, sessionPDF(t, SessionReport{Client: "Zoë Martin"})), " "))
	for _, want := range []string{"no session recorded yet", "No check-ins recorded.", "Nothing overdue."} {
		if !strings.Contains(st, want) {
			t.Errorf("empty session report lacks %q", want)
		}
	}
}

// TestFirstPageRendersToAnImage rasterises page 1 (as a reviewer would
// look at it) and checks it is a real picture, not a blank page.
func TestFirstPageRendersToAnImage(t *testing.T) {
	for name, pdf := range map[string][]byte{
		"progress": progressPDF(t, history("Nguyễn Thị Hương", 52, 12)),
		"session":  sessionPDF(t, session("Nguyễn Thị Hương")),
	} {
		path := savePDF(t, name+".pdf", pdf)
		prefix := filepath.Join(filepath.Dir(path), name)
		run(t, "pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", path, prefix)
		f, err := os.Open(prefix + ".png")
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		_ = f.Close()
		if err != nil {
			t.Fatal(err)
		}
		b := img.Bounds()
		if b.Dx() < 400 || b.Dy() < 600 {
			t.Errorf("%s: page 1 is %dx%d pixels", name, b.Dx(), b.Dy())
		}
		inked := 0
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				if r, g, bl, _ := img.At(x, y).RGBA(); r+g+bl < 3*0xe000 {
					inked++
				}
			}
		}
		if share := float64(inked) / float64(b.Dx()*b.Dy()); share < 0.02 {
			t.Errorf("%s: page 1 is nearly blank (%.1f%% inked)", name, 100*share)
		}
		if dir := os.Getenv("TRELLIS_REPORTS_OUT"); dir != "" {
			png, _ := os.ReadFile(prefix + ".png")
			_ = os.WriteFile(filepath.Join(dir, name+"-page1.png"), png, 0o600)
		}
	}
}

func BenchmarkProgressReport(b *testing.B) {
	s := history("Nguyễn Thị Hương", 52, 200)
	var buf bytes.Buffer
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := WriteProgress(&buf, s); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(n), "ms/op")
	b.ReportMetric(float64(buf.Len()), "pdf-bytes")
}

func BenchmarkSessionReport(b *testing.B) {
	r := session("Nguyễn Thị Hương")
	var buf bytes.Buffer
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := WriteSession(&buf, r); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(n), "ms/op")
	b.ReportMetric(float64(buf.Len()), "pdf-bytes")
}

// Reports are made by many requests at once: documents must share nothing
// they write (run under -race; gofpdf pads font tables in place, so the
// embedded font is copied per document), and each comes out whole, reading
// the same as one made alone. (Not byte for byte: gofpdf writes its fonts
// in map order.)
func TestReportsMadeAtOnceAreWholeAndShareNothing(t *testing.T) {
	want := strings.Join(pages(t, sessionPDF(t, session("Nguyễn Thị Hương"))), "\f")
	const n = 6
	out := make([]bytes.Buffer, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if i%2 == 0 {
				errs[i] = WriteSession(&out[i], session("Nguyễn Thị Hương"))
			} else {
				errs[i] = WriteProgress(&out[i], history("Дмитрий Иванов", 8, 10))
			}
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("report %d: %v", i, errs[i])
		}
		if i%2 == 0 {
			if got := strings.Join(pages(t, out[i].Bytes()), "\f"); got != want {
				t.Errorf("session report %d made alongside others reads differently from one made alone", i)
			}
		}
	}
}
