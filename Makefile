# The README's two commands: `make demo` (run with demo data) and `make test` (every test).
VENV := .venv
BIN := $(VENV)/bin
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: demo test chromium bench

$(BIN)/.installed: requirements.txt requirements-dev.txt
	python3 -m venv $(VENV)
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

demo: $(BIN)/.installed
	$(BIN)/flask --app outcomes seed-demo
	$(BIN)/flask --app outcomes run --host 127.0.0.1 --port 5000

# Browser tests need Debian's Chromium at /usr/bin/chromium; install it when missing.
chromium:
	@test -x /usr/bin/chromium || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

# Lint first (ruff.toml): a finding fails the run before the slower tests start.
test: $(BIN)/.installed chromium
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

bench: $(BIN)/.installed
	@for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done
