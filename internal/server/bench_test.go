package server_test

import (
	"net/http"
	"net/http/httptest"
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
