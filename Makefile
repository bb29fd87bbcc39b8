# The targets a contributor needs. `make test` is also what CI runs.

GO ?= go
FUZZTIME ?= 5s

.PHONY: test demo deps vet unit secret-service fuzz bench release dmg-test

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

# Release packaging (docs/release.md). The bundle id and the release
# repository are set once, in packaging/project/project.go; this file
# reads them through `portals-release print`.
RELEASE_TOOL = $(GO) run ./packaging/cmd/portals-release
TEST_VERSION ?= 0.0.0

## release: VERSION=x.y.z: bundles, DMGs, CLI tarballs, cask and SHA256SUMS in dist/VERSION
##          (codesign/hdiutil/notarytool on macOS, the built-in ad-hoc sealer elsewhere)
release:
	@if [ -z "$(VERSION)" ]; then echo "usage: make release VERSION=x.y.z"; exit 2; fi
	@echo "releasing $$($(RELEASE_TOOL) print bundle-id) $(VERSION) from $$($(RELEASE_TOOL) print homepage)"
	@if [ "$$(uname -s)" = Darwin ]; then \
		$(RELEASE_TOOL) build -version $(VERSION) -out dist/$(VERSION) -tarballs -cask homebrew/Casks/portals.rb -apple; \
	else \
		$(RELEASE_TOOL) build -version $(VERSION) -out dist/$(VERSION) -tarballs -cask homebrew/Casks/portals.rb && \
		$(RELEASE_TOOL) verify dist/$(VERSION); \
	fi

## dmg-test: the release pipeline on any platform, the darwin CLI standing in
##           for the app: bundles, DMGs, cask and SHA256SUMS in dist/test
dmg-test:
	$(RELEASE_TOOL) build -version $(TEST_VERSION) -out dist/test
	$(RELEASE_TOOL) verify dist/test

## bench: measure Portals against TCP, socat and ssh -L on loopback (minutes; as root; not part of test)
##        BENCHFLAGS=--quick for a check in under 60 s, --profile DIR for perf profiles
BENCHFLAGS ?=
bench:
	$(GO) build -o bin/portals ./cmd/portals
	$(GO) build -o bin/portals-bench ./bench
	bin/portals-bench $(BENCHFLAGS)
