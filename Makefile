# One task runner for people and CI. Needs only Python 3.11+ and make.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DIR ?= mirror

.PHONY: help venv run demo test lint format bench bench-concurrency corpus-agreement clean

help:
	@echo "make run [DIR=path] create the environment and run one pass of the mirror in DIR"
	@echo "                    (default ./mirror; created with the default sources if new)"
	@echo "make demo           create the environment and build the offline demo mirror"
	@echo "make test           create the environment and run the test suite"
	@echo "make lint           ruff check and format check"
	@echo "make bench          run the benchmarks (needs node/npm and ../shared)"
	@echo "make bench-concurrency  200 slow loopback sources in one pass, and a 50 MB feed"
	@echo "make corpus-agreement   compare the parser with feedparser on ../shared's real feeds"

$(BIN)/newsmirror: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $@

venv: $(BIN)/newsmirror

run: venv
	test -f $(DIR)/newsmirror.toml || $(BIN)/newsmirror init $(DIR)
	$(BIN)/newsmirror -C $(DIR) run

demo: venv
	rm -rf demo-mirror
	$(BIN)/newsmirror demo demo-mirror

test: venv
	$(BIN)/python -m pytest

lint: venv
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

format: venv
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

bench: venv
	$(BIN)/python bench/bench_core.py

bench-concurrency: venv
	$(BIN)/python bench/bench_concurrency.py
	$(BIN)/python bench/bench_concurrency.py --tmp /dev/shm --no-sequential

corpus-agreement: venv
	$(BIN)/python bench/corpus_agreement.py

clean:
	rm -rf $(VENV) demo-mirror .pytest_cache .ruff_cache
