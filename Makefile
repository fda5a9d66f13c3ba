# dynax — see README.md. `make run` starts the all-in-one node, `make test`
# runs every test (Go tests, AWS CLI and boto3 tests).

GO        ?= go
BIN       := bin/dynax
STATICCHECK_VERSION := v0.8.2
GOBIN     := $(shell $(GO) env GOPATH)/bin

DYNALITE_DIR ?= $(HOME)/.cache/dynax/dynalite
export DYNAX_DYNALITE ?= $(DYNALITE_DIR)/node_modules/dynalite/cli.js
KINESALITE_DIR ?= $(HOME)/.cache/dynax/kinesalite
export DYNAX_KINESALITE ?= $(KINESALITE_DIR)/node_modules/kinesalite/cli.js

.PHONY: all build run deps test test-go test-cli lint bench fuzz clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/dynax

# Start the all-in-one node on 127.0.0.1:8000 with data in ./dynax-data.
run: build
	./$(BIN) serve

# Test dependencies: Debian's awscli and python3-boto3 (installed with
# apt-get when missing; needs root), dynalite from npm (the proxy's
# foreign-backend tests) and kinesalite from npm (the Kinesis destination's
# tests).
deps:
	@test -x /usr/bin/aws && /usr/bin/python3 -c "import boto3" 2>/dev/null || { \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq awscli python3-boto3 >/dev/null; }
	@test -f $(DYNAX_DYNALITE) || { mkdir -p $(DYNALITE_DIR) && \
	  npm install --prefix $(DYNALITE_DIR) --no-audit --no-fund dynalite >/dev/null; }
	@test -f $(DYNAX_KINESALITE) || { mkdir -p $(KINESALITE_DIR) && \
	  npm install --prefix $(KINESALITE_DIR) --no-audit --no-fund kinesalite >/dev/null; }
	@test -x /usr/bin/chromium || { \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# All tests: Go tests with the race detector, then the AWS CLI and boto3 tests.
test: deps test-go test-cli

# Every Go test, then the store's SDK suite again through the caching proxy
# (which must be invisible except for speed).
test-go: build
	$(GO) test -race -count=1 -timeout 15m ./...
	DYNAX_TEST_VIA_PROXY=$(abspath $(BIN)) $(GO) test -count=1 -timeout 10m ./store

# The AWS CLI and boto3 against the storage node, then against `dynax serve`
# (the caching proxy in front of it).
test-cli: build
	./scripts/cli_test.sh ./$(BIN)
	/usr/bin/python3 ./scripts/boto3_test.py ./$(BIN)
	DYNAX_VIA=serve ./scripts/cli_test.sh ./$(BIN)
	DYNAX_VIA=serve /usr/bin/python3 ./scripts/boto3_test.py ./$(BIN)

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
	$(GO) test -run=NONE -fuzz=FuzzDecodeItem -fuzztime=30s ./ddb
	$(GO) test -run=NONE -fuzz=FuzzParse -fuzztime=30s ./expr
	$(GO) test -run=NONE -fuzz=FuzzParsePartiQL -fuzztime=30s ./partiql
	$(GO) test -run=NONE -fuzz=FuzzObjIter -fuzztime=30s ./ddb
	$(GO) test -run=NONE -fuzz=FuzzUnmarshal -fuzztime=30s ./ddb
	$(GO) test -run=NONE -fuzz=FuzzRawItemKey -fuzztime=30s ./proxy
	$(GO) test -run=NONE -fuzz=FuzzCacheCoherence -fuzztime=60s ./proxy
	$(GO) test -run=NONE -fuzz=FuzzVectorRequests -fuzztime=30s ./store
	$(GO) test -run=NONE -fuzz=FuzzInsightsRequests -fuzztime=30s ./store
	$(GO) test -run=NONE -fuzz=FuzzStreamsRequests -fuzztime=30s ./store
	$(GO) test -run=NONE -fuzz=FuzzShardIterator -fuzztime=30s ./store
	$(GO) test -run=NONE -fuzz=FuzzIonItem -fuzztime=30s ./store
	$(GO) test -run=NONE -fuzz=FuzzDataProtectionRequests -fuzztime=30s ./store
	$(GO) test -run=NONE -fuzz=FuzzRequestTable -fuzztime=30s ./store
	$(GO) test -run=NONE -fuzz=FuzzVerify -fuzztime=30s ./auth
	$(GO) test -run=NONE -fuzz=FuzzParsePolicy -fuzztime=30s ./auth
	$(GO) test -run=NONE -fuzz=FuzzFastPath -fuzztime=30s ./auth
	$(GO) test -run=NONE -fuzz=FuzzFacts -fuzztime=30s ./auth
	$(GO) test -run=NONE -fuzz=FuzzCheck -fuzztime=30s ./ddb/model
	$(GO) test -run=NONE -fuzz=FuzzRequests -fuzztime=30s ./autoscaling
	$(GO) test -run=NONE -fuzz=FuzzDynamoDBRequests -fuzztime=60s ./store
	$(GO) test -run=NONE -fuzz=FuzzInflate -fuzztime=30s ./ddb/wire
	$(GO) test -run=NONE -fuzz=FuzzKeyHash -fuzztime=30s ./store
	$(GO) test -run=NONE -fuzz=FuzzGlobalRequests -fuzztime=30s ./store
	$(GO) test -run=NONE -fuzz=FuzzStoredHeader -fuzztime=15s ./store

clean:
	rm -rf bin
