package main

import (
	"context"
	"errors"
	"io"

	"github.com/trellis-app/trellis/internal/config"
)

// backup dumps the database to the file named in args (FT7).
func backup(ctx context.Context, cfg config.Config, args []string, stdout io.Writer) error {
	return errors.New("backup: not built yet")
}

// restore restores a dump made by backup into the configured database (FT7).
func restore(ctx context.Context, cfg config.Config, args []string, stdout io.Writer) error {
	return errors.New("restore: not built yet")
}
