package progress

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/trellis-app/trellis/internal/audit"
	"github.com/trellis-app/trellis/internal/errkind"
	"github.com/trellis-app/trellis/internal/exercise"
	"github.com/trellis-app/trellis/internal/policy"
	"github.com/trellis-app/trellis/reports"
)

// The exports gather what reports/ prints, for the client's own therapist
// only (R13, R26), and record every export in the audit log with ids and
// choices, never text (R20).

// Sent is one submitted piece of homework, for choosing what a summary
// prints.
type Sent struct {
	AssignmentID int64          `db:"id"`
	Title        string         `db:"title"`
	SubmittedAt  time.Time      `db:"submitted_at"`
	Flags        pq.StringArray `db:"flags"`
}

// everFlagged is every risk category any version of assignment a was
// flagged for: a submission is flagged when any version the client sent
// was, as the review page warns, even if a later version is clean.
const everFlagged = `(SELECT coalesce(array_agg(DISTINCT f ORDER BY f), '{}') FROM submissions sub, unnest(sub.flags) f WHERE sub.assignment_id = a.id)`

// header is who a report is about and for.
type header struct {
	Practice  string `db:"practice"`
	TimeZone  string `db:"time_zone"`
	Therapist string `db:"therapist"`
	Client    string `db:"client"`
	loc       *time.Location
}

func (s *Service) header(ctx context.Context, actor policy.Actor, clientID int64) (header, error) {
	var h header
	err := sqlx.GetContext(ctx, s.db, &h, `
		SELECT p.name AS practice, p.time_zone, t.display_name AS therapist, c.display_name AS client
		FROM users c
		JOIN users t ON t.id = c.therapist_id
		JOIN practices p ON p.id = c.practice_id
		WHERE c.id = $1 AND c.role = 'client' AND c.therapist_id = $2 AND c.status <> 'invited'`, clientID, actor.UserID)
	if errors.Is(err, sql.ErrNoRows) {
		return header{}, errkind.ErrNotFound
	}
	if err != nil {
		return header{}, fmt.Errorf("load report header for %d: %w", clientID, err)
	}
	if h.loc, err = time.LoadLocation(h.TimeZone); err != nil {
		h.loc = time.UTC
	}
	return h, nil
}

// Choices is what the reports page offers for one client: the work sent
// in the period (to choose what a summary prints), the recorded sessions,
// and whether the client sees their own progress.
type Choices struct {
	ClientName string
	Sent       []Sent // oldest first
	Sessions   []Session
	Shared     bool
}

// Choices gathers the reports page of one of the actor's clients for the
// period from–to (inclusive dates); anyone else's client is ErrNotFound.
func (s *Service) Choices(ctx context.Context, actor policy.Actor, clientID int64, from, to time.Time) (Choices, error) {
	if !policy.Allowed(actor, policy.ExportReport) {
		return Choices{}, errkind.ErrForbidden
	}
	h, err := s.header(ctx, actor, clientID)
	if err != nil {
		return Choices{}, err
	}
	c := Choices{ClientName: h.Client}
	if err := sqlx.SelectContext(ctx, s.db, &c.Sent, `
		SELECT a.id, v.definition->>'title' AS title, a.submitted_at, `+everFlagged+` AS flags
		FROM assignments a
		JOIN exercise_versions v ON v.exercise_id = a.exercise_id AND v.version = a.exercise_version
		WHERE a.client_id = $1 AND a.status IN ('submitted', 'reviewed') AND a.submitted_at >= $2 AND a.submitted_at < $3
		ORDER BY a.submitted_at, a.id`, clientID, from, to.AddDate(0, 0, 1)); err != nil {
		return Choices{}, fmt.Errorf("load sent work of %d: %w", clientID, err)
	}
	if err := sqlx.SelectContext(ctx, s.db, &c.Sessions, `
		SELECT id, held_on FROM clinical_sessions WHERE client_id = $1 ORDER BY held_on DESC`, clientID); err != nil {
		return Choices{}, fmt.Errorf("load sessions of %d: %w", clientID, err)
	}
	if err := s.db.GetContext(ctx, &c.Shared, `SELECT progress_shared FROM users WHERE id = $1`, clientID); err != nil {
		return Choices{}, fmt.Errorf("load sharing of %d: %w", clientID, err)
	}
	return c, nil
}

