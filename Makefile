# nahbar — two commands: `make run` (a server with a demo call) and `make test`.
export PATH := /usr/local/go/bin:$(HOME)/go/bin:$(PATH)
STATICCHECK_VERSION := v0.8.2
GOFLAGS_TEST ?= -race -count=1 -timeout 25m

.PHONY: run build test deps test-deps lint vet staticcheck unit e2e weaklink fuzz bench bench-full bench-micro clean

run: deps build
	./bin/nahbar serve --demo

build:
	go build -o bin/nahbar ./cmd/nahbar

deps:
	@scripts/install-deps.sh

test-deps:
	@scripts/install-deps.sh --test
	@scripts/test-services.sh

test: test-deps lint unit e2e fuzz

lint: vet staticcheck

vet:
	go vet ./...

staticcheck:
	@command -v staticcheck >/dev/null 2>&1 || go install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	staticcheck ./...

# Everything under the race detector, except the browser tests: they assert frame rates a
# user would see, which the race detector's slowdown would distort; the server code they
# drive is race-tested by the rooms and mixer tests.
unit:
	go test $(GOFLAGS_TEST) $$(go list ./... | grep -v /e2e)

e2e:
	NAHBAR_E2E_REQUIRE=1 go test -count=1 -timeout 20m ./e2e/...

fuzz:
	@FUZZTIME=$${FUZZTIME:-10s} scripts/fuzz.sh

# The benchmark report (bench/README.md): quick mode by default, under two minutes.
# The weak-link test alone, with its figures (make test runs it too; docs/weak-links.md).
weaklink: test-deps
	NAHBAR_E2E_REQUIRE=1 go test -count=1 -v -run 'TestWeakLink$$' ./e2e

bench: deps build
	./bin/nahbar bench --quick

bench-full: deps build
	./bin/nahbar bench --full

# Go micro-benchmarks of the media path, with allocations.
bench-micro:
	go test -run '^$$' -bench . -benchmem ./codec/... ./mixer/... ./rooms/...

clean:
	rm -rf bin
