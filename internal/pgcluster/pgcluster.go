// Package pgcluster starts and stops a private PostgreSQL cluster from the
// PostgreSQL binaries on the machine, for development (`make run`), the test
// suite (`make test`) and fault tests that stop and restart their database.
//
// It installs the distribution's PostgreSQL package when the binaries are
// missing and the process may install packages, and runs the server as an
// unprivileged user when started as root, because initdb refuses root.
package pgcluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Cluster is one PostgreSQL data directory served on a loopback port.
type Cluster struct {
	// Dir is the data directory; it is created if missing.
	Dir string
	// Port is the loopback TCP port.
	Port int
	// Superuser is the cluster's superuser role name.
	Superuser string
	// Database is created on first start if it does not exist.
	Database string
	// AppRole, when set, is made on start a login role with no powers of
	// its own (no superuser, no CREATEDB, no CREATEROLE), for the app to
	// connect as; the migrations grant it what it needs. Like every role
	// here it needs no password: the cluster trusts loopback connections.
	AppRole string
	// Settings are extra postgresql.conf lines, such as "fsync = off" for
	// a throwaway test cluster.
	Settings []string
	// Log receives progress messages; nil discards them.
	Log func(format string, args ...any)

	bin   string
	runAs *syscall.Credential
}

// URL is the connection URL for the cluster's database, as the superuser
// (who owns the database and, after migrating, its tables).
func (c *Cluster) URL() string { return c.RoleURL(c.Superuser) }

// RoleURL is the connection URL for the cluster's database as role.
func (c *Cluster) RoleURL(role string) string {
	return fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable", role, c.Port, c.Database)
}

func (c *Cluster) logf(format string, args ...any) {
	if c.Log != nil {
		c.Log(format, args...)
	}
}

// Start makes sure the cluster exists and is running, and that its database
// exists. It reuses a running or stopped cluster in Dir.
func (c *Cluster) Start(ctx context.Context) error {
	if err := c.prepare(ctx); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(c.Dir, "PG_VERSION")); errors.Is(err, os.ErrNotExist) {
		if err := c.initdb(ctx); err != nil {
			return err
		}
	}
	if !c.running(ctx) {
		if err := c.startServer(ctx); err != nil {
			return err
		}
	} else if port, err := c.runningPort(); err == nil && port != c.Port {
		// Already up from an earlier start on another port: report the
		// port it really listens on, never a URL that points elsewhere.
		c.logf("the cluster in %s is already running on port %d", c.Dir, port)
		c.Port = port
	}
	if err := c.ensureDatabase(ctx); err != nil {
		return err
	}
	return c.ensureAppRole(ctx)
}

// Stop stops the server (fast shutdown: open connections are cut, committed
// data is kept). Stopping a stopped cluster is not an error.
func (c *Cluster) Stop(ctx context.Context) error {
	if err := c.prepare(ctx); err != nil {
		return err
	}
	if !c.running(ctx) {
		return nil
	}
	out, err := c.command(ctx, "pg_ctl", "stop", "-D", c.Dir, "-m", "fast", "-w", "-t", "60").CombinedOutput()
	if err != nil {
		return fmt.Errorf("pg_ctl stop: %w: %s", err, bytes.TrimSpace(out))
	}
	return nil
}

// Running reports whether the server in Dir is up.
func (c *Cluster) Running(ctx context.Context) bool {
	if err := c.prepare(ctx); err != nil {
		return false
	}
	return c.running(ctx)
}

func (c *Cluster) running(ctx context.Context) bool {
	if _, err := os.Stat(filepath.Join(c.Dir, "PG_VERSION")); err != nil {
		return false
	}
	return c.command(ctx, "pg_ctl", "status", "-D", c.Dir).Run() == nil
}

// runningPort reads the port from postmaster.pid (its fourth line).
func (c *Cluster) runningPort() (int, error) {
	b, err := os.ReadFile(filepath.Join(c.Dir, "postmaster.pid"))
	if err != nil {
		return 0, err
	}
	lines := strings.Split(string(b), "\n")
	if len(lines) < 4 {
		return 0, errors.New("postmaster.pid too short")
	}
	return strconv.Atoi(strings.TrimSpace(lines[3]))
}

