package testkit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/trellis-app/trellis/internal/testkit/debian"
)

// AxeVersion is the axe-core release the accessibility checks run. Pinned,
// so a new rule in a later release cannot fail a build overnight; raise it
// on purpose and fix what the new release finds.
const AxeVersion = "4.14.1"

// axeTags are the axe-core rule sets the checks run, as a JavaScript
// array: WCAG 2.0, 2.1 and 2.2 at levels A and AA, plus axe's best
// practices.
const axeTags = `["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]`

// Violation is one axe-core rule that the page fails, with the elements
// that fail it.
type Violation struct {
	ID string `json:"id"`
	// Impact is "minor", "moderate", "serious" or "critical".
	Impact  string    `json:"impact"`
	Help    string    `json:"help"`
	HelpURL string    `json:"helpUrl"`
	Nodes   []AxeNode `json:"nodes"`
	Tags    []string  `json:"tags"`
}

// AxeNode is one element that fails a rule.
type AxeNode struct {
	// Target is the CSS selector of the element; an element inside a frame
	// or a shadow root has one selector per level.
	Target []string `json:"target"`
	// HTML is the start of the element's markup.
	HTML string `json:"html"`
	// Summary is axe's explanation of what to fix.
	Summary string `json:"failureSummary"`
}

// Serious reports whether the violation is serious or critical: the
// impacts that block or badly hinder someone using assistive technology.
func (v Violation) Serious() bool { return v.Impact == "serious" || v.Impact == "critical" }

// String describes the violation and every element that fails it, for a
// test failure message.
func (v Violation) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "[%s] %s: %s (%s)", v.Impact, v.ID, v.Help, v.HelpURL)
	for _, n := range v.Nodes {
		fmt.Fprintf(&b, "\n    %s\n      %s", strings.Join(n.Target, " >>> "), n.HTML)
		if n.Summary != "" {
			fmt.Fprintf(&b, "\n      %s", strings.ReplaceAll(n.Summary, "\n", "\n      "))
		}
	}
	return b.String()
}

// AxeResults is what axe-core reports on one page.
type AxeResults struct {
	// Violations are the rules the page fails.
	Violations []Violation `json:"violations"`
	// Incomplete are the checks axe-core could not decide, such as the
	// contrast of text over an image: they need a person to look.
	Incomplete []Violation `json:"incomplete"`
}

// Axe runs axe-core on the page the tab shows now, with the rules in
// axeTags, and returns the rules it fails.
func Axe(t testing.TB, ctx context.Context) []Violation {
	t.Helper()
	return RunAxe(t, ctx).Violations
}

// RunAxe runs axe-core on the page the tab shows now, with the rules in
// axeTags. It injects axe-core through the DevTools protocol, which the
// page's Content-Security-Policy does not govern, so it works on pages
// that allow no inline or third-party script. axe-core is installed on
// first use (see axeSource).
func RunAxe(t testing.TB, ctx context.Context) AxeResults {
	t.Helper()
	src := axeSource(t)
	// A navigation drops the script, so inject it once per document.
	loaded, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`typeof window.axe === "object"`))
	if err != nil {
		t.Fatalf("look for axe-core in the page: %v", err)
	}
	if !loaded {
		if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](src)); err != nil {
			t.Fatalf("inject axe-core into the page: %v", err)
		}
	}
	// Return plain data: axe's results hold DOM references that do not
	// encode as JSON.
	script := `(() => {
		const plain = vs => vs.map(v => ({
			id: v.id, impact: v.impact || "", help: v.help, helpUrl: v.helpUrl, tags: v.tags,
			nodes: v.nodes.map(n => ({
				target: n.target.map(s => Array.isArray(s) ? s.join(" >>> ") : String(s)),
				html: n.html.length > 300 ? n.html.slice(0, 300) + "…" : n.html,
				failureSummary: n.failureSummary || "",
			})),
		}));
		return axe.run(document, {
			runOnly: {type: "tag", values: ` + axeTags + `},
			resultTypes: ["violations", "incomplete"],
		}).then(r => ({violations: plain(r.violations), incomplete: plain(r.incomplete)}));
	})()`
	res, err := chromedp.Run(ctx, chromedp.Evaluate[AxeResults](script, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("run axe-core: %v", err)
	}
	return res
}

// axeSource returns axe.min.js, installing the pinned axe-core with npm
// into <repo>/.data/npm when it is not there yet (.data is not committed).
// A fresh CI machine has nothing installed by hand, so the tests install
// what they need, as NewBrowser does for Chromium.
func axeSource(t testing.TB) string {
	t.Helper()
	root := repoRoot(t)
	prefix := filepath.Join(root, ".data", "npm")
	pkg := filepath.Join(prefix, "node_modules", "axe-core")
	script := filepath.Join(pkg, "axe.min.js")
	installed := func() bool {
		b, err := os.ReadFile(filepath.Join(pkg, "package.json"))
		if err != nil {
			return false
		}
		var p struct{ Version string }
		if json.Unmarshal(b, &p) != nil || p.Version != AxeVersion {
			return false
		}
		_, err = os.Stat(script)
		return err == nil
	}
	if !installed() {
		if err := os.MkdirAll(prefix, 0o755); err != nil {
			t.Fatalf("create %s: %v", prefix, err)
		}
		// Test binaries of several packages run at once: one installs.
		unlock := debian.Lock(t, filepath.Join(root, ".data", "npm.lock"))
		if !installed() {
			npm := debian.Tool(t, "npm", ", so axe-core@"+AxeVersion+" cannot be fetched", "npm")
			t.Logf("axe-core %s is missing: installing it with npm into %s", AxeVersion, prefix)
			cmd := exec.Command(npm, "install", "--no-audit", "--no-fund", "--no-update-notifier", "--save-exact",
				"--prefix", prefix, "axe-core@"+AxeVersion)
			cmd.Dir = prefix
			if out, err := cmd.CombinedOutput(); err != nil {
				unlock()
				t.Fatalf("npm install axe-core@%s: %v\n%s", AxeVersion, err, out)
			}
			if !installed() {
				unlock()
				t.Fatalf("npm installed axe-core@%s, but %s is missing or has another version", AxeVersion, script)
			}
		}
		unlock()
	}
	src, err := os.ReadFile(script)
	if err != nil {
		t.Fatalf("read axe-core: %v", err)
	}
	return string(src)
}

// repoRoot is the folder holding go.mod, found by walking up from the
// test's working directory (go test runs in the package's folder).
func repoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatalf("working directory: %v", err)
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		} else if !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("look for go.mod in %s: %v", d, err)
		}
		if filepath.Dir(d) == d {
			t.Fatalf("no go.mod in %s or any folder above it", dir)
		}
	}
}
