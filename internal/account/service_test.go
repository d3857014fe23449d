package account_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/trellis-app/trellis/internal/account"
	"github.com/trellis-app/trellis/internal/auth"
	"github.com/trellis-app/trellis/internal/errkind"
	"github.com/trellis-app/trellis/internal/policy"
	"github.com/trellis-app/trellis/internal/testkit"
)

// newPassword passes the password policy.
const newPassword = "lanterns over the quiet harbour"

// accounts is the account service as `trellis serve` builds it, on the
// app role, hashing at the test app's cost.
func accounts(t *testing.T) (*testkit.App, testkit.World, *account.Service) {
	t.Helper()
	a := testkit.NewApp(t)
	return a, a.Seed(t), account.NewService(a.AppDB, a.Hasher, auth.NewPasswordChecker())
}

// lock reads whether u is locked now.
func locked(t *testing.T, a *testkit.App, u account.User) bool {
	t.Helper()
	var l bool
	if err := a.DB.Get(&l, `SELECT coalesce(locked_until > now(), false) FROM users WHERE id = $1`, u.ID); err != nil {
		t.Fatal(err)
	}
	return l
}

// Only failures count toward the lock (R3): nine wrong passwords and the
// right one signs in and sets no lock; ten wrong ones lock, and then the
// right one is refused like a wrong one.
func TestOnlyFailedSignInsCountTowardTheLock(t *testing.T) {
	a, w, svc := accounts(t)
	ctx := context.Background()
	fail := func(u account.User, n int) {
		t.Helper()
		for i := range n {
			if _, _, err := svc.Authenticate(ctx, u.Email, "wrong password"); !errors.Is(err, account.ErrBadCredentials) {
				t.Fatalf("wrong password %d = %v", i+1, err)
			}
		}
	}
	fail(w.Client, account.MaxFailures-1)
	if u, _, err := svc.Authenticate(ctx, w.Client.Email, testkit.Password); err != nil || u.ID != w.Client.ID {
		t.Fatalf("the right password on attempt %d = %d, %v", account.MaxFailures, u.ID, err)
	}
	if locked(t, a, w.Client) {
		t.Error("a right password on the last attempt set the lock")
	}
	fail(w.Client, account.MaxFailures-1) // the count started again
	if _, _, err := svc.Authenticate(ctx, w.Client.Email, testkit.Password); err != nil {
		t.Errorf("after a success, nine more failures locked: %v", err)
	}

	fail(w.Client2, account.MaxFailures)
	if !locked(t, a, w.Client2) {
		t.Fatal("ten wrong passwords did not lock")
	}
	if _, _, err := svc.Authenticate(ctx, w.Client2.Email, testkit.Password); !errors.Is(err, account.ErrBadCredentials) {
		t.Errorf("the right password while locked = %v, want bad credentials", err)
	}
}

// A disabled account's right password answers exactly as a wrong one and
// counts as a failure.
func TestADisabledAccountsRightPasswordIsAWrongOne(t *testing.T) {
	a, w, svc := accounts(t)
	ctx := context.Background()
	if err := svc.SetDisabled(ctx, w.Admin.Actor(), w.Therapist.ID, true); err != nil {
		t.Fatal(err)
	}
	for range account.MaxFailures {
		if _, _, err := svc.Authenticate(ctx, w.Therapist.Email, testkit.Password); !errors.Is(err, account.ErrBadCredentials) {
			t.Fatalf("disabled account, right password = %v, want bad credentials", err)
		}
	}
	if !locked(t, a, w.Therapist) {
		t.Error("right passwords on a disabled account did not count as failures")
	}
	if err := svc.SetDisabled(ctx, w.Admin.Actor(), w.Admin.ID, true); err == nil {
		t.Error("an admin disabled their own account")
	}
}

// An invitation names its problems by field and creates nothing.
func TestAnInvitationNamesEachProblem(t *testing.T) {
	_, w, svc := accounts(t)
	ctx := context.Background()
	long := strings.Repeat("é", 121)
	for _, c := range []struct {
		name string
		in   account.Invitation
		want map[string]string
	}{
		{"no name", account.Invitation{Name: "  ", Email: "new@test.example"}, map[string]string{"name": "Enter the person's name."}},
		{"name too long", account.Invitation{Name: long, Email: "new@test.example"}, map[string]string{"name": "Enter a name of at most 120 characters."}},
		{"unreadable name", account.Invitation{Name: "Jos\xe9", Email: "new@test.example"}, map[string]string{"name": "The name has characters we cannot read. Please type it again."}},
		{"NUL in the name", account.Invitation{Name: "Jo\x00sé", Email: "new@test.example"}, map[string]string{"name": "The name has characters we cannot read. Please type it again."}},
		{"no email", account.Invitation{Name: "Jo", Email: " "}, map[string]string{"email": "Enter an email address."}},
		{"not an email", account.Invitation{Name: "Jo", Email: "jo at home"}, map[string]string{"email": "Enter an email address like name@example.org."}},
		{"NUL in the email", account.Invitation{Name: "Jo", Email: "jo\x00@test.example"}, map[string]string{"email": "Enter an email address like name@example.org."}},
		{"display form", account.Invitation{Name: "Jo", Email: "Jo <jo@test.example>"}, map[string]string{"email": "Enter an email address like name@example.org."}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := svc.InviteClient(ctx, w.Therapist.Actor(), c.in)
			inv, ok := errkind.AsInvalid(err)
			if !ok || len(inv.Fields) != len(c.want) {
				t.Fatalf("InviteClient = %v, want %q", err, c.want)
			}
			for k, m := range c.want {
				if inv.Fields[k] != m {
					t.Errorf("%s = %q, want %q", k, inv.Fields[k], m)
				}
			}
		})
	}
	_, err := svc.InviteStaff(ctx, w.Admin.Actor(), account.Invitation{Name: "Jo", Email: "jo@test.example", Role: policy.Client})
	if inv, ok := errkind.AsInvalid(err); !ok || inv.Fields["role"] != "Choose therapist or practice admin." {
		t.Errorf("staff invite as a client = %v", err)
	}
	if invites, _ := svc.Invitations(ctx, w.Therapist.Actor()); len(invites) != 0 {
		t.Errorf("refused invitations are listed: %+v", invites)
	}
}

