// Package reflection owns what clients write: drafts saved as they type,
// submissions (never overwritten: a change after sending is a new version,
// R25), the one-time token that makes a double submit store once (FT4),
// and text posted after a session ended, kept until the client signs in
// again (FT5).
package reflection

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/trellis-app/trellis/internal/audit"
	"github.com/trellis-app/trellis/internal/auth"
	"github.com/trellis-app/trellis/internal/database"
	"github.com/trellis-app/trellis/internal/errkind"
	"github.com/trellis-app/trellis/internal/exercise"
	"github.com/trellis-app/trellis/internal/measure"
	"github.com/trellis-app/trellis/internal/policy"
)

// Service is the rules for clients' answers.
type Service struct {
	db    *sqlx.DB
	flags Flagger
}

// Flagger finds the categories of risk language in a text (risk.Scanner):
// a prompt for the therapist to look, never an assessment.
type Flagger interface {
	Categories(text string) []string
}

// NewService returns the reflection service; flags may be nil.
func NewService(db *sqlx.DB, flags Flagger) *Service { return &Service{db: db, flags: flags} }

// flagsOf finds risk language in the text answers, and a measure's risk
// item answered above 0 (PHQ-9 item 9), whatever the total.
func (s *Service) flagsOf(d exercise.Definition, version int, a exercise.Answers) []string {
	out := []string{}
	if in, ok := measure.For(d, version); ok && in.Score(a).Risk {
		out = append(out, in.RiskFlag())
	}
	if s.flags == nil {
		return out
	}
	var b strings.Builder
	for _, f := range d.Fields {
		if f.Type == exercise.LongText || f.Type == exercise.ShortText {
			b.WriteString(a.First(f.Key))
			b.WriteString("\n")
		}
	}
	return append(out, s.flags.Categories(b.String())...)
}

// Work is one assignment as its client sees it, with their draft and what
// they sent.
type Work struct {
	AssignmentID int64     `db:"id"`
	ExerciseID   int64     `db:"exercise_id"`
	Status       string    `db:"status"`
	DueOn        time.Time `db:"due_on"`
	DueAt        time.Time `db:"due_at"`
	Note         string    `db:"note"`
	Version      int       `db:"exercise_version"`
	Raw          []byte    `db:"definition"`
	Definition   exercise.Definition

	Draft       exercise.Answers
	DraftSaved  sql.NullTime
	Sent        exercise.Answers
	SentAt      sql.NullTime
	SentVersion int
	// SentFlagged: risk language was found in what was sent; the client's
	// confirmation shows the crisis line prominently.
	SentFlagged bool
	// Feedback is what the therapist wrote back, if anything.
	Feedback *Feedback
}

// Feedback is the therapist's reply as the client sees it.
type Feedback struct {
	Body      string       `db:"body"`
	UpdatedAt time.Time    `db:"updated_at"`
	SeenAt    sql.NullTime `db:"seen_at"`
}

// Open reports whether the work can still be sent for the first time.
func (w Work) Open() bool { return w.Status == "open" }

// Submitted reports whether the client has sent it (reviewed or not).
func (w Work) Submitted() bool { return w.Status == "submitted" || w.Status == "reviewed" }

// Overdue reports whether the work is open past its due time.
func (w Work) Overdue(now time.Time) bool { return w.Open() && w.DueAt.Before(now) }

// Get loads one of the actor's assignments. Anyone else's, and a
// cancelled one, is ErrNotFound (R13).
func (s *Service) Get(ctx context.Context, actor policy.Actor, id int64) (Work, error) {
	if !policy.Allowed(actor, policy.UsePortal) {
		return Work{}, errkind.ErrForbidden
	}
	return getWork(ctx, s.db, actor.UserID, id, false)
}

