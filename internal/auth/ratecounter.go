package auth

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/jmoiron/sqlx"
)

// RateCounter counts events per key in one-minute buckets kept in
// PostgreSQL, so a limit holds across every instance behind a load
// balancer. Each count is one atomic statement under the request's
// context: no lock in the process, and a slow database ends with the
// request's deadline.
type RateCounter struct {
	db *sqlx.DB
}

// NewRateCounter returns a counter over db.
func NewRateCounter(db *sqlx.DB) *RateCounter { return &RateCounter{db: db} }

// Count returns how many events key had in the last window.
func (c *RateCounter) Count(ctx context.Context, key string, window time.Duration) (int, error) {
	var n int
	err := c.db.QueryRowxContext(ctx, `SELECT coalesce(sum(count), 0) FROM rate_counters
		WHERE key = $1 AND window_start > now() - $2::interval`, key, window.String()).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("read rate counter: %w", err)
	}
	return n, nil
}

// Add records one event for key.
func (c *RateCounter) Add(ctx context.Context, key string) error {
	_, err := c.db.ExecContext(ctx, `
		INSERT INTO rate_counters (key, window_start, count) VALUES ($1, date_trunc('minute', now()), 1)
		ON CONFLICT (key, window_start) DO UPDATE SET count = rate_counters.count + 1`, key)
	if err != nil {
		return fmt.Errorf("count event: %w", err)
	}
	return nil
}

// Sweep deletes buckets older than keep.
func (c *RateCounter) Sweep(ctx context.Context, keep time.Duration) (int64, error) {
	res, err := c.db.ExecContext(ctx, `DELETE FROM rate_counters WHERE window_start < now() - $1::interval`, keep.String())
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// ClientKey is the rate-limit key for a client address: the address for
// IPv4, its /64 network for IPv6 (one subscriber usually holds a whole
// /64), and the raw text for anything unparseable.
func ClientKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}
