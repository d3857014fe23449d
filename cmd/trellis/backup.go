package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/trellis-app/trellis/internal/config"
	"github.com/trellis-app/trellis/internal/database"
	"github.com/trellis-app/trellis/internal/pgcluster"
)

// The backup drill (FT7): `trellis backup FILE` writes the whole database
// with pg_dump's custom format; `trellis restore FILE` loads it into a new,
// empty database with pg_restore, in one transaction. Both use the
// PostgreSQL programs on the machine, found where internal/pgcluster finds
// them.

// archiveMagic starts every pg_dump custom-format archive.
const archiveMagic = "PGDMP"

// backup dumps the database to the file named in args (FT7).
func backup(ctx context.Context, cfg config.Config, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	fs.SetOutput(stdout)
	fs.Usage = func() { fmt.Fprintln(stdout, "usage: trellis backup FILE") }
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	if fs.NArg() != 1 || fs.Arg(0) == "" {
		fs.Usage()
		return fmt.Errorf("%w: backup takes one argument, the file to write", errUsage)
	}
	file := fs.Arg(0)
	// A backup is never overwritten: the file in the way may be the only
	// good copy.
	if _, err := os.Lstat(file); err == nil {
		return fmt.Errorf("%s already exists: choose a new file name (backups are never overwritten)", file)
	}

	target, err := parseTarget(cfg.OwnerDatabaseURL)
	if err != nil {
		return err
	}
	pgDump, dumpMajor, err := pgcluster.Tool(ctx, "pg_dump")
	if err != nil {
		return err
	}
	pgRestore, _, err := pgcluster.Tool(ctx, "pg_restore")
	if err != nil {
		return err
	}
	serverMajor, err := target.serverMajor(ctx)
	if err != nil {
		return err
	}
	if err := dumpTooOld(pgDump, dumpMajor, serverMajor, target); err != nil {
		return err
	}

	// Write next to the destination and rename only once the archive has
	// been read back, so a failed or interrupted dump never leaves a file
	// that looks like a backup. The dump holds clients' reflections: only
	// its owner may read it.
	partial := filepath.Join(filepath.Dir(file), "."+filepath.Base(file)+".partial")
	f, err := os.OpenFile(partial, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("create the backup file: %w", err)
	}
	done := false
	defer func() {
		if !done {
			_ = f.Close()
			_ = os.Remove(partial)
		}
	}()
	// --lock-wait-timeout: a migration holding a table lock makes the
	// backup fail with a message instead of waiting without end.
	cmd := target.command(ctx, pgDump, "--format=custom", "--no-password", "--lock-wait-timeout=60s", "--dbname="+target.conninfo)
	cmd.Stdout = f
	if err := runTool(cmd); err != nil {
		return fmt.Errorf("pg_dump of %s failed: %w", target, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("write the backup file: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write the backup file: %w", err)
	}
	h, err := readArchive(ctx, pgRestore, partial)
	if err != nil {
		return fmt.Errorf("the new backup cannot be read back, so it was not kept: %w", err)
	}
	// The table of contents alone says little about the data: read every
	// block back, as a restore would, into nowhere.
	if err := runTool(exec.CommandContext(ctx, pgRestore, "--file", os.DevNull, partial)); err != nil {
		return fmt.Errorf("the new backup's data cannot be read back, so it was not kept: %w", err)
	}
	if err := publish(partial, file); err != nil {
		return err
	}
	done = true
	st, err := os.Stat(file)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Backed up %s to %s (%s, %d entries, PostgreSQL %s).\n", target, file, humanBytes(st.Size()), h.entries, h.dumpedFrom)
	fmt.Fprintf(stdout, "It holds clients' reflections: keep it encrypted and out of shared folders.\n")
	fmt.Fprintf(stdout, "Restore it into a new, empty database with: DATABASE_OWNER_URL=... trellis restore %s\n", file)
	return nil
}

// restore restores a dump made by backup into the configured database (FT7).
func restore(ctx context.Context, cfg config.Config, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	fs.SetOutput(stdout)
	fs.Usage = func() {
		fmt.Fprintln(stdout, "usage: trellis restore FILE   (into the empty database DATABASE_OWNER_URL names)")
	}
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	if fs.NArg() != 1 || fs.Arg(0) == "" {
		fs.Usage()
		return fmt.Errorf("%w: restore takes one argument, the backup file", errUsage)
	}
	file := fs.Arg(0)
	if err := checkMagic(file); err != nil {
		return err
	}
	target, err := parseTarget(cfg.OwnerDatabaseURL)
	if err != nil {
		return err
	}
	pgRestore, _, err := pgcluster.Tool(ctx, "pg_restore")
	if err != nil {
		return err
	}
	// Read the whole table of contents before touching the database: a
	// damaged file, or one from a newer pg_dump, fails here.
	h, err := readArchive(ctx, pgRestore, file)
	if err != nil {
		return err
	}

	db, err := database.Open(ctx, cfg.OwnerDatabaseURL, database.Options{MaxOpenConns: 2})
	if err != nil {
		return fmt.Errorf("%s: %w", target, err)
	}
	defer db.Close()
	serverMajor, err := database.ServerMajor(ctx, db)
	if err != nil {
		return err
	}
	if h.fromMajor > serverMajor {
		return fmt.Errorf("%s was dumped from PostgreSQL %d, but %s runs PostgreSQL %d: restore it into PostgreSQL %d or newer",
			file, h.fromMajor, target, serverMajor, h.fromMajor)
	}
	// Restoring over existing data would mix two databases, or fail
	// half-way against objects already there: only an empty database is
	// restored into. Replacing a database is a deliberate step outside
	// Trellis (dropdb, createdb), taken once the restored copy is checked.
	n, err := database.CountRelations(ctx, db)
	if err != nil {
		return err
	}
	if n > 0 {
		return fmt.Errorf("%s is not empty (it has %d tables, sequences or views): restore only into a new, empty database. "+
			"Create one (createdb -O ROLE NEWNAME, or CREATE DATABASE ... OWNER ...), point DATABASE_OWNER_URL at it and run restore again; "+
			"once you have checked it, point Trellis at it", target, n)
	}

	// The dump grants the app role its privileges (R24); roles live in the
	// cluster, not in the dump, so a new cluster needs it made first.
	var hasAppRole bool
	if err := db.GetContext(ctx, &hasAppRole, `SELECT EXISTS (SELECT FROM pg_roles WHERE rolname = $1)`, database.AppRole); err != nil {
		return err
	}
	if !hasAppRole {
		return fmt.Errorf("the database role %s does not exist on %s, and the backup grants it the app's privileges: "+
			"create it first (CREATE ROLE %s LOGIN PASSWORD '...'; see README, Deploying), then restore again", database.AppRole, target, database.AppRole)
	}

	// One transaction: if anything fails, the database is left as empty as
	// it was. --no-owner: the objects belong to the role restoring them,
	// the owner Trellis migrates as, whatever role owned them before; the
	// app role's grants come back with the dump.
	fmt.Fprintf(stdout, "Restoring %s (made %s from database %s, PostgreSQL %s) into %s...\n", file, h.created, h.dbname, h.dumpedFrom, target)
	cmd := target.command(ctx, pgRestore, "--no-password", "--single-transaction", "--exit-on-error", "--no-owner",
		"--dbname="+target.conninfo, file)
	if err := runTool(cmd); err != nil {
		return fmt.Errorf("pg_restore into %s failed, and nothing was restored: %w", target, err)
	}
	// pg_restore brings no planner statistics; without them the first
	// dashboards after a restore plan blind.
	if _, err := db.ExecContext(ctx, `ANALYZE`); err != nil {
		return fmt.Errorf("analyze the restored database: %w", err)
	}
	version, err := database.AppliedVersion(ctx, db)
	if err != nil {
		return err
	}
	known, err := database.KnownVersions()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Restored %d entries into %s; its schema is at version %d.\n", h.entries, target, version)
	switch latest := known[len(known)-1]; {
	case version > latest:
		fmt.Fprintf(stdout, "This trellis binary knows schema versions up to %d only: serve it with the newer Trellis that made the backup.\n", latest)
	case version < latest:
		fmt.Fprintf(stdout, "`trellis migrate` will bring it up to version %d.\n", latest)
	}
	return nil
}

// publish moves the finished backup from partial to file without ever
// replacing a file that appeared there meanwhile: a hard link fails if file
// exists, where a rename would silently overwrite it. The directory is
// synced so the new name survives a crash.
func publish(partial, file string) error {
	err := os.Link(partial, file)
	switch {
	case errors.Is(err, os.ErrExist):
		return fmt.Errorf("%s appeared while the backup was written: choose a new file name (backups are never overwritten)", file)
	case err != nil:
		// A filesystem without hard links: the check at the start stands.
		if err := os.Rename(partial, file); err != nil {
			return fmt.Errorf("move the backup into place: %w", err)
		}
	default:
		if err := os.Remove(partial); err != nil {
			return fmt.Errorf("remove %s: %w", partial, err)
		}
	}
	if d, err := os.Open(filepath.Dir(file)); err == nil {
		_ = d.Sync() // best effort: not every filesystem syncs directories
		_ = d.Close()
	}
	return nil
}

// dumpTooOld refuses a pg_dump older than the server: pg_dump refuses such
// a server itself, so say why and what to do before it does.
func dumpTooOld(pgDump string, dumpMajor, serverMajor int, t target) error {
	if dumpMajor >= serverMajor {
		return nil
	}
	return fmt.Errorf("%s is PostgreSQL %d's, but %s runs PostgreSQL %d: "+
		"pg_dump must be at least the server's major version; install PostgreSQL %d's client programs "+
		"(for example postgresql-client-%d) and run the backup again", pgDump, dumpMajor, t, serverMajor, serverMajor, serverMajor)
}

// target is the database DATABASE_OWNER_URL names, split so that its password
// reaches pg_dump and pg_restore through the environment, never on a
// command line (where ps shows it) nor in a message.
type target struct {
	conninfo string // the URL without its password
	password string
	display  string // database "name" on host:port as user
	url      string
}

func parseTarget(databaseURL string) (target, error) {
	u, err := url.Parse(databaseURL)
	if err != nil {
		// url's error quotes the URL, password and all.
		return target{}, fmt.Errorf("%s: not a usable postgres:// URL", config.VarOwnerDatabaseURL)
	}
	t := target{url: databaseURL}
	user := ""
	if u.User != nil {
		user = u.User.Username()
		t.password, _ = u.User.Password()
		u.User = url.User(user)
	}
	// A password may also ride in the query string; it must not reach a
	// command line either.
	if q := u.Query(); q.Has("password") {
		t.password = q.Get("password")
		q.Del("password")
		u.RawQuery = q.Encode()
	}
	t.conninfo = u.String()
	name := strings.TrimPrefix(u.Path, "/")
	t.display = fmt.Sprintf("database %q on %s", name, u.Host)
	if user != "" {
		t.display += " as " + user
	}
	return t, nil
}

func (t target) String() string { return t.display }

func (t target) serverMajor(ctx context.Context) (int, error) {
	db, err := database.Open(ctx, t.url, database.Options{MaxOpenConns: 2})
	if err != nil {
		return 0, fmt.Errorf("%s: %w", t, err)
	}
	defer db.Close()
	return database.ServerMajor(ctx, db)
}

// command runs a PostgreSQL program against t.
func (t target) command(ctx context.Context, program string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, program, args...)
	cmd.Env = os.Environ()
	if t.password != "" {
		cmd.Env = append(cmd.Env, "PGPASSWORD="+t.password)
	}
	return cmd
}

