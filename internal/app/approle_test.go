package app_test

import (
	"errors"
	"net/http"
	"testing"

	"github.com/lib/pq"

	"github.com/trellis-app/trellis/internal/audit"
	"github.com/trellis-app/trellis/internal/database"
	"github.com/trellis-app/trellis/internal/testkit"
)

// The Trellis every router test drives serves as the app role (R24): a
// sign-in writes its audit row through that role, and the same pool cannot
// take the row back out.
func TestTheAppUnderTestServesAsTheAppRole(t *testing.T) {
	a := testkit.NewApp(t)
	w := a.Seed(t)
	var role string
	if err := a.AppDB.Get(&role, `SELECT current_user`); err != nil || role != database.AppRole {
		t.Fatalf("the server's pool connects as %q (err %v), want %q", role, err, database.AppRole)
	}
	a.Login(t, w.Therapist)
	if r := a.Anonymous(t).PostForm("/signin", map[string][]string{"email": {w.Therapist.Email}, "password": {"not the password at all"}}); r.Code != http.StatusUnauthorized {
		t.Fatalf("wrong password = %d, want 401", r.Code)
	}
	var rows int
	if err := a.DB.Get(&rows, `SELECT count(*) FROM audit_log WHERE target_id = $1 AND action IN ($2, $3)`,
		w.Therapist.ID, audit.LoginSuccess, audit.LoginFailure); err != nil || rows != 2 {
		t.Fatalf("audit rows for the two sign-ins = %d (err %v), want 2", rows, err)
	}
	_, err := a.AppDB.Exec(`DELETE FROM audit_log WHERE target_id = $1`, w.Therapist.ID)
	var pqErr *pq.Error
	if !errors.As(err, &pqErr) || pqErr.Code != "42501" {
		t.Fatalf("the server's pool deleting audit rows: %v, want 42501 permission denied", err)
	}
}
