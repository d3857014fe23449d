package server_test

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/lib/pq"

	"github.com/trellis-app/trellis/internal/account"
	"github.com/trellis-app/trellis/internal/server"
	"github.com/trellis-app/trellis/internal/testkit"
)

// BenchmarkProgressPageChromiumPDF prints a therapist's progress page for a
// year (52 weekly check-ins and 150 thought records, about 200 reflections
// like reports' BenchmarkProgressReport) to PDF with headless Chromium, the
// alternative to gofpdf weighed in issue #8. Each iteration loads the page
// from Trellis on loopback and prints it; print-ms/op is the printing
// alone, the part comparable with gofpdf rendering structs it is given.
// Starting Chromium, once per browser, is start-ms and not in either.
// `make bench` prints the ratio of these figures to BenchmarkProgressReport's.
//
// testkit's browser gives up after two minutes, which the default
// -benchtime stays well inside.
func BenchmarkProgressPageChromiumPDF(b *testing.B) {
	// A quiet logger: testkit's writes every request to the benchmark's
	// log, which would be timed too.
	a := testkit.NewAppWith(b, func(d *server.Deps) { d.Log = slog.New(slog.NewTextHandler(io.Discard, nil)) })
	w := a.Seed(b)
	client := seedYear(b, a, w.Therapist)
	base := a.Listen(b)

	t0 := time.Now()
	br := testkit.NewBrowser(b)
	start := time.Since(t0)
	if err := chromedp.Do(br.Ctx,
		chromedp.Navigate(base+"/signin"),
		chromedp.SendKeys(chromedp.CSS("#email"), w.Therapist.Email),
		chromedp.SendKeys(chromedp.CSS("#password"), testkit.Password),
	); err != nil {
		b.Fatalf("sign in: %v", err)
	}
	if _, err := chromedp.RunResponse(br.Ctx, chromedp.Click(chromedp.CSS(`form[action="/signin"] button[type="submit"]`))); err != nil {
		b.Fatalf("sign in: %v", err)
	}
	today := time.Now()
	page := fmt.Sprintf("%s/therapist/clients/%d/progress?from=%s&to=%s", base, client.ID,
		today.AddDate(0, 0, -364).Format(time.DateOnly), today.Format(time.DateOnly))

	// The page under print must be the year's progress, not a sign-in page
	// answered 200 after a redirect.
	if err := chromedp.Do(br.Ctx, chromedp.Navigate(page)); err != nil {
		b.Fatalf("open the progress page: %v", err)
	}
	charts, err := chromedp.Run(br.Ctx, chromedp.Evaluate[int](`document.querySelectorAll("main section.chart svg.chart-svg").length`))
	if err != nil || charts != 2 {
		b.Fatalf("the progress page shows %d charts (%v), want the check-in's and the thought records'", charts, err)
	}

	var (
		pdf      []byte
		printing time.Duration
		n        int
	)
	for b.Loop() {
		resp, err := chromedp.Run(br.Ctx, chromedp.NavigateResponse(page))
		if err != nil {
			b.Fatalf("open the progress page: %v", err)
		}
		if resp == nil || resp.Status != http.StatusOK {
			b.Fatalf("open the progress page: %+v", resp)
		}
		p0 := time.Now()
		pdf, err = chromedp.Run(br.Ctx, chromedp.PrintToPDF(chromedp.PDFPaper(chromedp.PaperA4), chromedp.PDFPrintBackground()))
		if err != nil {
			b.Fatalf("print: %v", err)
		}
		printing += time.Since(p0)
		n++
	}
	pages := len(pdfPageObject.FindAll(pdf, -1))
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) || pages == 0 {
		b.Fatalf("Chromium printed no PDF pages (%d bytes)", len(pdf))
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(n), "ms/op")
	b.ReportMetric(float64(printing.Microseconds())/1000/float64(n), "print-ms/op")
	b.ReportMetric(float64(start.Milliseconds()), "start-ms")
	b.ReportMetric(float64(len(pdf)), "pdf-bytes")
	b.ReportMetric(float64(pages), "pages")
	if dir := os.Getenv("TRELLIS_BENCH_PDF_OUT"); dir != "" {
		_ = os.WriteFile(filepath.Join(dir, "progress-chromium.pdf"), pdf, 0o600)
	}
}

// pdfPageObject finds page objects; Chromium writes them uncompressed.
var pdfPageObject = regexp.MustCompile(`/Type\s*/Page\b[^s]`)

