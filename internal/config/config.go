// Package config reads Trellis's configuration from the environment once, at
// start, and validates it, so the rest of the program never calls os.Getenv.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	netmail "net/mail"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/trellis-app/trellis/internal/mail"
)

// Environments Trellis knows.
const (
	EnvDevelopment = "development"
	EnvProduction  = "production"
)

// Config is the validated configuration. Build it with Load.
type Config struct {
	// DatabaseURL is the PostgreSQL URL `trellis serve` connects with: the
	// app role (trellis_app), which owns nothing and may not change the
	// audit log (R24).
	DatabaseURL string
	// OwnerDatabaseURL is the PostgreSQL URL of the role that owns the
	// tables: migrations and the operator's commands (seed-demo, user,
	// backup, restore) connect with it. serve uses it, when set, only to
	// migrate before it serves.
	OwnerDatabaseURL string
	// Addr is the host:port the HTTP server listens on.
	Addr string
	// BaseURL is the public URL clients reach Trellis at; links handed to
	// people (invites, resets) are built from it, and an https scheme turns
	// on Secure cookies and HSTS.
	BaseURL *url.URL
	// Env is development or production.
	Env string
	// LogLevel is the minimum level logged.
	LogLevel slog.Level
	// TrustedProxies lists the proxies (IPs or CIDRs) whose
	// X-Forwarded-For header is believed. Empty trusts none.
	TrustedProxies []string
	// MaxBodyBytes caps every request body.
	MaxBodyBytes int64
	// ShutdownTimeout bounds how long in-flight requests may take to finish
	// after SIGTERM.
	ShutdownTimeout time.Duration
	// DBMaxConns caps the connection pool.
	DBMaxConns int
	// RequestTimeout bounds each request's work, including its wait for a
	// pooled connection: past it the request answers 503 instead of
	// queueing behind an exhausted pool or a database that does not answer
	// (FT1, FT2).
	RequestTimeout time.Duration
	// Mail is the SMTP server email goes through; its zero value (no
	// host) means no email: links are copied by hand, and pages say so.
	Mail mail.Config
	// RunJobs: `trellis serve` also delivers email and queues reminders.
	// Off, it only queues them, for `trellis worker` processes to do.
	RunJobs bool
	// DevMailURL is the local mail catcher's web page, printed with the
	// demo logins (set by `make run`; development only).
	DevMailURL string
}

// NeedDatabaseURL says DATABASE_URL is missing, for `trellis serve`.
func (c Config) NeedDatabaseURL() error {
	if c.DatabaseURL == "" {
		return fmt.Errorf("configuration: %s: is required: the URL of the app role trellis_app, which serves "+
			"(for example postgres://trellis_app:...@127.0.0.1:5432/trellis?sslmode=disable); `make run` sets it for you", VarDatabaseURL)
	}
	return nil
}

// NeedOwnerDatabaseURL says DATABASE_OWNER_URL is missing, for a command
// that migrates or otherwise acts as the tables' owner.
func (c Config) NeedOwnerDatabaseURL(command string) error {
	if c.OwnerDatabaseURL == "" {
		return fmt.Errorf("configuration: %s: is required for `trellis %s`: the URL of the role that owns Trellis's tables "+
			"(for example postgres://trellis:...@127.0.0.1:5432/trellis?sslmode=disable); `make run` sets it for you", VarOwnerDatabaseURL, command)
	}
	return nil
}

// Production reports whether Trellis runs in production mode.
func (c Config) Production() bool { return c.Env == EnvProduction }

// HTTPS reports whether Trellis is served to users over HTTPS.
func (c Config) HTTPS() bool { return c.BaseURL.Scheme == "https" }

// Variable names, so error messages and the README agree.
const (
	VarDatabaseURL      = "DATABASE_URL"
	VarOwnerDatabaseURL = "DATABASE_OWNER_URL"
	VarAddr             = "TRELLIS_ADDR"
	VarBaseURL          = "TRELLIS_BASE_URL"
	VarEnv              = "TRELLIS_ENV"
	VarLogLevel         = "TRELLIS_LOG_LEVEL"
	VarTrustedProxies   = "TRELLIS_TRUSTED_PROXIES"
	VarMaxBodyBytes     = "TRELLIS_MAX_BODY_BYTES"
	VarShutdownTimeout  = "TRELLIS_SHUTDOWN_TIMEOUT"
	VarDBMaxConns       = "TRELLIS_DB_MAX_CONNS"
	VarRequestTimeout   = "TRELLIS_REQUEST_TIMEOUT"
	VarSMTPHost         = "TRELLIS_SMTP_HOST"
	VarSMTPPort         = "TRELLIS_SMTP_PORT"
	VarSMTPTLS          = "TRELLIS_SMTP_TLS"
	VarSMTPUser         = "TRELLIS_SMTP_USER"
	VarSMTPPassword     = "TRELLIS_SMTP_PASSWORD"
	VarMailFrom         = "TRELLIS_MAIL_FROM"
	VarRunJobs          = "TRELLIS_RUN_JOBS"
	VarDevMailURL       = "TRELLIS_DEV_MAIL_URL"
)

