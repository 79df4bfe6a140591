# Satchel. `make run` builds Satchel and the sample practice; `make test`
# runs every test (installing the real tools they use); `make test-fast`
# runs the quick tier while you work (go test -short: no browsers, no race
# detector, nothing installed); `make bench` prints the benchmark figures.

GO       ?= go
BIN      := bin/satchel
DIST     := generator/viewer/decryptor
GOSRC    := $(shell find cmd generator internal templates themes -type f \( -name '*.go' -o -name '*.html' -o -name '*.css' -o -name '*.js' -o -name '*.toml' -o -name '*.json' \) -not -path '$(DIST)/*') go.mod go.sum
JSSRC    := $(wildcard generator/viewer/js/*.js generator/viewer/js/*.mjs)
NODE_MODULES := node_modules/.package-lock.json

.PHONY: all build run test test-fast test-deps check bench decryptor clean fixtures-note fuzz fuzz-short dist

all: build

## build: the satchel binary in bin/, with the viewer's decryptor inside
build: $(BIN)

$(BIN): $(GOSRC) $(DIST)/decryptor.js $(DIST)/NOTICES.txt
	$(GO) build -trimpath -o $@ ./cmd/satchel

## decryptor: the decryptor for record.html (generator/viewer/js, bundled
## and minified by esbuild with the npm libraries package-lock.json pins),
## and NOTICES.txt, the licences of every package bundled into it, which
## every record.html carries
decryptor: $(DIST)/decryptor.js $(DIST)/NOTICES.txt

$(DIST)/decryptor.js: $(JSSRC) $(NODE_MODULES) Makefile
	node generator/viewer/js/build.mjs $(DIST)

# build.mjs writes NOTICES.txt with decryptor.js.
$(DIST)/NOTICES.txt: $(DIST)/decryptor.js
	@test -f $@

## node_modules: the npm packages, exactly as package-lock.json pins them:
## the decryptor's libraries, esbuild, axe-core (the accessibility
## checker the record tests run in Chromium) and puppeteer-core (which drives
## Debian's Firefox ESR over WebDriver BiDi in the tests and make bench). No
## install scripts run and no browser is downloaded.
$(NODE_MODULES): package.json package-lock.json
	PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --ignore-scripts
	@touch $@

## run: build Satchel, then build the sample practice (site.toml here)
run: build
	./$(BIN) build -site site.toml

## test-deps: install the real tools the tests use (GnuPG, Sequoia, zbar,
## poppler, qpdf, npm, and the three browser engines: Chromium, Firefox ESR, and
## WebKitGTK: webkit2gtk-driver, whose libwebkit2gtk-4.1-0 holds MiniBrowser,
## run under Xvfb; wine and mingw-w64, which run the Windows binary)
test-deps:
	@missing=""; \
	for t in gpg:gnupg sq:sq zbarimg:zbar-tools chromium:chromium firefox-esr:firefox-esr WebKitWebDriver:webkit2gtk-driver Xvfb:xvfb script:bsdutils pdftotext:poppler-utils qpdf:qpdf npm:npm wine:wine /usr/lib/wine/wine64:wine64 x86_64-w64-mingw32-gcc:gcc-mingw-w64-x86-64-win32; do \
	  command -v $${t%%:*} >/dev/null 2>&1 || missing="$$missing $${t#*:}"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi

## check: formatting, vet, staticcheck (the version go.mod's tool line pins),
## a tidy go.mod, and builds for Windows and macOS (Intel and Apple silicon)
check: decryptor
	@out=$$(gofmt -l cmd generator internal templates themes); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) tool staticcheck ./...
	$(GO) mod tidy -diff
	GOOS=windows GOARCH=amd64 $(GO) build -o /dev/null ./cmd/satchel
	GOOS=darwin GOARCH=amd64 $(GO) build -o /dev/null ./cmd/satchel
	GOOS=darwin GOARCH=arm64 $(GO) build -o /dev/null ./cmd/satchel

## test: everything, with the race detector, and each fuzz target briefly
test: test-deps check $(NODE_MODULES) fixtures-note fuzz-short
	$(GO) test -race -count=1 -timeout 30m ./...

# FUZZ_TARGETS: every fuzz target, as package:Func. go test -fuzz takes one
# target per run, so they run in turn.
FUZZ_TARGETS := internal/strict:FuzzDecode generator/record:FuzzDecodeTOML \
	generator/record/fhir:FuzzRead generator/record/bulk:FuzzExport generator/content:FuzzParsePage \
	generator/site:FuzzParse generator/policy:FuzzReadApproval \
	generator/provenance:FuzzReadKeys generator/seal:FuzzOpen \
	generator/pdfcrypt:FuzzEncrypt generator/ips:FuzzIndent
FUZZTIME ?= 60s

## fuzz: each fuzz target for FUZZTIME (60s) in turn; a failing input is kept
## in the package's testdata/fuzz, where go test then always runs it.
## Minimizing is capped: on inputs of 10 KB or more it would otherwise
## take most of the time.
fuzz:
	@for t in $(FUZZ_TARGETS); do \
	  echo "fuzz: $${t#*:} in ./$${t%%:*} for $(FUZZTIME)"; \
	  $(GO) test -run '^$$' -fuzz "^$${t#*:}$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 200x ./$${t%%:*} || exit 1; \
	done

## fuzz-short: each fuzz target for 5000 inputs (make test runs it). A
## count, not a time: Go 1.26's fuzz coordinator can fail a target with a
## bare "context deadline exceeded" when a time budget ends while a worker
## is busy (go.dev/issue/75804, fixed in Go 1.27), which a loaded machine
## makes likely; a count has no deadline to race.
fuzz-short:
	@$(MAKE) --no-print-directory fuzz FUZZTIME=5000x

## test-fast: the quick tier: go test -short leaves out the
## tests that drive Chromium or repeat slow gpg/sq runs (each says why it
## skipped), without the race detector. It installs nothing: the gpg, sq and
## zbar checks it keeps need `make test-deps` once. make test runs it all.
test-fast: decryptor fixtures-note
	$(GO) test -short ./...

# fixtures-note: say in one line when the public FHIR examples (a
# conformance suite outside the repository) are missing and their tests
# skip; go test shows nothing of a passing package. With CI=true they are
# required, and the tests fail instead.
fixtures-note:
	@dir="$${SATCHEL_FHIR_FIXTURES:-../shared/fixtures/fhir}"; \
	if [ ! -d "$$dir" ]; then echo "note: no public FHIR examples at $$dir (set SATCHEL_FHIR_FIXTURES): their conformance tests are skipped"; fi

## dist: ready-to-run binaries for the practice's computers, each with the
## viewer inside, and their SHA-256 sums, in dist/: Windows (amd64), macOS
## (Apple silicon and Intel) and Linux (amd64). Nothing else to install.
PLATFORMS := windows/amd64 darwin/arm64 darwin/amd64 linux/amd64
dist: decryptor
	@rm -rf dist && mkdir dist
	@release=$$(git describe --tags --always --dirty 2>/dev/null || echo unknown); \
	for p in $(PLATFORMS); do \
	  os=$${p%/*}; arch=$${p#*/}; ext=""; if [ "$$os" = windows ]; then ext=.exe; fi; \
	  echo "dist/satchel-$$os-$$arch$$ext"; \
	  CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build -trimpath -ldflags="-s -w -X main.release=$$release" -o dist/satchel-$$os-$$arch$$ext ./cmd/satchel || exit 1; \
	done
	cd dist && sha256sum satchel-* > SHA256SUMS

## bench: build a large synthetic practice and print the figures
bench: build test-deps
	$(GO) run ./cmd/satchel-bench

clean:
	rm -rf bin dist public private $(DIST)/decryptor.js $(DIST)/NOTICES.txt $(DIST)/packages.json