func (c *Cluster) prepare(ctx context.Context) error {
	if c.Superuser == "" {
		c.Superuser = "trellis"
	}
	if c.Database == "" {
		c.Database = "trellis"
	}
	abs, err := filepath.Abs(c.Dir)
	if err != nil {
		return err
	}
	c.Dir = abs
	if c.bin == "" {
		bin, err := findBinaries(ctx, c.logf)
		if err != nil {
			return err
		}
		c.bin = bin
	}
	if c.runAs == nil && os.Geteuid() == 0 {
		cred, err := unprivilegedUser()
		if err != nil {
			return err
		}
		c.runAs = cred
	}
	return nil
}

func (c *Cluster) initdb(ctx context.Context) error {
	c.logf("creating a PostgreSQL cluster in %s", c.Dir)
	if err := os.MkdirAll(c.Dir, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", c.Dir, err)
	}
	if c.runAs != nil {
		if err := os.Chown(c.Dir, int(c.runAs.Uid), int(c.runAs.Gid)); err != nil {
			return fmt.Errorf("hand %s to the PostgreSQL user: %w", c.Dir, err)
		}
		// The server user must be able to reach the data directory.
		if err := openParents(c.Dir); err != nil {
			return err
		}
	}
	// Trust authentication is safe here only because the server listens on
	// loopback alone and no Unix socket is created.
	out, err := c.command(ctx, "initdb", "-D", c.Dir, "-U", c.Superuser, "--auth=trust",
		"--encoding=UTF8", "--locale=C.UTF-8", "--no-instructions").CombinedOutput()
	if err != nil {
		// Older systems lack C.UTF-8; fall back to the C locale.
		_ = os.RemoveAll(c.Dir)
		_ = os.MkdirAll(c.Dir, 0o700)
		if c.runAs != nil {
			_ = os.Chown(c.Dir, int(c.runAs.Uid), int(c.runAs.Gid))
		}
		out2, err2 := c.command(ctx, "initdb", "-D", c.Dir, "-U", c.Superuser, "--auth=trust",
			"--encoding=UTF8", "--locale=C").CombinedOutput()
		if err2 != nil {
			return fmt.Errorf("initdb: %w: %s\n%s", err2, bytes.TrimSpace(out), bytes.TrimSpace(out2))
		}
	}
	conf := []string{
		"",
		"# Written by Trellis (internal/pgcluster).",
		"listen_addresses = '127.0.0.1'",
		"port = " + strconv.Itoa(c.Port),
		"unix_socket_directories = ''",
		"max_connections = 200",
		"shared_buffers = 128MB",
		"timezone = 'UTC'",
	}
	conf = append(conf, c.Settings...)
	f, err := os.OpenFile(filepath.Join(c.Dir, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("open postgresql.conf: %w", err)
	}
	if _, err := f.WriteString(strings.Join(conf, "\n") + "\n"); err != nil {
		_ = f.Close()
		return fmt.Errorf("write postgresql.conf: %w", err)
	}
	return f.Close()
}

func (c *Cluster) startServer(ctx context.Context) error {
	if conn, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(c.Port), time.Second); err == nil {
		_ = conn.Close()
		return fmt.Errorf("port %d is already in use by another program; stop it or choose another port", c.Port)
	}
	c.logf("starting PostgreSQL on 127.0.0.1:%d", c.Port)
	logFile := filepath.Join(c.Dir, "server.log")
	// -p on the command line wins over postgresql.conf, so a caller may move
	// an existing cluster to another port.
	cmd := c.command(ctx, "pg_ctl", "start", "-D", c.Dir, "-l", logFile, "-w", "-t", "60",
		"-o", "-p "+strconv.Itoa(c.Port))
	// The server must outlive this process (make run, make test), so it gets
	// its own process group and no inherited descriptors to keep open.
	cmd.SysProcAttr.Setpgid = true
	out, err := cmd.CombinedOutput()
	if err != nil {
		tail, _ := os.ReadFile(logFile)
		if len(tail) > 2000 {
			tail = tail[len(tail)-2000:]
		}
		return fmt.Errorf("pg_ctl start: %w: %s\n%s", err, bytes.TrimSpace(out), tail)
	}
	return nil
}

