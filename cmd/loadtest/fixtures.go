package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/trellis-app/trellis/internal/auth"
	"github.com/trellis-app/trellis/internal/loadtest"
	"github.com/trellis-app/trellis/internal/reflection"
)

// fixtures are the signed-in users the scenarios act as.
type fixtures struct {
	therapistCookie string
	clientCookies   []string
	assignments     []int64
}

const loadPassword = "load test password 1234"

// seed creates a practice with one therapist and n clients, each with a
// weekly check-in due today, and signs everyone in over HTTP.
func seed(ctx context.Context, db *sqlx.DB, base string, n int) (*fixtures, error) {
	hash, err := auth.NewHasher().Hash(ctx, loadPassword)
	if err != nil {
		return nil, err
	}
	var practice, therapist int64
	if err := db.QueryRowxContext(ctx, `INSERT INTO practices (name) VALUES ('Load test practice') RETURNING id`).Scan(&practice); err != nil {
		return nil, fmt.Errorf("seed practice: %w", err)
	}
	if err := db.QueryRowxContext(ctx, `INSERT INTO users (practice_id, role, status, email, display_name, password_hash)
		VALUES ($1, 'therapist', 'active', 'therapist@load.test', 'Load Therapist', $2) RETURNING id`, practice, hash).Scan(&therapist); err != nil {
		return nil, fmt.Errorf("seed therapist: %w", err)
	}
	_, err = db.ExecContext(ctx, `
		WITH c AS (
			INSERT INTO users (practice_id, role, status, email, display_name, password_hash, therapist_id)
			SELECT $1, 'client', 'active', 'client' || g || '@load.test', 'Load Client ' || g, $2, $3 FROM generate_series(1, $4) g
			RETURNING id),
		s AS (
			INSERT INTO assignment_series (practice_id, client_id, assigned_by, exercise_id, exercise_version, recurrence, first_due, occurrence_count)
			SELECT $1, c.id, $3, e.id, e.latest_version, 'once', current_date, 1
			FROM c, exercises e WHERE e.builtin_key = 'weekly-trust-check-in'
			RETURNING id, client_id, exercise_id, exercise_version)
		INSERT INTO assignments (series_id, client_id, exercise_id, exercise_version, due_on, due_at)
		SELECT id, client_id, exercise_id, exercise_version, current_date, current_date + time '23:59:59' FROM s`,
		practice, hash, therapist, n)
	if err != nil {
		return nil, fmt.Errorf("seed clients: %w", err)
	}
	fx := &fixtures{}
	if fx.therapistCookie, err = signIn(base, "therapist@load.test"); err != nil {
		return nil, err
	}
	var rows []struct {
		Email string `db:"email"`
		ID    int64  `db:"id"`
	}
	if err := db.SelectContext(ctx, &rows, `SELECT u.email, a.id FROM users u JOIN assignments a ON a.client_id = u.id
		WHERE u.email LIKE '%@load.test' AND u.role = 'client' ORDER BY u.id`); err != nil {
		return nil, err
	}
	for _, r := range rows {
		ck, err := signIn(base, r.Email)
		if err != nil {
			return nil, err
		}
		fx.clientCookies = append(fx.clientCookies, ck)
		fx.assignments = append(fx.assignments, r.ID)
	}
	return fx, nil
}

func signIn(base, email string) (string, error) {
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.PostForm(base+"/signin", url.Values{"email": {email}, "password": {loadPassword}})
	if err != nil {
		return "", err
	}
	_ = resp.Body.Close()
	for _, ck := range resp.Cookies() {
		if strings.HasSuffix(ck.Name, "trellis_session") {
			return ck.Name + "=" + ck.Value, nil
		}
	}
	return "", fmt.Errorf("sign in as %s: status %d, no session", email, resp.StatusCode)
}

func (fx *fixtures) get(name, url string, cookie func(worker int) string) loadtest.Scenario {
	return loadtest.Scenario{Name: name, Do: func(ctx context.Context, c *http.Client, worker int) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		req.Header.Set("Cookie", cookie(worker))
		return loadtest.Expect(c, req, http.StatusOK)
	}}
}

func (fx *fixtures) dashboard(base string) loadtest.Scenario {
	return fx.get(fmt.Sprintf("therapist dashboard (%d clients)", len(fx.clientCookies)), base+"/therapist",
		func(int) string { return fx.therapistCookie })
}

func (fx *fixtures) clientHome(base string) loadtest.Scenario {
	return fx.get("client home", base+"/home", func(w int) string { return fx.clientCookies[w%len(fx.clientCookies)] })
}

// clientSubmit sends a complete weekly check-in, with a fresh form token
// each time, as each worker's own client: every request stores a version.
func (fx *fixtures) clientSubmit(base string) loadtest.Scenario {
	return loadtest.Scenario{Name: "client submit (check-in)", Do: func(ctx context.Context, c *http.Client, worker int) error {
		i := worker % len(fx.clientCookies)
		form := url.Values{"op": {"send"}, "form_token": {reflection.NewFormToken()}, "a.note": {"A steadier week; we talked on Sunday."}}
		for _, k := range []string{"open_communication", "respect", "consistency", "empathy", "forgiveness", "overall"} {
			form.Set("a."+k, strconv.Itoa(3+worker%7))
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/home/assignments/"+strconv.FormatInt(fx.assignments[i], 10), strings.NewReader(form.Encode()))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Cookie", fx.clientCookies[i])
		return loadtest.Expect(c, req, http.StatusSeeOther)
	}}
}
