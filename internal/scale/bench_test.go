package scale_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/trellis-app/trellis/internal/scale"
	"github.com/trellis-app/trellis/internal/testkit"
)

// BenchmarkPagesAtScale renders a therapist's pages through the real router
// on a seeded practice whose caseloads have the full scale's shape (50
// clients each, two years, about 200 submissions a client) in a database
// a tenth of its size: 10 therapists, 500 clients, 100,000 submissions.
// What the pages cost should not depend on the rest of the database; the
// full size is measured against `trellis seed-scale` (see the README).
func BenchmarkPagesAtScale(b *testing.B) {
	a := testkit.NewApp(b)
	o := scale.DefaultOptions()
	o.Therapists, o.Clients, o.Submissions = 10, 500, 100_000
	if _, err := scale.Seed(context.Background(), a.DB, o); err != nil {
		b.Fatal(err)
	}
	s := a.Anonymous(b)
	if r := s.PostForm("/signin", url.Values{"email": {scale.TherapistEmail(3)}, "password": {scale.Password}}); r.Code != http.StatusSeeOther {
		b.Fatalf("sign in: %d", r.Code)
	}
	var client int64
	if err := a.DB.Get(&client, `SELECT min(id) FROM users WHERE therapist_id = (SELECT id FROM users WHERE email = $1)`, scale.TherapistEmail(3)); err != nil {
		b.Fatal(err)
	}
	page5 := "/therapist/inbox"
	for range 4 {
		m := regexp.MustCompile(`href="(/therapist/inbox\?[^"]*after=[^"]*)"`).FindStringSubmatch(s.Get(page5).Body.String())
		if m == nil {
			b.Fatalf("%s has no next page", page5)
		}
		page5 = strings.ReplaceAll(m[1], "&amp;", "&")
	}
	for _, p := range []struct{ name, path string }{
		{"dashboard", "/therapist"},
		{"inbox", "/therapist/inbox"},
		{"inbox-page-5", page5},
		{"inbox-one-client", fmt.Sprintf("/therapist/inbox?client=%d", client)},
		{"progress", fmt.Sprintf("/therapist/clients/%d/progress", client)},
	} {
		b.Run(p.name, func(b *testing.B) {
			if r := s.Get(p.path); r.Code != http.StatusOK {
				b.Fatalf("GET %s = %d", p.path, r.Code)
			}
			b.ReportAllocs()
			before := a.Queries.Count()
			for b.Loop() {
				if r := s.Do(httptest.NewRequest(http.MethodGet, p.path, nil)); r.Code != http.StatusOK {
					b.Fatalf("GET %s = %d", p.path, r.Code)
				}
			}
			b.ReportMetric(float64(a.Queries.Count()-before)/float64(b.N), "queries/op")
		})
	}
}
