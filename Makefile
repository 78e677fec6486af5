# The two commands: `make serve` and `make test`. Everything else is set-up they call.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 6543
STAMP := $(VENV)/.installed

.PHONY: serve test lint migrate seed catalogs bench clean messages fuzz lock vnu screenshots lighthouse

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed ($(PYTHON) not found)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade "pip>=24"

# Everything from the hashed lock (runtime + test extra), then the project itself, editable, without
# dependencies and built by the locked setuptools; pip check fails when pyproject.toml asks for what the
# lock lacks (run `make lock`). A changed lock or pyproject.toml reinstalls.
LOCK := requirements/test.lock
$(STAMP): $(BIN)/python pyproject.toml setup.py $(LOCK)
	$(BIN)/pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	$(BIN)/pip check
	@touch $(STAMP)

# Refresh the locks from pyproject.toml after changing a dependency there (then commit all three). Kept
# pins stay; LOCK_ARGS=--upgrade moves everything to the newest allowed, LOCK_ARGS="--upgrade-package X" one.
# Pinned for Python 3.11 on Linux x86_64 (the resolution follows this interpreter), hashes of every file.
PIP_COMPILE = CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe \
	--strip-extras --no-emit-index-url --no-emit-find-links --no-emit-trusted-host $(LOCK_ARGS)
lock: $(BIN)/python
	@$(BIN)/python -c 'import platform as p, sys; assert sys.version_info[:2] == (3, 11) and p.system() == "Linux" \
and p.machine() == "x86_64", "the locks are for Python 3.11 on Linux x86_64"'
	$(BIN)/pip install --quiet "pip-tools>=7.4,<8"
	$(PIP_COMPILE) --extra test -o $(LOCK) pyproject.toml
	$(PIP_COMPILE) --constraint $(LOCK) -o requirements/main.lock pyproject.toml

catalogs: $(STAMP)
	$(BIN)/python -c "from portal.core.i18n import compile_catalogs; compile_catalogs()"

var:
	mkdir -p var/media

migrate: $(STAMP) var
	$(BIN)/alembic -c development.ini upgrade head

seed: migrate
	$(BIN)/portal-seed-demo development.ini

serve: seed catalogs
	@echo "Serving on http://127.0.0.1:$(PORT)  (Ctrl-C stops)"
	@# The worker (expiry now; outbox and retention later) runs beside the server and stops with it.
	$(BIN)/portal-worker development.ini & trap 'kill $$! 2>/dev/null' EXIT INT TERM; \
	$(BIN)/pserve development.ini http_port=$(PORT)

test: $(STAMP) catalogs lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# ruff for style; lint-imports for the architecture (.importlinter: layers, views private to their domain).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache

bench: $(STAMP)
	$(BIN)/python bench/notices_throughput.py
	$(BIN)/python bench/search_latency.py

# The README's screenshots made again from the demo (needs /usr/bin/chromium and a Chinese font:
# apt-get install fonts-noto-cjk), and Lighthouse's mobile scores of the public pages (bench/README.md).
screenshots: $(STAMP) catalogs
	$(BIN)/python docs/screenshots/make_screenshots.py

lighthouse: $(STAMP) catalogs
	$(BIN)/python bench/lighthouse.py

# The media parsers fuzzed far longer than CI does, with fresh randomness each run (a few minutes).
fuzz: $(STAMP)
	PORTAL_FUZZ_EXAMPLES=$${PORTAL_FUZZ_EXAMPLES:-2000} PORTAL_FUZZ_RANDOM=1 \
	  $(BIN)/python -m pytest -q tests/unit/media/test_fuzz_parsers.py

clean:
	rm -rf $(VENV) var build *.egg-info

# Re-extract translatable strings and merge them into every catalog (then translate the new ones).
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _ -o portal/locale/portal.pot --no-location --sort-output --project "Safety Portal" .
	$(BIN)/pybabel update -D portal -i portal/locale/portal.pot -d portal/locale --no-fuzzy-matching

# The Nu HTML Checker's jar for tests/functional/test_html_standards.py (tests/vnu.py finds it here):
# the npm package vnu-jar, pinned, packed without node_modules; java comes from default-jre-headless.
VNU_VERSION := 26.9.27
VNU_DIR := $(HOME)/.cache/safety-portal/vnu-jar-$(VNU_VERSION)
vnu: $(VNU_DIR)/vnu.jar
$(VNU_DIR)/vnu.jar:
	mkdir -p $(VNU_DIR)/pack
	cd $(VNU_DIR)/pack && npm pack --silent vnu-jar@$(VNU_VERSION) >/dev/null && tar xzf vnu-jar-$(VNU_VERSION).tgz
	mv $(VNU_DIR)/pack/package/build/dist/vnu.jar $@ && rm -rf $(VNU_DIR)/pack
