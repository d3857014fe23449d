package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/trellis-app/trellis/internal/auth"
	"github.com/trellis-app/trellis/internal/database"
	"github.com/trellis-app/trellis/internal/exercise"
	"github.com/trellis-app/trellis/internal/testkit"
)

func noEnv(string) string { return "" }

func TestVersionPrintsTheBuild(t *testing.T) {
	var out strings.Builder
	if err := run(context.Background(), []string{"version"}, noEnv, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "trellis ") {
		t.Errorf("version printed %q", out.String())
	}
}

func TestUnknownCommandIsAUsageError(t *testing.T) {
	var out strings.Builder
	err := run(context.Background(), []string{"frobnicate"}, noEnv, &out)
	if !errors.Is(err, errUsage) {
		t.Fatalf("err = %v, want a usage error", err)
	}
	if !strings.Contains(out.String(), "seed-demo") {
		t.Errorf("usage not printed: %q", out.String())
	}
}

func TestServeWithoutDatabaseURLSaysWhatIsMissing(t *testing.T) {
	var out strings.Builder
	err := run(context.Background(), nil, noEnv, &out)
	if err == nil || !strings.Contains(err.Error(), "DATABASE_URL: is required") {
		t.Fatalf("err = %v, want the missing DATABASE_URL named", err)
	}
}

// envWith is the environment of the operator's commands: the tables'
// owner's URL.
func envWith(ownerURL string) func(string) string {
	return func(k string) string {
		if k == "DATABASE_OWNER_URL" {
			return ownerURL
		}
		return ""
	}
}

func TestOperatorCommandsNeedTheOwnersURL(t *testing.T) {
	appOnly := func(k string) string {
		if k == "DATABASE_URL" {
			return "postgres://trellis_app@127.0.0.1:1/trellis"
		}
		return ""
	}
	for _, args := range [][]string{{"migrate"}, {"seed-demo"}, {"backup", "x.dump"}, {"restore", "x.dump"},
		{"user", "create-admin", "-practice", "P", "-name", "N", "-email", "n@example.org"}} {
		err := run(context.Background(), args, appOnly, &strings.Builder{})
		if err == nil || !strings.Contains(err.Error(), "DATABASE_OWNER_URL: is required for `trellis "+args[0]+"`") {
			t.Errorf("%v without DATABASE_OWNER_URL: %v, want it named", args, err)
		}
	}
}

// serve refuses a role that could switch the audit log's triggers off or
// rewrite it (R24): the tables' owner, and a superuser. As the app role it
// gets as far as listening (stopped at once by the cancelled context).
func TestServeRefusesTheOwnersRole(t *testing.T) {
	ownerURL := testkit.MigratedDBURL(t)
	serveAs := func(appURL, ownerURL string) error {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		return run(ctx, nil, func(k string) string {
			switch k {
			case "DATABASE_URL":
				return appURL
			case "DATABASE_OWNER_URL":
				return ownerURL
			case "TRELLIS_ADDR":
				return "127.0.0.1:0"
			}
			return ""
		}, &stopWhenListening{cancel: cancel})
	}
	// The superuser of TEST_DATABASE_URL, on the same migrated database.
	super, err := url.Parse(ownerURL)
	if err != nil {
		t.Fatal(err)
	}
	base, err := url.Parse(testkit.BaseURL(t))
	if err != nil {
		t.Fatal(err)
	}
	super.User = base.User
	for name, url := range map[string]string{"the owner": ownerURL, "a superuser": super.String()} {
		if err := serveAs(url, ""); !errors.Is(err, database.ErrPrivilegedRole) {
			t.Errorf("serve as %s: %v, want ErrPrivilegedRole", name, err)
		}
		// Migrating first as the owner changes nothing about the role it serves as.
		if err := serveAs(url, ownerURL); !errors.Is(err, database.ErrPrivilegedRole) {
			t.Errorf("serve as %s after migrating: %v, want ErrPrivilegedRole", name, err)
		}
	}
	if err := serveAs(testkit.AppRoleURL(t, ownerURL), ""); err != nil {
		t.Errorf("serve as the app role: %v, want a clean stop", err)
	}
}

// stopWhenListening cancels serve's context once it says it listens.
type stopWhenListening struct {
	strings.Builder
	cancel func()
}

func (w *stopWhenListening) Write(p []byte) (int, error) {
	n, err := w.Builder.Write(p)
	if strings.Contains(w.String(), "trellis is listening") {
		w.cancel()
	}
	return n, err
}

// Without the owner's URL, serve does not migrate: it says what to run.
func TestServeWithoutOwnerURLNeedsAMigratedDatabase(t *testing.T) {
	url := testkit.AppRoleURL(t, testkit.EmptyDBURL(t))
	err := run(context.Background(), nil, func(k string) string {
		if k == "DATABASE_URL" {
			return url
		}
		return ""
	}, &strings.Builder{})
	if !errors.Is(err, database.ErrSchemaOlder) || !strings.Contains(err.Error(), "run `trellis migrate` with DATABASE_OWNER_URL first") {
		t.Fatalf("serve on an unmigrated database: %v, want ErrSchemaOlder", err)
	}
}

