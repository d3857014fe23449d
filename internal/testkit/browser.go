package testkit

import (
	"context"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Browser is a headless Chromium tab for one test. It records every console
// message so a test can fail on script errors and CSP violations.
type Browser struct {
	// Ctx runs chromedp actions in the tab.
	Ctx context.Context

	mu      sync.Mutex
	console []chromedp.ConsoleMessage
}

// NewBrowser starts headless Chromium (installing Debian's chromium when it
// is missing and we may) and opens a tab. It is closed when the test ends.
func NewBrowser(t testing.TB) *Browser {
	t.Helper()
	execPath := chromiumPath(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(execPath),
		chromedp.NoSandbox, // as root in CI, Chromium's sandbox cannot start
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1280, 900),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(allocCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(func() {
		cancelTimeout()
		cancelTab()
		cancelAlloc()
	})
	// Start the browser now, so a failure to start is reported here.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium (%s): %v", execPath, err)
	}
	b := &Browser{Ctx: ctx}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.console = append(b.console, m)
			b.mu.Unlock()
		}
	}()
	return b
}

// ConsoleErrors returns the errors and uncaught exceptions the pages wrote
// to the console so far, including CSP violations the browser logged.
func (b *Browser) ConsoleErrors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, m := range b.console {
		if m.Type == chromedp.ConsoleError || m.IsException() {
			out = append(out, m.String())
		}
	}
	return out
}

// chromiumPath finds Chromium, installing Debian's package when it is
// missing and this process may install packages.
func chromiumPath(t testing.TB) string {
	t.Helper()
	return debianTool(t, "chromium", "chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
}

// debianTool finds the first of names on PATH, installing Debian's package
// pkg when none is there and this process may (root with apt-get);
// otherwise the test fails loudly, never skips.
func debianTool(t testing.TB, pkg string, names ...string) string {
	t.Helper()
	find := func() string {
		for _, name := range names {
			if p, err := exec.LookPath(name); err == nil {
				return p
			}
		}
		return ""
	}
	if p := find(); p != "" {
		return p
	}
	if os.Geteuid() == 0 {
		if _, err := exec.LookPath("apt-get"); err == nil {
			// Test binaries of several packages run at once: one installs.
			unlock := lockFile(t, "/tmp/trellis-install.lock")
			defer unlock()
			if p := find(); p != "" {
				return p
			}
			t.Logf("%s is missing: installing Debian's %s package", names[0], pkg)
			for _, args := range [][]string{{"update"}, {"install", "-y", "--no-install-recommends", pkg}} {
				cmd := exec.Command("apt-get", args...)
				cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("apt-get %v: %v\n%s", args, err, out)
				}
			}
			if p := find(); p != "" {
				return p
			}
		}
	}
	t.Fatalf("%s is not installed and could not be installed here. Install it (Debian/Ubuntu: apt-get install %s) and run the tests again.", names[0], pkg)
	return ""
}

func lockFile(t testing.TB, path string) func() {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		t.Fatalf("open lock %s: %v", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatalf("lock %s: %v", path, err)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		_ = f.Close()
	}
}
