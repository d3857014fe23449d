// Command trellis is the Trellis server and its administration commands.
//
//	trellis [serve]        serve HTTP as the app role (DATABASE_URL); with
//	                       DATABASE_OWNER_URL set, migrate first
//	trellis migrate        apply pending migrations and exit (as DATABASE_OWNER_URL)
//	trellis seed-demo      create the demo practice (idempotent)
//	trellis user create-admin -practice NAME -name NAME -email EMAIL
//	                       bootstrap a practice's first admin (prints a link)
//	trellis user reset-mfa -email EMAIL
//	                       reset someone's two-step sign-in (a practice
//	                       whose only admin lost their phone)
//	trellis seed-scale     build a large synthetic practice for measuring
//	trellis backup FILE    dump the database to FILE (pg_dump custom format)
//	trellis restore FILE   restore a dump made by backup into DATABASE_OWNER_URL
//	trellis version        print the build's version
//
// Every command but serve is the operator's and connects as the tables'
// owner, DATABASE_OWNER_URL.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/jmoiron/sqlx"

	"github.com/trellis-app/trellis/internal/account"
	"github.com/trellis-app/trellis/internal/app"
	"github.com/trellis-app/trellis/internal/auth"
	"github.com/trellis-app/trellis/internal/config"
	"github.com/trellis-app/trellis/internal/database"
	"github.com/trellis-app/trellis/internal/demo"
	"github.com/trellis-app/trellis/internal/errkind"
	"github.com/trellis-app/trellis/internal/reflection"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "trellis:", err)
		os.Exit(1)
	}
}

const usage = `usage: trellis [command]

commands:
  serve       serve HTTP as the app role DATABASE_URL names (the default);
              with DATABASE_OWNER_URL set too, migrate first; with SMTP
              configured, also send email and reminders, unless
              TRELLIS_RUN_JOBS=false
  worker      only send email and reminders, as the app role
  migrate     apply pending database migrations and exit
  seed-demo   create the demo practice and print its sign-ins
  user create-admin -practice NAME -name NAME -email EMAIL
              create a practice's first admin and print their invite link
  user reset-mfa -email EMAIL
              reset someone's two-step sign-in; they set it up again at
              their next sign-in (for a practice whose only admin lost it)
  seed-scale  build a large synthetic practice for measuring (not in production)
  backup FILE   dump the database to FILE (pg_dump custom format)
  restore FILE  restore a dump made by backup into the database
  version     print the version

Every command but serve connects as the tables' owner, DATABASE_OWNER_URL.
`

// errUsage marks a command line that was not understood.
var errUsage = errors.New("bad usage")

func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "version", "-version", "--version":
		fmt.Fprintln(stdout, "trellis", version())
		return nil
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	case "serve", "migrate", "seed-demo", "worker":
		if len(args) > 0 {
			return fmt.Errorf("%w: %s takes no arguments (configuration comes from the environment)", errUsage, cmd)
		}
	case "seed-scale", "backup", "restore":
		// Their own flags and arguments are checked by each command.
	case "user":
		if len(args) == 0 || (args[0] != "create-admin" && args[0] != "reset-mfa") {
			fmt.Fprint(stdout, usage)
			return fmt.Errorf("%w: user takes the subcommand create-admin or reset-mfa", errUsage)
		}
	default:
		fmt.Fprint(stdout, usage)
		return fmt.Errorf("%w: unknown command %q", errUsage, cmd)
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stdout)
	switch cmd {
	case "serve":
		return serve(ctx, cfg, log)
	case "worker":
		return worker(ctx, cfg, log)
	}
	// Every other command is the operator's and acts as the tables' owner.
	if err := cfg.NeedOwnerDatabaseURL(cmd); err != nil {
		return err
	}
	switch cmd {
	case "backup":
		return backup(ctx, cfg, args, stdout)
	case "restore":
		return restore(ctx, cfg, args, stdout)
	}
	db, err := database.Open(ctx, cfg.OwnerDatabaseURL, database.Options{MaxOpenConns: cfg.DBMaxConns})
	if err != nil {
		return err
	}
	defer db.Close()
	if cmd == "seed-scale" {
		// Checked before anything is migrated or written.
		if err := refuseUsedDatabase(ctx, db); err != nil {
			return err
		}
	}
	if err := database.Migrate(ctx, db.DB, log); err != nil {
		return err
	}

	switch cmd {
	case "migrate":
		fmt.Fprintln(stdout, "migrations are up to date")
		return nil
	case "seed-demo":
		return seedDemo(ctx, cfg, db, stdout)
	case "seed-scale":
		return seedScale(ctx, cfg, db, args, stdout)
	default: // user create-admin or reset-mfa, checked above
		if args[0] == "reset-mfa" {
			return resetMFA(ctx, db, args[1:], stdout)
		}
		return createAdmin(ctx, cfg, db, args[1:], stdout)
	}
}

