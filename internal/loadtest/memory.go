package loadtest

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// ResetPeakRSS sets a process's peak resident set size (VmHWM) back to its
// current resident size, so a later PeakRSS covers only what came after.
// It needs Linux 4.0 or later and a process of the same user; elsewhere it
// returns an error and the figure is simply not reported.
func ResetPeakRSS(pid int) error {
	// "5" is the kernel's code for "reset the peak RSS" (proc(5), clear_refs).
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
}

// PeakRSS is a process's peak resident set size in bytes (VmHWM in
// /proc/PID/status): the most physical memory it held at once since it
// started or since ResetPeakRSS. Shared pages the process touched (its
// binary, shared libraries) count; memory of other processes it talks to,
// such as PostgreSQL, does not.
func PeakRSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	return statusKiB(b, "VmHWM")
}

// statusKiB reads a "Name:   123 kB" line of /proc/PID/status, in bytes.
func statusKiB(status []byte, name string) (int64, error) {
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || k != name {
			continue
		}
		f := strings.Fields(v)
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("%s: unexpected %q", name, v)
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", name, err)
		}
		return n << 10, nil
	}
	return 0, fmt.Errorf("no %s in the process status", name)
}
