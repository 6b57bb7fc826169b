# The two commands a newcomer runs:
#   make demo   local MariaDB primary/replica + HAProxy + TLS, then the bootstrap
#   make test   the whole test suite (what .ci/run calls)
# A bare `make` lists the targets. Python 3.11 or newer: `make PYTHON=/path/to/python3.12 ...`
# picks another interpreter (.venv is rebuilt when its Python is another version).
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# uv installs the pinned requirements in seconds where pip takes half a minute; pip is the
# fallback (USE_UV=0 forces it) when uv cannot be installed or fails.
USE_UV ?= 1
UV_VERSION := 0.13.8
PIP_INSTALL := $(PY) -m pip install --quiet --disable-pip-version-check

# "major minor version" of an interpreter; Python 2 can run it too, so an old one gets named.
PYVER := -c 'import sys; v = sys.version_info; print("%d %d %s" % (v[0], v[1], sys.version.split()[0]))'

# `install ARGS...` into the venv: with uv when it can, else with pip. Stamps live in .venv, so a
# rebuilt venv installs again; each names the files whose change means installing again.
INSTALL := install() { \
	if [ "$(USE_UV)" = 1 ] && [ ! -e $(VENV)/.uv-$(UV_VERSION) ]; then \
		$(PIP_INSTALL) uv==$(UV_VERSION) >/dev/null 2>&1 && touch $(VENV)/.uv-$(UV_VERSION) \
			|| echo "make: uv could not be installed; installing with pip (slower)"; \
	fi; \
	if [ "$(USE_UV)" = 1 ] && [ -e $(VENV)/.uv-$(UV_VERSION) ]; then \
		echo "uv pip install $$*"; \
		$(VENV)/bin/uv pip install --quiet --python $(PY) "$$@" && return 0; \
		echo "make: uv failed; retrying with pip"; \
	fi; \
	echo "pip install $$*"; \
	$(PIP_INSTALL) "$$@"; \
}; install
RUNTIME_STAMP := $(VENV)/.installed-runtime
DEV_STAMP := $(VENV)/.installed-dev
ANALYTICS_STAMP := $(VENV)/.installed-analytics
MUTATION_STAMP := $(VENV)/.installed-mutation

.PHONY: help demo down clean test docs unit contract integration lint typecheck check system-deps \
	python-check venv-python deps deps-analytics deps-dev deps-mutation venv mutation

help: ## this list (a bare `make` shows it too)
	@echo "usage: make TARGET   (first time: make demo; everything CI runs: make test)"
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

# --- the local environment ----------------------------------------------------------------

demo: python-check system-deps deps ## start the local environment, run the bootstrap, show the status
	$(PY) -m scripts.local_env up
	$(PY) -m scripts.bootstrap --outputs .local/outputs.json
	$(PY) -m scripts.local_env status

# Installs nothing: stopping needs only the standard library, so without the venv (not made
# yet, or broken) the interpreter in PYTHON runs it.
down: ## stop the local environment's processes (data kept)
	@if [ -x $(PY) ]; then py=$(PY); else py=$(PYTHON); fi; \
	echo "$$py -m scripts.local_env down"; $$py -m scripts.local_env down

# down first: deleting .local under running servers would orphan them. Without the venv
# (not made yet) the interpreter in PYTHON runs it: stopping needs only the standard library.
# If down fails, make stops here and .local stays, so down can be run again.
clean: ## down, then delete .local (data, TLS, outputs), the tool caches and build output
	@if [ -d .local ]; then \
		if [ -x $(PY) ]; then $(PY) -m scripts.local_env --state-dir .local down; \
		else $(PYTHON) -m scripts.local_env --state-dir .local down; fi; \
	fi
	rm -rf .local .pytest_cache .mypy_cache .ruff_cache build dist site mysql_platform.egg-info

# --- tests --------------------------------------------------------------------------------

unit: deps-dev ## unit tests (Pulumi mocks, no servers)
	$(PY) -m pytest tests/unit -q

contract: deps-dev ## the analytics commands against moto, an emulator of the AWS APIs
	$(PY) -m pytest tests/contract -q

integration: system-deps deps-dev ## integration tests (real MariaDB, HAProxy, sshd on loopback)
	$(PY) -m pytest tests/integration -q

lint: deps-dev ## ruff check and ruff format --check
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

# The docs' reference generator is outside the packages pyproject.toml lists for mypy: checked by name.
typecheck: deps-dev ## mypy --strict (the packages, and the docs' reference generator)
	$(PY) -m mypy
	$(PY) -m mypy docs/hooks/reference.py

check: lint typecheck unit ## the fast gate: lint, typecheck, unit tests

