# Targets: run (demo server), test (what CI runs), bench, fuzz, lint.
GO            ?= go
BIN           := bin/devops-metrics
GOLANGCI_LINT := github.com/golangci/golangci-lint/v2/cmd/golangci-lint@v2.15.0
FUZZTIME      ?= 10s

.PHONY: build run test bench fuzz lint clean

build:
	$(GO) build -o $(BIN) ./cmd/devops-metrics

# ADDR picks the loopback address of the demo server, such as make run ADDR=127.0.0.1:8081.
ADDR ?= 127.0.0.1:8080

run: build
	./$(BIN) serve --dev --demo --addr $(ADDR)

test: test-deps
	$(GO) vet ./...
	$(GO) test -race ./...

# Installs Debian's chromium for the browser tests when it is missing and apt-get can run as
# root; elsewhere the browser tests skip and say why. CHROMIUM=/path names another binary.
.PHONY: test-deps
test-deps:
	@if [ -z "$$CHROMIUM" ] && ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; \
	  else \
	    echo "chromium not found: the browser tests will skip; install Debian's chromium package to run them"; \
	  fi; \
	fi

# Runs every benchmark: the in-process ones once each, then the loopback sync benchmarks one
# process at a time (scripts/bench-sync.sh, about 25 minutes on 2 cores), then the report
# endpoint under wrk (scripts/bench-wrk.sh, needs the wrk package). Results: docs/benchmarks.md.
bench:
	$(GO) test -run '^$$' -bench . -skip '^BenchmarkLoopback' -benchmem -timeout 30m ./...
	scripts/bench-sync.sh
	scripts/bench-wrk.sh --demo

# Runs every fuzz target of every package for FUZZTIME each, so the whole run is bounded by
# FUZZTIME times the number of targets plus build time. A failing target does not stop the
# others; the run fails at the end and lists them. The go tool saves each failing input under
# the package's testdata/fuzz/<target>/, where it becomes a seed that plain go test replays.
fuzz:
	@failed=""; \
	for pkg in $$($(GO) list ./...); do \
	  list=$$($(GO) test -list '^Fuzz' $$pkg) || { failed="$$failed $$pkg(build)"; continue; }; \
	  targets=$$(echo "$$list" | grep '^Fuzz' || true); \
	  for target in $$targets; do \
	    echo "fuzz $$pkg $$target"; \
	    $(GO) test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) $$pkg || failed="$$failed $$pkg.$$target"; \
	  done; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz targets that failed:$$failed"; exit 1; fi

lint:
	$(GO) run $(GOLANGCI_LINT) run ./...

clean:
	rm -rf bin

# Rebuilds the gadget page into web/dist from web/src; commit web/dist with the sources.
.PHONY: web web-check
web:
	npm ci --prefix web --no-audit --no-fund
	npm run --prefix web build

# Fails when web/dist does not match a fresh build of web/src.
web-check:
	npm ci --prefix web --no-audit --no-fund
	npm run --prefix web check

# Validates manifest.yml with Atlassian's @forge/manifest; needs the built gadget page (web/dist).
.PHONY: manifest-check
manifest-check:
	npm ci --prefix tools/manifest --no-audit --no-fund
	node tools/manifest/validate.mjs manifest.yml
