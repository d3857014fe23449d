package testkit

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/trellis-app/trellis/internal/account"
	"github.com/trellis-app/trellis/internal/auth"
	"github.com/trellis-app/trellis/internal/policy"
)

// Password is every seeded test user's password.
const Password = "correct horse battery staple"

var (
	hashMu sync.Mutex
	hashed = map[auth.Cost]string{}
)

// passwordHash hashes Password once per cost and test binary: argon2id is
// slow on purpose, and every test seeds users.
func passwordHash(t testing.TB, cost auth.Cost) string {
	t.Helper()
	hashMu.Lock()
	defer hashMu.Unlock()
	if h, ok := hashed[cost]; ok {
		return h
	}
	hasher, err := auth.NewHasherAt(cost)
	if err != nil {
		t.Fatalf("password hasher: %v", err)
	}
	h, err := hasher.Hash(context.Background(), Password)
	if err != nil {
		t.Fatalf("hash the test password: %v", err)
	}
	hashed[cost] = h
	return h
}

// World is a practice with one of every kind of user, plus a second
// practice, so tests can ask what each role may see of the others.
type World struct {
	PracticeID int64
	Admin      account.User
	Therapist  account.User // has Client and Client2
	Therapist2 account.User // has OtherClient
	Client     account.User
	Client2    account.User
	// OtherClient is in Therapist2's caseload.
	OtherClient account.User
	// Outsider is an admin of another practice.
	Outsider account.User
}

// Seed creates the World in the app's database.
func (a *App) Seed(t testing.TB) World {
	t.Helper()
	var w World
	mustGet := func(dest any, q string, args ...any) {
		t.Helper()
		if err := a.DB.QueryRowx(q, args...).Scan(dest); err != nil {
			t.Fatalf("seed: %v", err)
		}
	}
	mustGet(&w.PracticeID, `INSERT INTO practices (name) VALUES ('Test practice') RETURNING id`)
	var other int64
	mustGet(&other, `INSERT INTO practices (name) VALUES ('Other practice') RETURNING id`)
	mk := func(practice int64, role policy.Role, name, email string, therapist *account.User) account.User {
		t.Helper()
		var tid *int64
		if therapist != nil {
			tid = &therapist.ID
		}
		var id int64
		mustGet(&id, `INSERT INTO users (practice_id, role, status, email, display_name, password_hash, therapist_id)
			VALUES ($1, $2, 'active', $3, $4, $5, $6) RETURNING id`, practice, role, email, name, a.passwordHash, tid)
		return a.User(t, id)
	}
	w.Admin = mk(w.PracticeID, policy.Admin, "Ada Admin", "admin@test.example", nil)
	w.Therapist = mk(w.PracticeID, policy.Therapist, "Theo Therapist", "theo@test.example", nil)
	w.Therapist2 = mk(w.PracticeID, policy.Therapist, "Tess Therapist", "tess@test.example", nil)
	w.Client = mk(w.PracticeID, policy.Client, "Ελένη Παπαδοπούλου", "eleni@test.example", &w.Therapist)
	w.Client2 = mk(w.PracticeID, policy.Client, "Nguyễn Thị Hương", "huong@test.example", &w.Therapist)
	w.OtherClient = mk(w.PracticeID, policy.Client, "Дмитрий Иванов", "dmitri@test.example", &w.Therapist2)
	w.Outsider = mk(other, policy.Admin, "Oscar Outsider", "oscar@other.example", nil)
	return w
}

// User loads a user by id.
func (a *App) User(t testing.TB, id int64) account.User {
	t.Helper()
	var u account.User
	err := a.DB.Get(&u, `SELECT u.id, u.practice_id, u.role, u.status, u.email, u.display_name, u.password_hash,
		u.therapist_id, NULL AS therapist_name, u.auth_version, u.locked_until, u.created_at FROM users u WHERE u.id = $1`, id)
	if err != nil {
		t.Fatalf("load user %d: %v", id, err)
	}
	return u
}

// Browser-less client: a cookie-carrying session against the router.
type Session struct {
	app     *App
	t       testing.TB
	cookies map[string]*http.Cookie
	// IP is the client address the server sees.
	IP string
}

// Anonymous returns a session that has not signed in.
func (a *App) Anonymous(t testing.TB) *Session {
	return &Session{app: a, t: t, cookies: map[string]*http.Cookie{}, IP: "192.0.2.10"}
}

// Login signs in as u with Password and fails the test if that fails.
func (a *App) Login(t testing.TB, u account.User) *Session {
	t.Helper()
	s := a.Anonymous(t)
	w := s.PostForm("/signin", url.Values{"email": {u.Email}, "password": {Password}})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("sign in as %s: status %d\n%s", u.Email, w.Code, w.Body.String())
	}
	return s
}

// Do sends r with the session's cookies and keeps any it is given.
func (s *Session) Do(r *http.Request) *httptest.ResponseRecorder {
	s.t.Helper()
	for _, c := range s.cookies {
		r.AddCookie(c)
	}
	r.RemoteAddr = s.IP + ":4242"
	w := s.app.Do(r)
	for _, c := range w.Result().Cookies() {
		if c.MaxAge < 0 || c.Value == "" {
			delete(s.cookies, c.Name)
			continue
		}
		s.cookies[c.Name] = c
	}
	return w
}

// Get requests path.
func (s *Session) Get(path string) *httptest.ResponseRecorder {
	s.t.Helper()
	return s.Do(httptest.NewRequest(http.MethodGet, path, nil))
}

// PostForm posts form values to path, as a same-origin browser form would.
func (s *Session) PostForm(path string, v url.Values) *httptest.ResponseRecorder {
	s.t.Helper()
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(v.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	return s.Do(r)
}

// Cookie returns the session cookie's value, "" when there is none.
func (s *Session) Cookie() string {
	for name, c := range s.cookies {
		if strings.Contains(name, "trellis_session") {
			return c.Value
		}
	}
	return ""
}
