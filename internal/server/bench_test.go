package server_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/trellis-app/trellis/internal/testkit"
)

// BenchmarkSignInPage renders the sign-in page through the whole router and
// middleware chain.
func BenchmarkSignInPage(b *testing.B) {
	a := testkit.NewApp(b)
	req := httptest.NewRequest(http.MethodGet, "/signin", nil)
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		a.Server.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d", w.Code)
		}
	}
}

// BenchmarkSignIn posts the sign-in form through the router for an unknown
// email, a wrong password and the right password. The first two must cost
// about the same (R4: no account enumeration by timing); all three are
// dominated by one argon2id verification, at R1's cost.
func BenchmarkSignIn(b *testing.B) {
	a := testkit.NewAppAtR1Cost(b)
	w := a.Seed(b)
	cases := []struct{ name, email, password string }{
		{"unknown-email", "nobody@test.example", "wrong password"},
		{"wrong-password", w.Client.Email, "wrong password"},
		{"right-password", w.Client.Email, testkit.Password},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			body := url.Values{"email": {c.email}, "password": {c.password}}.Encode()
			i := 0
			for b.Loop() {
				i++
				r := httptest.NewRequest(http.MethodPost, "/signin", strings.NewReader(body))
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				// A fresh address each time keeps the per-IP limit out of
				// the measurement, and the lockout is reset for the same reason.
				r.RemoteAddr = fmt.Sprintf("10.%d.%d.%d:1", i>>16&255, i>>8&255, i&255)
				a.Server.ServeHTTP(httptest.NewRecorder(), r)
				if i%8 == 0 {
					if _, err := a.DB.Exec(`UPDATE users SET failed_logins = 0, first_failed_at = NULL, locked_until = NULL`); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
