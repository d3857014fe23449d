// Command devmail starts or stops the local mail catcher `make run` sends
// Trellis's email to, so a newcomer sees every invitation and reminder in a
// browser without an SMTP account: Mailpit (github.com/axllent/mailpit),
// built from the Go module proxy into .data/bin the first time, bound to
// 127.0.0.1 only, with its version check off (it would call out).
//
//	devmail start   # prints the environment Trellis needs, as shell exports
//	devmail stop
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// mailpitModule is the catcher's version, pinned like every dependency.
const mailpitModule = "github.com/axllent/mailpit@v1.33.1"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "devmail:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: devmail start|stop [-dir DIR] [-smtp-port N] [-web-port N]")
	}
	fs := flag.NewFlagSet("devmail "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", ".data/mail", "where the catcher keeps its messages and pid")
	smtpPort := fs.Int("smtp-port", 54325, "loopback SMTP port")
	webPort := fs.Int("web-port", 54326, "loopback port of the web page that shows the emails")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	logf := func(f string, a ...any) { fmt.Fprintf(stderr, "devmail: "+f+"\n", a...) }
	web := "http://127.0.0.1:" + strconv.Itoa(*webPort)
	switch args[0] {
	case "start":
		if err := start(ctx, *dir, *smtpPort, *webPort, web, logf); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "export TRELLIS_SMTP_HOST=127.0.0.1 TRELLIS_SMTP_PORT=%d TRELLIS_SMTP_TLS=none TRELLIS_MAIL_FROM='Trellis <no-reply@trellis.localhost>' TRELLIS_DEV_MAIL_URL=%s\n", *smtpPort, web)
		return nil
	case "stop":
		return stopCatcher(*dir, logf)
	}
	return fmt.Errorf("unknown command %q (want start or stop)", args[0])
}

func start(ctx context.Context, dir string, smtpPort, webPort int, web string, logf func(string, ...any)) error {
	if answers(web) {
		return nil // already running (a previous make run)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	bin, err := filepath.Abs(filepath.Join(filepath.Dir(dir), "bin", "mailpit"))
	if err != nil {
		return err
	}
	if _, err := os.Stat(bin); err != nil {
		logf("building the mail catcher (%s) into %s, once", mailpitModule, filepath.Dir(bin))
		install := exec.CommandContext(ctx, "go", "install", mailpitModule)
		install.Env = append(os.Environ(), "GOBIN="+filepath.Dir(bin))
		install.Stdout, install.Stderr = os.Stderr, os.Stderr
		if err := install.Run(); err != nil {
			return fmt.Errorf("build mailpit: %w", err)
		}
	}
	logFile, err := os.OpenFile(filepath.Join(dir, "mailpit.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	defer logFile.Close()
	cmd := exec.Command(bin,
		"--smtp", "127.0.0.1:"+strconv.Itoa(smtpPort),
		"--listen", "127.0.0.1:"+strconv.Itoa(webPort),
		"--database", filepath.Join(dir, "mailpit.db"),
		"--disable-version-check",
	)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// Its own session: it keeps running after make run ends, like the
	// private PostgreSQL, until `make stop`.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start mailpit: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "mailpit.pid"), []byte(strconv.Itoa(cmd.Process.Pid)), 0o600); err != nil {
		return err
	}
	_ = cmd.Process.Release()
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if answers(web) {
			logf("mail catcher on %s (SMTP 127.0.0.1:%d)", web, smtpPort)
			return nil
		}
	}
	return fmt.Errorf("mailpit did not start; see %s", filepath.Join(dir, "mailpit.log"))
}

func answers(web string) bool {
	c := http.Client{Timeout: time.Second}
	res, err := c.Get(web + "/api/v1/info")
	if err != nil {
		return false
	}
	res.Body.Close()
	return res.StatusCode == http.StatusOK
}

func stopCatcher(dir string, logf func(string, ...any)) error {
	b, err := os.ReadFile(filepath.Join(dir, "mailpit.pid"))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	pid, err := strconv.Atoi(string(b))
	if err != nil {
		return fmt.Errorf("pid file: %w", err)
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return err
	}
	logf("mail catcher stopped")
	return os.Remove(filepath.Join(dir, "mailpit.pid"))
}