func getWork(ctx context.Context, q sqlx.QueryerContext, clientID, id int64, lock bool) (Work, error) {
	var w Work
	query := `SELECT a.id, a.exercise_id, a.status, a.due_on, a.due_at, s.note, a.exercise_version, v.definition
		FROM assignments a
		JOIN assignment_series s ON s.id = a.series_id
		JOIN exercise_versions v ON v.exercise_id = a.exercise_id AND v.version = a.exercise_version
		WHERE a.id = $1 AND a.client_id = $2 AND a.status <> 'cancelled'`
	if lock {
		query += ` FOR UPDATE OF a`
	}
	err := sqlx.GetContext(ctx, q, &w, query, id, clientID)
	if errors.Is(err, sql.ErrNoRows) {
		return Work{}, errkind.ErrNotFound
	}
	if err != nil {
		return Work{}, fmt.Errorf("load assignment %d: %w", id, err)
	}
	if err := json.Unmarshal(w.Raw, &w.Definition); err != nil {
		return Work{}, fmt.Errorf("decode exercise of assignment %d: %w", id, err)
	}
	var d struct {
		Answers []byte    `db:"answers"`
		SavedAt time.Time `db:"saved_at"`
	}
	err = sqlx.GetContext(ctx, q, &d, `SELECT answers, saved_at FROM drafts WHERE assignment_id = $1 AND client_id = $2`, id, clientID)
	switch {
	case err == nil:
		if err := json.Unmarshal(d.Answers, &w.Draft); err != nil {
			return Work{}, fmt.Errorf("decode draft %d: %w", id, err)
		}
		w.DraftSaved = sql.NullTime{Time: d.SavedAt, Valid: true}
	case !errors.Is(err, sql.ErrNoRows):
		return Work{}, fmt.Errorf("load draft %d: %w", id, err)
	}
	var sub struct {
		Answers     []byte    `db:"answers"`
		SubmittedAt time.Time `db:"submitted_at"`
		Version     int       `db:"version"`
		Flagged     bool      `db:"flagged"`
	}
	err = sqlx.GetContext(ctx, q, &sub, `SELECT answers, submitted_at, version, flags <> '{}' AS flagged FROM submissions
		WHERE assignment_id = $1 AND client_id = $2 ORDER BY version DESC LIMIT 1`, id, clientID)
	switch {
	case err == nil:
		if err := json.Unmarshal(sub.Answers, &w.Sent); err != nil {
			return Work{}, fmt.Errorf("decode submission of %d: %w", id, err)
		}
		w.SentAt = sql.NullTime{Time: sub.SubmittedAt, Valid: true}
		w.SentVersion = sub.Version
		w.SentFlagged = sub.Flagged
	case !errors.Is(err, sql.ErrNoRows):
		return Work{}, fmt.Errorf("load submission of %d: %w", id, err)
	}
	var fb Feedback
	err = sqlx.GetContext(ctx, q, &fb, `SELECT body, updated_at, seen_at FROM feedback WHERE assignment_id = $1`, id)
	switch {
	case err == nil:
		w.Feedback = &fb
	case !errors.Is(err, sql.ErrNoRows):
		return Work{}, fmt.Errorf("load feedback of %d: %w", id, err)
	}
	return w, nil
}

// MarkFeedbackSeen notes that the client has seen their feedback, so the
// "new feedback" badge goes away.
func (s *Service) MarkFeedbackSeen(ctx context.Context, actor policy.Actor, id int64) error {
	_, err := s.db.ExecContext(ctx, `UPDATE feedback f SET seen_at = now() FROM assignments a
		WHERE f.assignment_id = $1 AND a.id = f.assignment_id AND a.client_id = $2 AND f.seen_at IS NULL`, id, actor.UserID)
	if err != nil {
		return fmt.Errorf("mark feedback seen: %w", err)
	}
	return nil
}

// SaveDraft stores what the client has typed so far, as typed. It never
// validates: a draft exists so that nothing is lost.
func (s *Service) SaveDraft(ctx context.Context, actor policy.Actor, id int64, form map[string][]string) (time.Time, error) {
	if !policy.Allowed(actor, policy.UsePortal) {
		return time.Time{}, errkind.ErrForbidden
	}
	w, err := getWork(ctx, s.db, actor.UserID, id, false)
	if err != nil {
		return time.Time{}, err
	}
	answers := exercise.AnswersFromForm(w.Definition, form)
	return saveDraft(ctx, s.db, actor.UserID, id, answers)
}