func TestSeedDemoCreatesThePracticeOnceAndPrintsTheLogins(t *testing.T) {
	url := testkit.EmptyDBURL(t)
	ctx := context.Background()
	for i := range 2 {
		var out strings.Builder
		if err := run(ctx, []string{"seed-demo"}, envWith(url), &out); err != nil {
			t.Fatalf("seed-demo run %d: %v", i+1, err)
		}
		for _, want := range []string{"trellis-demo-password", "admin@demo.trellis.test", "Nguyễn Thị Hương", "Ελένη Παπαδοπούλου", "Дмитрий Иванов", "Zoë Martin"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("run %d output lacks %q", i+1, want)
			}
		}
	}
	db, err := database.Open(ctx, url, database.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var counts struct {
		Practices  int `db:"practices"`
		Admins     int `db:"admins"`
		Therapists int `db:"therapists"`
		Clients    int `db:"clients"`
	}
	if err := db.Get(&counts, `SELECT (SELECT count(*) FROM practices) AS practices,
		count(*) FILTER (WHERE role = 'admin') AS admins,
		count(*) FILTER (WHERE role = 'therapist') AS therapists,
		count(*) FILTER (WHERE role = 'client' AND therapist_id IS NOT NULL AND status = 'active') AS clients FROM users`); err != nil {
		t.Fatal(err)
	}
	if counts.Practices != 1 || counts.Admins != 1 || counts.Therapists != 2 || counts.Clients != 6 {
		t.Errorf("demo practice = %+v, want 1 practice, 1 admin, 2 therapists, 6 active clients", counts)
	}

	// The demo homework: added once (the second run added nothing), for
	// the first therapist's four clients, and every answer is one the real
	// form would accept.
	var work struct {
		Series      int `db:"series"`
		Occurrences int `db:"occurrences"`
		Submitted   int `db:"submitted"`
		Overdue     int `db:"overdue"`
		Feedback    int `db:"feedback"`
		Tracked     int `db:"tracked"`
	}
	if err := db.Get(&work, `SELECT (SELECT count(*) FROM assignment_series) AS series,
		(SELECT count(*) FROM assignments) AS occurrences,
		(SELECT count(*) FROM submissions) AS submitted,
		(SELECT count(*) FROM assignments WHERE status = 'open' AND due_at < now()) AS overdue,
		(SELECT count(*) FROM feedback) AS feedback,
		(SELECT count(*) FROM tracked_values) AS tracked`); err != nil {
		t.Fatal(err)
	}
	if work.Series != 8 || work.Occurrences != 48 || work.Submitted != 30 || work.Overdue != 2 || work.Feedback != 8 || work.Tracked != 180 {
		t.Errorf("demo homework = %+v", work)
	}
	var rows []struct {
		Def     []byte `db:"definition"`
		Answers []byte `db:"answers"`
	}
	if err := db.Select(&rows, `SELECT v.definition, s.answers FROM submissions s JOIN assignments a ON a.id = s.assignment_id
		JOIN exercise_versions v ON v.exercise_id = a.exercise_id AND v.version = a.exercise_version`); err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		var d exercise.Definition
		var ans exercise.Answers
		if err := json.Unmarshal(r.Def, &d); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(r.Answers, &ans); err != nil {
			t.Fatal(err)
		}
		if err := d.Check(ans); err != nil {
			t.Fatalf("demo answers the form would refuse: %v (%s)", err, r.Answers)
		}
	}
}