func (c *Cluster) psql(ctx context.Context, sql string) ([]byte, error) {
	return c.command(ctx, "psql", "-h", "127.0.0.1", "-p", strconv.Itoa(c.Port), "-U", c.Superuser,
		"-d", "postgres", "-v", "ON_ERROR_STOP=1", "-tAc", sql).CombinedOutput()
}

var roleNameRe = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

func (c *Cluster) ensureAppRole(ctx context.Context) error {
	if c.AppRole == "" {
		return nil
	}
	if !roleNameRe.MatchString(c.AppRole) {
		return fmt.Errorf("app role %q: use lower-case letters, digits and underscores", c.AppRole)
	}
	// A role an older migration created without LOGIN gets it here.
	out, err := c.psql(ctx, `DO $$ BEGIN
		IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '`+c.AppRole+`') THEN
			CREATE ROLE `+c.AppRole+` LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;
		ELSIF NOT (SELECT rolcanlogin FROM pg_roles WHERE rolname = '`+c.AppRole+`') THEN
			ALTER ROLE `+c.AppRole+` LOGIN;
		END IF;
	END $$`)
	if err != nil {
		return fmt.Errorf("create role %s: %w: %s", c.AppRole, err, bytes.TrimSpace(out))
	}
	return nil
}

func (c *Cluster) ensureDatabase(ctx context.Context) error {
	if c.Database == "postgres" {
		return nil
	}
	psql := func(sql string) ([]byte, error) { return c.psql(ctx, sql) }
	out, err := psql("SELECT 1 FROM pg_database WHERE datname = '" + c.Database + "'")
	if err != nil {
		return fmt.Errorf("look for database %s: %w: %s", c.Database, err, bytes.TrimSpace(out))
	}
	if strings.TrimSpace(string(out)) == "1" {
		return nil
	}
	if out, err := psql(`CREATE DATABASE "` + c.Database + `"`); err != nil {
		return fmt.Errorf("create database %s: %w: %s", c.Database, err, bytes.TrimSpace(out))
	}
	return nil
}

func (c *Cluster) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, filepath.Join(c.bin, name), args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{}
	cmd.Env = append(os.Environ(), "LC_ALL=C.UTF-8", "PGCONNECT_TIMEOUT=5")
	if c.runAs != nil {
		cmd.SysProcAttr.Credential = c.runAs
		cmd.Dir = "/"
		cmd.Env = append(cmd.Env, "HOME=/tmp")
	}
	return cmd
}

// openParents makes every parent of dir searchable (o+x) so an unprivileged
// server user can reach it. It never widens read or write permissions.
func openParents(dir string) error {
	for p := filepath.Dir(dir); p != "/" && p != "."; p = filepath.Dir(p) {
		st, err := os.Stat(p)
		if err != nil {
			return err
		}
		if st.Mode().Perm()&0o001 == 0 {
			if err := os.Chmod(p, st.Mode().Perm()|0o001); err != nil {
				return fmt.Errorf("let the PostgreSQL user reach %s: %w", p, err)
			}
		}
	}
	return nil
}

// unprivilegedUser picks the account the server runs as when we are root:
// the distribution's postgres user, else nobody.
func unprivilegedUser() (*syscall.Credential, error) {
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
	}
	return nil, errors.New("running as root, but there is no postgres or nobody user to run PostgreSQL as (initdb refuses root)")
}

// findBinaries returns the directory holding initdb, pg_ctl and psql,
// installing the distribution's PostgreSQL when none is found.
func findBinaries(ctx context.Context, logf func(string, ...any)) (string, error) {
	if dir := lookBinaries(ctx); dir != "" {
		return dir, nil
	}
	if err := install(ctx, logf); err != nil {
		return "", err
	}
	if dir := lookBinaries(ctx); dir != "" {
		return dir, nil
	}
	return "", errors.New("PostgreSQL was installed but initdb and pg_ctl are still not found")
}

func lookBinaries(ctx context.Context) string {
	has := func(dir string) bool {
		for _, b := range []string{"initdb", "pg_ctl", "psql", "postgres"} {
			if _, err := os.Stat(filepath.Join(dir, b)); err != nil {
				return false
			}
		}
		return true
	}
	for _, d := range searchDirs(ctx, "initdb") {
		if has(d) {
			return d
		}
	}
	return ""
}

