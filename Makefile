# stratlang: `make demo` builds the bank-wealth example, `make test` runs the whole test suite.
# Both run scripts/setup.sh first (idempotent: system packages, .venv, pip install -e '.[dev]').
#
#   make test                       the full suite (PYTEST_ADDOPTS is passed through)
#   make test-fast                  everything but the slow tests (marked in their files or listed in
#                                   tests/slow_tests.txt by scripts/measure_tests.py): under a minute
#   make lint                       ruff (lint, format check) and mypy; `make test` runs it first
#   make format                     let ruff fix what it can and format the code
#   make bless                      regenerate the expected outputs of tests/ui and tests/golden (review the diff)
#   make test PYTEST_ARGS='-k cli'  extra pytest arguments
#   make bench                      benchmarks/bench_check.py (parse/check timings)
#   make clean                      remove build outputs and caches (keeps .venv)
#   make distclean                  also remove .venv

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

VENV        := .venv
PYTEST_ARGS ?=
BENCH_ARGS  ?=
LINTED      := stratlang tests benchmarks scripts
# pytest-xdist processes for test and test-fast (auto: one per core); each test file stays on one process
# (--dist loadfile): the language-server tests share one server per file
WORKERS     ?= auto

.PHONY: help setup demo test fuzz test-fast lint format bless bench clean distclean

help:
	@echo "make demo    build examples/bank_wealth into out/bank_wealth"
	@echo "make test    run the test suite"
	@echo "make test-fast  run the suite without the slow tests"
	@echo "make lint    ruff and mypy (make test runs them first); make format fixes style"
	@echo "make fuzz    fuzz parse/check/fmt and the language server for an hour (STRATLANG_FUZZ_SECONDS); crashers go to tests/fuzz_corpus/"
	@echo "make bench   run the parse/check benchmark"
	@echo "make clean   remove outputs and caches"

setup:
	@bash scripts/setup.sh

demo:
	@bash scripts/demo.sh

# the whole suite on every core (each test file on one process, as in test-fast)
test: setup lint
	$(VENV)/bin/pytest -q -n $(WORKERS) --dist loadfile $(PYTEST_ARGS)

test-fast: setup lint
	$(VENV)/bin/pytest -q -n $(WORKERS) --dist loadfile -m "not slow" $(PYTEST_ARGS)

# Ruff (lint and format check) and mypy (strict where pyproject.toml says so) before any test.
lint: setup
	$(VENV)/bin/ruff check --quiet $(LINTED)
	$(VENV)/bin/ruff format --check --quiet $(LINTED)
	$(VENV)/bin/mypy

# `make format` rewrites what `make lint` would reject on style.
format: setup
	$(VENV)/bin/ruff check --fix --quiet $(LINTED)
	$(VENV)/bin/ruff format --quiet $(LINTED)

bless: setup
	STRATLANG_REGEN=1 $(VENV)/bin/pytest -q -m "not slow" $(PYTEST_ARGS)

fuzz: setup
	STRATLANG_FUZZ_SECONDS=$${STRATLANG_FUZZ_SECONDS:-3600} STRATLANG_FUZZ_EXAMPLES=$${STRATLANG_FUZZ_EXAMPLES:-500} \
		$(VENV)/bin/pytest -q -s -p no:cacheprovider tests/test_fuzz.py tests/test_lsp_fuzz.py -k fuzz_for_a_while

bench: setup
	$(VENV)/bin/python benchmarks/bench_check.py $(BENCH_ARGS)

clean:
	rm -rf out build dist benchmarks/.work .pytest_cache .hypothesis spark-warehouse metastore_db derby.log
	find . -path ./$(VENV) -prune -o -type d -name __pycache__ -print0 | xargs -0 rm -rf

distclean: clean
	rm -rf $(VENV) *.egg-info