// DiscardChanges deletes the client's unsent changes to work they have
// sent, so that changing it starts again from what was sent. Open work's
// draft is all there is of it and is never discarded here.
func (s *Service) DiscardChanges(ctx context.Context, actor policy.Actor, id int64) error {
	if !policy.Allowed(actor, policy.UsePortal) {
		return errkind.ErrForbidden
	}
	w, err := getWork(ctx, s.db, actor.UserID, id, false)
	if err != nil {
		return err
	}
	if !w.Submitted() {
		return errkind.ErrConflict
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM drafts d USING assignments a
		WHERE d.assignment_id = $1 AND d.client_id = $2 AND a.id = d.assignment_id AND a.status IN ('submitted', 'reviewed')`, id, actor.UserID); err != nil {
		return fmt.Errorf("discard changes to %d: %w", id, err)
	}
	return nil
}

// ErrSent: an autosave came from a form that has already been sent.
var ErrSent = fmt.Errorf("form already sent: %w", errkind.ErrConflict)

// Autosave stores what the client has typed so far, as SaveDraft does,
// for the form whose one-time token is token. A form that has already
// been sent saves nothing and answers ErrSent: an autosave still in flight
// when the client pressed Send must not bring back, as a draft, words
// older than what was sent (the send and the autosave take the same row
// lock, so one always sees the other). Typing into a sent form (the back
// button) is told so instead of silently saved; "Change my answers" opens
// a new form with its own token.
func (s *Service) Autosave(ctx context.Context, actor policy.Actor, id int64, token string, form map[string][]string) (time.Time, error) {
	if !policy.Allowed(actor, policy.UsePortal) {
		return time.Time{}, errkind.ErrForbidden
	}
	var at time.Time
	err := database.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		w, err := getWork(ctx, tx, actor.UserID, id, true)
		if err != nil {
			return err
		}
		if tokenRe.MatchString(token) {
			var sent bool
			if err := tx.GetContext(ctx, &sent, `SELECT EXISTS (SELECT 1 FROM submissions WHERE client_id = $1 AND form_token = $2)`,
				actor.UserID, token); err != nil {
				return fmt.Errorf("look up form token: %w", err)
			}
			if sent {
				return ErrSent
			}
		}
		at, err = saveDraft(ctx, tx, actor.UserID, id, exercise.AnswersFromForm(w.Definition, form))
		return err
	})
	return at, err
}

func saveDraft(ctx context.Context, q sqlx.QueryerContext, clientID, id int64, a exercise.Answers) (time.Time, error) {
	doc, err := json.Marshal(a)
	if err != nil {
		return time.Time{}, err
	}
	var at time.Time
	err = q.QueryRowxContext(ctx, `INSERT INTO drafts (assignment_id, client_id, answers) VALUES ($1, $2, $3)
		ON CONFLICT (assignment_id) DO UPDATE SET answers = EXCLUDED.answers, saved_at = now()
		WHERE drafts.client_id = EXCLUDED.client_id
		RETURNING saved_at`, id, clientID, doc).Scan(&at)
	if err != nil {
		return time.Time{}, fmt.Errorf("save draft %d: %w", id, err)
	}
	return at, nil
}

// Result is what a submit did.
type Result struct {
	Version int
	// Repeat is true when this form had already been sent: the earlier
	// submission stands and nothing new was stored (FT4).
	Repeat bool
	// Flags are the categories of risk language found, if any.
	Flags []string
	// Kept: a repeat whose words differed from what was sent; they were
	// kept as a draft, not sent.
	Kept bool
}

var tokenRe = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// NewFormToken is the one-time token a rendered form carries.
func NewFormToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// Submit sends the client's answers. The first send of a form stores a new
// version; sending the same form again (a double click, a retry, the back
// button) stores nothing and reports Repeat. Answers are checked first; a
// failed check is an *errkind.Invalid, and the answers as posted are the
// draft (in PostgreSQL, so any instance can show them again).
func (s *Service) Submit(ctx context.Context, actor policy.Actor, id int64, token string, form map[string][]string) (Result, error) {
	if !policy.Allowed(actor, policy.UsePortal) {
		return Result{}, errkind.ErrForbidden
	}
	w, err := getWork(ctx, s.db, actor.UserID, id, false)
	if err != nil {
		return Result{}, err
	}
	answers := exercise.AnswersFromForm(w.Definition, form)
	if !tokenRe.MatchString(token) {
		// A form without a valid token was not one we rendered: nothing
		// is sent, but every word is kept as the draft, to show again.
		if _, err := saveDraft(ctx, s.db, actor.UserID, id, answers); err != nil {
			return Result{}, err
		}
		v := errkind.NewInvalid()
		v.Add("form", "This page was out of date. Your answers are still here: please send them again.")
		return Result{}, v
	}
	doc := mustJSON(answers) // compared with an earlier send, and stored
	var res Result
	var refused error
	err = database.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		// The row lock orders concurrent sends of this assignment, so each
		// gets its own version number; the same statement looks for an
		// earlier send of this very form (its token).
		var prior sql.NullInt64
		var same bool
		err := tx.QueryRowxContext(ctx, `SELECT s.version, coalesce(s.answers = $4::jsonb, false)
			FROM assignments a LEFT JOIN submissions s ON s.client_id = $2 AND s.form_token = $3
			WHERE a.id = $1 AND a.client_id = $2 AND a.status <> 'cancelled' FOR UPDATE OF a`,
			id, actor.UserID, token, doc).Scan(&prior, &same)
		if errors.Is(err, sql.ErrNoRows) {
			return errkind.ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("lock assignment %d: %w", id, err)
		}
		if prior.Valid {
			res = Result{Version: int(prior.Int64), Repeat: true, Kept: !same}
			if !same {
				// The same form came back with different words (the back
				// button, then edits): they are not sent twice, but they
				// are kept as a draft, never lost.
				_, err := saveDraft(ctx, tx, actor.UserID, id, answers)
				return err
			}
			return nil // a double click: nothing to keep, nothing written
		}
		// Not a repeat. Answers the check refuses are kept as the draft,
		// every word; answers it takes are sent, in this transaction with
		// everything else, so a draft of them would only be deleted again.
		// A repeat writes nothing, so it can never put old answers over
		// newer ones.
		if err := w.Definition.Check(answers); err != nil {
			refused = err
			if _, err := saveDraft(ctx, tx, actor.UserID, id, answers); err != nil {
				return err
			}
			return nil // commit the draft; the answers are not sent
		}
		var subID int64
		var at time.Time
		res.Flags = s.flagsOf(w.Definition, w.Version, answers)
		err = tx.QueryRowxContext(ctx, `
			INSERT INTO submissions (assignment_id, client_id, version, answers, form_token, flags)
			VALUES ($1, $2, (SELECT coalesce(max(version), 0) + 1 FROM submissions WHERE assignment_id = $1), $3, $4, $5)
			ON CONFLICT (client_id, form_token) DO NOTHING
			RETURNING id, version, submitted_at`, id, actor.UserID, doc, token, pq.Array(res.Flags)).Scan(&subID, &res.Version, &at)
		if errors.Is(err, sql.ErrNoRows) {
			return errRepeat
		}
		if err != nil {
			return fmt.Errorf("insert submission: %w", err)
		}
		if tracked := w.Definition.Tracked(answers); len(tracked) > 0 {
			keys := make([]string, 0, len(tracked))
			values := make([]int64, 0, len(tracked))
			for k, v := range tracked {
				keys = append(keys, k)
				values = append(values, int64(v))
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO tracked_values (submission_id, client_id, exercise_id, field_key, value, recorded_at)
				SELECT $1, $2, $3, k, v, $6 FROM unnest($4::text[], $5::int[]) AS t(k, v)`,
				subID, actor.UserID, w.ExerciseID, pq.Array(keys), pq.Array(values), at); err != nil {
				return fmt.Errorf("insert tracked values: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE assignments SET status = 'submitted', submitted_at = $2, reviewed_at = NULL WHERE id = $1`, id, at); err != nil {
			return fmt.Errorf("mark submitted: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM drafts WHERE assignment_id = $1`, id); err != nil {
			return fmt.Errorf("clear draft: %w", err)
		}
		return audit.Record(ctx, tx, audit.Entry{Action: audit.SubmissionMade, PracticeID: actor.PracticeID, ActorID: actor.UserID,
			TargetType: "submission", TargetID: subID, Detail: map[string]any{"assignment": id, "version": res.Version}})
	})
	if err == nil && refused != nil {
		return Result{}, refused
	}
	if errors.Is(err, errRepeat) {
		// A concurrent send of the same form won: it stands. If this one
		// carried other words, they are kept as the draft, as a repeat
		// seen under the lock keeps them.
		var v int
		var same bool
		if err := s.db.QueryRowxContext(ctx, `SELECT version, answers = $3::jsonb FROM submissions WHERE client_id = $1 AND form_token = $2`,
			actor.UserID, token, doc).Scan(&v, &same); err != nil {
			return Result{}, fmt.Errorf("load the earlier submission: %w", err)
		}
		if !same {
			if _, err := saveDraft(ctx, s.db, actor.UserID, id, answers); err != nil {
				return Result{}, err
			}
		}
		return Result{Version: v, Repeat: true, Kept: !same}, nil
	}
	return res, err
}

