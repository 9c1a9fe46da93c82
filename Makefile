# colorize — build, test and benchmark.
#
# The default build links OpenBLAS (Debian libopenblas-dev) with the build tag
# `openblas` when it is installed; without it, matrix products run on
# colorize's own pure-Go SGEMM (internal/gemm), which is as fast on our shapes.

GO        ?= go
BIN       := bin/colorize
PY        ?= /usr/bin/python3
OPENBLAS  := $(shell test -e /usr/include/x86_64-linux-gnu/cblas.h -o -e /usr/include/cblas.h -o -e /usr/include/x86_64-linux-gnu/openblas-pthread/cblas.h && ldconfig -p 2>/dev/null | grep -q libopenblas && echo yes)
ifeq ($(OPENBLAS),yes)
TAGS      := -tags openblas
endif
VERSION   := $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
LDFLAGS   := -ldflags "-X github.com/colorize-dev/colorize/internal/buildinfo.Version=$(VERSION)"

# Debian packages: what the build needs, and what the tests need besides
# (chromium: the browser test of colorize serve). scripts/ort-install adds
# ONNX Runtime for Node.js (and Debian's nodejs and npm where node or npm is
# missing) for the exported-model tests.
DEPS_BUILD := libopenblas-dev
DEPS_TEST  := python3-torch python3-numpy python3-scipy python3-pil chromium

.PHONY: all build build-pure deps test-deps test test-pure lint fuzz bench clean

all: build

build:
	$(GO) build $(TAGS) $(LDFLAGS) -o $(BIN) ./cmd/colorize

# build-pure builds without any C library (internal/gemm for matrix products).
build-pure:
	CGO_ENABLED=0 $(GO) build $(LDFLAGS) -o bin/colorize-pure ./cmd/colorize

deps:
	./scripts/apt-install $(DEPS_BUILD)

test-deps:
	./scripts/apt-install $(DEPS_BUILD) $(DEPS_TEST)
	./scripts/ort-install

# test: lint, both builds, the whole suite with the fast BLAS, and the
# numerical packages again on the pure-Go BLAS.
test: lint build build-pure
	./$(BIN) version
	./bin/colorize-pure version
	$(GO) test $(TAGS) -count=1 -timeout 25m ./...
	$(GO) test -count=1 -timeout 10m ./internal/blas/... ./internal/kernels/... ./internal/nn/... ./internal/loss/...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi
	$(GO) vet $(TAGS) ./...

# fuzz: every reader's fuzz target for FUZZTIME each (default 20s; about
# four minutes in all); meant to run in CI after `make test`. The self-test
# first checks the script's handling of Go 1.26's fuzztime race.
fuzz:
	./scripts/fuzz-selftest
	./scripts/fuzz

bench:
	./bench/run.sh

clean:
	rm -rf bin
	$(GO) clean -testcache
