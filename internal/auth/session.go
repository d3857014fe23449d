package auth

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/trellis-app/trellis/internal/database"
)

// SessionStore keeps scs sessions in PostgreSQL, so every instance behind a
// load balancer shares them. It stores a SHA-256 of each session token,
// never the token itself (R7), and honours request contexts.
type SessionStore struct {
	db    *sqlx.DB
	stmts *database.Statements // every request reads its session, most write it
}

// NewSessionStore returns a store over db.
func NewSessionStore(db *sqlx.DB) *SessionStore {
	return &SessionStore{db: db, stmts: database.NewStatements(db)}
}

func key(token string) string { return hex.EncodeToString(HashToken(token)) }

// FindCtx returns the session data for token, if it exists and has not
// expired.
func (s *SessionStore) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	var b []byte
	err := s.stmts.Get(ctx, &b, `SELECT data FROM sessions WHERE token = $1 AND expiry > now() AND NOT revoked`, key(token))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return b, true, nil
}

// CommitCtx saves session data until expiry. A revoked session stays
// revoked: a request that loaded it before sign-out cannot bring it back.
func (s *SessionStore) CommitCtx(ctx context.Context, token string, b []byte, expiry time.Time) error {
	return s.stmts.Exec(ctx, `
		INSERT INTO sessions (token, data, expiry) VALUES ($1, $2, $3)
		ON CONFLICT (token) DO UPDATE SET data = EXCLUDED.data, expiry = EXCLUDED.expiry
		WHERE NOT sessions.revoked`,
		key(token), b, expiry.UTC())
}

// DeleteCtx ends a session. The row stays as a tombstone until the
// session's longest lifetime has passed, so it cannot be committed again.
func (s *SessionStore) DeleteCtx(ctx context.Context, token string) error {
	_, err := s.db.ExecContext(ctx, `
		INSERT INTO sessions (token, data, expiry, revoked) VALUES ($1, '', now() + interval '12 hours', true)
		ON CONFLICT (token) DO UPDATE SET data = '', revoked = true, expiry = greatest(sessions.expiry, now() + interval '12 hours')`, key(token))
	return err
}

// Find, Commit and Delete satisfy scs.Store; scs calls the Ctx variants.
func (s *SessionStore) Find(token string) ([]byte, bool, error) {
	return s.FindCtx(context.Background(), token)
}

// Commit satisfies scs.Store.
func (s *SessionStore) Commit(token string, b []byte, expiry time.Time) error {
	return s.CommitCtx(context.Background(), token, b, expiry)
}

// Delete satisfies scs.Store.
func (s *SessionStore) Delete(token string) error {
	return s.DeleteCtx(context.Background(), token)
}

// DeleteExpired removes expired sessions; call it now and then.
func (s *SessionStore) DeleteExpired(ctx context.Context) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE expiry <= now()`)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