# --strict: a broken link or anchor, a page missing from the nav or a reference marker the hook
# cannot fill fails the build. NO_MKDOCS_2_WARNING quiets mkdocs-material's banner about MkDocs 2.
docs: deps-dev ## build the documentation site into site/ (mkdocs build --strict; reference pages from the code)
	NO_MKDOCS_2_WARNING=1 $(PY) -m mkdocs build --strict --quiet

# HYPOTHESIS_PROFILE=ci: the property tests draw every example here (a tenth in `make unit`).
test: python-check system-deps deps-dev lint typecheck docs ## everything CI runs (.ci/run): lint, mypy, the docs, all tests
	HYPOTHESIS_PROFILE=ci $(PY) -m pytest -q

mutation: deps-mutation ## mutation testing with mutmut: every target must score 90 % (.ci/run runs it)
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" bash tests/mutation/run.sh

# --- the interpreter, the venv and the packages ---------------------------------------------------------

python-check: ## fail at once unless PYTHON (default python3) is Python 3.11 or newer
	@command -v $(PYTHON) >/dev/null 2>&1 || { \
		echo "make: $(PYTHON) not found: mysql-platform needs Python 3.11 or newer" \
			"(install it, or run make PYTHON=/path/to/python3.11 ...)" >&2; exit 1; }
	@set -- $$($(PYTHON) $(PYVER) 2>/dev/null); \
	if [ -z "$$2" ] || [ "$$1" -lt 3 ] || { [ "$$1" -eq 3 ] && [ "$$2" -lt 11 ]; }; then \
		echo "make: mysql-platform needs Python 3.11 or newer; $(PYTHON) ($$(command -v $(PYTHON)))" \
			"is Python $${3:-of unknown version}. Install 3.11+, or run make PYTHON=/path/to/python3.11 ..." >&2; \
		exit 1; \
	fi

# A .venv made by another Python version (or whose interpreter is gone) is rebuilt, not reused:
# its packages were built for that version.
venv-python: python-check
	@want=$$($(PYTHON) $(PYVER) | awk '{print $$1 "." $$2}'); \
	have=$$($(PY) $(PYVER) 2>/dev/null | awk '{print $$1 "." $$2}'); \
	if [ "$$have" != "$$want" ]; then \
		if [ -e $(VENV) ]; then \
			echo "make: rebuilding $(VENV): it runs Python $${have:-(none: its interpreter is gone)}," \
				"$(PYTHON) is Python $$want"; \
			rm -rf $(VENV); \
		fi; \
		echo "$(PYTHON) -m venv $(VENV)"; \
		$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); \
			echo "make: could not create $(VENV) (Debian/Ubuntu: apt-get install python3-venv)" >&2; exit 1; }; \
	fi

deps: venv-python ## the runtime requirements and this project (editable: the mysql-platform command)
	@if [ requirements.txt -nt $(RUNTIME_STAMP) ] || [ requirements-router.txt -nt $(RUNTIME_STAMP) ] \
		|| [ requirements-full.txt -nt $(RUNTIME_STAMP) ] || [ pyproject.toml -nt $(RUNTIME_STAMP) ] \
		|| [ setup.py -nt $(RUNTIME_STAMP) ]; then \
		$(INSTALL) -r requirements.txt -e . && touch $(RUNTIME_STAMP); \
	fi

deps-analytics: deps ## deps + the analytics extra: boto3, DuckDB, pyarrow (requirements-analytics.txt)
	@if [ requirements-analytics.txt -nt $(ANALYTICS_STAMP) ] || [ $(RUNTIME_STAMP) -nt $(ANALYTICS_STAMP) ]; then \
		$(INSTALL) -r requirements-analytics.txt && touch $(ANALYTICS_STAMP); \
	fi

deps-dev: deps ## deps + the test, quality and docs tools (requirements-dev.txt, the analytics extra too)
	@if [ requirements-dev.txt -nt $(DEV_STAMP) ] || [ requirements-analytics.txt -nt $(DEV_STAMP) ] \
		|| [ requirements-docs.txt -nt $(DEV_STAMP) ] \
		|| [ $(RUNTIME_STAMP) -nt $(DEV_STAMP) ]; then \
		$(INSTALL) -r requirements-dev.txt && touch $(DEV_STAMP); \
	fi

deps-mutation: deps-dev
	@if [ requirements-mutation.txt -nt $(MUTATION_STAMP) ] || [ $(DEV_STAMP) -nt $(MUTATION_STAMP) ]; then \
		$(INSTALL) -r requirements-mutation.txt && touch $(MUTATION_STAMP); \
	fi

venv: deps-dev

# Debian packages the local environment and the integration tests need.
system-deps: ## MariaDB, HAProxy, OpenSSH, openssl, socat, Graphviz from apt (root; skipped when present)
	./scripts/install-system-deps.sh
