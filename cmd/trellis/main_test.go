package main

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func noEnv(string) string { return "" }

func TestVersionPrintsTheBuild(t *testing.T) {
	var out strings.Builder
	if err := run(context.Background(), []string{"version"}, noEnv, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "trellis ") {
		t.Errorf("version printed %q", out.String())
	}
}

func TestUnknownCommandIsAUsageError(t *testing.T) {
	var out strings.Builder
	err := run(context.Background(), []string{"frobnicate"}, noEnv, &out)
	if !errors.Is(err, errUsage) {
		t.Fatalf("err = %v, want a usage error", err)
	}
	if !strings.Contains(out.String(), "seed-demo") {
		t.Errorf("usage not printed: %q", out.String())
	}
}

func TestServeWithoutDatabaseURLSaysWhatIsMissing(t *testing.T) {
	var out strings.Builder
	err := run(context.Background(), nil, noEnv, &out)
	if err == nil || !strings.Contains(err.Error(), "DATABASE_URL: is required") {
		t.Fatalf("err = %v, want the missing DATABASE_URL named", err)
	}
}
