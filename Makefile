# The README's two commands: `make run` (the whole default pipeline) and `make test`.
# The Pythons the pins in requirements.txt install on (TensorFlow 2.21 has wheels for 3.10 to 3.13;
# numpy 2.4, scipy 1.17, pandas 3 and Snakemake 9 need 3.11 or later). The first one that runs and
# can make a venv is used; `make run PYTHON=/path/to/python3` picks one by hand.
PYTHONS := python3.11 python3.12 python3.13
PYTHON ?= $(firstword $(foreach p,$(PYTHONS),$(shell $(p) -c 'import ensurepip, venv' >/dev/null 2>&1 && echo $(p))))
VENV := .venv
BIN := $(VENV)/bin
CORES ?= all

RESULTS ?= results

.PHONY: run test bench watch
# Each training job prints a line as it passes each tenth of its run (iteration, FID or estimate, time left),
# and the run ends saying where its summary, figures and report are.
run: $(VENV)/.installed
	$(BIN)/snakemake --cores $(CORES)

# One line per training run of a results folder, redrawn until Ctrl-C, also for runs on SLURM:
# make watch RESULTS=results-study
watch:
	$(BIN)/python workflow/scripts/watch.py --results $(RESULTS)

test: $(VENV)/.installed
	$(BIN)/pytest

# Not part of the two commands: training speed measured side by side (results/benchmarks/).
bench: $(VENV)/.installed
	$(BIN)/snakemake --cores $(CORES) benchmark

$(VENV)/.installed: requirements.txt
	@test -x $(BIN)/python || test -n "$(PYTHON)" || { \
	    echo "No supported Python found: install one of $(PYTHONS) with its venv module"; \
	    echo "(Ubuntu 24.04: apt install python3.12-venv; Debian 13: apt install python3.13-venv),"; \
	    echo "or name one: make run PYTHON=/path/to/python3.12"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@