// SummaryOptions are the therapist's choices for a progress summary.
type SummaryOptions struct {
	From, To time.Time // inclusive dates in the practice's time zone
	// AllReflections prints every reflection sent in the period; otherwise
	// only those in Reflections (assignment ids) are printed.
	AllReflections bool
	Reflections    []int64
	// IncludeNotes adds the therapist's private notes and marks every page
	// as the therapist's copy.
	IncludeNotes bool
	Format       string // "pdf", recorded in the audit log
}

// ExportSummary gathers a client's progress summary for their therapist
// and records the export.
func (s *Service) ExportSummary(ctx context.Context, actor policy.Actor, clientID int64, o SummaryOptions, now time.Time) (reports.Summary, error) {
	if !policy.Allowed(actor, policy.ExportReport) {
		return reports.Summary{}, errkind.ErrForbidden
	}
	h, err := s.header(ctx, actor, clientID)
	if err != nil {
		return reports.Summary{}, err
	}
	r := Report{ClientID: clientID, From: o.From, To: o.To}
	if err := s.gather(ctx, &r); err != nil {
		return reports.Summary{}, err
	}
	out := reports.Summary{
		Practice: h.Practice, Therapist: h.Therapist, Client: h.Client,
		From: o.From, To: o.To, Generated: now, Location: h.loc,
		Completion:   reports.Completion{Assigned: r.Completion.Assigned, Submitted: r.Completion.Submitted, OnTime: r.Completion.OnTime},
		IncludeNotes: o.IncludeNotes,
	}
	for _, c := range r.Charts {
		out.Charts = append(out.Charts, printable(c))
	}
	var printed []int64
	if out.Reflections, printed, err = s.reflections(ctx, clientID, o); err != nil {
		return reports.Summary{}, err
	}
	if o.IncludeNotes {
		if err := sqlx.SelectContext(ctx, s.db, &out.Notes, `
			SELECT created_at AS at, body AS text FROM notes
			WHERE author_id = $1 AND client_id = $2 AND created_at >= $3 AND created_at < $4
			ORDER BY created_at`, actor.UserID, clientID, o.From, o.To.AddDate(0, 0, 1)); err != nil {
			return reports.Summary{}, fmt.Errorf("load notes: %w", err)
		}
	}
	// Recorded once the data is read, before it is rendered: what left
	// the database is what the log must show, even if rendering fails.
	err = audit.Record(ctx, s.db, audit.Entry{Action: audit.ReportExported, PracticeID: actor.PracticeID, ActorID: actor.UserID,
		TargetType: "client", TargetID: clientID, Detail: map[string]any{
			"report": "progress", "format": o.Format, "from": o.From.Format(time.DateOnly), "to": o.To.Format(time.DateOnly),
			"reflections": printed, "private_notes": o.IncludeNotes,
		}})
	if err != nil {
		return reports.Summary{}, err
	}
	return out, nil
}

// printable turns a chart of the progress page into one reports/ draws.
func printable(c Chart) reports.Chart {
	out := reports.Chart{Title: c.Title}
	for i, s := range c.Series {
		if i == 0 || s.Min < out.Min {
			out.Min = s.Min
		}
		if i == 0 || s.Max > out.Max {
			out.Max = s.Max
		}
		// Overall trust is the check-in's headline figure; the other
		// qualities are drawn around it.
		rs := reports.Series{Name: s.Label, Emphasis: c.CheckIn && s.Key == exercise.CheckInOverallKey}
		for _, p := range s.Points {
			rs.Points = append(rs.Points, reports.Point{At: p.At, Value: p.Value})
		}
		out.Series = append(out.Series, rs)
	}
	out.Unit = fmt.Sprintf("%d–%d", out.Min, out.Max)
	return out
}

