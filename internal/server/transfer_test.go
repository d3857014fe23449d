package server_test

// Moving a client takes the admin's proposal and the receiving therapist's
// acceptance (#15 finding 2a, R14): until then the client, and everything
// they wrote, stays with their therapist, and both therapists are told.

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/trellis-app/trellis/internal/account"
	"github.com/trellis-app/trellis/internal/testkit"
)

// proposeMove proposes moving client to therapist, as the admin, and
// returns the move's id.
func proposeMove(t *testing.T, a *testkit.App, admin *testkit.Session, client, to account.User) int64 {
	t.Helper()
	seeOtherTo(t, admin, fmt.Sprintf("/admin/users/%d/transfer", client.ID), url.Values{"therapist": {strconv.FormatInt(to.ID, 10)}}, "/admin/users")
	var id int64
	if err := a.DB.Get(&id, `SELECT id FROM client_transfers WHERE client_id = $1 AND status = 'pending'`, client.ID); err != nil {
		t.Fatalf("the proposed move: %v", err)
	}
	return id
}

// moveClient moves client to therapist the only way there is: the admin
// proposes, the therapist accepts.
func moveClient(t *testing.T, a *testkit.App, w testkit.World, client, to account.User) {
	t.Helper()
	id := proposeMove(t, a, a.Login(t, w.Admin), client, to)
	seeOtherTo(t, a.Login(t, to), fmt.Sprintf("/therapist/transfers/%d/accept", id), url.Values{}, fmt.Sprintf("/therapist/clients/%d", client.ID))
}

// transferPaths are a client's pages and sent work, as a therapist opens
// them.
func transferPaths(w matrixWorld) []string {
	c := strconv.FormatInt(w.Client.ID, 10)
	return []string{"/therapist/clients/" + c, "/therapist/clients/" + c + "/progress", "/therapist/clients/" + c + "/reports",
		"/therapist/clients/" + c + "/session-report", "/therapist/work/" + strconv.FormatInt(w.Submitted, 10)}
}

func expectPages(t *testing.T, s *testkit.Session, paths []string, want int, who string) {
	t.Helper()
	for _, p := range paths {
		if res := s.Get(p); res.Code != want {
			t.Errorf("%s GET %s: status %d, want %d", who, p, res.Code, want)
		}
	}
}

// transferAudit is the audit rows of moves of the client, oldest first.
func transferAudit(t *testing.T, a *testkit.App, client int64) []auditRow {
	t.Helper()
	var rows []auditRow
	if err := a.DB.Select(&rows, `SELECT action, actor_id, detail::text AS detail FROM audit_log
		WHERE target_id = $1 AND action LIKE 'client.transfer%' ORDER BY id`, client); err != nil {
		t.Fatal(err)
	}
	return rows
}

// seedMoves is the matrix world without its seeded move of Client2, so
// each test's own move is the only one.
func seedMoves(t *testing.T, a *testkit.App, work bool) matrixWorld {
	t.Helper()
	w := seedMatrix(t, a, work)
	if _, err := a.DB.Exec(`DELETE FROM client_transfers`); err != nil {
		t.Fatal(err)
	}
	return w
}

type auditRow struct {
	Action string `db:"action"`
	Actor  int64  `db:"actor_id"`
	Detail string `db:"detail"`
}

