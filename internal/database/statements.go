package database

import (
	"context"
	"fmt"
	"sync"

	"github.com/jmoiron/sqlx"
)

// Statements are SQL statements prepared once and then only executed
// (#17). lib/pq sends an unprepared statement with parameters in two round
// trips, and PostgreSQL parses and plans it each time; a prepared one is
// one round trip and is planned once per connection (database/sql
// prepares it on each pooled connection the first time it runs there).
// Used where every request goes: the session store and the principal
// (each owner keeps its own set).
type Statements struct {
	db *sqlx.DB
	mu sync.RWMutex
	m  map[string]*sqlx.Stmt
}

// NewStatements returns an empty set over db.
func NewStatements(db *sqlx.DB) *Statements {
	return &Statements{db: db, m: map[string]*sqlx.Stmt{}}
}

// Stmt is query prepared on the pool: the first call prepares it, later
// ones reuse it. Run it in a transaction with tx.StmtxContext.
func (s *Statements) Stmt(ctx context.Context, query string) (*sqlx.Stmt, error) {
	s.mu.RLock()
	st, ok := s.m[query]
	s.mu.RUnlock()
	if ok {
		return st, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if st, ok := s.m[query]; ok {
		return st, nil
	}
	st, err := s.db.PreparexContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("prepare: %w", err)
	}
	s.m[query] = st
	return st, nil
}

// Get runs query, prepared, into dest (one row), as sqlx.GetContext.
func (s *Statements) Get(ctx context.Context, dest any, query string, args ...any) error {
	st, err := s.Stmt(ctx, query)
	if err != nil {
		return err
	}
	return st.GetContext(ctx, dest, args...)
}

// Exec runs query, prepared, for its effect.
func (s *Statements) Exec(ctx context.Context, query string, args ...any) error {
	st, err := s.Stmt(ctx, query)
	if err != nil {
		return err
	}
	_, err = st.ExecContext(ctx, args...)
	return err
}
