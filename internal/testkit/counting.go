package testkit

import (
	"context"
	"database/sql/driver"
	"sync/atomic"
)

// QueryCounter counts the SQL statements a pool sends (queries and execs,
// not BEGIN/COMMIT), so a test can prove a page's query count does not grow
// with its data.
type QueryCounter struct{ n atomic.Int64 }

// Count is the number of statements so far.
func (q *QueryCounter) Count() int64 { return q.n.Load() }

// countingConnector wraps lib/pq's connector.
type countingConnector struct {
	driver.Connector
	counter *QueryCounter
}

func (c countingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return countingConn{conn: conn, counter: c.counter}, nil
}

// pqConn is what lib/pq's connection implements and database/sql uses.
type pqConn interface {
	driver.Conn
	driver.QueryerContext
	driver.ExecerContext
	driver.ConnPrepareContext
	driver.ConnBeginTx
	driver.Pinger
	driver.SessionResetter
	driver.Validator
	driver.NamedValueChecker
}

type countingConn struct {
	conn    driver.Conn
	counter *QueryCounter
}

func (c countingConn) pq() pqConn { return c.conn.(pqConn) }

func (c countingConn) Prepare(q string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), q)
}
func (c countingConn) Close() error { return c.conn.Close() }
func (c countingConn) Begin() (driver.Tx, error) {
	return c.pq().BeginTx(context.Background(), driver.TxOptions{})
}

func (c countingConn) QueryContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	c.counter.n.Add(1)
	return c.pq().QueryContext(ctx, q, args)
}

func (c countingConn) ExecContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	c.counter.n.Add(1)
	return c.pq().ExecContext(ctx, q, args)
}

// PrepareContext counts nothing itself: a prepared statement counts each
// time it runs, as an unprepared one does. lib/pq's COPY is prepared too,
// but its rows are data on one statement, not statements: it is left as
// it is.
func (c countingConn) PrepareContext(ctx context.Context, q string) (driver.Stmt, error) {
	st, err := c.pq().PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	if ps, ok := st.(pqStmt); ok {
		return countingStmt{pqStmt: ps, counter: c.counter}, nil
	}
	return st, nil
}

// pqStmt is what lib/pq's prepared statement implements.
type pqStmt interface {
	driver.Stmt
	driver.StmtQueryContext
	driver.StmtExecContext
}

type countingStmt struct {
	pqStmt
	counter *QueryCounter
}

func (s countingStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	s.counter.n.Add(1)
	return s.pqStmt.QueryContext(ctx, args)
}

func (s countingStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	s.counter.n.Add(1)
	return s.pqStmt.ExecContext(ctx, args)
}

func (c countingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.pq().BeginTx(ctx, opts)
}

func (c countingConn) Ping(ctx context.Context) error              { return c.pq().Ping(ctx) }
func (c countingConn) ResetSession(ctx context.Context) error      { return c.pq().ResetSession(ctx) }
func (c countingConn) IsValid() bool                               { return c.pq().IsValid() }
func (c countingConn) CheckNamedValue(nv *driver.NamedValue) error { return c.pq().CheckNamedValue(nv) }
