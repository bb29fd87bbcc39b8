# The targets a contributor needs. `make test` is also what CI runs.

GO ?= go
FUZZTIME ?= 5s

.PHONY: test demo deps vet unit secret-service fuzz

## test: install missing Debian packages, then run every check
test: deps vet unit secret-service fuzz

## demo: run a relay, a sharer and an accepter here and fetch a file through a portal
demo:
	$(GO) build -o bin/portals ./cmd/portals
	bin/portals demo

## deps: install the Debian packages the tests need (as root)
deps:
	scripts/install-deps.sh

## vet: go vet, and gofmt must have nothing to change
vet:
	$(GO) vet ./...
	@unformatted=$$(gofmt -l .); if [ -n "$$unformatted" ]; then echo "gofmt needed on:"; echo "$$unformatted"; exit 1; fi

## unit: all Go tests under the race detector
unit:
	$(GO) test -race -count=1 ./...

## secret-service: the vault tests against a real gnome-keyring over D-Bus
secret-service:
	scripts/with-secret-service.sh $(GO) test -race -count=1 -v -run 'SecretService' ./engine/vault/

## fuzz: each fuzz target for FUZZTIME, after its committed seeds
fuzz:
	scripts/fuzz-smoke.sh $(FUZZTIME)
