VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Every dependency of `.[dev]`, direct and transitive, at the versions CI tested (Python 3.11, Linux x86_64).
# `make lock` remakes it; `make` reinstalls .venv whenever it or pyproject.toml changes.
LOCK := requirements.lock
PYTHON := python3.11

.PHONY: run dashboard test screenshots lint bench lock clean wheel-check docs

$(STAMP): pyproject.toml $(LOCK)
	test -x $(PY) || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet -c $(LOCK) --upgrade pip
	# tests/test_wheel.py builds without isolation, so the venv needs pyproject's build backend
	$(PY) -m pip install --quiet 'setuptools==80.9.0' 'wheel==0.45.1'
	$(PY) -m pip install --quiet -c $(LOCK) -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/morale run russia-2022 --out runs/russia-2022 --force

dashboard: $(STAMP)
	$(VENV)/bin/morale dashboard

# The browser tests drive one dashboard server in Chromium: they run after the parallel part, one at a time.
test: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks tools docs/hooks docs/tutorials
	$(PY) -m pytest -q -n 2 --timeout 600 -m 'not slow and not browser'
	$(PY) -m pytest -q -rs --timeout 600 -m browser

# The README's pictures of the dashboard, taken by the browser tests.
screenshots: $(STAMP)
	MORALE_SCREENSHOTS=docs/img $(PY) -m pytest -q -rs --timeout 600 -m browser

# The documentation site in site/ (MkDocs, Material): strict, so a broken link, anchor or page fails; no network.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict

# The wheel as a user gets it: built from the tracked files, installed with its locked dependencies into a fresh
# venv outside the checkout (needs the network), then `morale run` and `morale classic` run from there.
wheel-check:
	tools/wheel_check.sh $(PYTHON)

bench: $(STAMP)
	$(PY) benchmarks/bench_run.py

# Resolve `.[dev]` afresh in a throw-away venv (newest releases that pyproject.toml allows) and pin the result.
# Then run `make test` (it reinstalls .venv from the new lock) before committing requirements.lock.
lock:
	set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	$(PYTHON) -m venv "$$tmp/venv"; \
	"$$tmp/venv/bin/python" -m pip install --quiet --upgrade pip; \
	"$$tmp/venv/bin/python" -m pip install --quiet -e '.[dev]'; \
	{ echo "# requirements.lock: every package of \`pip install -e '.[dev]'\`, direct and transitive, pinned."; \
	  echo "# Made by \`make lock\`: a fresh $$("$$tmp/venv/bin/python" -V) venv on $$(uname -s) $$(uname -m), \`pip install -e '.[dev]'\`,"; \
	  echo "# then \`pip freeze --all --exclude-editable\` (less setuptools and wheel). Do not edit by hand."; \
	  echo "# Used as constraints: \`pip install -c requirements.lock -e '.[dev]'\` (the Makefile does this)."; \
	  "$$tmp/venv/bin/python" -m pip freeze --all --exclude-editable | grep -Ev '^(setuptools|wheel)=='; \
	} > $(LOCK).tmp; \
	mv $(LOCK).tmp $(LOCK)

clean:
	rm -rf $(VENV) runs .pytest_cache site
