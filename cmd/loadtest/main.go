// Command loadtest measures Trellis under concurrent load over loopback: it
// builds a fresh database on the PostgreSQL at TEST_DATABASE_URL (or
// DATABASE_URL), serves Trellis in this process, and drives each scenario
// with a bounded number of workers for a bounded time. `make bench` runs it.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/trellis-app/trellis/internal/app"
	"github.com/trellis-app/trellis/internal/config"
	"github.com/trellis-app/trellis/internal/database"
	"github.com/trellis-app/trellis/internal/loadtest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

const benchDB = "trellis_bench"

func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	duration := fs.Duration("duration", 3*time.Second, "how long each scenario runs")
	users := fs.String("users", "50", "comma-separated concurrency levels")
	maxReq := fs.Int("max-requests", 200_000, "cap on requests per scenario")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var levels []int
	for _, s := range strings.Split(*users, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 || n > 1000 {
			return fmt.Errorf("-users: %q is not a number from 1 to 1000", s)
		}
		levels = append(levels, n)
	}

	baseURL := getenv("TEST_DATABASE_URL")
	if baseURL == "" {
		baseURL = getenv("DATABASE_URL")
	}
	if baseURL == "" {
		return fmt.Errorf("set TEST_DATABASE_URL (make bench does) to a PostgreSQL where a %s database may be created", benchDB)
	}
	dbURL, err := freshDatabase(ctx, baseURL)
	if err != nil {
		return err
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, err := database.Open(ctx, dbURL, database.Options{MaxOpenConns: 20})
	if err != nil {
		return err
	}
	defer db.Close()
	if err := database.Migrate(ctx, db.DB, quiet); err != nil {
		return err
	}
	cfg, err := config.Load(func(k string) string {
		if k == config.VarDatabaseURL {
			return dbURL
		}
		return ""
	})
	if err != nil {
		return err
	}
	srv, err := app.New(cfg, db, quiet)
	if err != nil {
		return err
	}
	trellisURL, stopTrellis, err := serve(ctx, srv, quiet)
	if err != nil {
		return err
	}
	defer stopTrellis()
	// The baseline: a bare handler behind the same http.Server settings, to
	// show what the machine and loopback allow before Trellis does any work.
	bareURL, stopBare, err := serve(ctx, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "ok\n")
	}), quiet)
	if err != nil {
		return err
	}
	defer stopBare()

	maxUsers := 0
	for _, n := range levels {
		maxUsers = max(maxUsers, n)
	}
	fx, err := seed(ctx, db, trellisURL, maxUsers)
	if err != nil {
		return err
	}
	scenarios := []loadtest.Scenario{
		loadtest.Get("baseline (bare handler)", bareURL+"/"),
		loadtest.Get("healthz", trellisURL+"/healthz"),
		loadtest.Get("sign-in page", trellisURL+"/signin"),
		fx.dashboard(trellisURL),
		fx.clientHome(trellisURL),
		fx.clientSubmit(trellisURL),
	}
	var results []loadtest.Result
	for _, c := range levels {
		client := loadtest.NewClient(c)
		for _, s := range scenarios {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			results = append(results, loadtest.Run(ctx, client, s, loadtest.Options{Concurrency: c, Duration: *duration, MaxRequests: *maxReq}))
		}
		client.CloseIdleConnections()
	}
	fmt.Fprintf(stdout, "Loopback load, %s per scenario; server and load generator share the machine's %d cores.\n", duration.String(), runtime.NumCPU())
	fmt.Fprintf(stdout, "The therapist's caseload has %d clients, each with a weekly check-in to send.\n\n", maxUsers)
	loadtest.WriteTable(stdout, results, scenarios[0].Name)
	return nil
}

func serve(ctx context.Context, h http.Handler, log *slog.Logger) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = app.Serve(ctx, ln, h, 5*time.Second, log)
	}()
	return "http://" + ln.Addr().String(), func() { cancel(); <-done }, nil
}

// freshDatabase drops and recreates the bench database on the server at
// baseURL and returns its URL.
func freshDatabase(ctx context.Context, baseURL string) (string, error) {
	admin, err := database.Open(ctx, baseURL, database.Options{MaxOpenConns: 2})
	if err != nil {
		return "", err
	}
	defer admin.Close()
	if _, err := admin.ExecContext(ctx, `DROP DATABASE IF EXISTS `+benchDB+` WITH (FORCE)`); err != nil {
		return "", fmt.Errorf("drop %s: %w", benchDB, err)
	}
	if _, err := admin.ExecContext(ctx, `CREATE DATABASE `+benchDB); err != nil {
		return "", fmt.Errorf("create %s: %w", benchDB, err)
	}
	u, err := url.Parse(baseURL)
	if err != nil {
		return "", err
	}
	u.Path = "/" + benchDB
	return u.String(), nil
}