// Inviting an address that has an account elsewhere answers as a new
// invitation does, and its link changes nothing of that account (R4);
// inviting one the inviter can already see is said plainly.
func TestAnInvitationToAnExistingAddressChangesNothing(t *testing.T) {
	a, w, svc := accounts(t)
	ctx := context.Background()
	l, err := svc.InviteClient(ctx, w.Therapist.Actor(), account.Invitation{Name: "Oscar", Email: w.Outsider.Email})
	if err != nil || l.Token == "" || l.Purpose != "invite" {
		t.Fatalf("invite an address of another practice = %+v, %v; want a link", l, err)
	}
	if u, err := svc.LinkUser(ctx, "invite", l.Token); err != nil || u.DisplayName != "Oscar" {
		t.Errorf("the link opens as %q, %v; want the name typed", u.DisplayName, err)
	}
	if _, _, err := svc.UseLink(ctx, "invite", l.Token, newPassword, newPassword); !errors.Is(err, account.ErrAccountExists) {
		t.Errorf("using the link = %v, want ErrAccountExists", err)
	}
	after := a.User(t, w.Outsider.ID)
	if *after.PasswordHash != *w.Outsider.PasswordHash || after.PracticeID != w.Outsider.PracticeID || after.Role != policy.Admin || after.TherapistID != nil {
		t.Errorf("the existing account changed: %+v", after)
	}
	if _, _, err := svc.UseLink(ctx, "invite", l.Token, newPassword, newPassword); !errors.Is(err, account.ErrLinkInvalid) {
		t.Errorf("the link used twice = %v, want ErrLinkInvalid", err)
	}

	// Another therapist's client is not the inviter's to know of either.
	if _, err := svc.InviteClient(ctx, w.Therapist.Actor(), account.Invitation{Name: "D", Email: w.OtherClient.Email}); err != nil {
		t.Errorf("invite another therapist's client = %v, want a link like any", err)
	}
	_, err = svc.InviteClient(ctx, w.Therapist.Actor(), account.Invitation{Name: "E", Email: "  ELENI@test.example "})
	if inv, ok := errkind.AsInvalid(err); !ok || inv.Fields["email"] != "Someone in your practice already has an account with this email address." {
		t.Errorf("invite one's own client again = %v, want the plain refusal", err)
	}
}

