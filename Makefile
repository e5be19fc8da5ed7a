# buildwright developer entry points. `make demo` and `make test` work on a fresh Debian machine as root.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PB_DIR := src/buildwright/_pb
PROTOS := $(wildcard protos/buildwright/_pb/*.proto)
PB_STAMP := $(PB_DIR)/.generated

# Where the environment sets PYTHONDONTWRITEBYTECODE (this workplace's machines do), every CLI run
# of the tests and the demo would compile the package again from source: bytecode is written here.
unexport PYTHONDONTWRITEBYTECODE

# The private engine (see scripts/engine.sh); tests and the demo use it unless told otherwise.
export BUILDWRIGHT_ENGINE_SOCK ?= /run/buildwright-engine/docker.sock

.PHONY: all venv proto engine engine-down engine-reset engine-status buildkitd buildkitd-bin buildkitd-down buildkitd-status demo test unit integration lint typecheck bench bench-context fuzz fuzz-short clean

all: venv proto

$(VENV)/.stamp: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	touch $@

venv: $(VENV)/.stamp

$(PB_STAMP): $(PROTOS) $(VENV)/.stamp
	rm -f $(PB_DIR)/*_pb2.py $(PB_DIR)/*_pb2.pyi $(PB_DIR)/*_pb2_grpc.py
	$(PY) -m grpc_tools.protoc -Iprotos --python_out=src --pyi_out=src --grpc_python_out=src $(PROTOS)
	touch $@

proto: $(PB_STAMP)

engine:
	scripts/engine.sh up

engine-down:
	scripts/engine.sh down

engine-reset:
	scripts/engine.sh reset

engine-status:
	scripts/engine.sh status

# A standalone buildkitd (compiled once from Debian's packaged BuildKit source, then cached):
# `make buildkitd` starts `dev` on a unix socket, `make buildkitd BUILDKITD=x BUILDKITD_TCP=7390` another
# with a mutual-TLS port too.
BUILDKITD ?= dev
BUILDKITD_TCP ?=
buildkitd: engine
	scripts/engine.sh buildkitd up $(BUILDKITD) $(if $(BUILDKITD_TCP),--tcp $(BUILDKITD_TCP))

# The binaries only. A failed compile (Debian unstable moved) is one line; the buildkitd tests then skip.
buildkitd-bin:
	scripts/engine.sh buildkitd build || [ $$? -eq 4 ]

buildkitd-down:
	scripts/engine.sh buildkitd down $(BUILDKITD)

buildkitd-status:
	scripts/engine.sh buildkitd status

demo: venv proto engine
	scripts/demo.sh

# The suite in TEST_JOBS pytest workers, a file per worker at a time (most integration tests wait on
# the engine); then the `serial` tests alone, as they read engine-wide state; then the bounded fuzz.
# Every part runs even when an earlier one failed; the exit status is the first failure's.
# Three workers on two cores: most of a test's time is the engine's, not pytest's.
TEST_JOBS ?= 3

unit: venv proto
	$(PY) -m pytest -q tests/unit

integration: venv proto engine buildkitd-bin
	@status=0; \
	$(PY) -m pytest -q -n $(TEST_JOBS) --dist loadfile --no-loadscope-reorder -m "integration and not serial" tests/integration || status=$$?; \
	$(PY) -m pytest -q -m serial tests/integration; rc=$$?; [ $$status -ne 0 ] || status=$$rc; \
	exit $$status

test: venv proto engine buildkitd-bin
	$(VENV)/bin/ruff check src tests
	$(VENV)/bin/mypy
	@status=0; \
	$(PY) -m pytest -q -n $(TEST_JOBS) --dist loadfile --no-loadscope-reorder -m "not serial" tests || status=$$?; \
	$(PY) -m pytest -q -m serial tests; rc=$$?; [ $$status -ne 0 ] || status=$$rc; \
	$(FUZZ_SHORT); rc=$$?; [ $$status -ne 0 ] || status=$$rc; \
	exit $$status

lint: venv
	$(VENV)/bin/ruff check src tests

typecheck: venv proto
	$(VENV)/bin/mypy

# The long fuzz run (no engine needed): inputs tried and findings, reproducers in fuzz-findings/.
FUZZ_INPUTS ?= 1000000
fuzz: venv proto
	$(PY) -m tests.fuzz --inputs $(FUZZ_INPUTS) --jobs 2 --findings fuzz-findings

# The bounded run, also the last step of `make test`: a fixed seed, so the same inputs every time
# (40-60 s on two shared cores); fails on any finding. Hangs are counted in CPU seconds, so a
# loaded machine slows the run down but cannot turn an input into a hang.
FUZZ_SHORT_INPUTS ?= 30000
FUZZ_SHORT = $(PY) -m tests.fuzz --inputs $(FUZZ_SHORT_INPUTS) --seed 1 --jobs 2 --progress 0 --findings fuzz-findings
fuzz-short: venv proto
	$(FUZZ_SHORT)

# buildwright against `docker buildx build` on the private engine (benchmarks/): quick by default,
# BENCH=full for more runs; BENCH_ARGS passes more (e.g. --only noop). Prints the table, writes bench-results.json.
BENCH ?= quick
bench: venv proto engine
	$(PY) -m benchmarks $(if $(filter full,$(BENCH)),--full) $(BENCH_ARGS)

# A context of BIG_CONTEXT_GIB (a sparse file) streamed to the engine: the client's peak RSS stays
# flat. Minutes at 10 GiB here, so not part of `make test`.
BIG_CONTEXT_GIB ?= 10
bench-context: venv proto engine
	BUILDWRIGHT_BIG_CONTEXT_GIB=$(BIG_CONTEXT_GIB) $(PY) -m pytest -q -s tests/integration/test_load.py -k huge_context

clean:
	rm -rf $(VENV) $(PB_DIR)/*_pb2*.py $(PB_DIR)/*_pb2*.pyi $(PB_STAMP) build dist
