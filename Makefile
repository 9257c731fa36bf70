# The two commands of the README are `make reproduce` and `make test`; each installs what it needs first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PROFILE ?= quick
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
PYTEST_ARGS ?= -n auto --dist loadfile --no-loadscope-reorder

.PHONY: install test check-sync reproduce docs chromium

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

# The docs site, offline, from the notebooks' stored outputs, their API and reports/, into site/ (docs/BUILDING.md).
docs: install
	$(BIN)/python docs/build.py

# Debian's Chromium for the site's browser test (tests/test_docs.py); does nothing when /usr/bin/chromium is there.
chromium:
	@bash docs/install-chromium.sh

test: check-sync docs chromium
	BIONER_KD_SITE=$(CURDIR)/site $(BIN)/pytest $(PYTEST_ARGS)

# The experiment grid of a profile (default: quick), then its report into reports/$(PROFILE)/; resumable.
reproduce: install
	$(BIN)/bioner-kd data verify --quiet
	$(BIN)/bioner-kd run --profile $(PROFILE) --jobs $(JOBS)
