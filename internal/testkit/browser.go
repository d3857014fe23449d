package testkit

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/trellis-app/trellis/internal/testkit/debian"
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
	return debian.Tool(t, "chromium", "", "chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
}