// DefaultRequestTimeout is TRELLIS_REQUEST_TIMEOUT's default.
const DefaultRequestTimeout = 15 * time.Second

// MaxRequestTimeout stays below the HTTP server's 60-second write timeout,
// so a request that runs out of time can still be answered with the 503
// page.
const MaxRequestTimeout = 50 * time.Second

// Load reads and validates the configuration. Every problem is reported, not
// only the first, each naming the variable and what it expects.
func Load(getenv func(string) string) (Config, error) {
	var errs []error
	bad := func(name, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...)))
	}
	get := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}

	c := Config{
		DatabaseURL:      get(VarDatabaseURL, ""),
		OwnerDatabaseURL: get(VarOwnerDatabaseURL, ""),
		Addr:             get(VarAddr, "127.0.0.1:8080"),
		Env:              get(VarEnv, EnvDevelopment),
		// Room for several 50,000-character answers in any script,
		// URL-encoded (up to 9 bytes a character).
		MaxBodyBytes:    4 << 20,
		ShutdownTimeout: 20 * time.Second,
		DBMaxConns:      20,
		RequestTimeout:  DefaultRequestTimeout,
	}

	// Which of the two a command needs is checked by NeedDatabaseURL and
	// NeedOwnerDatabaseURL; here only their form.
	for _, v := range [][2]string{{VarDatabaseURL, c.DatabaseURL}, {VarOwnerDatabaseURL, c.OwnerDatabaseURL}} {
		if u, err := url.Parse(v[1]); v[1] != "" && (err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql")) {
			bad(v[0], "must be a postgres:// URL")
		}
	}

	if _, port, err := net.SplitHostPort(c.Addr); err != nil {
		bad(VarAddr, "must be host:port, such as 127.0.0.1:8080 (got %q)", c.Addr)
	} else if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		bad(VarAddr, "port must be a number from 0 to 65535 (got %q)", port)
	}

	switch c.Env {
	case EnvDevelopment, EnvProduction:
	default:
		bad(VarEnv, "must be %q or %q (got %q)", EnvDevelopment, EnvProduction, c.Env)
	}

	defBase := "http://" + c.Addr
	base, err := url.Parse(get(VarBaseURL, defBase))
	switch {
	case err != nil || base.Host == "" || (base.Scheme != "http" && base.Scheme != "https"):
		bad(VarBaseURL, "must be an absolute http:// or https:// URL (got %q)", get(VarBaseURL, defBase))
		base, _ = url.Parse(defBase)
	case base.Path != "" && base.Path != "/":
		bad(VarBaseURL, "must not have a path; Trellis is served at the root of its host")
	case c.Env == EnvProduction && base.Scheme != "https":
		bad(VarBaseURL, "must be https:// in production")
	}
	if base != nil {
		base.Path = ""
	}
	c.BaseURL = base

	switch lv := strings.ToLower(get(VarLogLevel, "info")); lv {
	case "debug":
		c.LogLevel = slog.LevelDebug
	case "info":
		c.LogLevel = slog.LevelInfo
	case "warn", "warning":
		c.LogLevel = slog.LevelWarn
	case "error":
		c.LogLevel = slog.LevelError
	default:
		bad(VarLogLevel, "must be debug, info, warn or error (got %q)", lv)
	}

	if v := get(VarTrustedProxies, ""); v != "" {
		for _, p := range strings.Split(v, ",") {
			p = strings.TrimSpace(p)
			if _, err := netip.ParsePrefix(p); err == nil {
				c.TrustedProxies = append(c.TrustedProxies, p)
				continue
			}
			if _, err := netip.ParseAddr(p); err == nil {
				c.TrustedProxies = append(c.TrustedProxies, p)
				continue
			}
			bad(VarTrustedProxies, "must be a comma-separated list of IP addresses or CIDR ranges (bad entry %q)", p)
		}
	}

	if v := get(VarMaxBodyBytes, ""); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 4096 || n > 64<<20 {
			bad(VarMaxBodyBytes, "must be a whole number of bytes from 4096 to 67108864 (got %q)", v)
		} else {
			c.MaxBodyBytes = n
		}
	}

	if v := get(VarShutdownTimeout, ""); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 || d > 5*time.Minute {
			bad(VarShutdownTimeout, "must be a duration such as 20s, above 0 and at most 5m (got %q)", v)
		} else {
			c.ShutdownTimeout = d
		}
	}

	if v := get(VarDBMaxConns, ""); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 2 || n > 500 {
			bad(VarDBMaxConns, "must be a whole number from 2 to 500 (got %q)", v)
		} else {
			c.DBMaxConns = n
		}
	}

	if v := get(VarRequestTimeout, ""); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Second || d > MaxRequestTimeout {
			bad(VarRequestTimeout, "must be a duration such as 15s, from 1s to %s (got %q)", MaxRequestTimeout, v)
		} else {
			c.RequestTimeout = d
		}
	}
	// A request in flight at SIGTERM may take its whole timeout; shutdown
	// must wait at least that long or it cuts off the very requests it
	// promises to finish (FT3).
	if c.ShutdownTimeout < c.RequestTimeout {
		bad(VarShutdownTimeout, "must be at least %s (%s), so requests in flight at shutdown can finish (got %s)",
			VarRequestTimeout, c.RequestTimeout, c.ShutdownTimeout)
	}

	c.Mail = loadMail(get, bad)
	c.DevMailURL = get(VarDevMailURL, "")
	switch v := strings.ToLower(get(VarRunJobs, "true")); v {
	case "true", "1", "yes":
		c.RunJobs = true
	case "false", "0", "no":
	default:
		bad(VarRunJobs, "must be true or false (got %q)", v)
	}

	if len(errs) > 0 {
		return Config{}, fmt.Errorf("configuration: %w", errors.Join(errs...))
	}
	return c, nil
}