func seedDemo(ctx context.Context, cfg config.Config, db *sqlx.DB, stdout io.Writer) error {
	if cfg.Production() {
		// The demo accounts share a published password.
		return fmt.Errorf("%w: seed-demo refuses to run with TRELLIS_ENV=production", errUsage)
	}
	svc, err := app.NewServices(db)
	if err != nil {
		return err
	}
	created, err := svc.Accounts.SeedDemo(ctx)
	if err != nil {
		return err
	}
	if created {
		fmt.Fprintf(stdout, "\nCreated the demo practice %q.\n", account.DemoPracticeName)
	}
	if added, err := demo.Homework(ctx, db, account.DemoPracticeName); err != nil {
		return err
	} else if added {
		fmt.Fprintln(stdout, "Added eight weeks of demo homework for Dr. Amara Okafor's clients.")
	}
	fmt.Fprintf(stdout, "\nTrellis demo: open %s/signin\nEvery demo account's password is: %s\n\n", cfg.BaseURL, account.DemoPassword)
	for _, l := range account.DemoLogins {
		fmt.Fprintf(stdout, "  %-10s %-28s %s\n", l.Role, l.Email, l.Name)
	}
	switch {
	case cfg.DevMailURL != "":
		fmt.Fprintf(stdout, "\nEmails Trellis sends (invitations, links, reminders) arrive here: %s\n", cfg.DevMailURL)
	case cfg.Mail.Configured():
		fmt.Fprintf(stdout, "\nEmails go through %s.\n", cfg.Mail.Host)
	default:
		fmt.Fprintln(stdout, "\nNo email is configured: links are shown to copy by hand.")
	}
	fmt.Fprintln(stdout)
	return nil
}

func createAdmin(ctx context.Context, cfg config.Config, db *sqlx.DB, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("user create-admin", flag.ContinueOnError)
	fs.SetOutput(stdout)
	practice := fs.String("practice", "", "practice name (created if it does not exist)")
	name := fs.String("name", "", "the admin's name")
	email := fs.String("email", "", "the admin's email address")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	if *practice == "" || *name == "" || *email == "" {
		fs.Usage()
		return fmt.Errorf("%w: -practice, -name and -email are all required", errUsage)
	}
	svc, err := app.NewServices(db)
	if err != nil {
		return err
	}
	link, err := svc.Accounts.CreateAdmin(ctx, *practice, *name, *email)
	if inv, ok := errkind.AsInvalid(err); ok {
		for field, msg := range inv.Fields {
			fmt.Fprintf(stdout, "%s: %s\n", field, msg)
		}
		return fmt.Errorf("%w: the admin was not created", errUsage)
	}
	if err != nil {
		return err
	}
	u := *cfg.BaseURL
	u.Path = "/invite/" + link.Token
	fmt.Fprintf(stdout, "Admin invited. Open this link to choose a password (single use, until %s):\n%s\n",
		link.ExpiresAt.UTC().Format("2 Jan 2006 15:04 UTC"), u.String())
	return nil
}

