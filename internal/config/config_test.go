package config

import (
	"log/slog"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

const dbURL = "postgres://trellis@127.0.0.1:5432/trellis?sslmode=disable"

func TestLoadAppliesDefaults(t *testing.T) {
	c, err := Load(env(map[string]string{VarDatabaseURL: dbURL}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if c.DatabaseURL != dbURL {
		t.Errorf("DatabaseURL = %q", c.DatabaseURL)
	}
	if c.Addr != "127.0.0.1:8080" {
		t.Errorf("Addr = %q, want 127.0.0.1:8080", c.Addr)
	}
	if got := c.BaseURL.String(); got != "http://127.0.0.1:8080" {
		t.Errorf("BaseURL = %q, want http://127.0.0.1:8080", got)
	}
	if c.Env != EnvDevelopment || c.Production() {
		t.Errorf("Env = %q, want development", c.Env)
	}
	if c.LogLevel != slog.LevelInfo {
		t.Errorf("LogLevel = %v, want info", c.LogLevel)
	}
	if len(c.TrustedProxies) != 0 {
		t.Errorf("TrustedProxies = %v, want none trusted by default", c.TrustedProxies)
	}
	if c.MaxBodyBytes != 4<<20 || c.ShutdownTimeout != 20*time.Second || c.DBMaxConns != 20 {
		t.Errorf("limits = %d, %v, %d", c.MaxBodyBytes, c.ShutdownTimeout, c.DBMaxConns)
	}
	if c.RequestTimeout != 15*time.Second {
		t.Errorf("RequestTimeout = %v, want 15s", c.RequestTimeout)
	}
	if c.HTTPS() {
		t.Error("HTTPS() true for an http base URL")
	}
}

func TestLoadReadsEveryVariable(t *testing.T) {
	c, err := Load(env(map[string]string{
		VarDatabaseURL:     dbURL,
		VarAddr:            "0.0.0.0:9000",
		VarBaseURL:         "https://trellis.example.org",
		VarEnv:             "production",
		VarLogLevel:        "DEBUG",
		VarTrustedProxies:  "10.0.0.1, 192.168.0.0/16",
		VarMaxBodyBytes:    "2097152",
		VarShutdownTimeout: "45s",
		VarDBMaxConns:      "40",
		VarRequestTimeout:  "30s",
	}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if c.Addr != "0.0.0.0:9000" || c.BaseURL.String() != "https://trellis.example.org" || !c.Production() || !c.HTTPS() {
		t.Errorf("got %+v", c)
	}
	if c.LogLevel != slog.LevelDebug {
		t.Errorf("LogLevel = %v", c.LogLevel)
	}
	if strings.Join(c.TrustedProxies, "|") != "10.0.0.1|192.168.0.0/16" {
		t.Errorf("TrustedProxies = %v", c.TrustedProxies)
	}
	if c.MaxBodyBytes != 2097152 || c.ShutdownTimeout != 45*time.Second || c.DBMaxConns != 40 || c.RequestTimeout != 30*time.Second {
		t.Errorf("limits = %d, %v, %d, %v", c.MaxBodyBytes, c.ShutdownTimeout, c.DBMaxConns, c.RequestTimeout)
	}
}

func TestLoadRejectsEachBadValueWithAClearMessage(t *testing.T) {
	tests := []struct {
		name, key, value, want string
	}{
		{"database not postgres", VarDatabaseURL, "mysql://x/y", "DATABASE_URL: must be a postgres:// URL"},
		{"owner database not postgres", VarOwnerDatabaseURL, "mysql://x/y", "DATABASE_OWNER_URL: must be a postgres:// URL"},
		{"addr without port", VarAddr, "localhost", "TRELLIS_ADDR: must be host:port"},
		{"addr port not a number", VarAddr, "localhost:http", "TRELLIS_ADDR: port must be a number"},
		{"addr port too large", VarAddr, "localhost:70000", "TRELLIS_ADDR: port must be a number"},
		{"base url relative", VarBaseURL, "trellis.example.org", "TRELLIS_BASE_URL: must be an absolute"},
		{"base url ftp", VarBaseURL, "ftp://trellis.example.org", "TRELLIS_BASE_URL: must be an absolute"},
		{"base url with path", VarBaseURL, "https://example.org/trellis", "TRELLIS_BASE_URL: must not have a path"},
		{"unknown env", VarEnv, "staging", "TRELLIS_ENV: must be \"development\" or \"production\""},
		{"unknown log level", VarLogLevel, "loud", "TRELLIS_LOG_LEVEL: must be debug, info, warn or error"},
		{"bad proxy", VarTrustedProxies, "10.0.0.1,not-an-ip", "TRELLIS_TRUSTED_PROXIES: must be a comma-separated list"},
		{"body limit not a number", VarMaxBodyBytes, "1MB", "TRELLIS_MAX_BODY_BYTES: must be a whole number"},
		{"body limit too small", VarMaxBodyBytes, "10", "TRELLIS_MAX_BODY_BYTES: must be a whole number"},
		{"shutdown not a duration", VarShutdownTimeout, "20", "TRELLIS_SHUTDOWN_TIMEOUT: must be a duration"},
		{"shutdown too long", VarShutdownTimeout, "1h", "TRELLIS_SHUTDOWN_TIMEOUT: must be a duration"},
		{"pool too small", VarDBMaxConns, "1", "TRELLIS_DB_MAX_CONNS: must be a whole number from 2 to 500"},
		{"request timeout not a duration", VarRequestTimeout, "15", "TRELLIS_REQUEST_TIMEOUT: must be a duration"},
		{"request timeout too short", VarRequestTimeout, "200ms", "TRELLIS_REQUEST_TIMEOUT: must be a duration such as 15s, from 1s to 50s"},
		{"request timeout past the write timeout", VarRequestTimeout, "2m", "TRELLIS_REQUEST_TIMEOUT: must be a duration such as 15s, from 1s to 50s"},
		{"shutdown shorter than a request", VarShutdownTimeout, "5s", "TRELLIS_SHUTDOWN_TIMEOUT: must be at least TRELLIS_REQUEST_TIMEOUT (15s)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := map[string]string{VarDatabaseURL: dbURL}
			m[tt.key] = tt.value
			_, err := Load(env(m))
			if err == nil {
				t.Fatalf("Load accepted %s=%q", tt.key, tt.value)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %q\nwant it to contain %q", err, tt.want)
			}
		})
	}
}

// serve needs the app role's URL; migrations and the operator's commands
// need the owner's. Load leaves it to each command to say which it needs.
func TestEachCommandSaysWhichDatabaseURLItNeeds(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatalf("Load without database URLs: %v", err)
	}
	if err := c.NeedDatabaseURL(); err == nil || !strings.Contains(err.Error(), "DATABASE_URL: is required: the URL of the app role trellis_app") {
		t.Errorf("NeedDatabaseURL = %v", err)
	}
	if err := c.NeedOwnerDatabaseURL("migrate"); err == nil || !strings.Contains(err.Error(), "DATABASE_OWNER_URL: is required for `trellis migrate`") {
		t.Errorf("NeedOwnerDatabaseURL = %v", err)
	}
	c, err = Load(env(map[string]string{VarDatabaseURL: dbURL, VarOwnerDatabaseURL: "postgres://trellis@db/trellis"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.NeedDatabaseURL() != nil || c.NeedOwnerDatabaseURL("migrate") != nil || c.OwnerDatabaseURL != "postgres://trellis@db/trellis" {
		t.Errorf("both set: %+v", c)
	}
}

func TestLoadReportsEveryProblemAtOnce(t *testing.T) {
	_, err := Load(env(map[string]string{VarDatabaseURL: "mysql://x/y", VarEnv: "staging", VarLogLevel: "loud"}))
	if err == nil {
		t.Fatal("Load accepted a bad configuration")
	}
	for _, want := range []string{VarDatabaseURL, VarEnv, VarLogLevel} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
}

func TestProductionRequiresHTTPS(t *testing.T) {
	_, err := Load(env(map[string]string{VarDatabaseURL: dbURL, VarEnv: "production", VarBaseURL: "http://trellis.example.org"}))
	if err == nil || !strings.Contains(err.Error(), "must be https:// in production") {
		t.Fatalf("error = %v, want an https requirement", err)
	}
}

func TestShortShutdownIsAllowedWithAShorterRequestTimeout(t *testing.T) {
	c, err := Load(env(map[string]string{VarDatabaseURL: dbURL, VarShutdownTimeout: "5s", VarRequestTimeout: "5s"}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if c.ShutdownTimeout != 5*time.Second || c.RequestTimeout != 5*time.Second {
		t.Errorf("timeouts = %v, %v", c.ShutdownTimeout, c.RequestTimeout)
	}
}

func TestMailIsOffWithoutAHostAndReadWithOne(t *testing.T) {
	c, err := Load(env(map[string]string{VarDatabaseURL: dbURL}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Mail.Configured() {
		t.Errorf("mail configured with no SMTP variables: %+v", c.Mail)
	}
	c, err = Load(env(map[string]string{VarDatabaseURL: dbURL, VarSMTPHost: "smtp.example.org",
		VarSMTPUser: "trellis", VarSMTPPassword: "s3cret", VarMailFrom: "Trellis <no-reply@example.org>"}))
	if err != nil {
		t.Fatal(err)
	}
	if m := c.Mail; m.Host != "smtp.example.org" || m.Port != 587 || m.TLS != "starttls" || m.User != "trellis" || m.Password != "s3cret" || m.From != "Trellis <no-reply@example.org>" {
		t.Errorf("mail = %+v, want STARTTLS on 587 with the user and From given", m)
	}
	c, err = Load(env(map[string]string{VarDatabaseURL: dbURL, VarSMTPHost: "127.0.0.1", VarSMTPPort: "1025", VarSMTPTLS: "none", VarMailFrom: "no-reply@trellis.localhost"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Mail.Port != 1025 || c.Mail.TLS != "none" {
		t.Errorf("loopback catcher: %+v", c.Mail)
	}
}

func TestMailRejectsEachBadValueWithAClearMessage(t *testing.T) {
	host := map[string]string{VarSMTPHost: "smtp.example.org", VarMailFrom: "no-reply@example.org"}
	tests := []struct {
		name string
		set  map[string]string
		want string
	}{
		{"settings without a host", map[string]string{VarMailFrom: "a@example.org"}, "TRELLIS_MAIL_FROM: is set but TRELLIS_SMTP_HOST is not"},
		{"no from", map[string]string{VarMailFrom: ""}, "TRELLIS_MAIL_FROM: is required"},
		{"bad from", map[string]string{VarMailFrom: "not an address"}, "TRELLIS_MAIL_FROM: must be an email address"},
		{"bad port", map[string]string{VarSMTPPort: "smtp"}, "TRELLIS_SMTP_PORT: must be a port number"},
		{"unknown tls", map[string]string{VarSMTPTLS: "maybe"}, "TRELLIS_SMTP_TLS: must be starttls, tls or none"},
		{"clear text off loopback", map[string]string{VarSMTPTLS: "none"}, "TRELLIS_SMTP_TLS: may be \"none\" only for a server on loopback"},
		{"user without password", map[string]string{VarSMTPUser: "trellis"}, "TRELLIS_SMTP_PASSWORD: TRELLIS_SMTP_USER and TRELLIS_SMTP_PASSWORD go together"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := map[string]string{VarDatabaseURL: dbURL}
			if tt.name != "settings without a host" {
				for k, v := range host {
					m[k] = v
				}
			}
			for k, v := range tt.set {
				m[k] = v
			}
			_, err := Load(env(m))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v\nwant it to contain %q", err, tt.want)
			}
		})
	}
}
