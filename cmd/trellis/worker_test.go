package main

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trellis-app/trellis/internal/database"
	"github.com/trellis-app/trellis/internal/notify"
	"github.com/trellis-app/trellis/internal/testkit"
)

// `trellis worker` delivers what is queued, through the SMTP server the
// environment names, and stops cleanly when told to.
func TestWorkerSendsQueuedEmailAndStopsOnSignal(t *testing.T) {
	url := testkit.EmptyDBURL(t)
	appURL := testkit.AppRoleURL(t, url)
	srv := testkit.NewMailServer(t)
	env := func(k string) string {
		switch k {
		case "TRELLIS_SMTP_HOST":
			return "127.0.0.1"
		case "TRELLIS_SMTP_PORT":
			return strconv.Itoa(srv.Config().Port)
		case "TRELLIS_SMTP_TLS":
			return "none"
		case "TRELLIS_MAIL_FROM":
			return "Trellis <no-reply@trellis.test>"
		case "DATABASE_URL":
			return appURL
		}
		return envWith(url)(k)
	}
	var out strings.Builder
	if err := run(context.Background(), []string{"seed-demo"}, env, &out); err != nil {
		t.Fatal(err)
	}
	db, err := database.Open(context.Background(), url, database.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var practice, user int64
	if err := db.QueryRowx(`SELECT practice_id, id FROM users WHERE role = 'client' ORDER BY id LIMIT 1`).Scan(&practice, &user); err != nil {
		t.Fatal(err)
	}
	q, err := notify.NewQueue(notify.QueueConfig{DB: db})
	if err != nil {
		t.Fatal(err)
	}
	tx := db.MustBegin()
	if _, _, err := notify.Queue(context.Background(), q, tx, notify.Email{Kind: notify.KindInviteExisting, PracticeID: practice, UserID: user}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}

	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"worker"}, env, &strings.Builder{}) }()
	// The worker runs until stopped: it ending first is a failure.
	deadline := time.After(30 * time.Second)
	for len(srv.Messages()) == 0 {
		select {
		case err := <-done:
			t.Fatalf("the worker ended before sending anything: %v", err)
		case <-deadline:
			t.Fatal("nothing delivered in 30 s")
		case <-time.After(20 * time.Millisecond):
		}
	}
	stop()
	if err := <-done; err != nil {
		t.Errorf("worker: %v", err)
	}
	got := srv.Messages()
	if got[0].Subject() != "Your Trellis invitation" {
		t.Errorf("delivered %q", got[0].Subject())
	}
}

func TestWorkerWithoutSMTPSaysWhatIsMissing(t *testing.T) {
	url := testkit.EmptyDBURL(t)
	err := run(context.Background(), []string{"worker"}, envWith(url), &strings.Builder{})
	if err == nil || !strings.Contains(err.Error(), "TRELLIS_SMTP_HOST is not set") {
		t.Errorf("err = %v, want it to name TRELLIS_SMTP_HOST", err)
	}
}
