package testkit

import (
	"context"
	"errors"
	"github.com/riverqueue/river/rivertype"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/trellis-app/trellis/internal/app"
	"github.com/trellis-app/trellis/internal/auth"
	"github.com/trellis-app/trellis/internal/config"
	"github.com/trellis-app/trellis/internal/database"
	"github.com/trellis-app/trellis/internal/server"
)

// App is a Trellis built exactly as `trellis serve` builds it, on a fresh
// test database, connected as the app role with production's privileges.
type App struct {
	// DB connects as the tables' owner, for fixtures and for looking at
	// what the app wrote. The app itself never uses it.
	DB *sqlx.DB
	// AppDB is the server's own pool, connected as database.AppRole: every
	// request runs with exactly the privileges `trellis serve` has, so a
	// missing grant fails the test that needs it.
	AppDB *sqlx.DB
	// Queries counts the statements the app's pool sends.
	Queries *QueryCounter
	Config  config.Config
	Server  *server.Server
	// Hasher hashes the app's passwords, at TestCost unless the app was
	// built by NewAppAtR1Cost.
	Hasher *auth.Hasher
	// passwordHash is Password hashed at the app's cost, for seeded users.
	passwordHash string
	// jobs is the app's one job-queue client (NewAppWithMail runs it).
	jobs *app.Jobs
}

// TestCost is the argon2id cost test apps hash passwords at: the least
// argon2id allows. Every sign-in still runs the real verification of a
// real argon2id hash; internal/auth tests R1's cost itself, and the test
// suite signs in some thousand times, which at R1's cost was a sixth of
// its time.
var TestCost = auth.Cost{MemoryKiB: 8, Passes: 1}

// NewApp builds Trellis on a fresh database.
func NewApp(t testing.TB) *App {
	t.Helper()
	return NewAppWith(t, nil)
}

// NewAppWith builds Trellis on a fresh database, letting adjust change its
// dependencies first (for example to install a fake clock).
func NewAppWith(t testing.TB, adjust func(*server.Deps)) *App {
	t.Helper()
	return newApp(t, TestCost, nil, adjust)
}

// NewAppAtR1Cost builds Trellis hashing passwords at R1's production cost,
// for measuring sign-in (BenchmarkSignIn).
func NewAppAtR1Cost(t testing.TB) *App {
	t.Helper()
	return newApp(t, auth.R1Cost(), nil, nil)
}

func newApp(t testing.TB, cost auth.Cost, configure func(*config.Config), adjust func(*server.Deps)) *App {
	t.Helper()
	hasher, err := auth.NewHasherAt(cost)
	if err != nil {
		t.Fatalf("build app: %v", err)
	}
	ownerURL := MigratedDBURL(t)
	owner, _ := countingPool(t, ownerURL)
	db, counter := countingPool(t, AppRoleURL(t, ownerURL))
	// What `trellis serve` checks before it serves.
	if err := database.CheckAppRole(context.Background(), db); err != nil {
		t.Fatalf("the app's database role: %v", err)
	}
	cfg := Config(t, "postgres://unused/") // the pool is db; the URL is not dialled
	if configure != nil {
		configure(&cfg)
	}
	// As in `trellis serve`: one queue client, through which requests
	// queue email and which works it (NewAppWithMail runs it).
	jobs, err := app.NewJobs(cfg, db, Logger(t), app.JobsOptions{Work: true, PollInterval: 20 * time.Millisecond, Retry: retrySoon{}})
	if err != nil {
		t.Fatalf("job queue: %v", err)
	}
	deps, err := app.DepsHashing(cfg, db, Logger(t), hasher, jobs)
	if err != nil {
		t.Fatalf("build app: %v", err)
	}
	if adjust != nil {
		adjust(&deps)
	}
	srv, err := server.New(deps)
	if err != nil {
		t.Fatalf("build app: %v", err)
	}
	return &App{DB: owner, AppDB: db, Queries: counter, Config: cfg, Server: srv, Hasher: hasher, passwordHash: passwordHash(t, cost), jobs: jobs}
}

// Do sends r through the real router and returns the recorded response.
func (a *App) Do(r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	a.Server.ServeHTTP(w, r)
	return w
}

// Get requests path through the router.
func (a *App) Get(t testing.TB, path string) *httptest.ResponseRecorder {
	t.Helper()
	return a.Do(httptest.NewRequest(http.MethodGet, path, nil))
}

// Listen serves the app on a random loopback port with the production
// server settings and returns its base URL. It stops when the test ends.
func (a *App) Listen(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- app.Serve(ctx, ln, a.Server, 5*time.Second, Logger(t)) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("server stopped with: %v", err)
		}
	})
	return "http://" + ln.Addr().String()
}

// NewAppWithMail builds Trellis with email set up: it sends through a
// real SMTP server on loopback (the returned MailServer), and the job
// queue runs, in PostgreSQL, as in `trellis serve`.
func NewAppWithMail(t testing.TB) (*App, *MailServer) {
	t.Helper()
	srv := NewMailServer(t)
	a := newApp(t, TestCost, func(cfg *config.Config) { cfg.Mail = srv.Config() }, nil)
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.jobs.Run(ctx, 10*time.Second, Logger(t)) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("job queue: %v", err)
		}
	})
	return a, srv
}

// retrySoon retries a failed job after 20 ms instead of River's attempt⁴
// seconds, so a test sees every retry of an email without waiting.
type retrySoon struct{}

func (retrySoon) NextRetry(*rivertype.JobRow) time.Time { return time.Now().Add(20 * time.Millisecond) }
