# Two commands on a fresh machine: `make repro` (the demo results) and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.tlbench-installed

.PHONY: install repro test lint bench bench-baseline check paper clean

install: $(STAMP)

# EXTRAS=dev,ray also installs Ray (extract.backend: ray; CI tests it)
EXTRAS ?= dev

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[$(EXTRAS)]'
	touch $@

# ISA=avx2: torch, oneDNN, MKL, OpenBLAS, numpy and OpenCV use their AVX2 kernels, so that a machine with
# AVX-512 writes the bytes an AVX2 machine writes (the committed demo outputs are AVX2-made: docs/reliability.md)
AVX2_ENV := ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2 MKL_ENABLE_INSTRUCTIONS=AVX2 \
  OPENBLAS_CORETYPE=Haswell NPY_DISABLE_CPU_FEATURES="X86_V4 AVX512_ICL AVX512_SPR" \
  OPENCV_CPU_DISABLE=AVX512-SKX,AVX512-CLX
ISA_ENV := $(if $(filter avx2,$(ISA)),$(AVX2_ENV),$(if $(ISA),$(error ISA=$(ISA): only ISA=avx2 is known),))

# the bytecode of tlbench compiled once, not by each of the ~20 stage processes where PYTHONDONTWRITEBYTECODE
# is set (as in CI and this project's sandboxes; Python still reads .pyc files then): ~0.1-0.3 s per stage
repro: install
	$(BIN)/python -m compileall -q tlbench
	$(ISA_ENV) PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/dvc repro
	@echo "Results: reports/README.md (index), reports/tables.tex (\\input{reports/tables}), reports/tables/*.md, reports/figures/"

test: install
	$(BIN)/python -m pytest -q

# ruff, configured in pyproject.toml ([tool.ruff]); CI runs it before the tests
lint: install
	$(BIN)/ruff check .

BENCH_STORE := file://benchmarks/baseline
BENCH := $(BIN)/python -m pytest benchmarks -q --benchmark-only --benchmark-storage=$(BENCH_STORE)

# Timings against the committed baseline (fails when a median is 25 % slower); none yet: just run.
bench: install
	@if ls benchmarks/baseline/*/*.json >/dev/null 2>&1; then \
	  $(BENCH) --benchmark-compare --benchmark-compare-fail=median:25%; \
	else echo "no benchmark baseline yet (make bench-baseline writes one)"; $(BENCH); fi

bench-baseline: install
	$(BENCH) --benchmark-save=baseline

check: install
	$(BIN)/tlbench check

# reports/paper/tables.pdf: methods, main-text tables and supplement in a two-column article (needs pdflatex)
paper: install
	$(BIN)/python -m tlbench.reporting.paper

clean:
	rm -rf data .pytest_cache .benchmarks