// reflections loads the chosen reflections of the period, each as last
// sent, with the feedback given on it, and their assignment ids. One query.
func (s *Service) reflections(ctx context.Context, clientID int64, o SummaryOptions) ([]reports.Reflection, []int64, error) {
	if !o.AllReflections && len(o.Reflections) == 0 {
		return nil, []int64{}, nil
	}
	var rows []struct {
		ID         int64          `db:"id"`
		Definition []byte         `db:"definition"`
		Version    int            `db:"version"`
		Answers    []byte         `db:"answers"`
		Flags      pq.StringArray `db:"flags"`
		Sent       time.Time      `db:"submitted_at"`
		Feedback   sql.NullString `db:"feedback"`
		FeedbackAt sql.NullTime   `db:"feedback_at"`
	}
	if err := sqlx.SelectContext(ctx, s.db, &rows, `
		SELECT a.id, v.definition, ls.version, ls.answers, `+everFlagged+` AS flags, ls.submitted_at, f.body AS feedback, f.updated_at AS feedback_at
		FROM assignments a
		JOIN exercise_versions v ON v.exercise_id = a.exercise_id AND v.version = a.exercise_version
		JOIN LATERAL (SELECT version, answers, submitted_at FROM submissions sub
		              WHERE sub.assignment_id = a.id ORDER BY version DESC LIMIT 1) ls ON true
		LEFT JOIN feedback f ON f.assignment_id = a.id
		WHERE a.client_id = $1 AND a.status IN ('submitted', 'reviewed') AND a.submitted_at >= $2 AND a.submitted_at < $3
		  AND ($4 OR a.id = ANY($5))
		ORDER BY a.submitted_at, a.id`,
		clientID, o.From, o.To.AddDate(0, 0, 1), o.AllReflections, pq.Int64Array(o.Reflections)); err != nil {
		return nil, nil, fmt.Errorf("load reflections of %d: %w", clientID, err)
	}
	out := make([]reports.Reflection, 0, len(rows))
	ids := make([]int64, 0, len(rows))
	for _, row := range rows {
		var d exercise.Definition
		if err := json.Unmarshal(row.Definition, &d); err != nil {
			return nil, nil, fmt.Errorf("decode exercise: %w", err)
		}
		var a exercise.Answers
		if err := json.Unmarshal(row.Answers, &a); err != nil {
			return nil, nil, fmt.Errorf("decode answers: %w", err)
		}
		r := reports.Reflection{Title: d.Title, Sent: row.Sent, Version: row.Version, Flagged: row.Flags}
		for _, q := range d.Readable(a) {
			r.Answers = append(r.Answers, reports.QA{Question: q.Label, Answer: q.Answers})
		}
		if row.Feedback.Valid {
			r.Feedback = []reports.Feedback{{Given: row.FeedbackAt.Time, Text: row.Feedback.String}}
		}
		out = append(out, r)
		ids = append(ids, row.ID)
	}
	return out, ids, nil
}

// checkInWeeks is how far back a session report's check-in trend reaches.
const checkInWeeks = 12