func TestAProposedMoveWaitsForTheReceivingTherapistToAccept(t *testing.T) {
	a := testkit.NewApp(t)
	w := seedMoves(t, a, true)
	seedSubmission(t, a, &w)
	admin, th, t2 := a.Login(t, w.Admin), a.Login(t, w.Therapist), a.Login(t, w.Therapist2)

	id := proposeMove(t, a, admin, w.Client, w.Therapist2)

	// Proposed: nothing moved. The receiving therapist gets 404 on every
	// page and piece of work of the client; the current one still sees them.
	if u := a.User(t, w.Client.ID); u.TherapistID == nil || *u.TherapistID != w.Therapist.ID {
		t.Fatalf("a proposal moved the client: therapist %v", u.TherapistID)
	}
	expectPages(t, t2, transferPaths(w), http.StatusNotFound, "the receiving therapist, before accepting,")
	expectPages(t, th, transferPaths(w), http.StatusOK, "the current therapist, while the move waits,")
	if res := postExport(t2, fmt.Sprintf("/therapist/clients/%d/progress.pdf", w.Client.ID)); res.Code != http.StatusNotFound {
		t.Errorf("the receiving therapist exports before accepting: %d", res.Code)
	}

	// The receiving therapist sees it waiting: the client's name, who
	// proposed it and when, and nothing else of the client.
	dash := page(t, t2, "/therapist", http.StatusOK)
	waiting := between(dash, `<section class="card transfers-waiting"`, "</section>")
	for _, s := range []string{"Client transfer waiting for you", w.Client.DisplayName, "proposed by " + w.Admin.DisplayName,
		fmt.Sprintf(`action="/therapist/transfers/%d/accept"`, id), fmt.Sprintf(`action="/therapist/transfers/%d/decline"`, id)} {
		if !strings.Contains(waiting, s) {
			t.Errorf("the receiving therapist's dashboard lacks %q:\n%s", s, waiting)
		}
	}
	for _, s := range []string{w.Client.Email, w.Therapist.DisplayName, fmt.Sprintf(`href="/therapist/clients/%d"`, w.Client.ID)} {
		if strings.Contains(dash, s) {
			t.Errorf("before accepting, the receiving therapist's dashboard shows %q", s)
		}
	}
	// The current therapist is told it is proposed.
	out := between(page(t, th, "/therapist", http.StatusOK), `aria-labelledby="transfers-out-title"`, "</section>")
	for _, s := range []string{"Proposed", w.Admin.DisplayName + " proposed", "to move " + w.Client.DisplayName + " to " + w.Therapist2.DisplayName, "stays in your caseload"} {
		if !strings.Contains(out, s) {
			t.Errorf("the current therapist's dashboard lacks %q:\n%s", s, out)
		}
	}
	// The admin sees it pending.
	if users := page(t, admin, "/admin/users", http.StatusOK); !strings.Contains(users, "Move to "+w.Therapist2.DisplayName+" waiting for them to accept") {
		t.Error("the admin's list of people does not show the move waiting")
	}
	if tr := page(t, admin, fmt.Sprintf("/admin/users/%d/transfer", w.Client.ID), http.StatusOK); !strings.Contains(tr, "It is waiting for "+w.Therapist2.DisplayName+" to accept it") ||
		!strings.Contains(tr, fmt.Sprintf(`action="/admin/users/%d/transfer/withdraw"`, w.Client.ID)) {
		t.Error("the admin's transfer page does not show the move waiting with a way to withdraw it")
	}
	// Another proposal while one waits is refused beside the field.
	if res := admin.PostForm(fmt.Sprintf("/admin/users/%d/transfer", w.Client.ID), url.Values{"therapist": {strconv.FormatInt(w.Therapist2.ID, 10)}}); res.Code != http.StatusUnprocessableEntity ||
		!strings.Contains(res.Body.String(), "already waiting") {
		t.Errorf("a second proposal: %d", res.Code)
	}

	// Accepted: now the reverse.
	seeOtherTo(t, t2, fmt.Sprintf("/therapist/transfers/%d/accept", id), url.Values{}, fmt.Sprintf("/therapist/clients/%d", w.Client.ID))
	if u := a.User(t, w.Client.ID); u.TherapistID == nil || *u.TherapistID != w.Therapist2.ID {
		t.Fatalf("accepting did not move the client: therapist %v", u.TherapistID)
	}
	expectPages(t, t2, transferPaths(w), http.StatusOK, "the new therapist")
	expectPages(t, th, transferPaths(w), http.StatusNotFound, "the former therapist")
	if strings.Contains(page(t, t2, "/therapist", http.StatusOK), "transfers-waiting") {
		t.Error("an accepted move still waits on the new therapist's dashboard")
	}
	out = between(page(t, th, "/therapist", http.StatusOK), `aria-labelledby="transfers-out-title"`, "</section>")
	if !strings.Contains(out, w.Client.DisplayName+" moved to "+w.Therapist2.DisplayName+"'s caseload") {
		t.Errorf("the former therapist is not told the move happened:\n%s", out)
	}
	if res := t2.PostForm(fmt.Sprintf("/therapist/transfers/%d/accept", id), url.Values{}); res.Code != http.StatusNotFound {
		t.Errorf("accepting twice: %d, want 404", res.Code)
	}

	// Audited with ids only: the proposal by the admin, the move by the
	// therapist who accepted it.
	rows := transferAudit(t, a, w.Client.ID)
	if len(rows) != 2 || rows[0].Action != "client.transfer_proposed" || rows[0].Actor != w.Admin.ID ||
		rows[1].Action != "client.transferred" || rows[1].Actor != w.Therapist2.ID {
		t.Fatalf("audit rows %+v", rows)
	}
	for _, r := range rows {
		for _, s := range []string{fmt.Sprintf(`"transfer": %d`, id), fmt.Sprintf(`"to_therapist": %d`, w.Therapist2.ID), fmt.Sprintf(`"from_therapist": %d`, w.Therapist.ID)} {
			if !strings.Contains(r.Detail, s) {
				t.Errorf("%s detail %s lacks %s", r.Action, r.Detail, s)
			}
		}
		for _, s := range []string{w.Client.DisplayName, w.Client.Email, w.Therapist2.DisplayName, w.Admin.DisplayName} {
			if strings.Contains(r.Detail, s) {
				t.Errorf("%s detail holds %q", r.Action, s)
			}
		}
	}
}

