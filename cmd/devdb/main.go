// Command devdb starts or stops the private PostgreSQL cluster that `make
// run` and `make test` use when no DATABASE_URL / TEST_DATABASE_URL is set.
//
//	devdb start -dir .data/pg -port 54329            # prints the owner's URL
//	devdb start -dir .data/pg -port 54329 -role app  # prints the app role's URL
//	devdb stop  -dir .data/pg
//
// The cluster has two roles for Trellis: its superuser, which owns the
// database and runs the migrations, and trellis_app, the unprivileged role
// `trellis serve` connects as (R24).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/trellis-app/trellis/internal/database"
	"github.com/trellis-app/trellis/internal/pgcluster"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "devdb:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: devdb start|stop|url [-dir DIR] [-port N] [-db NAME] [-role owner|app] [-fast]")
	}
	fs := flag.NewFlagSet("devdb "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", ".data/pg", "data directory")
	port := fs.Int("port", 54329, "loopback port")
	db := fs.String("db", "trellis", "database to create")
	fast := fs.Bool("fast", false, "turn off durability for a throwaway test cluster")
	role := fs.String("role", "owner", "whose URL to print: owner (migrations, the operator's commands) or app (trellis serve)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *role != "owner" && *role != "app" {
		return fmt.Errorf("-role: want owner or app, not %q", *role)
	}
	c := &pgcluster.Cluster{
		Dir:      *dir,
		Port:     *port,
		Database: *db,
		AppRole:  database.AppRole,
		Log:      func(f string, a ...any) { fmt.Fprintf(stderr, "devdb: "+f+"\n", a...) },
	}
	url := c.URL
	if *role == "app" {
		url = func() string { return c.RoleURL(database.AppRole) }
	}
	if *fast {
		// Test data is thrown away: trading crash safety for speed is right here.
		c.Settings = []string{"fsync = off", "synchronous_commit = off", "full_page_writes = off"}
	}
	switch args[0] {
	case "start":
		if err := c.Start(ctx); err != nil {
			return err
		}
		fmt.Fprintln(stdout, url())
	case "stop":
		return c.Stop(ctx)
	case "url":
		fmt.Fprintln(stdout, url())
	default:
		return fmt.Errorf("unknown command %q (want %s)", args[0], strings.Join([]string{"start", "stop", "url"}, ", "))
	}
	return nil
}
