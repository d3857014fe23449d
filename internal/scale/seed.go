package scale

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/trellis-app/trellis/internal/auth"
	"github.com/trellis-app/trellis/internal/database"
	"github.com/trellis-app/trellis/internal/exercise"
	"github.com/trellis-app/trellis/internal/risk"
)

// Options size the practice. The zero value of a size is not a default:
// start from DefaultOptions.
type Options struct {
	Therapists  int
	Clients     int
	Submissions int
	// Seed makes the practice reproducible: the same options give the
	// same homework.
	Seed uint64
	// Now is the end of the two years seeded (zero: the current time).
	Now time.Time
	// Progress, when set, is told what is being written and how long it
	// took (counts and seconds only).
	Progress io.Writer
}

// DefaultOptions is the size of a busy practice.
func DefaultOptions() Options {
	return Options{Therapists: 100, Clients: 5000, Submissions: 1_000_000, Seed: 1}
}

// Limits keep a typo from filling the disk.
const (
	MaxTherapists  = 1000
	MaxClients     = 100_000
	MaxSubmissions = 20_000_000
)

func (o Options) check() error {
	switch {
	case o.Therapists < 1 || o.Therapists > MaxTherapists:
		return fmt.Errorf("therapists must be 1 to %d, not %d", MaxTherapists, o.Therapists)
	case o.Clients < 1 || o.Clients > MaxClients:
		return fmt.Errorf("clients must be 1 to %d, not %d", MaxClients, o.Clients)
	case o.Submissions < 0 || o.Submissions > MaxSubmissions:
		return fmt.Errorf("submissions must be 0 to %d, not %d", MaxSubmissions, o.Submissions)
	}
	return nil
}

// ErrExists means the database already holds the scale practice (or its
// accounts): seeding it twice would double every figure measured on it.
var ErrExists = errors.New("the scale practice is already in this database")

// Counts are the rows written, by kind.
type Counts struct {
	Therapists, Clients                int
	Series, Assignments, Submissions   int64
	TrackedValues, Feedback, Notes     int64
	Drafts, Flagged, Reviewed, Waiting int64
}

// Result is what Seed built.
type Result struct {
	PracticeID int64
	Counts
	// Written is the time to write the rows; Analyzed the time to vacuum
	// and analyze them afterwards; Elapsed the whole.
	Written, Analyzed, Elapsed time.Duration
}

// gen generates the practice.
type gen struct {
	o            Options
	now          time.Time
	today, start day
	ex           []*exInfo
	exIdx        map[string]int
	scan         *risk.Scanner
	quota        []int
	lag          []float64 // each therapist's usual days to review
	practice     int64
	firstUser    int64
	hash         string // every account's: the password is the contract
	base         ids    // the ids before the first of each kind
}

// tables are the tables Seed writes; their foreign keys and secondary
// indexes are set aside while it does (unbuild).
var tables = []string{"users", "assignment_series", "assignments", "submissions", "tracked_values", "feedback", "notes", "drafts"}

// Seed builds the scale practice in db, in one transaction: all of it or
// nothing. It refuses (ErrExists) when the practice is already there. The
// tables it writes are locked against other writers while it runs, so
// seed a database of its own.
func Seed(ctx context.Context, db *sqlx.DB, o Options) (Result, error) {
	began := time.Now()
	if err := o.check(); err != nil {
		return Result{}, err
	}
	g, err := newGen(ctx, db, o)
	if err != nil {
		return Result{}, err
	}
	// One argon2id hash for every account: hashing 5,100 passwords would
	// take longer than writing a million submissions.
	hash, err := auth.NewHasher().Hash(ctx, Password)
	if err != nil {
		return Result{}, fmt.Errorf("hash the password: %w", err)
	}
	g.hash = hash
	g.quotas()
	var res Result
	err = database.WithTx(ctx, db, func(tx *sqlx.Tx) error {
		return g.write(ctx, tx, &res)
	})
	if err != nil {
		return Result{}, err
	}
	res.Written = time.Since(began)
	// Fresh statistics, so the planner sees the new sizes, and a visibility
	// map, so index-only scans need not visit the heap.
	g.logf("vacuum and analyze")
	at := time.Now()
	if _, err := db.ExecContext(ctx, `VACUUM (ANALYZE) users, assignment_series, assignments, submissions, tracked_values, feedback, notes, drafts`); err != nil {
		return Result{}, fmt.Errorf("vacuum: %w", err)
	}
	res.Analyzed = time.Since(at)
	res.Elapsed = time.Since(began)
	g.logf("vacuum and analyze: %.1fs", res.Analyzed.Seconds())
	return res, nil
}

