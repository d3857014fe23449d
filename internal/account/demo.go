package account

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/trellis-app/trellis/internal/database"
	"github.com/trellis-app/trellis/internal/policy"
)

// DemoPracticeName names the practice `trellis seed-demo` creates.
const DemoPracticeName = "Riverbend Counselling (demo)"

// DemoCrisisText is the demo practice's crisis line. The practice is in
// the UK (Europe/London), so it names the UK's numbers, not the US 988
// line of the default text.
const DemoCrisisText = "If you are in danger now, call 999. Samaritans listen any time, day or night, free on 116 123. For urgent help that is not an emergency, call NHS 111."

// DemoPassword is every demo account's password. It is printed by `make
// run`; the demo practice is for trying Trellis out, never for real people.
const DemoPassword = "trellis-demo-password"

// DemoLogin is one demo account.
type DemoLogin struct {
	Role  policy.Role
	Name  string
	Email string
}

// DemoLogins are the accounts of the demo practice. Client names span
// scripts on purpose, so every page and PDF is seen handling them.
var DemoLogins = []DemoLogin{
	{policy.Admin, "Morgan Lee", "admin@demo.trellis.test"},
	{policy.Therapist, "Dr. Amara Okafor", "amara@demo.trellis.test"},
	{policy.Therapist, "Jonas Berg", "jonas@demo.trellis.test"},
	{policy.Client, "Zoë Martin", "zoe@demo.trellis.test"},
	{policy.Client, "Ελένη Παπαδοπούλου", "eleni@demo.trellis.test"},
	{policy.Client, "Дмитрий Иванов", "dmitri@demo.trellis.test"},
	{policy.Client, "Nguyễn Thị Hương", "huong@demo.trellis.test"},
	{policy.Client, "Siobhán O'Neill", "siobhan@demo.trellis.test"},
	{policy.Client, "Samuel Adeyemi", "samuel@demo.trellis.test"},
}

// SeedDemo creates the demo practice with its admin, two therapists and six
// clients (the first four with the first therapist), all active with
// DemoPassword. It does nothing if the demo practice already exists.
func (s *Service) SeedDemo(ctx context.Context) (created bool, err error) {
	var exists bool
	if err := s.db.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM practices WHERE name = $1)`, DemoPracticeName); err != nil {
		return false, fmt.Errorf("look for demo practice: %w", err)
	}
	if exists {
		return false, nil
	}
	hash, err := s.hasher.Hash(ctx, DemoPassword)
	if err != nil {
		return false, err
	}
	err = database.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		var practiceID int64
		if err := tx.QueryRowxContext(ctx, `INSERT INTO practices (name, time_zone, crisis_text) VALUES ($1, 'Europe/London', $2) RETURNING id`,
			DemoPracticeName, DemoCrisisText).Scan(&practiceID); err != nil {
			return fmt.Errorf("create demo practice: %w", err)
		}
		var therapists []int64
		clients := 0
		for _, l := range DemoLogins {
			var therapist *int64
			if l.Role == policy.Client {
				t := therapists[0]
				if clients >= 4 {
					t = therapists[1]
				}
				therapist = &t
				clients++
			}
			var id int64
			if err := tx.QueryRowxContext(ctx, `INSERT INTO users (practice_id, role, status, email, display_name, password_hash, therapist_id)
				VALUES ($1, $2, 'active', $3, $4, $5, $6) RETURNING id`, practiceID, l.Role, l.Email, l.Name, hash, therapist).Scan(&id); err != nil {
				return fmt.Errorf("create demo user: %w", err)
			}
			if l.Role == policy.Therapist {
				therapists = append(therapists, id)
			}
		}
		return nil
	})
	return err == nil, err
}
