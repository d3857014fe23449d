// Package debian finds the programs the tests need (Chromium, poppler's
// pdftotext, npm), installing Debian's package when one is missing and the
// test process may (root with apt-get), so a fresh CI machine needs
// nothing installed by hand; otherwise the test fails loudly, never skips.
// It imports nothing of Trellis, so any package's tests can use it
// (reports' tests cannot import testkit, which imports reports).
package debian

import (
	"os"
	"os/exec"
	"syscall"
	"testing"
)

// installLock serialises installs: test binaries of several packages run
// at once, and one installs while the others wait and then find it.
const installLock = "/tmp/trellis-install.lock"

// Tool returns the path of the first of names on PATH, installing Debian's
// package pkg when none is there. why, if not empty, says what the program
// is needed for in the failure message.
func Tool(t testing.TB, pkg, why string, names ...string) string {
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
			unlock := Lock(t, installLock)
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
	t.Fatalf("%s is not installed and could not be installed here%s. Install it (Debian/Ubuntu: apt-get install %s) and run the tests again.", names[0], why, pkg)
	return ""
}

// Lock takes an exclusive lock on the file at path (creating it) and
// returns the function that releases it.
func Lock(t testing.TB, path string) func() {
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