func TestADeclinedMoveLeavesTheClientWhereTheyAre(t *testing.T) {
	a := testkit.NewApp(t)
	w := seedMoves(t, a, true)
	seedSubmission(t, a, &w)
	th, t2 := a.Login(t, w.Therapist), a.Login(t, w.Therapist2)
	id := proposeMove(t, a, a.Login(t, w.Admin), w.Client, w.Therapist2)

	seeOtherTo(t, t2, fmt.Sprintf("/therapist/transfers/%d/decline", id), url.Values{}, "/therapist")
	if u := a.User(t, w.Client.ID); u.TherapistID == nil || *u.TherapistID != w.Therapist.ID {
		t.Fatalf("declining moved the client: therapist %v", u.TherapistID)
	}
	expectPages(t, t2, transferPaths(w), http.StatusNotFound, "the therapist who declined")
	expectPages(t, th, transferPaths(w), http.StatusOK, "the current therapist")
	if res := t2.PostForm(fmt.Sprintf("/therapist/transfers/%d/accept", id), url.Values{}); res.Code != http.StatusNotFound {
		t.Errorf("accepting a declined move: %d, want 404", res.Code)
	}
	if strings.Contains(page(t, t2, "/therapist", http.StatusOK), w.Client.DisplayName) {
		t.Error("a declined move still shows on the dashboard of the therapist who declined it")
	}
	out := between(page(t, th, "/therapist", http.StatusOK), `aria-labelledby="transfers-out-title"`, "</section>")
	if !strings.Contains(out, w.Therapist2.DisplayName+" declined the move of "+w.Client.DisplayName) {
		t.Errorf("the current therapist is not told the move was declined:\n%s", out)
	}
	if rows := transferAudit(t, a, w.Client.ID); len(rows) != 2 || rows[1].Action != "client.transfer_declined" || rows[1].Actor != w.Therapist2.ID {
		t.Errorf("audit rows %+v", rows)
	}
	// Declined, the admin may propose again.
	proposeMove(t, a, a.Login(t, w.Admin), w.Client, w.Therapist2)
}

func TestTheAdminCanWithdrawAMoveThatIsWaiting(t *testing.T) {
	a := testkit.NewApp(t)
	w := seedMoves(t, a, false)
	admin, t2 := a.Login(t, w.Admin), a.Login(t, w.Therapist2)
	id := proposeMove(t, a, admin, w.Client, w.Therapist2)

	seeOtherTo(t, admin, fmt.Sprintf("/admin/users/%d/transfer/withdraw", w.Client.ID), url.Values{}, "/admin/users")
	if strings.Contains(page(t, t2, "/therapist", http.StatusOK), "transfers-waiting") {
		t.Error("a withdrawn move still waits on the receiving therapist's dashboard")
	}
	if res := t2.PostForm(fmt.Sprintf("/therapist/transfers/%d/accept", id), url.Values{}); res.Code != http.StatusNotFound {
		t.Errorf("accepting a withdrawn move: %d, want 404", res.Code)
	}
	if u := a.User(t, w.Client.ID); u.TherapistID == nil || *u.TherapistID != w.Therapist.ID {
		t.Fatalf("the client moved: therapist %v", u.TherapistID)
	}
	if strings.Contains(page(t, admin, "/admin/users", http.StatusOK), "waiting for them to accept") {
		t.Error("the admin still sees the withdrawn move waiting")
	}
	out := between(page(t, a.Login(t, w.Therapist), "/therapist", http.StatusOK), `aria-labelledby="transfers-out-title"`, "</section>")
	if !strings.Contains(out, "The move of "+w.Client.DisplayName+" to "+w.Therapist2.DisplayName+" was withdrawn") {
		t.Errorf("the current therapist is not told the move was withdrawn:\n%s", out)
	}
	if rows := transferAudit(t, a, w.Client.ID); len(rows) != 2 || rows[1].Action != "client.transfer_withdrawn" || rows[1].Actor != w.Admin.ID {
		t.Errorf("audit rows %+v", rows)
	}
	// Nothing left to withdraw.
	if res := admin.PostForm(fmt.Sprintf("/admin/users/%d/transfer/withdraw", w.Client.ID), url.Values{}); res.Code != http.StatusNotFound {
		t.Errorf("withdrawing again: %d, want 404", res.Code)
	}
}

