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
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1280, 900),
	)
	ctx := startChromium(t, execPath, opts)
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

// startAttempts is how many times a test tries to start Chromium. On a
// busy two-core CI machine Chromium now and then exits before it prints its
// DevTools address; a second start works. Three failures in a row are a
// real problem and fail the test.
const startAttempts = 3

// startChromium starts the browser and returns a tab's context, closed
// when the test ends.
func startChromium(t testing.TB, execPath string, opts []chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	var err error
	for attempt := 1; attempt <= startAttempts; attempt++ {
		allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
		ctx, cancelTab := chromedp.NewContext(allocCtx)
		ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
		cancel := func() {
			cancelTimeout()
			cancelTab()
			cancelAlloc()
		}
		// Start the browser now, so a failure to start is reported here.
		if err = chromedp.Do(ctx); err == nil {
			t.Cleanup(cancel)
			return ctx
		}
		cancel()
		t.Logf("start Chromium (%s), attempt %d of %d: %v", execPath, attempt, startAttempts, err)
	}
	t.Fatalf("start Chromium (%s): failed %d times; last: %v", execPath, startAttempts, err)
	return nil
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