// resetMFA resets one person's two-step sign-in from the command line:
// for a practice with one admin, who cannot reset their own. It is audited
// (by no one in the practice) and the person is told at their next
// sign-in.
func resetMFA(ctx context.Context, db *sqlx.DB, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("user reset-mfa", flag.ContinueOnError)
	fs.SetOutput(stdout)
	email := fs.String("email", "", "the email address the person signs in with")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	if *email == "" || fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("%w: -email is required", errUsage)
	}
	svc, err := app.NewServices(db)
	if err != nil {
		return err
	}
	u, err := svc.Accounts.ResetMFAByEmail(ctx, *email)
	if errors.Is(err, errkind.ErrNotFound) {
		return fmt.Errorf("%w: no account has that email address", errUsage)
	}
	if err != nil {
		return err
	}
	if !u.Role.Staff() {
		fmt.Fprintf(stdout, "Two-step sign-in of user #%d is off; they were signed out and may turn it on again.\n", u.ID)
		return nil
	}
	fmt.Fprintf(stdout, "Two-step sign-in of user #%d is reset; they were signed out and set it up again at their next sign-in, where they are told it was reset.\n", u.ID)
	return nil
}

// serve serves as the app role DATABASE_URL names (R24). Given
// DATABASE_OWNER_URL too, it first migrates as the owner and lets go of
// that connection; without it, the database must already be migrated.
func serve(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	db, err := openAsApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer db.Close()
	jobs, err := app.NewJobs(cfg, db, log, app.JobsOptions{Work: cfg.RunJobs})
	if err != nil {
		return err
	}
	// One queue client for both: the server queues through the one
	// that works here.
	srv, err := app.New(cfg, db, log, jobs)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	go app.SweepSessions(ctx, auth.NewSessionStore(db), auth.NewRateCounter(db), reflection.NewService(db, nil), log)
	log.Info("trellis is listening", "addr", ln.Addr().String(), "base_url", cfg.BaseURL.String(), "env", cfg.Env, "version", version(),
		"email", cfg.Mail.Configured(), "jobs", cfg.Mail.Configured() && cfg.RunJobs)
	// The queue stops when serving stops, for whatever reason.
	ctx, stopJobs := context.WithCancel(ctx)
	defer stopJobs()
	jobsDone := make(chan error, 1)
	go func() { jobsDone <- jobs.Run(ctx, cfg.ShutdownTimeout, log) }()
	err = app.Serve(ctx, ln, srv, cfg.ShutdownTimeout, log)
	stopJobs()
	return errors.Join(err, <-jobsDone)
}

// worker sends email and queues reminders, serving no HTTP: run one or
// more beside `trellis serve` with TRELLIS_RUN_JOBS=false. It connects as
// the app role, as serve does.
func worker(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	if !cfg.Mail.Configured() {
		return fmt.Errorf("worker: no email to send: %s is not set", config.VarSMTPHost)
	}
	db, err := openAsApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer db.Close()
	jobs, err := app.NewJobs(cfg, db, log, app.JobsOptions{Work: true})
	if err != nil {
		return err
	}
	return jobs.Run(ctx, cfg.ShutdownTimeout, log)
}

// openAsApp connects as the app role DATABASE_URL names (R24). Given
// DATABASE_OWNER_URL too, it first migrates as the owner and lets go of
// that connection; without it, the database must already be migrated.
func openAsApp(ctx context.Context, cfg config.Config, log *slog.Logger) (*sqlx.DB, error) {
	if err := cfg.NeedDatabaseURL(); err != nil {
		return nil, err
	}
	if cfg.OwnerDatabaseURL != "" {
		if err := migrateAsOwner(ctx, cfg, log); err != nil {
			return nil, err
		}
	}
	db, err := database.Open(ctx, cfg.DatabaseURL, database.Options{MaxOpenConns: cfg.DBMaxConns})
	if err != nil {
		return nil, err
	}
	if err := database.CheckSchemaCurrent(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	// A role that could switch the audit log's triggers off or rewrite it
	// is refused, not warned about: nobody reads start-up warnings.
	if err := database.CheckAppRole(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func migrateAsOwner(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	owner, err := database.Open(ctx, cfg.OwnerDatabaseURL, database.Options{MaxOpenConns: 2})
	if err != nil {
		return fmt.Errorf("%s: %w", config.VarOwnerDatabaseURL, err)
	}
	defer owner.Close()
	return database.Migrate(ctx, owner.DB, log)
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.Production() {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// version reports the module version and VCS revision the binary was built
// from.
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := info.Main.Version
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += " (" + s.Value[:12] + ")"
		}
	}
	return v
}
