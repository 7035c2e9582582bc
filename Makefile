# The README's two commands: `make demo` (run with demo data) and `make test` (every test).
VENV := .venv
BIN := $(VENV)/bin
# The interpreter the virtualenv is made from. A build with profile-guided optimisation and LTO
# (Debian's python3.11 package is one; pyenv's default build is not) served about an eighth more of
# bench/load.py's mix on the same machine, on average (bench/README.md, "Seventh and eighth rounds"):
#   rm -rf .venv && make PYTHON=/usr/bin/python3.11 demo
PYTHON ?= python3
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: demo test chromium oidc-provider bench

$(BIN)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

demo: $(BIN)/.installed
	$(BIN)/flask --app outcomes seed-demo
	$(BIN)/flask --app outcomes run --host 127.0.0.1 --port 5000

# Browser tests need Debian's Chromium at /usr/bin/chromium; install it when missing.
chromium:
	@test -x /usr/bin/chromium || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

# The single sign-on tests run a real OpenID provider (node-oidc-provider) from tests/oidc/: its
# Node packages are installed from the committed lock file when missing. The app never uses them.
oidc-provider: tests/oidc/node_modules/.package-lock.json

tests/oidc/node_modules/.package-lock.json: tests/oidc/package.json tests/oidc/package-lock.json
	@command -v npm >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm)
	cd tests/oidc && npm ci --no-audit --no-fund

# Lint first (ruff.toml): a finding fails the run before the slower tests start.
test: $(BIN)/.installed chromium oidc-provider
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

bench: $(BIN)/.installed
	@for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done
