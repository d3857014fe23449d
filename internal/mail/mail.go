// Package mail sends email through an SMTP server. It knows nothing of who
// is told what: internal/notify decides that and composes the words; this
// package only delivers a finished Message.
//
// What leaves Trellis by email is the minimum necessary: a line saying what
// the link is for and the link. No message carries clinical text, exercise
// titles or a practice's clinical wording (see internal/notify).
package mail

import (
	"context"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// TLS modes for the connection to the SMTP server.
const (
	// TLSStartTLS upgrades a plain connection with STARTTLS and refuses to
	// send if the server does not offer it (usually port 587).
	TLSStartTLS = "starttls"
	// TLSImplicit connects with TLS from the first byte (usually port 465).
	TLSImplicit = "tls"
	// TLSNone sends in the clear: only for a mail catcher on loopback.
	TLSNone = "none"
)

// Config is how to reach the SMTP server. The zero Config (no Host) means
// email is not configured: Trellis then works by copy-link, as it says.
type Config struct {
	Host     string
	Port     int
	TLS      string // TLSStartTLS, TLSImplicit or TLSNone
	User     string // empty: no authentication
	Password string
	From     string // the From address, e.g. "Trellis <no-reply@example.org>"
	// Timeout bounds connecting and each SMTP command.
	Timeout time.Duration
}

// Configured reports whether an SMTP server is set.
func (c Config) Configured() bool { return c.Host != "" }

// Message is one email, ready to send: plain text only (no tracking
// pixels, no remote images, nothing a mail client fetches).
type Message struct {
	To      string
	Subject string
	Text    string
	// ID is the Message-ID header's left part; delivering the same ID
	// twice lets the recipient's mail system see the duplicate.
	ID string
	// Headers are extra headers, such as List-Unsubscribe.
	Headers map[string]string
}

// Sender delivers a Message.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// SMTP is a Sender that speaks SMTP to the configured server, one
// connection per message (messages are few: invitations, links and at
// most one reminder a day per client).
type SMTP struct {
	cfg  Config
	opts []gomail.Option
}

// NewSMTP checks cfg and returns a Sender for it.
func NewSMTP(cfg Config) (*SMTP, error) {
	if !cfg.Configured() {
		return nil, errors.New("mail: no SMTP host configured")
	}
	if cfg.From == "" {
		return nil, errors.New("mail: no From address configured")
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 15 * time.Second
	}
	opts := []gomail.Option{gomail.WithPort(cfg.Port), gomail.WithTimeout(cfg.Timeout)}
	switch cfg.TLS {
	case TLSStartTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case TLSImplicit:
		opts = append(opts, gomail.WithSSL())
	case TLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		return nil, fmt.Errorf("mail: unknown TLS mode %q (want %s, %s or %s)", cfg.TLS, TLSStartTLS, TLSImplicit, TLSNone)
	}
	if cfg.User != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(cfg.User), gomail.WithPassword(cfg.Password))
	}
	return &SMTP{cfg: cfg, opts: opts}, nil
}

// Send delivers m. The error names what failed, never the address or the
// message.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	msg := gomail.NewMsg()
	if err := msg.From(s.cfg.From); err != nil {
		return fmt.Errorf("mail: From address: %w", err)
	}
	if err := msg.To(m.To); err != nil {
		return ErrBadAddress
	}
	msg.Subject(m.Subject)
	msg.SetDate()
	if m.ID != "" {
		msg.SetMessageIDWithValue(m.ID + "@" + domainOf(s.cfg.From))
	} else {
		msg.SetMessageID()
	}
	for k, v := range m.Headers {
		msg.SetGenHeader(gomail.Header(k), v)
	}
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	c, err := gomail.NewClient(s.cfg.Host, s.opts...)
	if err != nil {
		return fmt.Errorf("mail: client: %w", err)
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("mail: send via %s: %w", serverAddr(s.cfg), scrub(err, m.To))
	}
	return nil
}

// ErrBadAddress is a recipient address the message cannot be sent to.
// Retrying does not help.
var ErrBadAddress = errors.New("mail: the recipient's address is not valid")

func serverAddr(c Config) string { return c.Host + ":" + strconv.Itoa(c.Port) }

// domainOf is the domain of the From address, for Message-IDs.
func domainOf(from string) string {
	from = strings.TrimSuffix(strings.TrimSpace(from), ">")
	if i := strings.LastIndex(from, "@"); i >= 0 {
		return from[i+1:]
	}
	return "trellis.invalid"
}

// scrub keeps the recipient's address out of an SMTP error, which the
// server may quote back ("550 <a@b.c>: no such user"): errors are logged
// and an address is personal data.
func scrub(err error, addr string) error {
	if addr == "" || !strings.Contains(err.Error(), addr) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), addr, "<recipient>"))
}

var (
	replyCode    = regexp.MustCompile(`\b[45][0-9]{2}\b`)
	enhancedCode = regexp.MustCompile(`\b[45]\.[0-9]{1,3}\.[0-9]{1,3}\b`)
)

// Reason is what may be kept and logged of a failed send: the SMTP reply
// code and enhanced status ("451 4.3.0") or the kind of failure, never
// the server's own words, which may quote the address in any form.
func Reason(err error) string {
	if errors.Is(err, ErrBadAddress) {
		return "the recipient's address is not valid"
	}
	text := err.Error()
	if code := replyCode.FindString(text); code != "" {
		if enh := enhancedCode.FindString(text); enh != "" {
			return "the mail server refused it: " + code + " " + enh
		}
		return "the mail server refused it: " + code
	}
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return "the mail server did not answer in time"
	}
	return "the mail server could not be reached"
}