// Only the therapist a move waits for can answer it: the current
// therapist, a colleague and a therapist of another practice get the 404 of
// a move that does not exist, and nothing changes.
func TestOnlyTheReceivingTherapistCanAnswerAMove(t *testing.T) {
	a := testkit.NewApp(t)
	w := seedMoves(t, a, false)
	id := proposeMove(t, a, a.Login(t, w.Admin), w.Client, w.Therapist2)
	var foreign int64
	if err := a.DB.Get(&foreign, `INSERT INTO users (practice_id, role, status, email, display_name, password_hash)
		SELECT practice_id, 'therapist', 'active', 'far@test.example', 'Farah Faraway', password_hash FROM users WHERE id = $1 RETURNING id`, w.Outsider.ID); err != nil {
		t.Fatal(err)
	}
	var colleague int64
	if err := a.DB.Get(&colleague, `INSERT INTO users (practice_id, role, status, email, display_name, password_hash)
		SELECT practice_id, 'therapist', 'active', 'cole@test.example', 'Cole Colleague', password_hash FROM users WHERE id = $1 RETURNING id`, w.Therapist.ID); err != nil {
		t.Fatal(err)
	}
	for _, u := range []account.User{w.Therapist, a.User(t, colleague), a.User(t, foreign)} {
		s := a.Login(t, u)
		for _, op := range []string{"accept", "decline"} {
			missing := s.PostForm(fmt.Sprintf("/therapist/transfers/%d/%s", noSuchUser, op), url.Values{})
			res := s.PostForm(fmt.Sprintf("/therapist/transfers/%d/%s", id, op), url.Values{})
			if res.Code != http.StatusNotFound || withoutRequestID(res) != withoutRequestID(missing) {
				t.Errorf("%s %ss the move: %d, want the 404 of no move", u.DisplayName, op, res.Code)
			}
		}
	}
	if res := a.Login(t, w.Admin).PostForm(fmt.Sprintf("/therapist/transfers/%d/accept", id), url.Values{}); res.Code != http.StatusForbidden {
		t.Errorf("the admin accepts as if a therapist: %d, want 403", res.Code)
	}
	var status string
	if err := a.DB.Get(&status, `SELECT status FROM client_transfers WHERE id = $1`, id); err != nil || status != "pending" {
		t.Errorf("the move is %q (%v), want still pending", status, err)
	}
	if u := a.User(t, w.Client.ID); *u.TherapistID != w.Therapist.ID {
		t.Errorf("the client moved")
	}
}

// A newly invited therapist can accept too, once they have joined: that
// is the trust left (README), and it is audited as theirs.
func TestANewlyInvitedTherapistAcceptsAsThemselves(t *testing.T) {
	a := testkit.NewApp(t)
	w := seedMoves(t, a, false)
	admin := a.Login(t, w.Admin)
	link := makeLink(t, admin, "/admin/users/invite", url.Values{"name": {"Nia Newhire"}, "email": {"nia@test.example"}, "role": {"therapist"}})
	path, _ := linkFrom(t, link.Body.String())
	nia := a.Anonymous(t)
	if res := nia.PostForm(path, url.Values{"password": {newPassphrase}, "confirm": {newPassphrase}}); res.Code != http.StatusSeeOther {
		t.Fatalf("join: %d", res.Code)
	}
	var niaID int64
	if err := a.DB.Get(&niaID, `SELECT id FROM users WHERE email = 'nia@test.example'`); err != nil {
		t.Fatal(err)
	}
	id := proposeMove(t, a, admin, w.Client, a.User(t, niaID))
	seeOtherTo(t, nia, fmt.Sprintf("/therapist/transfers/%d/accept", id), url.Values{}, fmt.Sprintf("/therapist/clients/%d", w.Client.ID))
	if rows := transferAudit(t, a, w.Client.ID); len(rows) != 2 || rows[1].Action != "client.transferred" || rows[1].Actor != niaID {
		t.Errorf("audit rows %+v", rows)
	}
}
