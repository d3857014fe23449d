package scale

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// copier streams rows into one table with COPY, the fastest way into
// PostgreSQL: rows are sent as they are generated, so generating (here)
// and storing (in PostgreSQL) run on both cores at once.
type copier struct {
	ctx   context.Context
	table string
	stmt  *sql.Stmt
	rows  int64
}

func copyInto(ctx context.Context, tx *sqlx.Tx, table string, cols ...string) (*copier, error) {
	quoted := make([]string, len(cols))
	for i, c := range cols {
		quoted[i] = pq.QuoteIdentifier(c)
	}
	// lib/pq streams the rows of a prepared COPY … FROM STDIN.
	stmt, err := tx.PrepareContext(ctx, fmt.Sprintf("COPY %s (%s) FROM STDIN", pq.QuoteIdentifier(table), strings.Join(quoted, ", ")))
	if err != nil {
		return nil, fmt.Errorf("copy into %s: %w", table, err)
	}
	return &copier{ctx: ctx, table: table, stmt: stmt}, nil
}

func (c *copier) add(args ...any) error {
	if _, err := c.stmt.ExecContext(c.ctx, args...); err != nil {
		return fmt.Errorf("copy into %s: %w", c.table, err)
	}
	c.rows++
	return nil
}

// done sends what is buffered and ends the COPY.
func (c *copier) done() (int64, error) {
	if _, err := c.stmt.ExecContext(c.ctx); err != nil {
		_ = c.stmt.Close()
		return 0, fmt.Errorf("copy into %s: %w", c.table, err)
	}
	if err := c.stmt.Close(); err != nil {
		return 0, fmt.Errorf("copy into %s: %w", c.table, err)
	}
	return c.rows, nil
}

// abort ends a COPY that failed on our side; the transaction is rolled
// back by the caller, so its error adds nothing.
func (c *copier) abort() { _ = c.stmt.Close() }
