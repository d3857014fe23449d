package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/trellis-app/trellis/internal/loadtest"
	"github.com/trellis-app/trellis/internal/scale"
)

// scalePractice is the part of a `trellis seed-scale` database the load
// test acts in: the first few therapists, signed in, and some clients of
// each for the progress page.
type scalePractice struct {
	therapists []int64
	emails     []string
	cookies    []string
	clients    [][]int64 // by therapist
	// What the database holds, for the heading.
	caseloadMin, caseloadMax int
	submissions              int64
}

// findScale looks up the first want therapists of the scale practice
// (fewer if it has fewer) by the sign-in contract of internal/scale.
func findScale(ctx context.Context, db *sqlx.DB, want int) (*scalePractice, error) {
	p := &scalePractice{caseloadMin: -1}
	for i := range want {
		var id int64
		err := db.GetContext(ctx, &id, `SELECT id FROM users WHERE email = $1 AND role = 'therapist' AND status = 'active'`, scale.TherapistEmail(i))
		if errors.Is(err, sql.ErrNoRows) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("look up scale therapist %d: %w", i, err)
		}
		var clients []int64
		if err := db.SelectContext(ctx, &clients, `SELECT id FROM users WHERE therapist_id = $1 AND role = 'client' AND status = 'active' ORDER BY id`, id); err != nil {
			return nil, fmt.Errorf("look up the clients of scale therapist %d: %w", i, err)
		}
		if len(clients) == 0 {
			return nil, fmt.Errorf("scale therapist %d has no clients: is the database fully seeded?", i)
		}
		p.therapists = append(p.therapists, id)
		p.emails = append(p.emails, scale.TherapistEmail(i))
		p.clients = append(p.clients, clients)
		p.caseloadMax = max(p.caseloadMax, len(clients))
		if p.caseloadMin < 0 || len(clients) < p.caseloadMin {
			p.caseloadMin = len(clients)
		}
	}
	if len(p.therapists) == 0 {
		return nil, errors.New("this database has no scale therapists: build it with `trellis seed-scale` first")
	}
	if err := db.GetContext(ctx, &p.submissions, `SELECT count(*) FROM submissions`); err != nil {
		return nil, err
	}
	return p, nil
}

// Worker w acts as therapist w mod n, so the load spreads over several
// caseloads as it would in a practice, and each worker of a therapist opens
// the progress page of a different client of theirs.
func (p *scalePractice) cookie(w int) string { return p.cookies[w%len(p.cookies)] }

func (p *scalePractice) dashboard(base string) loadtest.Scenario {
	return get("therapist dashboard", base, "text/html", fixed("/therapist"), p.cookie)
}

func (p *scalePractice) inbox(base string) loadtest.Scenario {
	return get("therapist inbox", base, "text/html", fixed("/therapist/inbox"), p.cookie)
}

func (p *scalePractice) progressPage(base string) loadtest.Scenario {
	return get("progress page (12 weeks)", base, "text/html", func(w int) string {
		t := w % len(p.therapists)
		clients := p.clients[t]
		return fmt.Sprintf("/therapist/clients/%d/progress", clients[(w/len(p.therapists))%len(clients)])
	}, p.cookie)
}
