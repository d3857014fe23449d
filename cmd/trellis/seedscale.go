package main

import (
	"context"
	"errors"
	"io"

	"github.com/jmoiron/sqlx"

	"github.com/trellis-app/trellis/internal/config"
)

// seedScale builds a large synthetic practice for measuring Trellis at scale.
func seedScale(ctx context.Context, cfg config.Config, db *sqlx.DB, args []string, stdout io.Writer) error {
	return errors.New("seed-scale: not built yet")
}
