# Trellis: the documented entry points. `make run` and `make test` need
# nothing but Go and a Linux or macOS machine: without DATABASE_URL /
# TEST_DATABASE_URL they start a private PostgreSQL under .data/.

SHELL := /bin/bash
GO ?= go

DEV_PG_DIR  ?= .data/pg
DEV_PG_PORT ?= 54329
TEST_PG_DIR  ?= .data/pg-test
TEST_PG_PORT ?= 54330
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: run test bench lint build stop clean help backup restore

help:
	@echo "make run     start Trellis with a demo practice (private PostgreSQL under .data/)"
	@echo "make test    run the whole test suite against a real PostgreSQL"
	@echo "make bench   run the Go benchmarks and a loopback load test"
	@echo "make lint    gofmt, go vet, staticcheck"
	@echo "make stop    stop the private PostgreSQL clusters and the mail catcher"
	@echo "make backup FILE=x.dump   back up DATABASE_URL (or the make run database) to x.dump"
	@echo "make restore FILE=x.dump  restore x.dump into the empty database DATABASE_URL names"

build:
	$(GO) build -o bin/trellis ./cmd/trellis

run: build
	@set -euo pipefail; \
	url="$${DATABASE_URL:-}"; \
	if [ -z "$$url" ]; then url="$$($(GO) run ./cmd/devdb start -dir $(DEV_PG_DIR) -port $(DEV_PG_PORT))"; fi; \
	export DATABASE_URL="$$url"; \
	if [ -z "$${TRELLIS_SMTP_HOST:-}" ]; then eval "$$($(GO) run ./cmd/devmail start)"; fi; \
	./bin/trellis migrate; \
	./bin/trellis seed-demo; \
	exec ./bin/trellis serve

test:
	@set -euo pipefail; \
	url="$${TEST_DATABASE_URL:-}"; \
	if [ -z "$$url" ]; then url="$$($(GO) run ./cmd/devdb start -dir $(TEST_PG_DIR) -port $(TEST_PG_PORT) -db postgres -fast)"; fi; \
	TEST_DATABASE_URL="$$url" $(GO) test -race -count=1 -timeout 20m ./...; \
	echo "== risk scanner against the brute-force scan, every corpus row (too slow under -race)"; \
	$(GO) test -count=1 -run 'TestScanGivesTheSameMatchesAsTheSlowScan' ./internal/risk/

bench:
	@set -euo pipefail; \
	url="$${TEST_DATABASE_URL:-}"; \
	if [ -z "$$url" ]; then url="$$($(GO) run ./cmd/devdb start -dir $(TEST_PG_DIR) -port $(TEST_PG_PORT) -db postgres -fast)"; fi; \
	mkdir -p bench; status=0; \
	echo "== Go benchmarks"; \
	TEST_DATABASE_URL="$$url" $(GO) test -run '^$$' -bench . -benchmem -count=1 -timeout 15m ./... 2>&1 | tee bench/gobench.tmp || status=$$?; \
	echo; echo "== Loopback load test (report: bench/latest.md)"; \
	TEST_DATABASE_URL="$$url" $(GO) run ./cmd/loadtest -users 50,200 -gobench bench/gobench.tmp -out bench/latest.md \
		-commit "$$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" $${SCALE_DATABASE_URL:+-scale "$$SCALE_DATABASE_URL"} || status=$$?; \
	exit $$status

# The backup drill (FT7). Without DATABASE_URL, backup reads the `make run`
# database; restore always needs DATABASE_URL to name a new, empty
# database, so it can never land on the wrong one by default.
backup: build
	@set -euo pipefail; \
	if [ -z "$(FILE)" ]; then echo "usage: make backup FILE=path/to/trellis.dump"; exit 2; fi; \
	url="$${DATABASE_URL:-}"; \
	if [ -z "$$url" ]; then url="$$($(GO) run ./cmd/devdb start -dir $(DEV_PG_DIR) -port $(DEV_PG_PORT))"; fi; \
	DATABASE_URL="$$url" ./bin/trellis backup "$(FILE)"

restore: build
	@set -euo pipefail; \
	if [ -z "$(FILE)" ]; then echo "usage: DATABASE_URL=postgres://... make restore FILE=path/to/trellis.dump"; exit 2; fi; \
	if [ -z "$${DATABASE_URL:-}" ]; then echo "make restore: set DATABASE_URL to a new, empty database to restore into"; exit 2; fi; \
	./bin/trellis restore "$(FILE)"

lint:
	@out="$$(gofmt -l $$(git ls-files '*.go'))"; if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

stop:
	-$(GO) run ./cmd/devmail stop
	-$(GO) run ./cmd/devdb stop -dir $(DEV_PG_DIR)
	-$(GO) run ./cmd/devdb stop -dir $(TEST_PG_DIR)

clean: stop
	rm -rf .data bin
