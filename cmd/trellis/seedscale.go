package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/jmoiron/sqlx"

	"github.com/trellis-app/trellis/internal/config"
	"github.com/trellis-app/trellis/internal/scale"
)

// seedScale builds a large synthetic practice for measuring Trellis at scale.
func seedScale(ctx context.Context, cfg config.Config, db *sqlx.DB, args []string, stdout io.Writer) error {
	o := scale.DefaultOptions()
	fs := flag.NewFlagSet("seed-scale", flag.ContinueOnError)
	fs.SetOutput(stdout)
	fs.IntVar(&o.Therapists, "therapists", o.Therapists, "number of therapists")
	fs.IntVar(&o.Clients, "clients", o.Clients, "number of clients, dealt round-robin to the therapists")
	fs.IntVar(&o.Submissions, "submissions", o.Submissions, "number of submissions (versions sent) over the last two years")
	fs.Uint64Var(&o.Seed, "seed", o.Seed, "random seed: the same flags and seed give the same practice")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: seed-scale takes flags only, not %q", errUsage, fs.Arg(0))
	}
	if cfg.Production() {
		// Thousands of accounts share a published password.
		return fmt.Errorf("%w: seed-scale refuses to run with TRELLIS_ENV=production", errUsage)
	}
	o.Progress = stdout
	res, err := scale.Seed(ctx, db, o)
	if errors.Is(err, scale.ErrExists) {
		return fmt.Errorf("%w; seed a fresh database (createdb, then DATABASE_OWNER_URL=… trellis seed-scale) or drop this one first", err)
	}
	if err != nil {
		return err
	}
	var size string
	if err := db.GetContext(ctx, &size, `SELECT pg_size_pretty(pg_database_size(current_database()))`); err != nil {
		return fmt.Errorf("database size: %w", err)
	}
	fmt.Fprintf(stdout, "\nDone in %.1fs (rows %.1fs, vacuum and analyze %.1fs); the database is now %s.\n",
		res.Elapsed.Seconds(), res.Written.Seconds(), res.Analyzed.Seconds(), size)
	fmt.Fprintf(stdout, "%d series, %d assignments (%d waiting for review, %d reviewed, %d flagged), %d submissions, %d tracked values, %d feedback, %d notes, %d drafts.\n",
		res.Series, res.Assignments, res.Waiting, res.Reviewed, res.Flagged, res.Submissions, res.TrackedValues, res.Feedback, res.Notes, res.Drafts)
	fmt.Fprintf(stdout, "Sign in at %s/signin as %s … %s or %s … %s; every password is %q.\n",
		cfg.BaseURL, scale.TherapistEmail(0), scale.TherapistEmail(o.Therapists-1), scale.ClientEmail(0), scale.ClientEmail(o.Clients-1), scale.Password)
	return nil
}

// refuseUsedDatabase refuses a database that already holds any account:
// seed-scale's thousands of accounts share a published password and it
// sets tables' keys aside while it writes, so it belongs in a database of
// its own, never one that might be real (TRELLIS_ENV may be unset there).
func refuseUsedDatabase(ctx context.Context, db *sqlx.DB) error {
	var hasUsers bool
	if err := db.GetContext(ctx, &hasUsers, `SELECT to_regclass('public.users') IS NOT NULL`); err != nil {
		return fmt.Errorf("look at the database: %w", err)
	}
	if !hasUsers {
		return nil
	}
	var used bool
	if err := db.GetContext(ctx, &used, `SELECT EXISTS (SELECT 1 FROM users)`); err != nil {
		return fmt.Errorf("look at the database: %w", err)
	}
	if used {
		return fmt.Errorf("%w: seed-scale only seeds an empty database, and this one has accounts; create one for it (createdb trellis_scale) and point DATABASE_OWNER_URL there", errUsage)
	}
	return nil
}
