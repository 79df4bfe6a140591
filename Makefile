# Satchel. `make run` builds Satchel and the sample practice; `make test`
# runs every test (installing the real tools they use); `make test-fast`
# runs the quick tier while you work (go test -short: no browsers, no race
# detector, nothing installed); `make bench` prints the benchmark figures.

GO       ?= go
BIN      := bin/satchel
DIST     := generator/viewer/decryptor
GOSRC    := $(shell find cmd generator internal templates themes -type f \( -name '*.go' -o -name '*.html' -o -name '*.css' -o -name '*.js' -o -name '*.toml' -o -name '*.json' \) -not -path '$(DIST)/*') go.mod go.sum
WASMSRC  := $(shell find generator internal cmd/satchel-wasm -name '*.go' -not -name '*_test.go') go.mod go.sum Makefile

.PHONY: all build run test test-fast test-deps check bench wasm clean fixtures-note fuzz fuzz-short

all: build

## build: the satchel binary in bin/, with the viewer's decryptor inside
build: $(BIN)

$(BIN): $(GOSRC) $(DIST)/open.wasm.gz $(DIST)/wasm_exec.js $(DIST)/NOTICES.txt
	$(GO) build -trimpath -o $@ ./cmd/satchel

## wasm: the decryptor for record.html (Go built for WebAssembly, gzipped)
wasm: $(DIST)/open.wasm.gz $(DIST)/wasm_exec.js $(DIST)/NOTICES.txt

$(DIST)/open.wasm.gz: $(WASMSRC)
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags='-s -w' -gcflags=all=-l -o $(DIST)/open.wasm ./cmd/satchel-wasm
	gzip -9 -n -f $(DIST)/open.wasm

# NOTICES.txt: the licences of what the decryptor links (Go's runtime,
# standard library and wasm_exec.js, and each module it imports), carried
# inside every record.html.
$(DIST)/NOTICES.txt: go.mod go.sum Makefile
	{ printf 'record.html carries software by others, under these licences.\n\n== Go: runtime, standard library, wasm_exec.js\n\n'; \
	  cat "$$($(GO) env GOROOT)/LICENSE"; \
	  GOOS=js GOARCH=wasm $(GO) list -deps -f '{{if .Module}}{{if not .Module.Main}}{{.Module.Path}} {{.Module.Dir}}{{end}}{{end}}' ./cmd/satchel-wasm | sort -u | \
	  while read -r mod dir; do printf '\n== %s\n\n' "$$mod"; cat "$$dir"/LICENSE; done; } > $@.tmp
	mv $@.tmp $@

$(DIST)/wasm_exec.js: $(shell $(GO) env GOROOT)/lib/wasm/wasm_exec.js
	cp $< $@

## run: build Satchel, then build the sample practice (site.toml here)
run: build
	./$(BIN) build -site site.toml

## test-deps: install the real tools the tests use (GnuPG, Sequoia, zbar, Chromium, poppler, npm)
test-deps:
	@missing=""; \
	for t in gpg:gnupg sq:sq zbarimg:zbar-tools chromium:chromium script:bsdutils pdftotext:poppler-utils npm:npm; do \
	  command -v $${t%%:*} >/dev/null 2>&1 || missing="$$missing $${t#*:}"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi

## check: formatting, vet, staticcheck (the version go.mod's tool line pins),
## a tidy go.mod, and builds for Windows and macOS (Intel and Apple silicon)
check: wasm
	@out=$$(gofmt -l cmd generator internal templates themes); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) tool staticcheck ./...
	$(GO) mod tidy -diff
	GOOS=windows GOARCH=amd64 $(GO) build -o /dev/null ./cmd/satchel
	GOOS=darwin GOARCH=amd64 $(GO) build -o /dev/null ./cmd/satchel
	GOOS=darwin GOARCH=arm64 $(GO) build -o /dev/null ./cmd/satchel

## node_modules/axe-core: the accessibility checker the record tests run in Chromium (npm, pinned by package-lock.json)
node_modules/axe-core: package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts
	@touch $@

## test: everything, with the race detector, and each fuzz target briefly
test: test-deps check node_modules/axe-core fixtures-note fuzz-short
	$(GO) test -race -count=1 ./...

# FUZZ_TARGETS: every fuzz target, as package:Func. go test -fuzz takes one
# target per run, so they run in turn.
FUZZ_TARGETS := internal/strict:FuzzDecode generator/record:FuzzDecodeTOML \
	generator/record/fhir:FuzzRead generator/content:FuzzParsePage \
	generator/site:FuzzParse generator/policy:FuzzReadApproval \
	generator/provenance:FuzzReadKeys generator/seal:FuzzOpen
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

## fuzz-short: each fuzz target for 3s (make test runs it)
fuzz-short:
	@$(MAKE) --no-print-directory fuzz FUZZTIME=3s

## test-fast: the quick tier: go test -short leaves out the
## tests that drive Chromium or repeat slow gpg/sq runs (each says why it
## skipped), without the race detector. It installs nothing: the gpg, sq and
## zbar checks it keeps need `make test-deps` once. make test runs it all.
test-fast: wasm fixtures-note
	$(GO) test -short ./...

# fixtures-note: say in one line when the public FHIR examples (a
# conformance suite outside the repository) are missing and their tests
# skip; go test shows nothing of a passing package. With CI=true they are
# required, and the tests fail instead.
fixtures-note:
	@dir="$${SATCHEL_FHIR_FIXTURES:-../shared/fixtures/fhir}"; \
	if [ ! -d "$$dir" ]; then echo "note: no public FHIR examples at $$dir (set SATCHEL_FHIR_FIXTURES): their conformance tests are skipped"; fi

## bench: build a large synthetic practice and print the figures
bench: build test-deps
	$(GO) run ./cmd/satchel-bench

clean:
	rm -rf bin public private $(DIST)/open.wasm $(DIST)/open.wasm.gz $(DIST)/wasm_exec.js $(DIST)/NOTICES.txt