// ExportSession gathers the session report for the coming session:
// everything since the last recorded session before today, what is
// overdue, what was flagged, what is marked to discuss, and the check-in
// trend; and records the export. A session recorded for today is the one
// the report is for (it is printed beforehand), so it shows as the next.
func (s *Service) ExportSession(ctx context.Context, actor policy.Actor, clientID int64, format string, now time.Time) (reports.SessionReport, error) {
	if !policy.Allowed(actor, policy.ExportReport) {
		return reports.SessionReport{}, errkind.ErrForbidden
	}
	h, err := s.header(ctx, actor, clientID)
	if err != nil {
		return reports.SessionReport{}, err
	}
	local := now.In(h.loc)
	today := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, h.loc)
	out := reports.SessionReport{Practice: h.Practice, Therapist: h.Therapist, Client: h.Client, Generated: now, Location: h.loc}

	var last, next sql.NullTime
	if err := s.db.QueryRowxContext(ctx, `
		SELECT max(held_on) FILTER (WHERE held_on < $2), min(held_on) FILTER (WHERE held_on >= $2)
		FROM clinical_sessions WHERE client_id = $1`, clientID, today.Format(time.DateOnly)).Scan(&last, &next); err != nil {
		return reports.SessionReport{}, fmt.Errorf("load sessions of %d: %w", clientID, err)
	}
	// Session dates are calendar days in the practice's zone. Work sent on
	// the day of the last session is included: better one item twice than
	// one missed.
	var since time.Time
	if last.Valid {
		d := last.Time
		since = time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, h.loc)
		out.LastSession = since
	}
	if next.Valid {
		d := next.Time
		out.NextSession = time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, h.loc)
	}

	var rows []struct {
		Kind       string         `db:"kind"`
		Definition []byte         `db:"definition"`
		DueAt      time.Time      `db:"due_at"`
		Submitted  sql.NullTime   `db:"submitted_at"`
		Status     string         `db:"status"`
		Flags      pq.StringArray `db:"flags"`
		Answers    []byte         `db:"answers"`
	}
	// One query for the four lists: sent since the last session, open and
	// past due, flagged (sent since, or still waiting for review), and
	// marked to discuss.
	if err := sqlx.SelectContext(ctx, s.db, &rows, `
		WITH work AS (
			SELECT a.id, a.status, a.due_at, a.submitted_at, a.discuss, v.definition, `+everFlagged+` AS flags,
			       (SELECT answers FROM submissions sub WHERE sub.assignment_id = a.id ORDER BY version DESC LIMIT 1) AS answers
			FROM assignments a
			JOIN exercise_versions v ON v.exercise_id = a.exercise_id AND v.version = a.exercise_version
			WHERE a.client_id = $1 AND a.status <> 'cancelled'
			  AND (a.submitted_at >= $2 OR a.discuss OR a.status = 'submitted' OR (a.status = 'open' AND a.due_at < $3))
		)
		SELECT 'submitted' AS kind, definition, due_at, submitted_at, status, flags, answers FROM work WHERE submitted_at >= $2
		UNION ALL
		SELECT 'overdue', definition, due_at, submitted_at, status, flags, NULL FROM work WHERE status = 'open' AND due_at < $3
		UNION ALL
		SELECT 'flagged', definition, due_at, submitted_at, status, flags, answers FROM work
		 WHERE flags <> '{}' AND (submitted_at >= $2 OR status = 'submitted')
		UNION ALL
		SELECT 'discuss', definition, due_at, submitted_at, status, flags, answers FROM work WHERE discuss
		ORDER BY kind, submitted_at NULLS LAST, due_at`, clientID, since, now); err != nil {
		return reports.SessionReport{}, fmt.Errorf("load session report of %d: %w", clientID, err)
	}
	for _, row := range rows {
		var d exercise.Definition
		if err := json.Unmarshal(row.Definition, &d); err != nil {
			return reports.SessionReport{}, fmt.Errorf("decode exercise: %w", err)
		}
		it := reports.Item{Title: d.Title, Due: row.DueAt, Submitted: row.Submitted.Time}
		switch row.Kind {
		case "submitted":
			if row.Status == "reviewed" {
				it.Detail = "Reviewed."
			} else {
				it.Detail = "Not reviewed yet."
			}
			out.Submitted = append(out.Submitted, it)
		case "overdue":
			out.Overdue = append(out.Overdue, it)
		case "flagged":
			it.Detail = "Language about " + strings.Join(row.Flags, ", ") + ". A prompt to read carefully, not an assessment."
			out.Flagged = append(out.Flagged, it)
		case "discuss":
			it.Detail = excerpt(d, row.Answers, 220)
			out.Discuss = append(out.Discuss, it)
		}
	}
	if err := s.checkInTrend(ctx, clientID, today, &out); err != nil {
		return reports.SessionReport{}, err
	}
	err = audit.Record(ctx, s.db, audit.Entry{Action: audit.ReportExported, PracticeID: actor.PracticeID, ActorID: actor.UserID,
		TargetType: "client", TargetID: clientID, Detail: map[string]any{"report": "session", "format": format}})
	if err != nil {
		return reports.SessionReport{}, err
	}
	return out, nil
}