// loadMail reads the SMTP settings. With no host, email is off and the
// other settings must be empty too, so a half-made configuration is an
// error at start rather than a silent copy-link fallback.
func loadMail(get func(name, def string) string, bad func(name, format string, args ...any)) mail.Config {
	m := mail.Config{
		Host:     get(VarSMTPHost, ""),
		TLS:      strings.ToLower(get(VarSMTPTLS, mail.TLSStartTLS)),
		User:     get(VarSMTPUser, ""),
		Password: get(VarSMTPPassword, ""),
		From:     get(VarMailFrom, ""),
	}
	if m.Host == "" {
		for _, name := range []string{VarSMTPPort, VarSMTPUser, VarSMTPPassword, VarMailFrom} {
			if get(name, "") != "" {
				bad(name, "is set but %s is not; set the SMTP host too, or neither", VarSMTPHost)
			}
		}
		return mail.Config{}
	}
	defPort := "587"
	if m.TLS == mail.TLSImplicit {
		defPort = "465"
	}
	if p, err := strconv.Atoi(get(VarSMTPPort, defPort)); err != nil || p < 1 || p > 65535 {
		bad(VarSMTPPort, "must be a port number from 1 to 65535 (got %q)", get(VarSMTPPort, defPort))
	} else {
		m.Port = p
	}
	switch m.TLS {
	case mail.TLSStartTLS, mail.TLSImplicit:
	case mail.TLSNone:
		// In the clear is only for a mail catcher on this machine.
		if ip, err := netip.ParseAddr(m.Host); m.Host != "localhost" && (err != nil || !ip.IsLoopback()) {
			bad(VarSMTPTLS, "may be %q only for a server on loopback (127.0.0.1, ::1 or localhost), not %q", mail.TLSNone, m.Host)
		}
	default:
		bad(VarSMTPTLS, "must be %s, %s or %s (got %q)", mail.TLSStartTLS, mail.TLSImplicit, mail.TLSNone, m.TLS)
	}
	if (m.User == "") != (m.Password == "") {
		bad(VarSMTPPassword, "%s and %s go together: set both or neither", VarSMTPUser, VarSMTPPassword)
	}
	if m.From == "" {
		bad(VarMailFrom, "is required when %s is set (for example \"Trellis <no-reply@your-practice.example>\")", VarSMTPHost)
	} else if _, err := netmail.ParseAddress(m.From); err != nil {
		bad(VarMailFrom, "must be an email address, optionally with a name (got %q)", m.From)
	}
	return m
}
