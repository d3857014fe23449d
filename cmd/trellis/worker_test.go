package main

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/trellis-app/trellis/internal/database"
	"github.com/trellis-app/trellis/internal/notify"
	"github.com/trellis-app/trellis/internal/testkit"
)

// `trellis worker` delivers what is queued, through the SMTP server the
// environment names, and stops cleanly when told to.
func TestWorkerSendsQueuedEmailAndStopsOnSignal(t *testing.T) {
	url := testkit.EmptyDBURL(t)
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
	var wg sync.WaitGroup
	var werr error
	var wout strings.Builder
	wg.Go(func() { werr = run(ctx, []string{"worker"}, env, &wout) })
	got := srv.Wait(1)
	stop()
	wg.Wait()
	if werr != nil {
		t.Errorf("worker: %v", werr)
	}
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
