package notify

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
)

// QueueConfig is how the job queue runs in this process.
type QueueConfig struct {
	DB *sqlx.DB
	// Deliverer works the email queue; nil makes a client that only
	// queues (a process that runs no jobs).
	Deliverer *Deliverer
	// Workers is how many emails one process sends at once.
	Workers int
	// PollInterval is how often an idle process looks for new jobs: the
	// database/sql driver has no LISTEN, so River polls.
	PollInterval time.Duration
	// Retry decides when a failed job is tried again; nil is River's
	// attempt⁴ seconds. Tests make it short.
	Retry river.ClientRetryPolicy
	// Reminders runs the reminder schedule in this process (on whichever
	// instance River elects leader); Now is its clock.
	Reminders bool
	Now       func() time.Time
	Log       *slog.Logger
}

// NewQueue returns the job queue's client. Jobs and their state live in
// PostgreSQL (River's tables, made by `trellis migrate`), so any number of
// instances share one queue and each job is worked by one of them.
func NewQueue(cfg QueueConfig) (*river.Client[*sql.Tx], error) {
	rc := &river.Config{Logger: cfg.Log, RetryPolicy: cfg.Retry}
	var client *river.Client[*sql.Tx]
	if cfg.Deliverer != nil {
		workers := river.NewWorkers()
		river.AddWorker(workers, cfg.Deliverer)
		if cfg.Reminders {
			now := cfg.Now
			if now == nil {
				now = time.Now
			}
			river.AddWorker(workers, &Scheduler{DB: cfg.DB, Queue: func() *river.Client[*sql.Tx] { return client }, Now: now})
			rc.PeriodicJobs = []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(ScheduleEvery),
				func() (river.JobArgs, *river.InsertOpts) {
					return scheduleArgs{}, &river.InsertOpts{Queue: QueueEmail, MaxAttempts: 1}
				},
				&river.PeriodicJobOpts{RunOnStart: true})}
		}
		rc.Workers = workers
		rc.Queues = map[string]river.QueueConfig{QueueEmail: {MaxWorkers: max(1, cfg.Workers)}}
		rc.FetchPollInterval = cfg.PollInterval
		if rc.FetchPollInterval == 0 {
			rc.FetchPollInterval = time.Second
		}
		rc.FetchCooldown = min(rc.FetchPollInterval, 100*time.Millisecond)
		// An email that hangs is given up and retried, never held forever.
		rc.JobTimeout = time.Minute
	}
	var err error
	client, err = river.NewClient(riverdatabasesql.New(cfg.DB.DB), rc)
	return client, err
}

// Outbox is how services queue email: nil, or one made with no queue,
// means email is off (no SMTP configured) and links are copied by hand.
type Outbox struct {
	q *river.Client[*sql.Tx]
}

// NewOutbox queues email on q.
func NewOutbox(q *river.Client[*sql.Tx]) *Outbox { return &Outbox{q: q} }

// Enabled reports whether email is on.
func (o *Outbox) Enabled() bool { return o != nil && o.q != nil }

// Queue writes e to the outbox and queues it, in tx (see Queue).
func (o *Outbox) Queue(ctx context.Context, tx *sqlx.Tx, e Email) (int64, bool, error) {
	if !o.Enabled() {
		return 0, false, errors.New("notify: email is not configured")
	}
	return Queue(ctx, o.q, tx, e)
}
