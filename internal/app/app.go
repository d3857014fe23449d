// Package app wires Trellis together: from a validated configuration and an
// open database it builds the services and the HTTP server, and serves it
// with graceful shutdown. cmd/trellis and the tests build Trellis the same
// way, through here.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/trellis-app/trellis/internal/account"
	"github.com/trellis-app/trellis/internal/assignment"
	"github.com/trellis-app/trellis/internal/audit"
	"github.com/trellis-app/trellis/internal/auth"
	"github.com/trellis-app/trellis/internal/exercise"
	"github.com/trellis-app/trellis/internal/measure"
	"github.com/trellis-app/trellis/internal/notify"
	"github.com/trellis-app/trellis/internal/progress"
	"github.com/trellis-app/trellis/internal/reflection"
	"github.com/trellis-app/trellis/internal/review"
	"github.com/trellis-app/trellis/internal/risk"

	"github.com/trellis-app/trellis/internal/config"
	"github.com/trellis-app/trellis/internal/server"
)

const sessionSweepGap = 10 * time.Minute

// Services are the domain services, built once.
type Services struct {
	// Risk finds risk language in clients' text.
	Risk        riskLanguage
	Accounts    *account.Service
	Exercises   *exercise.Service
	Assignments *assignment.Service
	Reflections *reflection.Service
	Reviews     *review.Service
	Progress    *progress.Service
	Measures    *measure.Service
	Audit       *audit.Reader
	Sessions    *auth.SessionStore
}

// NewServices builds the domain services over db.
func NewServices(db *sqlx.DB) (Services, error) {
	return NewServicesHashing(db, auth.NewHasher())
}

// NewServicesHashing is NewServices with passwords hashed by hasher: the
// tests' is cheaper than R1's (see auth.NewHasherAt).
func NewServicesHashing(db *sqlx.DB, hasher *auth.Hasher) (Services, error) {
	scanner, err := risk.Shared()
	if err != nil {
		return Services{}, fmt.Errorf("risk phrase list: %w", err)
	}
	flags := riskLanguage{scanner}
	return Services{
		Risk:        flags,
		Accounts:    account.NewService(db, hasher, auth.NewPasswordChecker()),
		Exercises:   exercise.NewService(db),
		Assignments: assignment.NewService(db),
		Reflections: reflection.NewService(db, flags),
		Reviews:     review.NewService(db),
		Progress:    progress.NewService(db),
		Measures:    measure.NewService(db),
		Audit:       audit.NewReader(db),
		Sessions:    auth.NewSessionStore(db),
	}, nil
}

// New builds the HTTP handler with every service. Requests queue email
// through jobs, the process's one job-queue client (NewJobs); nil builds
// one that only queues.
func New(cfg config.Config, db *sqlx.DB, log *slog.Logger, jobs *Jobs) (*server.Server, error) {
	d, err := Deps(cfg, db, log, jobs)
	if err != nil {
		return nil, err
	}
	return server.New(d)
}

// Deps builds the server's dependencies; tests adjust them (the clock)
// before calling server.New.
func Deps(cfg config.Config, db *sqlx.DB, log *slog.Logger, jobs *Jobs) (server.Deps, error) {
	return DepsHashing(cfg, db, log, auth.NewHasher(), jobs)
}

// DepsHashing is Deps with passwords hashed by hasher.
func DepsHashing(cfg config.Config, db *sqlx.DB, log *slog.Logger, hasher *auth.Hasher, queue *Jobs) (server.Deps, error) {
	svc, err := NewServicesHashing(db, hasher)
	if err != nil {
		return server.Deps{}, err
	}
	// Requests only queue email (in the transaction of what it is about);
	// the queue's workers, in serve or worker, deliver it.
	if queue == nil {
		if queue, err = NewJobs(cfg, db, log, JobsOptions{}); err != nil {
			return server.Deps{}, err
		}
	}
	svc.Accounts.UseMail(queue.Outbox)
	return server.Deps{
		Reminders:    notify.NewReminders(db, queue.Outbox),
		Config:       cfg,
		Log:          log,
		DB:           db,
		Sessions:     server.NewSessionManager(cfg, svc.Sessions),
		Accounts:     svc.Accounts,
		Audit:        svc.Audit,
		Exercises:    svc.Exercises,
		Assignments:  svc.Assignments,
		Reflections:  svc.Reflections,
		Reviews:      svc.Reviews,
		Progress:     svc.Progress,
		Measures:     svc.Measures,
		Highlighter:  svc.Risk,
		LoginCounter: auth.NewRateCounter(db),
	}, nil
}

// SweepSessions deletes expired sessions, old rate-limit buckets and text
// kept for clients who never came back, every few minutes until ctx ends. Every instance may run it; the deletes are
// idempotent.
func SweepSessions(ctx context.Context, store *auth.SessionStore, counter *auth.RateCounter, pending *reflection.Service, log *slog.Logger) {
	t := time.NewTicker(sessionSweepGap)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n, err := store.DeleteExpired(ctx); err != nil {
				log.Warn("sweep sessions", "err", err)
			} else if n > 0 {
				log.Debug("swept expired sessions", "count", n)
			}
			if _, err := counter.Sweep(ctx, time.Hour); err != nil {
				log.Warn("sweep rate counters", "err", err)
			}
			if err := pending.SweepPending(ctx); err != nil {
				log.Warn("sweep kept text", "err", err)
			}
		}
	}
}

// Timeouts for the HTTP server (R22). Writes get longer than reads because
// PDF reports take a moment to render.
const (
	ReadHeaderTimeout = 5 * time.Second
	ReadTimeout       = 30 * time.Second
	WriteTimeout      = 60 * time.Second
	IdleTimeout       = 120 * time.Second
)

// Serve serves h on ln until ctx is cancelled, then stops accepting new
// connections and waits up to shutdownTimeout for in-flight requests to
// finish (FT3). It returns nil after a clean shutdown.
func Serve(ctx context.Context, ln net.Listener, h http.Handler, shutdownTimeout time.Duration, log *slog.Logger) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       ReadTimeout,
		WriteTimeout:      WriteTimeout,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()

	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing in-flight requests", "timeout", shutdownTimeout.String())
	shutCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		// In-flight requests outlived the deadline: cut them off.
		_ = srv.Close()
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	log.Info("shutdown complete")
	return nil
}
