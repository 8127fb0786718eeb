# Two commands on a fresh machine: `make repro` (the demo results) and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.tlbench-installed

.PHONY: install repro test bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

repro: install
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/dvc repro
	@echo "Tables: reports/tables/ (LaTeX .tex, Markdown .md); figures: reports/figures/; metrics: reports/metrics/"

test: install
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/python -m pytest benchmarks -q --benchmark-only

clean:
	rm -rf data .pytest_cache .benchmarks