func TestCreateAdminPrintsASingleUseInviteLink(t *testing.T) {
	url := testkit.EmptyDBURL(t)
	ctx := context.Background()
	var out strings.Builder
	err := run(ctx, []string{"user", "create-admin", "-practice", "Harbour Therapy", "-name", "Pat Doe", "-email", "Pat@Harbour.example"}, envWith(url), &out)
	if err != nil {
		t.Fatalf("create-admin: %v\n%s", err, out.String())
	}
	m := regexp.MustCompile(`http://127\.0\.0\.1:8080/invite/([A-Za-z0-9_-]{43})`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no invite link printed:\n%s", out.String())
	}
	db, err := database.Open(ctx, url, database.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var row struct {
		Role     string `db:"role"`
		Status   string `db:"status"`
		Email    string `db:"email"`
		Practice string `db:"practice"`
	}
	if err := db.Get(&row, `SELECT u.role, u.status, u.email, p.name AS practice FROM users u JOIN practices p ON p.id = u.practice_id
		JOIN access_tokens a ON a.user_id = u.id WHERE a.token_hash = $1 AND a.purpose = 'invite'`, auth.HashToken(m[1])); err != nil {
		t.Fatalf("the printed link is not a stored invite: %v", err)
	}
	if row.Role != "admin" || row.Status != "invited" || row.Email != "pat@harbour.example" || row.Practice != "Harbour Therapy" {
		t.Errorf("created %+v", row)
	}

	out.Reset()
	err = run(ctx, []string{"user", "create-admin", "-practice", "Harbour Therapy", "-name", "Pat Doe", "-email", "not an email"}, envWith(url), &out)
	if !errors.Is(err, errUsage) || !strings.Contains(out.String(), "email: Enter an email address") {
		t.Errorf("bad email: err=%v out=%q", err, out.String())
	}
	out.Reset()
	err = run(ctx, []string{"user", "create-admin", "-practice", "Harbour Therapy"}, envWith(url), &out)
	if !errors.Is(err, errUsage) {
		t.Errorf("missing flags: err=%v", err)
	}
}

// seed-scale's accounts share a published password: it seeds only an empty
// database, checked before anything is migrated or written, even when
// TRELLIS_ENV does not say production.
func TestSeedScaleRefusesADatabaseWithAccounts(t *testing.T) {
	url := testkit.EmptyDBURL(t)
	ctx := context.Background()
	var out strings.Builder
	if err := run(ctx, []string{"seed-demo"}, envWith(url), &out); err != nil {
		t.Fatalf("seed-demo: %v", err)
	}
	db, err := database.Open(ctx, url, database.Options{MaxOpenConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	count := func() (n int) {
		t.Helper()
		if err := db.GetContext(ctx, &n, `SELECT count(*) FROM users`); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := count()
	out.Reset()
	err = run(ctx, []string{"seed-scale", "-therapists", "1", "-clients", "2", "-submissions", "10"}, envWith(url), &out)
	if !errors.Is(err, errUsage) || !strings.Contains(err.Error(), "only seeds an empty database") {
		t.Fatalf("err = %v, want a refusal of a database with accounts", err)
	}
	if after := count(); after != before {
		t.Errorf("users %d → %d after a refused seed-scale", before, after)
	}
}

// A practice whose only admin lost their phone: `trellis user reset-mfa`
// turns their two-step sign-in off, makes them set it up again at their next
// sign-in, ends their sessions, audits it by no one, and leaves them a
// notice naming no one.
func TestUserResetMFAFromTheCommandLine(t *testing.T) {
	url := testkit.EmptyDBURL(t)
	ctx := context.Background()
	var out strings.Builder
	if err := run(ctx, []string{"seed-demo"}, envWith(url), &out); err != nil {
		t.Fatalf("seed-demo: %v", err)
	}
	db, err := database.Open(ctx, url, database.Options{MaxOpenConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var id int64
	var version int
	if err := db.QueryRowContext(ctx, `SELECT id, auth_version FROM users WHERE email = 'admin@demo.trellis.test'`).Scan(&id, &version); err != nil {
		t.Fatal(err)
	}
	secret, _, err := auth.NewTOTP("Trellis", "admin@demo.trellis.test")
	if err != nil {
		t.Fatal(err)
	}
	_, hashes := auth.NewRecoveryCodes()
	if _, err := db.ExecContext(ctx, `INSERT INTO user_mfa (user_id, secret) VALUES ($1, $2)`, id, secret); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO mfa_recovery_codes (user_id, code_hash) VALUES ($1, $2)`, id, hashes[0]); err != nil {
		t.Fatal(err)
	}

	out.Reset()
	if err := run(ctx, []string{"user", "reset-mfa", "-email", "Admin@Demo.Trellis.Test"}, envWith(url), &out); err != nil {
		t.Fatalf("reset-mfa: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "set it up again at their next sign-in") || strings.Contains(out.String(), "Morgan") {
		t.Errorf("reset-mfa printed %q", out.String())
	}
	var st struct {
		On      bool `db:"on"`
		Codes   int  `db:"codes"`
		Enrol   bool `db:"enrol"`
		Version int  `db:"version"`
		Audited int  `db:"audited"`
		Notices int  `db:"notices"`
	}
	if err := db.GetContext(ctx, &st, `SELECT
		EXISTS (SELECT 1 FROM user_mfa WHERE user_id = $1) AS on,
		(SELECT count(*) FROM mfa_recovery_codes WHERE user_id = $1) AS codes,
		(SELECT mfa_enrol_required FROM users WHERE id = $1) AS enrol,
		(SELECT auth_version FROM users WHERE id = $1) AS version,
		(SELECT count(*) FROM audit_log WHERE action = 'mfa.reset' AND target_id = $1 AND actor_id IS NULL AND detail->>'via' = 'command line') AS audited,
		(SELECT count(*) FROM account_notices WHERE user_id = $1 AND kind = 'mfa_reset' AND by_user IS NULL AND read_at IS NULL) AS notices`, id); err != nil {
		t.Fatal(err)
	}
	if st.On || st.Codes != 0 || !st.Enrol || st.Version != version+1 || st.Audited != 1 || st.Notices != 1 {
		t.Errorf("after reset-mfa: %+v (auth version was %d)", st, version)
	}

	out.Reset()
	if err := run(ctx, []string{"user", "reset-mfa", "-email", "nobody@demo.trellis.test"}, envWith(url), &out); !errors.Is(err, errUsage) {
		t.Errorf("unknown email: err = %v, want a usage error", err)
	}
	if err := run(ctx, []string{"user", "reset-mfa"}, envWith(url), &out); !errors.Is(err, errUsage) {
		t.Errorf("no email: err = %v, want a usage error", err)
	}
}
