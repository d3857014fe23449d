package auth

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"
)

// RateCounter is an httprate.LimitCounter kept in PostgreSQL, so the
// per-IP login limit holds across every instance.
type RateCounter struct {
	db     *sqlx.DB
	window time.Duration
}

// NewRateCounter returns a counter over db.
func NewRateCounter(db *sqlx.DB) *RateCounter { return &RateCounter{db: db} }

// Config is called by httprate with the limit and window.
func (c *RateCounter) Config(_ int, windowLength time.Duration) { c.window = windowLength }

// Increment adds one to key's count in the window.
func (c *RateCounter) Increment(key string, currentWindow time.Time) error {
	return c.IncrementBy(key, currentWindow, 1)
}

// IncrementBy adds amount to key's count in the window and drops windows
// too old to matter.
func (c *RateCounter) IncrementBy(key string, currentWindow time.Time, amount int) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err := c.db.ExecContext(ctx, `
		WITH up AS (
			INSERT INTO rate_counters (key, window_start, count) VALUES ($1, $2, $3)
			ON CONFLICT (key, window_start) DO UPDATE SET count = rate_counters.count + EXCLUDED.count
		)
		DELETE FROM rate_counters WHERE key = $1 AND window_start < $4`,
		key, currentWindow.UTC(), amount, currentWindow.Add(-2*c.window).UTC())
	return err
}

// Get returns key's counts in the current and previous windows.
func (c *RateCounter) Get(key string, currentWindow, previousWindow time.Time) (int, int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var cur, prev int
	err := c.db.QueryRowContext(ctx, `
		SELECT coalesce(sum(count) FILTER (WHERE window_start = $2), 0),
		       coalesce(sum(count) FILTER (WHERE window_start = $3), 0)
		FROM rate_counters WHERE key = $1 AND window_start IN ($2, $3)`,
		key, currentWindow.UTC(), previousWindow.UTC()).Scan(&cur, &prev)
	return cur, prev, err
}