// runTool runs cmd and turns a failure into an error carrying what the
// program said.
func runTool(cmd *exec.Cmd) error {
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			return fmt.Errorf("%w: %s", err, msg)
		}
		return err
	}
	return nil
}

// checkMagic refuses, before anything else happens, a file that is not a
// pg_dump custom-format archive.
func checkMagic(file string) error {
	f, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("open the backup: %w", err)
	}
	defer f.Close()
	head := make([]byte, len(archiveMagic))
	if _, err := io.ReadFull(f, head); err != nil || string(head) != archiveMagic {
		return fmt.Errorf("%s is not a backup made by `trellis backup` (a pg_dump custom-format archive)", file)
	}
	return nil
}

// archive is what an archive's table of contents says about it.
type archive struct {
	created    string
	dbname     string
	dumpedFrom string // "15.8 (Debian 15.8-0+deb12u1)"
	fromMajor  int
	entries    int
}

var leadingNumber = regexp.MustCompile(`^[0-9]+`)

// readArchive reads file's table of contents with pg_restore --list (its
// header and entries, not the data blocks).
func readArchive(ctx context.Context, pgRestore, file string) (archive, error) {
	cmd := exec.CommandContext(ctx, pgRestore, "--list", file)
	var out bytes.Buffer
	cmd.Stdout = &out
	if err := runTool(cmd); err != nil {
		return archive{}, fmt.Errorf("%s cannot be read by %s (a damaged file, or one from a newer pg_dump?): %w", file, pgRestore, err)
	}
	var a archive
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), ";")
		if !ok {
			continue // an entry; the header says how many
		}
		line = strings.TrimSpace(line)
		if created, ok := strings.CutPrefix(line, "Archive created at "); ok {
			a.created = created
			continue
		}
		key, value, ok := strings.Cut(line, ": ")
		if !ok {
			continue
		}
		switch key {
		case "dbname":
			a.dbname = value
		case "TOC Entries":
			a.entries, _ = strconv.Atoi(value)
		case "Dumped from database version":
			a.dumpedFrom = value
			if v := leadingNumber.FindString(value); v != "" {
				a.fromMajor, _ = strconv.Atoi(v)
			}
		}
	}
	if a.fromMajor == 0 {
		return archive{}, errors.New(file + " has no PostgreSQL version in its header: is it a pg_dump custom-format archive?")
	}
	return a, nil
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