// checkInTrend loads the weekly check-in's overall trust over the last
// weeks, each occurrence as the client last sent it.
func (s *Service) checkInTrend(ctx context.Context, clientID int64, today time.Time, out *reports.SessionReport) error {
	if err := sqlx.SelectContext(ctx, s.db, &out.CheckIns, `
		SELECT tv.recorded_at AS at, tv.value
		FROM tracked_values tv
		JOIN submissions sub ON sub.id = tv.submission_id
		JOIN exercises e ON e.id = tv.exercise_id AND e.builtin_key = $2
		WHERE tv.client_id = $1 AND tv.field_key = $3 AND tv.recorded_at >= $4
		  AND sub.version = (SELECT max(version) FROM submissions s2 WHERE s2.assignment_id = sub.assignment_id)
		ORDER BY tv.recorded_at`, clientID, exercise.CheckInKey, exercise.CheckInOverallKey, today.AddDate(0, 0, -7*checkInWeeks)); err != nil {
		return fmt.Errorf("load check-in trend of %d: %w", clientID, err)
	}
	out.CheckInMin, out.CheckInMax = 0, 10
	var def []byte
	err := s.db.GetContext(ctx, &def, `SELECT v.definition FROM exercises e
		JOIN exercise_versions v ON v.exercise_id = e.id AND v.version = e.latest_version WHERE e.builtin_key = $1`, exercise.CheckInKey)
	if err != nil {
		return fmt.Errorf("load the check-in: %w", err)
	}
	var d exercise.Definition
	if err := json.Unmarshal(def, &d); err != nil {
		return fmt.Errorf("decode the check-in: %w", err)
	}
	for _, f := range d.Fields {
		if f.Key == exercise.CheckInOverallKey {
			out.CheckInMin, out.CheckInMax = f.Bounds()
		}
	}
	return nil
}

// TrendChart is a session report's check-in trend as a chart of the
// progress page, for showing it in the browser.
func TrendChart(r reports.SessionReport) (c Chart, from, to time.Time) {
	c = Chart{Title: "Check-in trend", CheckIn: true,
		Series: []Series{{Key: exercise.CheckInOverallKey, Label: TrendLabel, Min: r.CheckInMin, Max: r.CheckInMax}}}
	for i, p := range r.CheckIns {
		c.Series[0].Points = append(c.Series[0].Points, Point{At: p.At, Value: p.Value})
		if i == 0 || p.At.Before(from) {
			from = p.At
		}
		if i == 0 || p.At.After(to) {
			to = p.At
		}
	}
	return c, from, to
}

// TrendLabel names the trend's line, on the page as on paper.
const TrendLabel = "Overall trust (weekly check-in)"

// excerpt is the first written answer of a submission, shortened to about
// limit characters at a word boundary.
func excerpt(d exercise.Definition, raw []byte, limit int) string {
	var a exercise.Answers
	if len(raw) == 0 || json.Unmarshal(raw, &a) != nil {
		return ""
	}
	for _, f := range d.Fields {
		if f.Type != exercise.LongText && f.Type != exercise.ShortText {
			continue
		}
		text := strings.Join(strings.Fields(strings.Join(a[f.Key], " ")), " ")
		if text == "" {
			continue
		}
		if utf8.RuneCountInString(text) <= limit {
			return "“" + text + "”"
		}
		cut := string([]rune(text)[:limit])
		if i := strings.LastIndex(cut, " "); i > len(cut)/2 {
			cut = cut[:i]
		}
		return "“" + cut + "…”"
	}
	return ""
}
