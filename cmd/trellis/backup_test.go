package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/trellis-app/trellis/internal/account"
	"github.com/trellis-app/trellis/internal/app"
	"github.com/trellis-app/trellis/internal/database"
	"github.com/trellis-app/trellis/internal/testkit"
)

// submissionRow is everything stored about one submission.
type submissionRow struct {
	ID          int64  `db:"id"`
	Assignment  int64  `db:"assignment_id"`
	Client      int64  `db:"client_id"`
	Version     int    `db:"version"`
	Answers     string `db:"answers"`
	SubmittedAt string `db:"submitted_at"`
	FormToken   string `db:"form_token"`
	Flags       string `db:"flags"`
}

func submissions(t *testing.T, db *sqlx.DB) []submissionRow {
	t.Helper()
	var rows []submissionRow
	if err := db.Select(&rows, `SELECT id, assignment_id, client_id, version, answers::text AS answers,
		to_char(submitted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') AS submitted_at,
		form_token::text AS form_token, flags::text AS flags FROM submissions ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	return rows
}

// tableDigests fingerprints every row of every table in the public
// schema, so a restore that loses or changes anything anywhere shows.
func tableDigests(t *testing.T, db *sqlx.DB) map[string]string {
	t.Helper()
	var tables []string
	if err := db.Select(&tables, `SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, tbl := range tables {
		var d struct {
			Rows   int    `db:"n"`
			Digest string `db:"digest"`
		}
		q := `SELECT count(*) AS n, coalesce(md5(string_agg(r::text, E'\n' ORDER BY r::text)), '') AS digest FROM ` +
			`"` + tbl + `" r`
		if err := db.Get(&d, q); err != nil {
			t.Fatalf("digest %s: %v", tbl, err)
		}
		out[tbl] = strconv.Itoa(d.Rows) + " rows " + d.Digest
	}
	return out
}

func openDB(t *testing.T, url string) *sqlx.DB {
	t.Helper()
	db, err := database.Open(context.Background(), url, database.Options{MaxOpenConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// TestBackupAndRestoreKeepEverySubmission is the backup drill (FT7): the
// demo practice's homework, plus a reflection written to trouble a dump,
// is backed up, restored into a new empty database, and found there
// whole; the restored database then serves a sign-in and takes a new
// submission.
func TestBackupAndRestoreKeepEverySubmission(t *testing.T) {
	ctx := context.Background()
	src := testkit.EmptyDBURL(t)
	password := urlPassword(t, src)
	var out strings.Builder
	if err := run(ctx, []string{"seed-demo"}, envWith(src), &out); err != nil {
		t.Fatalf("seed-demo: %v", err)
	}
	srcDB := openDB(t, src)
	// A second version of a sent check-in whose text mixes scripts, quotes,
	// backslashes, newlines, an emoji and SQL.
	tricky := "We talked on Sunday.\nΕλένη said: \"I felt heard\" — Nguyễn Thị Hương; Дмитрий \\ back\\slash 🌱\t'); DROP TABLE submissions;--"
	if _, err := srcDB.Exec(`INSERT INTO submissions (assignment_id, client_id, version, answers, form_token)
		SELECT assignment_id, client_id, version + 1, jsonb_build_object('note', jsonb_build_array($1::text), 'overall', '["7"]'::jsonb), gen_random_uuid()
		FROM submissions ORDER BY id LIMIT 1`, tricky); err != nil {
		t.Fatal(err)
	}
	before := submissions(t, srcDB)
	if len(before) < 31 {
		t.Fatalf("seeded %d submissions, want the demo's 30 and one more", len(before))
	}
	digests := tableDigests(t, srcDB)

	file := filepath.Join(t.TempDir(), "trellis.dump")
	out.Reset()
	if err := run(ctx, []string{"backup", file}, envWith(src), &out); err != nil {
		t.Fatalf("backup: %v\n%s", err, out.String())
	}
	t.Logf("backup said:\n%s", out.String())
	st, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("backup file mode %v, want 0600: it holds clients' reflections", st.Mode().Perm())
	}
	if leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(file), ".*partial")); len(leftovers) > 0 {
		t.Errorf("partial files left behind: %v", leftovers)
	}
	backupOut := out.String()

	dst := testkit.EmptyDBURL(t)
	out.Reset()
	if err := run(ctx, []string{"restore", file}, envWith(dst), &out); err != nil {
		t.Fatalf("restore: %v\n%s", err, out.String())
	}
	t.Logf("restore said:\n%s", out.String())
	restoreOut := out.String()
	for name, said := range map[string]string{"backup": backupOut, "restore": restoreOut} {
		if strings.Contains(said, password) {
			t.Errorf("%s printed the database password", name)
		}
	}

	dstDB := openDB(t, dst)
	after := submissions(t, dstDB)
	if !reflect.DeepEqual(after, before) {
		t.Errorf("restored submissions differ:\n got %d: %+v\nwant %d: %+v", len(after), after, len(before), before)
	}
	found := false
	for _, s := range after {
		found = found || strings.Contains(s.Answers, "Nguyễn Thị Hương") && strings.Contains(s.Answers, `DROP TABLE submissions`)
	}
	if !found {
		t.Error("the tricky reflection is not in the restored database word for word")
	}
	if got := tableDigests(t, dstDB); !reflect.DeepEqual(got, digests) {
		for tbl, want := range digests {
			if got[tbl] != want {
				t.Errorf("table %s restored as %s, want %s", tbl, got[tbl], want)
			}
		}
		if len(got) != len(digests) {
			t.Errorf("restored %d tables, want %d", len(got), len(digests))
		}
	}

	// A second restore into what is now a full database is refused, and
	// changes nothing.
	out.Reset()
	err = run(ctx, []string{"restore", file}, envWith(dst), &out)
	if err == nil || !strings.Contains(err.Error(), "is not empty") {
		t.Errorf("restore into a full database: err = %v, want a refusal", err)
	} else if strings.Contains(err.Error(), password) {
		t.Error("the refusal shows the database password")
	}
	if got := submissions(t, dstDB); !reflect.DeepEqual(got, before) {
		t.Error("a refused restore changed the database")
	}

	// The restored database serves Trellis: a client signs in and sends
	// their open check-in, which gets a new id after every restored one.
	restoredServes(t, dst, dstDB, before[len(before)-1].ID)
}

// restoredServes signs a demo client in to a Trellis running on the
// restored database and sends an open check-in through the real form.
func restoredServes(t *testing.T, dbURL string, db *sqlx.DB, lastID int64) {
	t.Helper()
	openID, openEmail := openCheckIn(t, db)
	// Served as the app role: the grants came back with the dump.
	appDB := openDB(t, testkit.AppRoleURL(t, dbURL))
	if err := database.CheckAppRole(context.Background(), appDB); err != nil {
		t.Fatalf("the app role on the restored database: %v", err)
	}
	srv, err := app.New(testkit.Config(t, dbURL), appDB, testkit.Logger(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	c := newBrowser(t)
	resp := c.post(t, ts.URL+"/signin", url.Values{"email": {openEmail}, "password": {account.DemoPassword}})
	if resp.status != http.StatusSeeOther || strings.Contains(resp.location, "/signin") {
		t.Fatalf("sign-in on the restored database = %d to %q", resp.status, resp.location)
	}
	page := ts.URL + "/home/assignments/" + strconv.FormatInt(openID, 10)
	form := c.get(t, page)
	if form.status != http.StatusOK {
		t.Fatalf("open the check-in = %d", form.status)
	}
	sent := c.post(t, page, checkIn("Sent after the restore", formTokenOf(t, form.body)))
	if sent.status != http.StatusSeeOther || !strings.HasSuffix(sent.location, "?sent=1") {
		t.Fatalf("send on the restored database = %d to %q", sent.status, sent.location)
	}
	var id int64
	if err := db.Get(&id, `SELECT id FROM submissions WHERE assignment_id = $1 ORDER BY version DESC LIMIT 1`, openID); err != nil {
		t.Fatal(err)
	}
	if id <= lastID {
		t.Errorf("new submission got id %d, not after the restored %d: identity sequences were not restored", id, lastID)
	}
}

func TestBackupAndRestoreRefuseWhatWouldLoseData(t *testing.T) {
	ctx := context.Background()
	src := testkit.EmptyDBURL(t)
	password := urlPassword(t, src)
	if err := run(ctx, []string{"migrate"}, envWith(src), &strings.Builder{}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	existing := filepath.Join(dir, "yesterday.dump")
	if err := os.WriteFile(existing, []byte("the only good copy"), 0o600); err != nil {
		t.Fatal(err)
	}
	notADump := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notADump, []byte("not a backup"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		args  []string
		url   string
		usage bool
		want  string
	}{
		{"backup without a file", []string{"backup"}, src, true, "backup takes one argument"},
		{"backup over an existing file", []string{"backup", existing}, src, false, "already exists"},
		{"restore without a file", []string{"restore"}, src, true, "restore takes one argument"},
		{"restore a file that is not a backup", []string{"restore", notADump}, src, false, "is not a backup made by `trellis backup`"},
		{"restore a missing file", []string{"restore", filepath.Join(dir, "missing.dump")}, src, false, "open the backup"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out strings.Builder
			err := run(ctx, tt.args, envWith(tt.url), &out)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to say %q", err, tt.want)
			}
			if errors.Is(err, errUsage) != tt.usage {
				t.Errorf("usage error = %v, want %v", errors.Is(err, errUsage), tt.usage)
			}
			if strings.Contains(err.Error()+out.String(), password) {
				t.Error("the database password was printed")
			}
		})
	}
	if b, _ := os.ReadFile(existing); string(b) != "the only good copy" {
		t.Error("an existing file was overwritten")
	}
}

func TestBackupNeedsAPgDumpAsNewAsTheServer(t *testing.T) {
	tg, err := parseTarget("postgres://trellis:s3cret-pw@db.example:5432/trellis?sslmode=require")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(tg.conninfo, "s3cret-pw") || strings.Contains(tg.String(), "s3cret-pw") {
		t.Errorf("password on the command line or in messages: %q, %q", tg.conninfo, tg)
	}
	if tg.conninfo != "postgres://trellis@db.example:5432/trellis?sslmode=require" || tg.password != "s3cret-pw" {
		t.Errorf("target = %q / password %q", tg.conninfo, tg.password)
	}
	// A password in the query string is kept off the command line too.
	q, err := parseTarget("postgres://trellis@db.example/trellis?password=qu3ry-pw&sslmode=require")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(q.conninfo, "qu3ry-pw") || strings.Contains(q.String(), "qu3ry-pw") || q.password != "qu3ry-pw" {
		t.Errorf("query password: target %q, display %q, password %q", q.conninfo, q, q.password)
	}
	for _, tt := range []struct {
		dump, server int
		ok           bool
	}{{15, 15, true}, {16, 15, true}, {14, 15, false}} {
		err := dumpTooOld("/usr/bin/pg_dump", tt.dump, tt.server, tg)
		if (err == nil) != tt.ok {
			t.Errorf("pg_dump %d against server %d: err = %v", tt.dump, tt.server, err)
		}
		if err != nil && !strings.Contains(err.Error(), "pg_dump must be at least the server's major version") {
			t.Errorf("unclear message: %v", err)
		}
	}
}

func urlPassword(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	pw, ok := u.User.Password()
	if !ok || pw == "" {
		t.Fatalf("test database URL has no password to keep secret")
	}
	return pw
}

// browser is a cookie-keeping HTTP client that does not follow redirects,
// posting forms as a same-origin page would.
type browser struct{ c *http.Client }

type reply struct {
	status   int
	location string
	body     string
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) do(t *testing.T, r *http.Request) reply {
	t.Helper()
	resp, err := b.c.Do(r)
	if err != nil {
		t.Fatalf("%s %s: %v", r.Method, r.URL.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", r.Method, r.URL.Path, err)
	}
	return reply{status: resp.StatusCode, location: resp.Header.Get("Location"), body: string(body)}
}

func (b *browser) get(t *testing.T, u string) reply {
	t.Helper()
	r, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	return b.do(t, r)
}

func (b *browser) post(t *testing.T, u string, v url.Values) reply {
	t.Helper()
	r, err := http.NewRequest(http.MethodPost, u, strings.NewReader(v.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	return b.do(t, r)
}

var formTokenRe = regexp.MustCompile(`name="form_token" value="([^"]+)"`)

func formTokenOf(t *testing.T, body string) string {
	t.Helper()
	m := formTokenRe.FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no form token on the page")
	}
	return m[1]
}

// checkIn is a complete weekly check-in carrying note, sent with token.
func checkIn(note, token string) url.Values {
	v := url.Values{"op": {"send"}, "form_token": {token}, "a.note": {note}}
	for _, k := range []string{"open_communication", "respect", "consistency", "empathy", "forgiveness", "overall"} {
		v.Set("a."+k, "6")
	}
	return v
}