func newGen(ctx context.Context, db *sqlx.DB, o Options) (*gen, error) {
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	g := &gen{o: o, now: o.Now.UTC().Truncate(time.Microsecond), exIdx: map[string]int{}}
	g.today = dayOf(g.now)
	g.start = g.today - periodDays
	scan, err := risk.Shared()
	if err != nil {
		return nil, fmt.Errorf("load the risk phrases: %w", err)
	}
	g.scan = scan
	var rows []struct {
		Key        string `db:"builtin_key"`
		ID         int64  `db:"id"`
		Version    int    `db:"version"`
		Definition []byte `db:"definition"`
	}
	if err := sqlx.SelectContext(ctx, db, &rows, `SELECT e.builtin_key, e.id, v.version, v.definition
		FROM exercises e JOIN exercise_versions v ON v.exercise_id = e.id AND v.version = e.latest_version
		WHERE e.builtin_key IS NOT NULL ORDER BY e.id`); err != nil {
		return nil, fmt.Errorf("load the built-in exercises: %w", err)
	}
	for _, row := range rows {
		var d exercise.Definition
		if err := json.Unmarshal(row.Definition, &d); err != nil {
			return nil, fmt.Errorf("decode exercise %d: %w", row.ID, err)
		}
		e, err := newExInfo(row.Key, row.ID, row.Version, d, o.Seed)
		if err != nil {
			return nil, err
		}
		g.exIdx[row.Key] = len(g.ex)
		g.ex = append(g.ex, e)
	}
	for _, k := range append([]string{keyCheckIn, keyThought, keyLadder}, onceOffKeys...) {
		if _, ok := g.exIdx[k]; !ok {
			return nil, fmt.Errorf("the built-in exercise %q is missing: is the database migrated?", k)
		}
	}
	r := newRand(o.Seed, 2, 0)
	for range o.Therapists {
		g.lag = append(g.lag, 0.5+3.5*r.Float64())
	}
	return g, nil
}

func (g *gen) logf(format string, args ...any) {
	if g.o.Progress != nil {
		fmt.Fprintf(g.o.Progress, format+"\n", args...)
	}
}

func (g *gen) therapistID(t int) int64 { return g.firstUser + 1 + int64(t) }
func (g *gen) clientID(c int) int64    { return g.firstUser + 1 + int64(g.o.Therapists) + int64(c) }

// each generates every client's plan in order, with the same ids each time.
func (g *gen) each(what string, fn func(p *clientPlan) error) error {
	next := g.base
	step := max(1, g.o.Clients/5)
	began := time.Now()
	for c := range g.o.Clients {
		if err := fn(g.plan(c, &next)); err != nil {
			return err
		}
		if what != "" && (c+1)%step == 0 && c+1 < g.o.Clients {
			g.logf("  %s: %d%% of clients (%.1fs)", what, 100*(c+1)/g.o.Clients, time.Since(began).Seconds())
		}
	}
	return nil
}

