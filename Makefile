# The README's two commands: `make run` (the whole default pipeline) and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
CORES ?= all

.PHONY: run test bench
run: $(VENV)/.installed
	$(BIN)/snakemake --cores $(CORES)

test: $(VENV)/.installed
	$(BIN)/pytest

# Not part of the two commands: training speed measured side by side (results/benchmarks/).
bench: $(VENV)/.installed
	$(BIN)/snakemake --cores $(CORES) benchmark

$(VENV)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@
