package policy

import "testing"

func TestEveryActionIsGrantedToSomeRole(t *testing.T) {
	for _, a := range Actions() {
		if len(table[a]) == 0 {
			t.Errorf("action %s is granted to nobody", a)
		}
	}
}

func TestAdminsGetNoCaseloadOrPortalAction(t *testing.T) {
	admin := Actor{UserID: 1, PracticeID: 1, Role: Admin}
	for _, a := range []Action{ViewCaseload, ViewClient, InviteClient, ResetClient, RemoveClient, AcceptTransfer, UsePortal} {
		if Can(admin, a, Resource{PracticeID: 1}) {
			t.Errorf("admin may %s (R14: admins never reach clinical work)", a)
		}
	}
}

func TestCan(t *testing.T) {
	admin := Actor{UserID: 1, PracticeID: 10, Role: Admin}
	ther := Actor{UserID: 2, PracticeID: 10, Role: Therapist}
	client := Actor{UserID: 3, PracticeID: 10, Role: Client}
	tests := []struct {
		name   string
		actor  Actor
		action Action
		res    Resource
		want   bool
	}{
		{"admin manages own practice", admin, ManagePractice, Resource{PracticeID: 10}, true},
		{"admin not another practice", admin, ManagePractice, Resource{PracticeID: 11}, false},
		{"therapist cannot manage practice", ther, ManagePractice, Resource{PracticeID: 10}, false},
		{"client cannot read audit", client, ReadAudit, Resource{PracticeID: 10}, false},
		{"therapist views own client", ther, ViewClient, Resource{PracticeID: 10, TherapistID: 2, ClientID: 3}, true},
		{"therapist not another's client", ther, ViewClient, Resource{PracticeID: 10, TherapistID: 9, ClientID: 3}, false},
		{"therapist not a removed client", ther, ViewClient, Resource{PracticeID: 10, TherapistID: 0, ClientID: 3}, false},
		{"client uses portal", client, UsePortal, Resource{PracticeID: 10, ClientID: 3}, true},
		{"client not another client's record", client, UsePortal, Resource{PracticeID: 10, ClientID: 4}, false},
		{"everyone changes own password", client, ChangeOwnPassword, Resource{UserID: 3}, true},
		{"client not another's password", client, ChangeOwnPassword, Resource{UserID: 4}, false},
		{"anonymous can do nothing", Actor{}, ChangeOwnPassword, Resource{}, false},
		{"unknown role can do nothing", Actor{UserID: 5, PracticeID: 10, Role: "root"}, ManagePractice, Resource{PracticeID: 10}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Can(tt.actor, tt.action, tt.res); got != tt.want {
				t.Errorf("Can = %v, want %v", got, tt.want)
			}
		})
	}
}