func (g *gen) write(ctx context.Context, tx *sqlx.Tx, res *Result) error {
	// Row ids are handed out here rather than by the identity columns, so
	// rows can point at each other within one COPY stream: nobody else may
	// insert into these tables meanwhile.
	if _, err := tx.ExecContext(ctx, `LOCK TABLE practices, users, assignment_series, assignments, submissions, tracked_values, feedback, notes, drafts IN SHARE ROW EXCLUSIVE MODE`); err != nil {
		return fmt.Errorf("lock tables: %w", err)
	}
	var exists bool
	if err := tx.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM practices WHERE name = $1)
		OR EXISTS (SELECT 1 FROM users WHERE email LIKE '%@scale.trellis.test')`, PracticeName); err != nil {
		return fmt.Errorf("look for the scale practice: %w", err)
	}
	if exists {
		return ErrExists
	}
	g.logf("Seeding %q: %d therapists, %d clients, %d submissions over two years.",
		PracticeName, g.o.Therapists, g.o.Clients, g.o.Submissions)
	created := g.start.time().Add(-30 * 24 * time.Hour)
	if err := tx.QueryRowxContext(ctx, `INSERT INTO practices (name, created_at) VALUES ($1, $2) RETURNING id`, PracticeName, created).Scan(&g.practice); err != nil {
		return fmt.Errorf("create the practice: %w", err)
	}
	res.PracticeID = g.practice
	var err error
	if g.firstUser, err = reserve(ctx, tx, "users"); err != nil {
		return err
	}
	for _, p := range []struct {
		table string
		id    *int64
	}{{"assignment_series", &g.base.series}, {"assignments", &g.base.assignment}, {"submissions", &g.base.submission}} {
		if *p.id, err = reserve(ctx, tx, p.table); err != nil {
			return err
		}
		*p.id-- // plan() adds one before each row
	}
	restore, err := unbuild(ctx, tx)
	if err != nil {
		return err
	}

	// The small tables are made in one pass over the plans and kept in
	// memory; each large one is streamed in a pass of its own while
	// PostgreSQL stores it.
	began := time.Now()
	users, series, feedback, notes, drafts := &buffer{}, &buffer{}, &buffer{}, &buffer{}, &buffer{}
	g.staff(users, created)
	err = g.each("", func(p *clientPlan) error {
		g.client(p, users)
		g.series(p, series)
		g.feedback(p, feedback)
		g.notes(p, notes)
		return g.drafts(p, drafts)
	})
	if err != nil {
		return err
	}
	g.logf("%-17s %10d clients %4.1fs", "planned", g.o.Clients, time.Since(began).Seconds())
	steps := []struct {
		table string
		cols  []string
		rows  func(p *clientPlan, to *copier) error // nil: from the buffer
		buf   *buffer
	}{
		{"users", []string{"id", "practice_id", "role", "status", "email", "display_name", "password_hash", "therapist_id", "created_at", "updated_at"}, nil, users},
		{"assignment_series", []string{"id", "practice_id", "client_id", "assigned_by", "exercise_id", "exercise_version", "note", "recurrence",
			"interval_days", "first_due", "occurrence_count", "cancelled_at", "created_at", "updated_at"}, nil, series},
		{"assignments", []string{"id", "series_id", "client_id", "exercise_id", "exercise_version", "due_on", "due_at", "status",
			"submitted_at", "reviewed_at", "created_at", "discuss", "therapist_id", "flagged"},
			func(p *clientPlan, to *copier) error { return g.assignments(p, to, res) }, nil},
		{"submissions", []string{"id", "assignment_id", "client_id", "version", "answers", "submitted_at", "form_token", "flags"}, g.submissions, nil},
		{"tracked_values", []string{"submission_id", "client_id", "exercise_id", "field_key", "value", "recorded_at"}, g.tracked, nil},
		{"feedback", []string{"assignment_id", "author_id", "body", "created_at", "updated_at", "seen_at"}, nil, feedback},
		{"notes", []string{"author_id", "client_id", "assignment_id", "body", "created_at"}, nil, notes},
		{"drafts", []string{"assignment_id", "client_id", "answers", "saved_at"}, nil, drafts},
	}
	counts := map[string]int64{}
	for _, s := range steps {
		began := time.Now()
		c, err := copyInto(ctx, tx, s.table, s.cols...)
		if err != nil {
			return err
		}
		if s.rows != nil {
			err = g.each(s.table, func(p *clientPlan) error { return s.rows(p, c) })
		} else {
			err = s.buf.to(c)
		}
		if err != nil {
			c.abort()
			return fmt.Errorf("write %s: %w", s.table, err)
		}
		if counts[s.table], err = c.done(); err != nil {
			return err
		}
		g.logf("%-17s %10d rows %7.1fs", s.table, counts[s.table], time.Since(began).Seconds())
	}
	for _, r := range restore {
		began := time.Now()
		for _, q := range r.stmts {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("%s: %w", r.what, err)
			}
		}
		g.logf("%-28s %7.1fs", r.what, time.Since(began).Seconds())
	}
	res.Therapists, res.Clients = g.o.Therapists, g.o.Clients
	res.Series, res.Assignments, res.Submissions = counts["assignment_series"], counts["assignments"], counts["submissions"]
	res.TrackedValues, res.Feedback, res.Notes, res.Drafts = counts["tracked_values"], counts["feedback"], counts["notes"], counts["drafts"]
	// The sequences continue after the rows written (each already stands
	// at the first id reserved, which the rows used unless there were none).
	for _, p := range []struct {
		table string
		last  int64
	}{
		{"users", g.clientID(g.o.Clients - 1)},
		{"assignment_series", g.base.series + max(1, res.Series)},
		{"assignments", g.base.assignment + max(1, res.Assignments)},
		{"submissions", g.base.submission + max(1, res.Submissions)},
	} {
		if _, err := tx.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence($1, 'id'), $2)`, p.table, p.last); err != nil {
			return fmt.Errorf("move the %s id sequence: %w", p.table, err)
		}
	}
	return nil
}

type rebuild struct {
	what  string
	stmts []string
}