// seedYear gives therapist a client with a year of homework: 52 weekly
// check-ins (testkit.SeedCaseload: all but the last two sent, with the six
// tracked scales) and 150 thought records, three a week, sent and reviewed,
// with a few sentences in each answer and distress before and after
// tracked.
func seedYear(b *testing.B, a *testkit.App, therapist account.User) account.User {
	b.Helper()
	a.SeedCaseload(b, therapist, 1, 52)
	var id int64
	if err := a.DB.Get(&id, `SELECT max(id) FROM users WHERE therapist_id = $1 AND role = 'client'`, therapist.ID); err != nil {
		b.Fatal(err)
	}
	sentences := []string{
		"My partner came home an hour late and did not text, and I spent the evening rehearsing what I would say.",
		"The thought that came first was that they do not care enough to let me know.",
		"I rated how much I believed it at about eighty percent, which felt high even as I wrote it down.",
		"When I looked for evidence against it, I remembered they had told me on Monday the meeting might run over.",
		"I went for a short walk instead of checking my phone again, and the evening felt less heavy.",
		"A friend cancelled dinner at the last minute and I caught myself thinking people always let me down.",
		"She has turned up every other time this year, including when I was ill.",
		"Writing the balanced thought felt artificial at first, but by the evening I half believed it.",
	}
	// Three weekly series (a series has at most 104 occurrences), a day
	// apart, ending last week.
	for day := range 3 {
		if _, err := a.DB.Exec(`
			WITH s AS (
				INSERT INTO assignment_series (practice_id, client_id, assigned_by, exercise_id, exercise_version, recurrence, first_due, occurrence_count)
				SELECT $2, $1, $3, e.id, e.latest_version, 'weekly', current_date - 7 * 51 + $4::int, 50
				FROM exercises e WHERE e.builtin_key = 'trust-thought-record'
				RETURNING id, client_id, exercise_id, exercise_version, first_due),
			a AS (
				INSERT INTO assignments (series_id, client_id, exercise_id, exercise_version, due_on, due_at, status, submitted_at, reviewed_at)
				SELECT s.id, s.client_id, s.exercise_id, s.exercise_version, s.first_due + 7 * i, (s.first_due + 7 * i) + time '23:59:59',
				       'reviewed', (s.first_due + 7 * i) + time '21:00', (s.first_due + 7 * i + 2) + time '09:00'
				FROM s, generate_series(0, 49) i
				RETURNING id, client_id, exercise_id, submitted_at, (due_on - current_date + 400) AS k),
			sub AS (
				INSERT INTO submissions (assignment_id, client_id, answers, submitted_at, form_token)
				SELECT a.id, a.client_id, jsonb_build_object(
					'situation', jsonb_build_array(($5::text[])[1 + a.k % 8]),
					'thought', jsonb_build_array(($5::text[])[1 + (a.k + 1) % 8] || ' ' || ($5::text[])[1 + (a.k + 2) % 8]),
					'emotion', jsonb_build_array((ARRAY['worried', 'hurt', 'angry', 'ashamed'])[1 + a.k % 4]),
					'intensity_before', jsonb_build_array((60 + a.k * 7 % 35)::text),
					'facts_for', jsonb_build_array(($5::text[])[1 + (a.k + 3) % 8]),
					'facts_against', jsonb_build_array(($5::text[])[1 + (a.k + 4) % 8] || ' ' || ($5::text[])[1 + (a.k + 5) % 8]),
					'balanced_thought', jsonb_build_array(($5::text[])[1 + (a.k + 6) % 8]),
					'intensity_after', jsonb_build_array((40 + a.k * 7 % 35 - a.k % 20)::text)),
				       a.submitted_at, gen_random_uuid()
				FROM a
				RETURNING id, assignment_id, client_id, answers, submitted_at)
			INSERT INTO tracked_values (submission_id, client_id, exercise_id, field_key, value, recorded_at)
			SELECT sub.id, sub.client_id, a.exercise_id, f, (sub.answers->f->>0)::int, sub.submitted_at
			FROM sub JOIN a ON a.id = sub.assignment_id CROSS JOIN unnest(ARRAY['intensity_before', 'intensity_after']) f`,
			id, therapist.PracticeID, therapist.ID, 2*day+1, pq.Array(sentences)); err != nil {
			b.Fatalf("seed thought records: %v", err)
		}
	}
	var sent int
	if err := a.DB.Get(&sent, `SELECT count(*) FROM submissions WHERE client_id = $1`, id); err != nil || sent < 190 {
		b.Fatalf("the client has %d reflections (%v), want about 200", sent, err)
	}
	return a.User(b, id)
}