// Both kinds of invitation are listed alike, to their maker only, and are
// renewed (the old link stops, the new one works) and withdrawn alike.
func TestInvitationsOfBothKindsAreListedRenewedAndWithdrawnAlike(t *testing.T) {
	a, w, svc := accounts(t)
	ctx, me := context.Background(), w.Therapist.Actor()
	fresh, err := svc.InviteClient(ctx, me, account.Invitation{Name: "New Person", Email: "new@test.example"})
	if err != nil {
		t.Fatal(err)
	}
	existing, err := svc.InviteClient(ctx, me, account.Invitation{Name: "Known Person", Email: w.Outsider.Email})
	if err != nil {
		t.Fatal(err)
	}
	invites, err := svc.Invitations(ctx, me)
	if err != nil || len(invites) != 2 {
		t.Fatalf("invitations = %+v, %v; want both", invites, err)
	}
	refs := map[string]account.InviteRef{}
	for _, i := range invites {
		if i.Role != policy.Client || i.EmailFailed || len(i.Ref.Bytes()) != 9 {
			t.Errorf("invitation %q = %+v", i.Name, i)
		}
		refs[i.Name] = i.Ref
	}
	for _, other := range []policy.Actor{w.Therapist2.Actor(), w.Admin.Actor()} {
		if list, _ := svc.Invitations(ctx, other); len(list) != 0 {
			t.Errorf("%s lists another's client invitations: %+v", other.Role, list)
		}
		if err := svc.WithdrawInvite(ctx, other, refs["New Person"]); !errors.Is(err, errkind.ErrNotFound) {
			t.Errorf("%s withdraws another's invitation = %v, want not found", other.Role, err)
		}
	}

	for name, old := range map[string]string{"New Person": fresh.Token, "Known Person": existing.Token} {
		l, shown, err := svc.RenewInvite(ctx, me, refs[name])
		if err != nil || shown != name || l.Token == "" || l.UserID != 0 {
			t.Fatalf("renew %s = %+v %q, %v", name, l, shown, err)
		}
		if _, err := svc.LinkUser(ctx, "invite", old); !errors.Is(err, account.ErrLinkInvalid) {
			t.Errorf("%s's old link still opens: %v", name, err)
		}
		if u, err := svc.LinkUser(ctx, "invite", l.Token); err != nil || u.DisplayName != name {
			t.Errorf("%s's new link opens as %q, %v", name, u.DisplayName, err)
		}
		if name == "Known Person" {
			existing.Token = l.Token
		} else {
			fresh.Token = l.Token
		}
	}
	invites, _ = svc.Invitations(ctx, me)
	refs = map[string]account.InviteRef{}
	for _, i := range invites {
		refs[i.Name] = i.Ref
	}
	if len(refs) != 2 {
		t.Fatalf("after renewing: %+v, want the two invitations", invites)
	}
	for name, token := range map[string]string{"New Person": fresh.Token, "Known Person": existing.Token} {
		if err := svc.WithdrawInvite(ctx, me, refs[name]); err != nil {
			t.Fatalf("withdraw %s: %v", name, err)
		}
		if _, err := svc.LinkUser(ctx, "invite", token); !errors.Is(err, account.ErrLinkInvalid) {
			t.Errorf("%s's withdrawn link still opens: %v", name, err)
		}
		if err := svc.WithdrawInvite(ctx, me, refs[name]); !errors.Is(err, errkind.ErrNotFound) {
			t.Errorf("withdraw %s twice = %v, want not found", name, err)
		}
	}
	if list, _ := svc.Invitations(ctx, me); len(list) != 0 {
		t.Errorf("withdrawn invitations are listed: %+v", list)
	}
	var therapist *int64
	if err := a.DB.Get(&therapist, `SELECT therapist_id FROM users WHERE email = 'new@test.example'`); err != nil || therapist != nil {
		t.Errorf("the withdrawn new client is still in a caseload: %v, %v", therapist, err)
	}
}

// A new link is the person's own therapist's or admin's to make: never for
// a disabled account, never an admin's for a client (R14), never another
// therapist's client; removing someone else's client finds nobody.
func TestResetAccessAndRemoveClientKeepToTheirOwnCaseload(t *testing.T) {
	_, w, svc := accounts(t)
	ctx := context.Background()
	statusMessage := func(err error) string {
		inv, _ := errkind.AsInvalid(err)
		if inv == nil {
			return ""
		}
		return inv.Fields["status"]
	}
	_, err := svc.ResetAccess(ctx, w.Admin.Actor(), w.Client.ID)
	if got := statusMessage(err); got != "A client's sign-in link comes from their therapist. Ask them to make a new one." {
		t.Errorf("admin resets a client = %v", err)
	}
	if _, err := svc.ResetAccess(ctx, w.Therapist.Actor(), w.OtherClient.ID); !errors.Is(err, errkind.ErrNotFound) {
		t.Errorf("therapist resets another's client = %v, want not found", err)
	}
	l, err := svc.ResetAccess(ctx, w.Therapist.Actor(), w.Client.ID)
	if err != nil || l.Purpose != "reset" || l.UserID != w.Client.ID || l.Token == "" {
		t.Errorf("therapist resets their own client = %+v, %v", l, err)
	}
	if err := svc.SetDisabled(ctx, w.Admin.Actor(), w.Therapist2.ID, true); err != nil {
		t.Fatal(err)
	}
	_, err = svc.ResetAccess(ctx, w.Admin.Actor(), w.Therapist2.ID)
	if got := statusMessage(err); got != "This account is disabled. Enable it first." {
		t.Errorf("reset a disabled account = %v", err)
	}
	if _, err := svc.LinkUser(ctx, "reset", l.Token); err != nil {
		t.Fatalf("the client's reset link: %v", err)
	}

	if err := svc.RemoveClient(ctx, w.Therapist.Actor(), w.OtherClient.ID); !errors.Is(err, errkind.ErrNotFound) {
		t.Errorf("remove another therapist's client = %v, want not found", err)
	}
	if err := svc.RemoveClient(ctx, w.Therapist.Actor(), w.Client.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.LinkUser(ctx, "reset", l.Token); !errors.Is(err, account.ErrLinkInvalid) {
		t.Errorf("a removed client's reset link still opens: %v", err)
	}
	if caseload, _ := svc.Caseload(ctx, w.Therapist.Actor()); len(caseload) != 1 || caseload[0].ID != w.Client2.ID {
		t.Errorf("caseload after removing = %+v, want Client2 only", caseload)
	}
}