// unbuild drops the foreign keys and the secondary indexes of the tables
// Seed writes, and returns what puts them back, as pg_restore does: a
// foreign key checked row by row costs several times the row itself, and
// an index built once is cheaper than one grown a row at a time. It all
// happens inside the seeding transaction, so a failure leaves the schema
// as it was, and every key is checked again when it is put back. Unique
// indexes stay: other tables' keys depend on them.
func unbuild(ctx context.Context, tx *sqlx.Tx) ([]rebuild, error) {
	var fks, idx []struct {
		Add  string `db:"add"`
		Drop string `db:"drop"`
	}
	if err := sqlx.SelectContext(ctx, tx, &fks, `
		SELECT format('ALTER TABLE %s ADD CONSTRAINT %I %s', conrelid::regclass, conname, pg_get_constraintdef(oid)) AS add,
		       format('ALTER TABLE %s DROP CONSTRAINT %I', conrelid::regclass, conname) AS drop
		FROM pg_constraint WHERE contype = 'f' AND conrelid = ANY($1::text[]::regclass[])
		ORDER BY conrelid, conname`, pq.Array(tables)); err != nil {
		return nil, fmt.Errorf("list foreign keys: %w", err)
	}
	if err := sqlx.SelectContext(ctx, tx, &idx, `
		SELECT pg_get_indexdef(i.indexrelid) AS add, format('DROP INDEX %s', i.indexrelid::regclass) AS drop
		FROM pg_index i
		WHERE i.indrelid = ANY($1::text[]::regclass[]) AND NOT i.indisunique AND NOT i.indisprimary
		  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
		ORDER BY i.indrelid, i.indexrelid`, pq.Array(tables)); err != nil {
		return nil, fmt.Errorf("list indexes: %w", err)
	}
	out := []rebuild{{what: fmt.Sprintf("rebuild %d indexes", len(idx)), stmts: []string{`SET LOCAL maintenance_work_mem = '256MB'`}},
		{what: fmt.Sprintf("check %d foreign keys", len(fks))}}
	for _, q := range append(fks, idx...) {
		if _, err := tx.ExecContext(ctx, q.Drop); err != nil {
			return nil, fmt.Errorf("%s: %w", q.Drop, err)
		}
	}
	for _, q := range idx {
		out[0].stmts = append(out[0].stmts, q.Add)
	}
	for _, q := range fks {
		out[1].stmts = append(out[1].stmts, q.Add)
	}
	return out, nil
}

// reserve returns the next id of table's identity column.
func reserve(ctx context.Context, tx *sqlx.Tx, table string) (int64, error) {
	var id int64
	if err := tx.GetContext(ctx, &id, `SELECT nextval(pg_get_serial_sequence($1, 'id'))`, table); err != nil {
		return 0, fmt.Errorf("reserve %s ids: %w", table, err)
	}
	return id, nil
}

// buffer keeps a small table's rows until its COPY.
type buffer [][]any

func (b *buffer) put(args ...any) { *b = append(*b, args) }

func (b *buffer) to(c *copier) error {
	for _, row := range *b {
		if err := c.add(row...); err != nil {
			return err
		}
	}
	*b = nil
	return nil
}

// staff are the admin and the therapists.
func (g *gen) staff(to *buffer, created time.Time) {
	to.put(g.firstUser, g.practice, "admin", "active", AdminEmail, "Morgan Admin", g.hash, nil, created, created)
	for t := range g.o.Therapists {
		r := newRand(g.o.Seed, 6, int64(t))
		name := strings.TrimSpace(therapistTitles[r.IntN(len(therapistTitles))] + " " + firstNames[r.IntN(len(firstNames))] + " " + lastNames[r.IntN(len(lastNames))])
		to.put(g.therapistID(t), g.practice, "therapist", "active", TherapistEmail(t), name, g.hash, nil, created, created)
	}
}

func (g *gen) client(p *clientPlan, to *buffer) {
	r := newRand(g.o.Seed, 7, int64(p.index))
	name := firstNames[r.IntN(len(firstNames))] + " " + lastNames[r.IntN(len(lastNames))]
	to.put(g.clientID(p.index), g.practice, "client", "active", ClientEmail(p.index), name, g.hash, g.therapistID(p.therapist), p.created, p.created)
}

func (g *gen) series(p *clientPlan, to *buffer) {
	for _, s := range p.series {
		ex := g.ex[s.ex]
		updated := s.created
		var cancelled any
		if !s.cancelled.IsZero() {
			cancelled, updated = s.cancelled, s.cancelled
		}
		to.put(s.id, g.practice, g.clientID(p.index), g.therapistID(p.therapist), ex.id, ex.version, s.note, s.recur,
			s.interval, s.first.String(), s.count, cancelled, s.created, updated)
	}
}

