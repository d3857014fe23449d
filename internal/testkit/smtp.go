package testkit

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	trellismail "github.com/trellis-app/trellis/internal/mail"
)

// MailServer is a real SMTP server on loopback, in the test's process
// (emersion/go-smtp). Tests send through it with the production sender and
// read what arrived: envelope, headers and body, as a recipient's server
// would see them.
type MailServer struct {
	t    testing.TB
	srv  *smtp.Server
	addr *net.TCPAddr

	mu        sync.Mutex
	delivered []Delivered
	failing   bool
	arrived   chan struct{}
}

// Delivered is one message the server accepted.
type Delivered struct {
	From   string
	To     []string
	Header mail.Header
	Body   string
	Raw    []byte
}

// Subject is the decoded Subject header.
func (d Delivered) Subject() string {
	s, err := new(mime.WordDecoder).DecodeHeader(d.Header.Get("Subject"))
	if err != nil {
		return d.Header.Get("Subject")
	}
	return s
}

// NewMailServer starts an SMTP server on 127.0.0.1 and stops it when the
// test ends.
func NewMailServer(t testing.TB) *MailServer {
	t.Helper()
	m := &MailServer{t: t, arrived: make(chan struct{}, 1024)}
	m.srv = smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &mailSession{m: m}, nil
	}))
	m.srv.Domain = "localhost"
	m.srv.AllowInsecureAuth = true
	m.srv.ReadTimeout = 10 * time.Second
	m.srv.WriteTimeout = 10 * time.Second
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("mail server: %v", err)
	}
	m.addr = l.Addr().(*net.TCPAddr)
	go func() { _ = m.srv.Serve(l) }()
	t.Cleanup(func() { _ = m.srv.Close() })
	return m
}

// Config is how Trellis reaches this server (no TLS: it is loopback).
func (m *MailServer) Config() trellismail.Config {
	return trellismail.Config{Host: "127.0.0.1", Port: m.addr.Port, TLS: trellismail.TLSNone,
		From: "Trellis <no-reply@trellis.test>", Timeout: 5 * time.Second}
}

// Addr is host:port.
func (m *MailServer) Addr() string { return "127.0.0.1:" + strconv.Itoa(m.addr.Port) }

// SetFailing makes the server refuse every message with a temporary
// error (451), as a server that is down for a while does.
func (m *MailServer) SetFailing(failing bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.failing = failing
}

// Messages is every message accepted so far.
func (m *MailServer) Messages() []Delivered {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Delivered(nil), m.delivered...)
}

// To is every message accepted so far for addr.
func (m *MailServer) To(addr string) []Delivered {
	var out []Delivered
	for _, d := range m.Messages() {
		for _, to := range d.To {
			if strings.EqualFold(to, addr) {
				out = append(out, d)
				break
			}
		}
	}
	return out
}

// Wait waits until at least n messages have arrived, failing the test if
// they have not within a generous bound (the bound is a hang guard, not a
// timing assertion).
func (m *MailServer) Wait(n int) []Delivered {
	m.t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		if got := m.Messages(); len(got) >= n {
			return got
		}
		select {
		case <-m.arrived:
		case <-deadline:
			m.t.Fatalf("mail server: %d messages arrived, waited for %d", len(m.Messages()), n)
		}
	}
}

type mailSession struct {
	m    *MailServer
	from string
	to   []string
}

var errTemporary = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}

func (s *mailSession) Mail(from string, _ *smtp.MailOptions) error {
	s.m.mu.Lock()
	failing := s.m.failing
	s.m.mu.Unlock()
	if failing {
		return errTemporary
	}
	s.from = from
	return nil
}

func (s *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}

func (s *mailSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return errors.New("unreadable message")
	}
	body, err := decodeBody(msg)
	if err != nil {
		return err
	}
	s.m.mu.Lock()
	s.m.delivered = append(s.m.delivered, Delivered{From: s.from, To: s.to, Header: msg.Header, Body: body, Raw: raw})
	s.m.mu.Unlock()
	s.m.arrived <- struct{}{}
	return nil
}

func (s *mailSession) Reset()        { s.from, s.to = "", nil }
func (s *mailSession) Logout() error { return nil }

// decodeBody is a single-part text message's body with its transfer
// encoding undone, as a mail client would show it.
func decodeBody(msg *mail.Message) (string, error) {
	var r io.Reader = msg.Body
	switch strings.ToLower(msg.Header.Get("Content-Transfer-Encoding")) {
	case "quoted-printable":
		r = quotedprintable.NewReader(r)
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, r)
	}
	b, err := io.ReadAll(r)
	return string(b), err
}
