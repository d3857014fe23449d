package mail_test

import (
	"context"
	"strings"
	"testing"

	"github.com/trellis-app/trellis/internal/mail"
	"github.com/trellis-app/trellis/internal/testkit"
)

func TestSMTPDeliversAPlainTextMessageWithItsHeaders(t *testing.T) {
	srv := testkit.NewMailServer(t)
	s, err := mail.NewSMTP(srv.Config())
	if err != nil {
		t.Fatal(err)
	}
	m := mail.Message{
		To: "zoe@example.test", Subject: "Your Trellis link — ready", ID: "invite-42",
		Text:    "Choose a password here:\nhttps://trellis.test/invite/abc\n",
		Headers: map[string]string{"List-Unsubscribe": "<https://trellis.test/stop/xyz>"},
	}
	if err := s.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	got := srv.Wait(1)[0]
	if len(got.To) != 1 || got.To[0] != m.To {
		t.Errorf("envelope recipients %v, want [%s]", got.To, m.To)
	}
	if got.From != "no-reply@trellis.test" {
		t.Errorf("envelope sender %q", got.From)
	}
	if got.Subject() != m.Subject {
		t.Errorf("subject %q, want %q", got.Subject(), m.Subject)
	}
	if id := got.Header.Get("Message-Id"); id != "<invite-42@trellis.test>" {
		t.Errorf("Message-ID %q", id)
	}
	if u := got.Header.Get("List-Unsubscribe"); u != m.Headers["List-Unsubscribe"] {
		t.Errorf("List-Unsubscribe %q", u)
	}
	if ct := got.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("Content-Type %q, want plain text only", ct)
	}
	if strings.ReplaceAll(got.Body, "\r\n", "\n") != m.Text {
		t.Errorf("body %q, want %q", got.Body, m.Text)
	}
}

func TestSMTPDownIsAnErrorThatNamesNoAddress(t *testing.T) {
	srv := testkit.NewMailServer(t)
	srv.SetFailing(true)
	s, err := mail.NewSMTP(srv.Config())
	if err != nil {
		t.Fatal(err)
	}
	err = s.Send(context.Background(), mail.Message{To: "zoe@example.test", Subject: "s", Text: "t"})
	if err == nil {
		t.Fatal("a refusing server gave no error")
	}
	if strings.Contains(err.Error(), "zoe@example.test") {
		t.Errorf("the error names the address: %v", err)
	}
	if len(srv.Messages()) != 0 {
		t.Error("a refusing server recorded a message")
	}
	srv.SetFailing(false)
	if err := s.Send(context.Background(), mail.Message{To: "zoe@example.test", Subject: "s", Text: "t"}); err != nil {
		t.Fatalf("after the server is back: %v", err)
	}
}

func TestBadConfigurationIsRefusedAtStart(t *testing.T) {
	for _, c := range []mail.Config{
		{},
		{Host: "smtp.example.test", Port: 587, TLS: mail.TLSStartTLS},
		{Host: "smtp.example.test", Port: 587, TLS: "maybe", From: "a@b.test"},
	} {
		if _, err := mail.NewSMTP(c); err == nil {
			t.Errorf("%+v was accepted", c)
		}
	}
	if _, err := mail.NewSMTP(mail.Config{Host: "smtp.example.test", Port: 587, TLS: mail.TLSStartTLS, From: "a@b.test"}); err != nil {
		t.Errorf("a good configuration was refused: %v", err)
	}
}
