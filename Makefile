# The two commands of the README are `make reproduce` and `make test`; each installs what it needs first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PROFILE ?= quick
JOBS ?= 2
PYTEST_ARGS ?= -n auto

.PHONY: install test check-sync reproduce docs

# A virtual environment with the package (editable) and its dev extras, at the versions of constraints.txt.
$(VENV)/.installed: setup.py settings.ini constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt torch==2.13.0
	$(BIN)/pip install --quiet -c constraints.txt -e ".[dev]"
	touch $@

install: $(VENV)/.installed

# nbdev_export and nbdev_clean must leave the tree unchanged: the notebooks are the source of the package.
check-sync: install
	@before=$$(find nbs bioner_kd -type f -not -path '*/__pycache__/*' | sort | xargs sha1sum); \
	$(BIN)/nbdev_export && $(BIN)/nbdev_clean; \
	after=$$(find nbs bioner_kd -type f -not -path '*/__pycache__/*' | sort | xargs sha1sum); \
	if [ "$$before" != "$$after" ]; then \
	  echo "nbdev_export/nbdev_clean changed these files (the notebooks and bioner_kd/ were out of sync or not clean):"; \
	  diff <(echo "$$before") <(echo "$$after") | sed -n 's/^> [0-9a-f]* */  /p'; exit 1; \
	fi; echo "notebooks and package in sync, notebooks clean"

test: check-sync
	$(BIN)/pytest $(PYTEST_ARGS)

reproduce: install
	$(BIN)/bioner-kd data verify --quiet
