package account_test

import (
	"context"
	"errors"
	"testing"

	"github.com/trellis-app/trellis/internal/errkind"
)

// A calendar address is a credential: the current one finds its client;
// a replaced, altered or made-up one finds nobody, and removing or
// disabling the client ends it.
func TestACalendarAddressOpensOnlyWhileItIsTheClientsCurrentOne(t *testing.T) {
	_, w, svc := accounts(t)
	ctx := context.Background()
	owner := func(token string) (int64, error) {
		a, err := svc.CalendarFeedOwner(ctx, token)
		return a.UserID, err
	}

	if _, err := svc.NewCalendarFeed(ctx, w.Therapist.Actor()); !errors.Is(err, errkind.ErrForbidden) {
		t.Errorf("a therapist made a calendar address: %v", err)
	}
	first, err := svc.NewCalendarFeed(ctx, w.Client.Actor())
	if err != nil {
		t.Fatal(err)
	}
	if id, err := owner(first); err != nil || id != w.Client.ID {
		t.Fatalf("the new address finds %d, %v", id, err)
	}
	second, err := svc.NewCalendarFeed(ctx, w.Client.Actor())
	if err != nil {
		t.Fatal(err)
	}
	altered := second[:len(second)-1] + map[bool]string{true: "B", false: "A"}[second[len(second)-1] == 'A']
	for name, token := range map[string]string{"replaced": first, "altered": altered, "made up": "abc.def", "no dot": "abcdef", "empty": ""} {
		if _, err := owner(token); !errors.Is(err, errkind.ErrNotFound) {
			t.Errorf("%s address: %v, want not found", name, err)
		}
	}
	if id, err := owner(second); err != nil || id != w.Client.ID {
		t.Fatalf("the current address finds %d, %v", id, err)
	}

	if err := svc.RemoveClient(ctx, w.Therapist.Actor(), w.Client.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := owner(second); !errors.Is(err, errkind.ErrNotFound) {
		t.Errorf("a removed client's address still opens: %v", err)
	}

	third, err := svc.NewCalendarFeed(ctx, w.Client2.Actor())
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.SetDisabled(ctx, w.Admin.Actor(), w.Client2.ID, true); err != nil {
		t.Fatal(err)
	}
	if err := svc.SetDisabled(ctx, w.Admin.Actor(), w.Client2.ID, false); err != nil {
		t.Fatal(err)
	}
	if _, err := owner(third); !errors.Is(err, errkind.ErrNotFound) {
		t.Errorf("a disabled (then enabled) client's old address still opens: %v", err)
	}
}
