# dynax — see README.md. `make run` starts the all-in-one node, `make test`
# runs every test (Go tests, AWS CLI and boto3 tests).

GO        ?= go
BIN       := bin/dynax
STATICCHECK_VERSION := 2026.2.2
GOBIN     := $(shell $(GO) env GOPATH)/bin

.PHONY: all build run test test-go test-cli lint bench fuzz clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/dynax

# Start the all-in-one node on 127.0.0.1:8000 with data in ./dynax-data.
run: build
	./$(BIN) serve

# All tests: Go tests with the race detector, then the AWS CLI and boto3 tests.
test: test-go test-cli

test-go:
	$(GO) test -race -count=1 -timeout 15m ./...

test-cli: build
	./scripts/cli_test.sh ./$(BIN)
	/usr/bin/python3 ./scripts/boto3_test.py ./$(BIN)

lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	@test -x $(GOBIN)/staticcheck || $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	$(GOBIN)/staticcheck ./...

# Go benchmarks (allocations reported).
bench:
	$(GO) test -run=NONE -bench=. -benchmem ./...

# Short fuzz runs of every fuzz target.
fuzz:
	$(GO) test -run=NONE -fuzz=FuzzParse -fuzztime=30s ./expr

clean:
	rm -rf bin
