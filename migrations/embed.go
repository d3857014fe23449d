// Package migrations holds Trellis's schema as numbered SQL files, embedded
// in the binary and applied by internal/database with goose.
package migrations

import "embed"

// FS holds every migration file.
//
//go:embed *.sql
var FS embed.FS