var errRepeat = errors.New("form already sent")

func mustJSON(a exercise.Answers) []byte {
	b, err := json.Marshal(a)
	if err != nil {
		panic(err) // a map of strings always encodes
	}
	return b
}

// KeepPending stores text posted to an assignment after the session ended
// and returns the token to hand the browser, and whether it is a new one.
// A browser that already holds a token for the same assignment updates it
// (autosave keeps running while signed out), so one stretch of writing is
// one row. Nothing is written to any assignment until its client signs in
// (Restore).
//
// Anyone can post here, so only what an answer can hold is kept (answer
// fields, each cut to the longest answer, at most MaxFields of them), and
// one address (addr, hashed before it is stored) may keep at most
// KeptBytesPerAddress in all until its rows expire: beyond that,
// ErrKeptFull.
func (s *Service) KeepPending(ctx context.Context, id int64, form map[string][]string, held, addr string) (token string, fresh bool, err error) {
	doc, err := json.Marshal(keepable(form))
	if err != nil {
		return "", false, err
	}
	addrHash := auth.HashToken(addr)
	var heldHash []byte
	if held != "" {
		heldHash = auth.HashToken(held)
	}
	var used int
	if err := s.db.GetContext(ctx, &used, `SELECT coalesce(sum(size), 0) FROM pending_drafts
		WHERE addr_hash = $1 AND token_hash IS DISTINCT FROM $2 AND created_at > now() - $3::interval`,
		addrHash, heldHash, PendingTTL.String()); err != nil {
		return "", false, fmt.Errorf("measure kept text: %w", err)
	}
	if used+len(doc) > KeptBytesPerAddress {
		return "", false, ErrKeptFull
	}
	if held != "" {
		res, err := s.db.ExecContext(ctx, `UPDATE pending_drafts SET answers = $3, size = $4, addr_hash = $5, created_at = now()
			WHERE token_hash = $1 AND assignment_id = $2`, heldHash, id, doc, len(doc), addrHash)
		if err != nil {
			return "", false, fmt.Errorf("update pending draft: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			return held, false, nil
		}
	}
	token, hash := auth.NewToken()
	if _, err := s.db.ExecContext(ctx, `INSERT INTO pending_drafts (token_hash, assignment_id, answers, size, addr_hash)
		VALUES ($1, $2, $3, $4, $5)`, hash, id, doc, len(doc), addrHash); err != nil {
		return "", false, fmt.Errorf("keep pending draft: %w", err)
	}
	return token, true, nil
}

// KeptBytesPerAddress bounds the text one address may keep signed out at
// a time: room for several long reflections from one household, far from
// the 240 MiB an hour one address could once leave.
const KeptBytesPerAddress = 2 << 20

// ErrKeptFull: the address already keeps as much signed-out text as it may.
var ErrKeptFull = errors.New("kept text limit reached")

// keepable is the part of a posted form that an answer can hold: answer
// fields only (what Restore reads back), at most MaxFields of them, with as
// many values as an exercise's most options, each cut to the longest
// answer. Anything else a visitor posts is not kept.
func keepable(form map[string][]string) map[string][]string {
	out := map[string][]string{}
	keys := make([]string, 0, len(form))
	for k := range form {
		if strings.HasPrefix(k, exercise.FormName("")) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys[:min(len(keys), exercise.MaxFields)] {
		vals := form[k][:min(len(form[k]), exercise.MaxOptions)]
		kept := make([]string, len(vals))
		for i, v := range vals {
			kept[i] = truncateRunes(v, exercise.MaxLongAnswer)
		}
		out[k] = kept
	}
	return out
}

// truncateRunes cuts s to at most n characters, never inside one.
func truncateRunes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := 0
	for pos := range s {
		if i == n {
			return s[:pos]
		}
		i++
	}
	return s
}

// PendingTTL is how long text kept after a session ended waits for its
// client to sign in again.
const PendingTTL = 24 * time.Hour

// Restore puts text kept under token into the actor's draft of that
// assignment, if the assignment is theirs; anyone else's assignment gets
// nothing. It returns the assignment id it restored (0 for none) and
// whether that work had already been sent (the words are then changes).
func (s *Service) Restore(ctx context.Context, actor policy.Actor, token string) (restored int64, sent bool, err error) {
	if !policy.Allowed(actor, policy.UsePortal) {
		return 0, false, nil
	}
	err = database.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		var p struct {
			AssignmentID int64     `db:"assignment_id"`
			Answers      []byte    `db:"answers"`
			CreatedAt    time.Time `db:"created_at"`
		}
		// Only text kept for this client's own assignment is taken: anyone
		// else's stays untouched (and expires), never written anywhere.
		err := tx.GetContext(ctx, &p, `DELETE FROM pending_drafts p USING assignments a
			WHERE p.token_hash = $1 AND p.created_at > now() - $2::interval
			  AND a.id = p.assignment_id AND a.client_id = $3 AND a.status <> 'cancelled'
			RETURNING p.assignment_id, p.answers, p.created_at`, auth.HashToken(token), PendingTTL.String(), actor.UserID)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("take pending draft: %w", err)
		}
		w, err := getWork(ctx, tx, actor.UserID, p.AssignmentID, false)
		if errors.Is(err, errkind.ErrNotFound) {
			return nil // not theirs: the text is dropped, never written anywhere
		}
		if err != nil {
			return err
		}
		var form map[string][]string
		if err := json.Unmarshal(p.Answers, &form); err != nil {
			return fmt.Errorf("decode pending draft: %w", err)
		}
		// The kept text was usually typed on top of the draft, in the same
		// browser: it is the newest, and replaces it. A draft saved after it
		// (on another device, say) is not overwritten: the two are merged.
		kept := exercise.AnswersFromForm(w.Definition, form)
		if w.Draft != nil && w.DraftSaved.Valid && w.DraftSaved.Time.After(p.CreatedAt) {
			kept = merge(w.Definition, w.Draft, kept)
		}
		if _, err := saveDraft(ctx, tx, actor.UserID, p.AssignmentID, kept); err != nil {
			return err
		}
		restored, sent = p.AssignmentID, w.Submitted()
		return nil
	})
	return restored, sent, err
}

// merge joins a draft and text kept after a session ended. Where both hold
// different writing, both are kept, the draft's first; for anything else
// (a scale, a choice) the draft's answer stands and the kept one fills gaps.
func merge(d exercise.Definition, draft, kept exercise.Answers) exercise.Answers {
	out := exercise.Answers{}
	for _, f := range d.Fields {
		a, b := draft[f.Key], kept[f.Key]
		switch {
		case len(a) == 0:
			if len(b) > 0 {
				out[f.Key] = b
			}
		case len(b) == 0 || (f.Type != exercise.LongText && f.Type != exercise.ShortText) || contains(a[0], b[0]):
			out[f.Key] = a
		case contains(b[0], a[0]):
			out[f.Key] = b
		default:
			out[f.Key] = []string{a[0] + "\n\n" + b[0]}
		}
	}
	return out
}

// contains reports whether text a already holds b, whatever the newlines.
func contains(a, b string) bool {
	n := strings.NewReplacer("\r\n", "\n")
	return strings.Contains(n.Replace(a), n.Replace(b))
}

// SweepPending deletes pending text older than PendingTTL.
func (s *Service) SweepPending(ctx context.Context) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM pending_drafts WHERE created_at < now() - $1::interval`, PendingTTL.String())
	return err
}
