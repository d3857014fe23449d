package app

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/riverqueue/river"

	"github.com/trellis-app/trellis/internal/account"
	"github.com/trellis-app/trellis/internal/config"
	"github.com/trellis-app/trellis/internal/mail"
	"github.com/trellis-app/trellis/internal/notify"
)

// Jobs is this process's share of the background work: delivering email
// and queuing reminders. Its state is in PostgreSQL (River), so any number
// of `trellis serve` and `trellis worker` processes share it.
type Jobs struct {
	// Outbox is what services queue email through; disabled when no SMTP
	// server is configured.
	Outbox *notify.Outbox
	client *river.Client[*sql.Tx]
	work   bool
}

// JobsOptions say what this process does with the queue.
type JobsOptions struct {
	// Work: deliver email and run the reminder schedule here; without,
	// only queue (a `serve` that leaves the work to `trellis worker`).
	Work bool
	// PollInterval is how often an idle worker looks for jobs; zero is a
	// second. Tests make it short.
	PollInterval time.Duration
	// Retry decides when a failed email is tried again; nil is River's
	// attempt⁴ seconds. Tests make it short.
	Retry river.ClientRetryPolicy
}

// NewJobs builds the queue. With no SMTP configured there is nothing to
// do and the Outbox is off.
func NewJobs(cfg config.Config, db *sqlx.DB, log *slog.Logger, opts JobsOptions) (*Jobs, error) {
	if !cfg.Mail.Configured() {
		return &Jobs{}, nil
	}
	work := opts.Work
	qc := notify.QueueConfig{DB: db, Log: log, Workers: 4, PollInterval: opts.PollInterval, Retry: opts.Retry}
	if work {
		sender, err := mail.NewSMTP(cfg.Mail)
		if err != nil {
			return nil, err
		}
		qc.Deliverer = &notify.Deliverer{DB: db, Sender: sender, Links: account.Links{}, Base: cfg.BaseURL, Log: log}
		qc.Reminders = true
	}
	client, err := notify.NewQueue(qc)
	if err != nil {
		return nil, fmt.Errorf("job queue: %w", err)
	}
	return &Jobs{Outbox: notify.NewOutbox(client), client: client, work: work}, nil
}

// Run works jobs until ctx ends, then stops, letting jobs in hand finish
// for up to grace. It returns at once when there is no work here.
func (j *Jobs) Run(ctx context.Context, grace time.Duration, log *slog.Logger) error {
	if j.client == nil || !j.work {
		return nil
	}
	// The queue stops by Stop below, not by ctx: cancelling Start's
	// context would cut off the emails in hand.
	if err := j.client.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("start job queue: %w", err)
	}
	log.Info("job queue started")
	<-ctx.Done()
	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), grace)
	defer cancel()
	if err := j.client.Stop(stopCtx); err != nil {
		return fmt.Errorf("stop job queue: %w", err)
	}
	log.Info("job queue stopped")
	return nil
}
