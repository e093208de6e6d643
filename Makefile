# Quick start: `make run` (install + demo community + server), `make test` (the whole suite).
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: run install fonts browser test test-fast bench lint translations cluster

$(STAMP): pyproject.toml setup.py
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

# Debian's CJK fonts, so that printouts never show empty boxes, and HarfBuzz's subsetter:
# without it WeasyPrint subsets the CJK font with fontTools, about 20 times slower per PDF.
fonts:
	@fc-list :lang=zh 2>/dev/null | grep -q . && ls /usr/lib/*/libharfbuzz-subset.so.0 >/dev/null 2>&1 || { \
	  echo "Installing fonts-noto-cjk and libharfbuzz-subset0 (Debian) ..."; \
	  $(SUDO) apt-get update -q && \
	  $(SUDO) apt-get install -y -q fonts-noto-cjk fontconfig libharfbuzz-subset0; }

# Debian's Chromium for the browser tests (browser downloads do not work here), and axe-core
# from npm (pinned in tests/e2e/package-lock.json) for their accessibility check.
AXE := tests/e2e/node_modules/axe-core/axe.min.js
browser: $(AXE)
	@test -x /usr/bin/chromium || { \
	  echo "Installing chromium (Debian) ..."; \
	  $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q chromium; }

$(AXE): tests/e2e/package.json tests/e2e/package-lock.json
	cd tests/e2e && npm ci --no-audit --no-fund
	touch $(AXE)

# The English catalogue, compiled when installing (the running app never writes the package).
MO := census/translations/en/LC_MESSAGES/messages.mo
$(MO): census/translations/en/LC_MESSAGES/messages.po $(STAMP)
	$(PY) -m census.translations >/dev/null

install: $(STAMP) $(MO) fonts

run: install
	$(VENV)/bin/census init
	$(VENV)/bin/census demo
	$(VENV)/bin/census serve --host $(HOST) --port $(PORT)

# Several servers on one PostgreSQL database, for trying it (README, "Running several servers"):
# two app servers, a worker for every community of the street (CLUSTER_WORKERS in all) and
# a round-robin proxy at http://127.0.0.1:8080, on the local server's database
# census_cluster (made if missing). Ctrl+C stops them all.
cluster: install
	$(PY) bin/cluster --database $(or $(CLUSTER_DB),census_cluster) --port $(or $(CLUSTER_PORT),8080) \
	  --workers $(or $(CLUSTER_WORKERS),1)

test: install browser
	$(VENV)/bin/pytest

# Without the browser, slow (durability, wheel) and PostgreSQL tests: a quick check while
# editing that needs no database server.
test-fast: install
	$(VENV)/bin/pytest -m "not e2e and not slow and not postgres"

bench: install
	$(PY) bench/store_writes.py

lint: install
	$(VENV)/bin/ruff check census tests bench
	$(VENV)/bin/ruff format --check census tests bench
	$(VENV)/bin/mypy

# After adding interface text: refresh the English catalogue, then fill in its empty msgstr.
translations: install
	$(VENV)/bin/pybabel -q extract -F babel.cfg -k NC_:1c,2 -k Np_:1,2 -o census/translations/messages.pot .
	$(VENV)/bin/pybabel -q update --ignore-obsolete -i census/translations/messages.pot -d census/translations
	$(PY) -m census.translations >/dev/null