// searchDirs lists the directories that may hold PostgreSQL's programs, in
// the order they are tried: pg_config's, Debian's versioned directories
// (newest first), the usual prefixes, then wherever PATH finds program.
func searchDirs(ctx context.Context, program string) []string {
	var dirs []string
	if out, err := exec.CommandContext(ctx, "pg_config", "--bindir").Output(); err == nil {
		dirs = append(dirs, strings.TrimSpace(string(out)))
	}
	dirs = append(dirs, versionedDirs()...)
	dirs = append(dirs, "/usr/bin", "/usr/local/bin", "/usr/local/pgsql/bin", "/opt/homebrew/bin")
	if p, err := exec.LookPath(program); err == nil {
		dirs = append(dirs, filepath.Dir(p))
	}
	return dirs
}

// versionedDirs lists /usr/lib/postgresql/*/bin, newest first: Debian and
// Ubuntu keep server binaries off PATH.
func versionedDirs() []string {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return versionOf(dirs[i]) > versionOf(dirs[j]) })
	return dirs
}

func versionOf(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

// Tool finds a PostgreSQL client program (pg_dump, pg_restore, psql) where
// the clusters' own binaries are looked for, and reports its major
// version. The newest installed version comes first, because a newer
// pg_dump reads an older server but never the reverse. Unlike Start, it
// never installs anything: a backup command must not change the machine.
func Tool(ctx context.Context, name string) (path string, major int, err error) {
	dirs := append(versionedDirs(), searchDirs(ctx, name)...)
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if st, err := os.Stat(p); err != nil || st.IsDir() {
			continue
		}
		major, err := toolMajor(ctx, p)
		if err != nil {
			return "", 0, err
		}
		return p, major, nil
	}
	return "", 0, fmt.Errorf("%s was not found: install PostgreSQL's client programs "+
		"(for example `sudo apt-get install postgresql-client` on Debian or Ubuntu, or `brew install postgresql` on macOS)", name)
}

var toolVersionRe = regexp.MustCompile(`\(PostgreSQL\) ([0-9]+)`)

// toolMajor runs program --version and returns its major version (15 for
// "pg_dump (PostgreSQL) 15.18").
func toolMajor(ctx context.Context, program string) (int, error) {
	out, err := exec.CommandContext(ctx, program, "--version").Output()
	if err != nil {
		return 0, fmt.Errorf("%s --version: %w", program, err)
	}
	m := toolVersionRe.FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("%s --version printed %q, not a PostgreSQL version", program, bytes.TrimSpace(out))
	}
	return strconv.Atoi(string(m[1]))
}

func install(ctx context.Context, logf func(string, ...any)) error {
	const help = "PostgreSQL server binaries (initdb, pg_ctl) were not found. Install them, " +
		"for example `sudo apt-get install postgresql` on Debian or Ubuntu, " +
		"`sudo dnf install postgresql-server` on Fedora or `brew install postgresql` on macOS, " +
		"or set DATABASE_URL (TEST_DATABASE_URL for tests) to a PostgreSQL you already run"
	if _, err := exec.LookPath("apt-get"); err != nil {
		return errors.New(help)
	}
	var prefix []string
	if os.Geteuid() != 0 {
		if _, err := exec.LookPath("sudo"); err != nil {
			return errors.New(help)
		}
		// -n: never prompt; without password-less sudo we say what to do.
		if exec.CommandContext(ctx, "sudo", "-n", "true").Run() != nil {
			return errors.New(help)
		}
		prefix = []string{"sudo", "-n"}
	}
	logf("PostgreSQL is not installed; installing Debian's postgresql package")
	run := func(args ...string) error {
		full := append(append([]string{}, prefix...), args...)
		cmd := exec.CommandContext(ctx, full[0], full[1:]...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("%s: %w: %s", strings.Join(args, " "), err, lastLines(out, 10))
		}
		return nil
	}
	if err := run("apt-get", "update"); err != nil {
		return fmt.Errorf("%s\n(%w)", help, err)
	}
	if err := run("apt-get", "install", "-y", "--no-install-recommends", "postgresql"); err != nil {
		return fmt.Errorf("%s\n(%w)", help, err)
	}
	return nil
}

func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
