package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/trellis-app/trellis/internal/app"
	"github.com/trellis-app/trellis/internal/config"
	"github.com/trellis-app/trellis/internal/database"
	"github.com/trellis-app/trellis/internal/loadtest"
)

// The server under load runs in a child process, this same binary started
// with serveCmd, so its memory can be measured apart from the load
// generator's and the baseline handler is still served by the same binary
// as Trellis. The database URL travels in the environment, not on the
// command line where any user could read it.
const (
	serveCmd   = "serve"
	envServeDB = "TRELLIS_LOADTEST_DATABASE_URL"
)

// serveChild is the child's main: it serves Trellis and the bare baseline
// handler on two loopback ports, says where on stdout, and stops when its
// stdin closes (the parent stopped it, or died). Between scenarios the
// parent sends "free": the child hands the memory it no longer uses back
// to the system and answers "freed", so the next scenario's peak is its
// own and not what an earlier one left behind.
func serveChild(ctx context.Context, getenv func(string) string, stdin io.Reader, stdout io.Writer) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	trellis, err := newTrellis(ctx, getenv(envServeDB), quiet)
	if err != nil {
		return err
	}
	defer trellis.close()
	trellisURL, stopTrellis, err := serve(ctx, trellis.handler, quiet)
	if err != nil {
		return err
	}
	defer stopTrellis()
	bareURL, stopBare, err := serve(ctx, bare(), quiet)
	if err != nil {
		return err
	}
	defer stopBare()
	if _, err := fmt.Fprintf(stdout, "listening %s %s\n", trellisURL, bareURL); err != nil {
		return err
	}
	in := bufio.NewScanner(stdin)
	for in.Scan() {
		if in.Text() == "free" {
			debug.FreeOSMemory()
			if _, err := fmt.Fprintln(stdout, "freed"); err != nil {
				return err
			}
		}
	}
	return nil
}

// bare is the baseline: a handler that does no work, behind the same
// http.Server settings, to show what the machine and loopback allow before
// Trellis does anything.
func bare() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "ok\n")
	})
}

// trellisApp is Trellis built as `trellis serve` builds it (default
// configuration, the configured pool size), on dbURL.
type trellisApp struct {
	handler http.Handler
	close   func()
}

func newTrellis(ctx context.Context, dbURL string, log *slog.Logger) (*trellisApp, error) {
	cfg, err := config.Load(func(k string) string {
		if k == config.VarDatabaseURL {
			return dbURL
		}
		return ""
	})
	if err != nil {
		return nil, err
	}
	db, err := database.Open(ctx, dbURL, database.Options{MaxOpenConns: cfg.DBMaxConns})
	if err != nil {
		return nil, err
	}
	srv, err := app.New(cfg, db, log, nil)
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	return &trellisApp{handler: srv, close: func() { _ = db.Close() }}, nil
}

// serve serves h on a random loopback port until stop is called.
func serve(ctx context.Context, h http.Handler, log *slog.Logger) (baseURL string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = app.Serve(ctx, ln, h, 5*time.Second, log)
	}()
	return "http://" + ln.Addr().String(), func() { cancel(); <-done }, nil
}

// child is a running server process.
type child struct {
	cmd           *exec.Cmd
	stdin         io.WriteCloser
	lines         chan string // what the child says, line by line
	stopOnce      sync.Once
	stopErr       error
	trellis, bare string
	// memory says whether the child's peak memory can be read here.
	memory bool
}

// startChild starts this binary as a server on dbURL and waits until it
// listens.
func startChild(ctx context.Context, dbURL string) (*child, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find this binary to start the server: %w", err)
	}
	cmd := exec.Command(self, serveCmd)
	cmd.Env = append(os.Environ(), envServeDB+"="+dbURL)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the server: %w", err)
	}
	c := &child{cmd: cmd, stdin: stdin, lines: make(chan string, 1)}
	go func() {
		defer close(c.lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			c.lines <- sc.Text()
		}
	}()
	select {
	case s := <-c.lines:
		f := strings.Fields(s)
		if len(f) != 3 || f[0] != "listening" {
			_ = c.stop()
			return nil, errors.New("the server did not start (its error is above)")
		}
		c.trellis, c.bare = f[1], f[2]
	case <-time.After(time.Minute):
		_ = c.stop()
		return nil, errors.New("the server did not start within a minute")
	case <-ctx.Done():
		_ = c.stop()
		return nil, ctx.Err()
	}
	c.memory = loadtest.ResetPeakRSS(cmd.Process.Pid) == nil
	return c, nil
}

// measure runs one scenario and records the child's peak memory while it
// ran.
func (c *child) measure(ctx context.Context, client *http.Client, s loadtest.Scenario, opts loadtest.Options) loadtest.Result {
	pid := c.cmd.Process.Pid
	measured := c.memory && c.free() == nil && loadtest.ResetPeakRSS(pid) == nil
	r := loadtest.Run(ctx, client, s, opts)
	if measured {
		if peak, err := loadtest.PeakRSS(pid); err == nil {
			r.PeakRSS = peak
		}
	}
	return r
}

// free asks the child to return its unused memory to the system.
func (c *child) free() error {
	if _, err := io.WriteString(c.stdin, "free\n"); err != nil {
		return err
	}
	select {
	case s := <-c.lines:
		if s != "freed" {
			return fmt.Errorf("the server answered %q to free", s)
		}
		return nil
	case <-time.After(30 * time.Second):
		return errors.New("the server did not free its memory within 30 s")
	}
}

// stop closes the child's stdin, which ends it, and waits for it; a child
// that does not stop in time is killed. Stopping twice is stopping once.
func (c *child) stop() error {
	c.stopOnce.Do(func() {
		_ = c.stdin.Close()
		done := make(chan error, 1)
		go func() { done <- c.cmd.Wait() }()
		select {
		case c.stopErr = <-done:
		case <-time.After(15 * time.Second):
			_ = c.cmd.Process.Kill()
			c.stopErr = fmt.Errorf("the server did not stop within 15 s: killed (%v)", <-done)
		}
	})
	return c.stopErr
}
