package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/trellis-app/trellis/internal/auth"
	"github.com/trellis-app/trellis/internal/database"
	"github.com/trellis-app/trellis/internal/loadtest"
	"github.com/trellis-app/trellis/internal/scale"
	"github.com/trellis-app/trellis/internal/testkit"
)

// TestMain lets the test binary be the server child, as the loadtest
// binary is: startChild runs os.Executable() with serveCmd.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == serveCmd {
		if err := serveChild(context.Background(), os.Getenv, os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "loadtest serve:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// tiny is a run small enough for `make test`: two users, a few requests.
func tiny(t *testing.T) options {
	t.Helper()
	o, err := parseFlags([]string{"-users", "2", "-duration", "300ms", "-max-requests", "6"})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func migratedURL(t *testing.T) string {
	t.Helper()
	url := testkit.EmptyDBURL(t)
	db, err := database.Open(context.Background(), url, database.Options{MaxOpenConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := database.Migrate(context.Background(), db.DB, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatal(err)
	}
	return url
}

// Every scenario of `make bench` must answer as it should against the
// real server, or the figures measure error pages.
func TestEveryDemoScenarioSucceeds(t *testing.T) {
	rep := &report{opts: tiny(t)}
	if err := rep.demo(context.Background(), migratedURL(t), t.Logf); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	rep.write(&b, true)
	if len(rep.results) != 9 {
		t.Fatalf("%d results, want 9 scenarios at one concurrency:\n%s", len(rep.results), b.String())
	}
	for _, r := range rep.results {
		if r.Requests == 0 || r.Errors > 0 {
			t.Errorf("%s: %d requests, %d errors (%s)", r.Scenario, r.Requests, r.Errors, r.FirstError)
		}
		if runtime.GOOS == "linux" && r.PeakRSS < 1<<20 {
			t.Errorf("%s: server peak memory %d bytes, not measured", r.Scenario, r.PeakRSS)
		}
	}
	if !strings.Contains(b.String(), "| PDF progress summary (17 weeks) | 2 |") {
		t.Errorf("report:\n%s", b.String())
	}
}

// The scale mode needs nothing of a seed-scale database but its sign-in
// contract (internal/scale) and the schema: a tiny one made here stands in.
func TestScaleModeSignsInByTheScaleContract(t *testing.T) {
	url := migratedURL(t)
	ctx := context.Background()
	db, err := database.Open(ctx, url, database.Options{MaxOpenConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	hash, err := auth.NewHasher().Hash(ctx, scale.Password)
	if err != nil {
		t.Fatal(err)
	}
	var practice int64
	if err := db.GetContext(ctx, &practice, `INSERT INTO practices (name) VALUES ($1) RETURNING id`, scale.PracticeName); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		var th int64
		if err := db.GetContext(ctx, &th, `INSERT INTO users (practice_id, role, status, email, display_name, password_hash)
			VALUES ($1, 'therapist', 'active', $2, 'Scale Therapist', $3) RETURNING id`, practice, scale.TherapistEmail(i), hash); err != nil {
			t.Fatal(err)
		}
		for j := range 3 {
			if _, err := db.ExecContext(ctx, `INSERT INTO users (practice_id, role, status, email, display_name, password_hash, therapist_id)
				VALUES ($1, 'client', 'active', $2, 'Scale Client', $3, $4)`, practice, scale.ClientEmail(3*i+j), hash, th); err != nil {
				t.Fatal(err)
			}
		}
	}

	o := tiny(t)
	o.scaleTherapists = 5 // more than there are: it takes the two
	rep := &report{opts: o, demoPairs: map[string]loadtest.Result{
		pairKey("dashboard", 2): {Scenario: "therapist dashboard (2 clients)", Concurrency: 2, Requests: 10, Elapsed: time.Second},
	}}
	if err := rep.scale(ctx, url, t.Logf); err != nil {
		t.Fatal(err)
	}
	if len(rep.scaleResults) != 3 {
		t.Fatalf("%d scale results, want dashboard, inbox and progress", len(rep.scaleResults))
	}
	for _, p := range rep.scaleResults {
		if p.Large.Requests == 0 || p.Large.Errors > 0 {
			t.Errorf("%s at scale: %d requests, %d errors (%s)", p.Scenario, p.Large.Requests, p.Large.Errors, p.Large.FirstError)
		}
	}
	var b strings.Builder
	rep.write(&b, true)
	for _, want := range []string{"## At scale", "Signed in as 2 of the scale practice's therapists (caseloads of 3 to 3 clients)",
		"| therapist dashboard | 2 | 10 |"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("no %q in the report:\n%s", want, b.String())
		}
	}
}

func TestTheReportKeepsBenchmarkFiguresNotTheirLogs(t *testing.T) {
	out := "goos: linux\npkg: x\nBenchmarkA-2 \t 3\t 10 ns/op\n--- BENCH: BenchmarkA-2\n    a_test.go:1: testdbconf: postgres://user:secret@host/db\nok  \tx\t1.0s\n"
	got := benchLines([]byte(out))
	if strings.Contains(got, "secret") || !strings.Contains(got, "BenchmarkA-2") || !strings.Contains(got, "ok  \tx") {
		t.Errorf("kept:\n%s", got)
	}
}
