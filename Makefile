# Trellis: the documented entry points. `make run` and `make test` need
# nothing but Go and a Linux or macOS machine: without DATABASE_URL and
# DATABASE_OWNER_URL / TEST_DATABASE_URL they start a private PostgreSQL
# under .data/.
#
# Two database roles (R24): the tables' owner runs the migrations and the
# operator's commands (DATABASE_OWNER_URL); `trellis serve` connects as
# trellis_app (DATABASE_URL), which cannot alter, disable or delete the
# audit log, and never sees the owner's URL.

SHELL := /bin/bash
GO ?= go

DEV_PG_DIR  ?= .data/pg
DEV_PG_PORT ?= 54329
TEST_PG_DIR  ?= .data/pg-test
TEST_PG_PORT ?= 54330
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2
# Modules carried in the repository (third_party/, replaced in go.mod): their
# own modules, so ./... leaves them out; tested and vetted by import path.
# staticcheck skips them: it reports some 50 findings in upstream's code,
# which the forks keep as it was (see each README.md).
FORKS := github.com/jung-kurt/gofpdf

.PHONY: run test bench lint build stop clean help backup restore

help:
	@echo "make run     start Trellis with a demo practice (private PostgreSQL under .data/)"
	@echo "make test    run the whole test suite against a real PostgreSQL"
	@echo "make bench   run the Go benchmarks and a loopback load test"
	@echo "make lint    gofmt, go vet, staticcheck"
	@echo "make stop    stop the private PostgreSQL clusters and the mail catcher"
	@echo "make backup FILE=x.dump   back up DATABASE_OWNER_URL (or the make run database) to x.dump"
	@echo "make restore FILE=x.dump  restore x.dump into the empty database DATABASE_OWNER_URL names"

build:
	$(GO) build -o bin/trellis ./cmd/trellis

run: build
	@set -euo pipefail; \
	owner="$${DATABASE_OWNER_URL:-}"; app="$${DATABASE_URL:-}"; \
	if [ -z "$$owner$$app" ]; then \
		owner="$$($(GO) run ./cmd/devdb start -dir $(DEV_PG_DIR) -port $(DEV_PG_PORT))"; \
		app="$$($(GO) run ./cmd/devdb start -dir $(DEV_PG_DIR) -port $(DEV_PG_PORT) -role app)"; \
	elif [ -z "$$owner" ] || [ -z "$$app" ]; then \
		echo "make run: set both DATABASE_OWNER_URL (the tables' owner) and DATABASE_URL (the app role trellis_app), or neither"; exit 2; \
	fi; \
	if [ -z "$${TRELLIS_SMTP_HOST:-}" ]; then eval "$$($(GO) run ./cmd/devmail start)"; fi; \
	DATABASE_OWNER_URL="$$owner" ./bin/trellis migrate; \
	DATABASE_OWNER_URL="$$owner" ./bin/trellis seed-demo; \
	exec env -u DATABASE_OWNER_URL DATABASE_URL="$$app" ./bin/trellis serve

# The tests make the app role in the test cluster themselves, and every app
# under test connects as it (internal/testkit).
test:
	@set -euo pipefail; \
	url="$${TEST_DATABASE_URL:-}"; \
	if [ -z "$$url" ]; then url="$$($(GO) run ./cmd/devdb start -dir $(TEST_PG_DIR) -port $(TEST_PG_PORT) -db postgres -fast)"; fi; \
	eq="$$(mktemp)"; trap 'rm -f "$$eq"' EXIT; \
	$(GO) test -count=1 -run 'TestScanGivesTheSameMatchesAsTheSlowScan' ./internal/risk/ >"$$eq" 2>&1 & eqpid=$$!; \
	status=0; TEST_DATABASE_URL="$$url" $(GO) test -race -count=1 -timeout 40m ./... $(FORKS) || status=$$?; \
	echo "== risk scanner against the brute-force scan, every corpus row (too slow under -race; run alongside)"; \
	wait $$eqpid || status=$$?; cat "$$eq"; \
	exit $$status

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

# The backup drill (FT7), as the tables' owner. Without DATABASE_OWNER_URL,
# backup reads the `make run` database; restore always needs
# DATABASE_OWNER_URL to name a new, empty database, so it can never land on
# the wrong one by default.
backup: build
	@set -euo pipefail; \
	if [ -z "$(FILE)" ]; then echo "usage: make backup FILE=path/to/trellis.dump"; exit 2; fi; \
	url="$${DATABASE_OWNER_URL:-}"; \
	if [ -z "$$url" ]; then url="$$($(GO) run ./cmd/devdb start -dir $(DEV_PG_DIR) -port $(DEV_PG_PORT))"; fi; \
	DATABASE_OWNER_URL="$$url" ./bin/trellis backup "$(FILE)"

restore: build
	@set -euo pipefail; \
	if [ -z "$(FILE)" ]; then echo "usage: DATABASE_OWNER_URL=postgres://... make restore FILE=path/to/trellis.dump"; exit 2; fi; \
	if [ -z "$${DATABASE_OWNER_URL:-}" ]; then echo "make restore: set DATABASE_OWNER_URL to a new, empty database to restore into"; exit 2; fi; \
	./bin/trellis restore "$(FILE)"

lint:
	@out="$$(gofmt -l $$(git ls-files '*.go'))"; if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./... $(FORKS)
	$(GO) run $(STATICCHECK) ./...

stop:
	-$(GO) run ./cmd/devmail stop
	-$(GO) run ./cmd/devdb stop -dir $(DEV_PG_DIR)
	-$(GO) run ./cmd/devdb stop -dir $(TEST_PG_DIR)

clean: stop
	rm -rf .data bin
