package pgcluster

import (
	"context"
	"os"
	"strings"
	"testing"
)

func TestToolFindsTheClientProgramsAndTheirVersion(t *testing.T) {
	ctx := context.Background()
	for _, name := range []string{"pg_dump", "pg_restore", "psql"} {
		path, major, err := Tool(ctx, name)
		if err != nil {
			t.Fatalf("Tool(%s): %v", name, err)
		}
		if st, err := os.Stat(path); err != nil || st.Mode()&0o111 == 0 {
			t.Errorf("Tool(%s) = %s, not an executable", name, path)
		}
		// Trellis needs PostgreSQL 13 or newer (gen_random_uuid, trusted
		// extensions); an older client cannot be the one found.
		if major < 13 {
			t.Errorf("Tool(%s) major version = %d", name, major)
		}
	}
}

func TestToolSaysHowToInstallAMissingProgram(t *testing.T) {
	_, _, err := Tool(context.Background(), "pg_no_such_program")
	if err == nil || !strings.Contains(err.Error(), "install PostgreSQL's client programs") {
		t.Fatalf("err = %v, want install advice", err)
	}
}