func (g *gen) assignments(p *clientPlan, to *copier, res *Result) error {
	for _, s := range p.series {
		ex := g.ex[s.ex]
		for _, o := range s.occ {
			var sent, reviewed any
			if n := len(o.versions); n > 0 {
				sent = o.versions[n-1].at
				if o.flagged {
					res.Flagged++
				}
			}
			switch o.status {
			case "reviewed":
				reviewed = o.reviewed
				res.Reviewed++
			case "submitted":
				res.Waiting++
			}
			if err := to.add(o.id, s.id, g.clientID(p.index), ex.id, ex.version, o.due.String(), o.due.dueAt(), o.status,
				sent, reviewed, s.created, o.discuss, g.therapistID(p.therapist), o.flagged); err != nil {
				return err
			}
		}
	}
	return nil
}

// progress is how far through the period a client was on a day, for the
// course their numbers follow.
func (g *gen) progress(p *clientPlan, t time.Time) float64 {
	return max(0, min(1, float64(dayOf(t)-p.join)/periodDays))
}

func (g *gen) submissions(p *clientPlan, to *copier) error {
	for _, s := range p.series {
		ex := g.ex[s.ex]
		for _, o := range s.occ {
			for k, v := range o.versions {
				a := ex.answers(g.o.Seed, p.index, v, g.progress(p, v.at))
				// The app refuses to store answers its form check refuses;
				// so does the fixture.
				if err := ex.def.Check(a); err != nil {
					return fmt.Errorf("answers for assignment %d (exercise %s) fail the form check: %w", o.id, ex.key, err)
				}
				doc, err := json.Marshal(a)
				if err != nil {
					return err
				}
				flags, err := pq.StringArray(ex.flags(g.scan, v)).Value()
				if err != nil {
					return err
				}
				if err := to.add(v.id, o.id, g.clientID(p.index), k+1, string(doc), v.at, uuid(g.o.Seed, v.id), flags); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func (g *gen) tracked(p *clientPlan, to *copier) error {
	for _, s := range p.series {
		ex := g.ex[s.ex]
		for _, o := range s.occ {
			for _, v := range o.versions {
				vals := ex.def.Tracked(ex.answers(g.o.Seed, p.index, v, g.progress(p, v.at)))
				keys := make([]string, 0, len(vals))
				for k := range vals {
					keys = append(keys, k)
				}
				slices.Sort(keys)
				for _, k := range keys {
					if err := to.add(v.id, g.clientID(p.index), ex.id, k, vals[k], v.at); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}

func (g *gen) feedback(p *clientPlan, to *buffer) {
	for _, s := range p.series {
		for _, o := range s.occ {
			if !o.hasFeedback {
				continue
			}
			var seen any
			if !o.fbSeen.IsZero() {
				seen = o.fbSeen
			}
			to.put(o.id, g.therapistID(p.therapist), feedbackTexts[o.fbBody], o.fbAt, o.fbUpd, seen)
		}
	}
}

func (g *gen) notes(p *clientPlan, to *buffer) {
	author, client := g.therapistID(p.therapist), g.clientID(p.index)
	for i, at := range p.notes {
		to.put(author, client, nil, noteTexts[p.noteBody[i]], at)
	}
	for _, s := range p.series {
		for _, o := range s.occ {
			if !o.hasNote {
				continue
			}
			at := o.reviewed.Add(5 * time.Minute)
			if at.After(g.now) {
				at = o.reviewed
			}
			to.put(author, client, o.id, noteTexts[o.noteBody], at)
		}
	}
}

func (g *gen) drafts(p *clientPlan, to *buffer) error {
	for _, s := range p.series {
		ex := g.ex[s.ex]
		for _, o := range s.occ {
			if o.draftAt.IsZero() {
				continue
			}
			// A draft's own stream: it shares no id with a submission.
			v := version{id: -o.id, at: o.draftAt, set: int(o.id % textSets), mask: ^uint32(0)}
			doc, err := json.Marshal(ex.draft(g.o.Seed, p.index, v, g.progress(p, v.at)))
			if err != nil {
				return err
			}
			to.put(o.id, g.clientID(p.index), string(doc), o.draftAt)
		}
	}
	return nil
}

// uuid is a version-4 UUID drawn from the seed, so a reseed is identical.
func uuid(seed uint64, id int64) string {
	r := newRand(seed, 8, id)
	var b [16]byte
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
